import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, rmSync, readdirSync, renameSync } from 'node:fs';
import path from 'node:path';
import { PROCESS_TOKEN } from '../processes';

/** Files SQLite may keep beside a database. */
export const SIDECARS = ['-wal', '-shm', '-journal'] as const;

const TEMP_MARKER = '.tmp-';

/**
 * Tenant files are spread over 256 sub-folders by a hash of the name, so no folder holds more
 * than a few hundred entries even at 100,000 instances.
 */
export function tenantPath(regionDir: string, name: string): string {
  const shard = createHash('sha256').update(name).digest('hex').slice(0, 2);
  return path.join(regionDir, 'tenants', shard, `${name}.db`);
}

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
  const prefix = `${path.basename(file)}${TEMP_MARKER}`;
  let entries: string[];
  try {
    entries = readdirSync(path.dirname(file));
  } catch {
    return;
  }
  for (const entry of entries) {
    if (entry.startsWith(prefix)) rmSync(path.join(path.dirname(file), entry), { force: true });
  }
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
  if (options.ownsSidecars) for (const suffix of SIDECARS) rmSync(`${file}${suffix}`, { force: true });
  renameSync(temp, file);
}
