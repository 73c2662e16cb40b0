import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, readSync, rmSync, readdirSync, renameSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { BOOT_TAG, HOST_TAG, PROCESS_TOKEN, taggedOwnerAlive, tokenAlive } from './processes';
import { SiloError } from './errors';

/**
 * Durable file primitives for every module that writes database files: the engines, backups,
 * the catalog push, silo move. A file is built under a temp sibling named after this process and
 * published whole, so a crash leaves either nothing or a temp name that reconciliation can
 * attribute to a dead process. Nothing here knows where an engine keeps its databases.
 */

/** Files SQLite may keep beside a database. */
export const SIDECARS = ['-wal', '-shm', '-journal'] as const;

const TEMP_MARKER = '.tmp-';

/**
 * How long a temp file whose owner cannot be checked from here must lie untouched before it
 * counts as a leftover. That is a file of another host or container sharing the folder (its
 * pids are not ours to look up), one named by a version before temp names said their host,
 * or one naming a bare pid that runs here (maybe reused). Every operation writes its temp file
 * until it publishes it, and none leaves it untouched for a day (the longest pause is an
 * export's copy being streamed out or a snapshot being uploaded); a day also outlasts any
 * difference between the clocks of two machines sharing a network folder.
 */
export const UNKNOWN_OWNER_TEMP_MAX_AGE_MS = 24 * 60 * 60 * 1000;

/**
 * After the marker: the owner's process token, then (since temp names say their host) the
 * host and boot tags, then a random part. The token comes first so that versions before the
 * tags still read it from a new name; the two forms differ by their number of hex groups.
 */
const TEMP_OWNER = String.raw`(\d+(?:\.\d+)?)-(?:([0-9a-f]{8})-([0-9a-f]{8})-)?`;

const TEMP_OWNER_IN_NAME = new RegExp(`\\.tmp-${TEMP_OWNER}[0-9a-f]+`);

/** `<file>.tmp-<pid>[.<start time>]-<host>-<boot>-<random>`: reconciliation can tell live work from leftovers. */
export function tempSibling(file: string): string {
  return tempNameOf(file, PROCESS_TOKEN);
}

/** The temp name a process of this host and boot with `token` would give `file` (tests plant other processes' files with it). */
export function tempNameOf(file: string, token: string): string {
  return `${file}${TEMP_MARKER}${token}-${HOST_TAG}-${BOOT_TAG}-${randomBytes(4).toString('hex')}`;
}

/**
 * A regular expression source matching the tag of this process's temp names, marker to random
 * part: for code that removes its own temp files, which no other process may be writing.
 */
export const OWN_TEMP_TAG = `${escapeRegExp(`${TEMP_MARKER}${PROCESS_TOKEN}-${HOST_TAG}-${BOOT_TAG}-`)}[0-9a-f]{8}`;

export function isTempFile(file: string): boolean {
  return path.basename(file).includes(TEMP_MARKER);
}

export function removeDatabaseFiles(file: string): void {
  for (const suffix of ['', ...SIDECARS]) rmSync(`${file}${suffix}`, { force: true });
}

/** Removes the database, its sidecars, and temp files of interrupted operations on it. */
export function removeWithTemps(file: string): void {
  removeDatabaseFiles(file);
  for (const temp of tempsOf(file)) rmSync(temp, { force: true });
}

/** The temp siblings of `file` (`<file>.tmp-<owner>-…`), of any process; none when its folder is missing. */
function tempsOf(file: string): string[] {
  const prefix = `${path.basename(file)}${TEMP_MARKER}`;
  let entries: string[];
  try {
    entries = readdirSync(path.dirname(file));
  } catch {
    return [];
  }
  return entries.filter((entry) => entry.startsWith(prefix)).map((entry) => path.join(path.dirname(file), entry));
}

