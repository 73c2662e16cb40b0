import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, readSync, rmSync, readdirSync, renameSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { PROCESS_TOKEN, tokenAlive } from './processes';
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

/** A temporary sibling tagged with this process, so reconciliation can tell live work from leftovers. */
export function tempSibling(file: string): string {
  return `${file}${TEMP_MARKER}${PROCESS_TOKEN}-${randomBytes(4).toString('hex')}`;
}

export function isTempFile(file: string): boolean {
  return path.basename(file).includes(TEMP_MARKER);
}

/** The process token of whoever made a temp file, if the name says. */
export function tempOwner(file: string): string | undefined {
  return /\.tmp-(\d+(?:\.\d+)?)-[0-9a-f]+/.exec(path.basename(file))?.[1];
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
  // what tempSibling makes (and its sidecars), from a process of this machine that is gone.
  const ours = new RegExp(`^${escapeRegExp(path.basename(file))}\\.tmp-(\\d+(?:\\.\\d+)?)-[0-9a-f]{8}(?:-wal|-shm|-journal)?$`);
  for (const temp of tempsOf(file)) {
    const owner = ours.exec(path.basename(temp))?.[1];
    if (owner !== undefined && !tokenAlive(owner)) rmSync(temp, { force: true });
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A temp file whose process is gone (or whose name does not say): a leftover, never live work. */
export function isAbandonedTemp(file: string): boolean {
  if (!isTempFile(file)) return false;
  const owner = tempOwner(file);
  return owner === undefined || !tokenAlive(owner);
}