export function fsyncFile(file: string): void {
  const fd = openSync(file, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Puts a finished temp file at `file` only if nothing is there: a hard link cannot replace an
 * existing file the way a rename would, so a file that appeared since it was checked is kept.
 * Returns false (and leaves the temp file) when `file` exists.
 */
export function publishNew(temp: string, file: string): boolean {
  fsyncFile(temp);
  try {
    linkSync(temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  rmSync(temp, { force: true });
  fsyncFile(path.dirname(file));
  return true;
}

/**
 * Moves a finished temp file into place: the database appears whole or not at all. Stale
 * sidecars of a database we own (left by an interrupted earlier attempt) would be replayed
 * into the new file, so they go first; files beside an export destination are not ours.
 */
export function publish(temp: string, file: string, options: { ownsSidecars: boolean } = { ownsSidecars: true }): void {
  fsyncFile(temp);
  moveIntoPlace(temp, file, options);
}

/**
 * `publish` with the fsync on libuv's threads: the fsync of a freshly copied file writes all of
 * it to disk (seconds for a gigabyte), which on the main thread would hold every request.
 */
export async function publishAsync(temp: string, file: string, options: { ownsSidecars: boolean } = { ownsSidecars: true }): Promise<void> {
  const handle = await open(temp, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  moveIntoPlace(temp, file, options);
}

function moveIntoPlace(temp: string, file: string, options: { ownsSidecars: boolean }): void {
  if (options.ownsSidecars) for (const suffix of SIDECARS) rmSync(`${file}${suffix}`, { force: true });
  renameSync(temp, file);
}

/**
 * The sidecar beside `file` that SQLite would replay into it on its next open, if any: a `-wal`
 * with frames, or a hot `-journal`. A journal whose first byte is zero is not hot (SQLite's own
 * rule, pager.c `hasHotJournal`): `journal_mode=PERSIST` keeps its journal after every commit
 * with the header zeroed, and that file holds nothing to roll back.
 */
export function unfinishedWritesBeside(file: string): '-wal' | '-journal' | undefined {
  try {
    if (statSync(`${file}-wal`).size > 0) return '-wal';
  } catch {
    // No -wal.
  }
  let fd: number;
  try {
    fd = openSync(`${file}-journal`, 'r');
  } catch {
    return undefined;
  }
  try {
    const first = Buffer.alloc(1);
    return readSync(fd, first, 0, 1, 0) === 1 && first[0] !== 0 ? '-journal' : undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * Refuses a destination with another database's unfinished writes beside it (see
 * unfinishedWritesBeside): SQLite would replay them into the file written there on its next
 * open, mixing two databases. Those files are not ours to remove.
 */
export function assertNoForeignWrites(file: string): void {
  const suffix = unfinishedWritesBeside(file);
  if (suffix !== undefined) {
    throw new SiloError(
      'INVALID_INPUT',
      `${file}${suffix} holds writes of the database now at ${file} (a program has it open, or it was not closed cleanly). SQLite would replay them into a file written there, mixing the two. Close that program, or remove that database together with its ${suffix}, or choose another path.`,
    );
  }
}

/**
 * Temp siblings of `file` (`<file>.tmp-<owner>-…`) whose process died before it could publish
 * or remove them, as a killed `silo export -o <file>` leaves: removed by the next write there.
 */
export function removeAbandonedTempsOf(file: string): void {
  // Outside the fleet's folders a name only like ours may be somebody's file: only exactly
  // what tempSibling makes, in either form (and its sidecars), and judged as isAbandonedTemp does.
  const ours = new RegExp(`^${escapeRegExp(path.basename(file))}\\.tmp-${TEMP_OWNER}[0-9a-f]{8}(?:-wal|-shm|-journal)?$`);
  for (const temp of tempsOf(file)) {
    if (ours.test(path.basename(temp)) && isAbandonedTemp(temp)) rmSync(temp, { force: true });
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Whether the process that made a temp file runs, as far as its name lets this process tell:
 * true or false for a process of this host since its last boot (a name of an earlier boot is
 * dead: the machine restarted), false for a name that says no owner; undefined when it cannot
 * be known here (see UNKNOWN_OWNER_TEMP_MAX_AGE_MS). A name without host and boot (from a
 * version before them) may be another container's, whose pids look like ours: only a token
 * that is running here, start time and all, is known alive.
 */
function tempOwnerAlive(file: string): boolean | undefined {
  const [, token, hostTag, bootTag] = TEMP_OWNER_IN_NAME.exec(path.basename(file)) ?? [];
  if (token === undefined) return false;
  if (hostTag !== undefined && bootTag !== undefined) return taggedOwnerAlive(hostTag, bootTag, token);
  return token.includes('.') && tokenAlive(token) ? true : undefined;
}

/**
 * A temp file whose process is gone, or whose name does not say: a leftover, never live work.
 * One whose owner cannot be known from here is a leftover once untouched for
 * UNKNOWN_OWNER_TEMP_MAX_AGE_MS: `modifiedAt` when the caller has it, else read from the file
 * (none there, as for a file already gone: not a leftover).
 */
export function isAbandonedTemp(file: string, seen: { modifiedAt?: number; now?: number } = {}): boolean {
  if (!isTempFile(file)) return false;
  const alive = tempOwnerAlive(file);
  if (alive !== undefined) return !alive;
  const modifiedAt = seen.modifiedAt ?? modifiedAtOf(file);
  return modifiedAt !== undefined && (seen.now ?? Date.now()) - modifiedAt > UNKNOWN_OWNER_TEMP_MAX_AGE_MS;
}

function modifiedAtOf(file: string): number | undefined {
  try {
    return statSync(file, { throwIfNoEntry: false })?.mtimeMs;
  } catch {
    return undefined;
  }
}
