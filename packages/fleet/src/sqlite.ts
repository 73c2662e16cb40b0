import Database from 'better-sqlite3';
import { closeSync, openSync, readSync } from 'node:fs';
import { preparePrivateFile } from './permissions';
import { errorMessage } from './errors';

export type SqliteDatabase = Database.Database;

/**
 * Pragmas for databases we own, set explicitly because drivers disagree on defaults:
 * - WAL: readers never block the writer, and clone/export can copy under a write lock.
 * - busy_timeout: a writer waits for another process's lock instead of failing at once.
 * - synchronous: FULL fsyncs every commit (a power cut loses nothing committed); NORMAL
 *   fsyncs at checkpoints only (a power cut may lose the last commits, never corrupts).
 */
export interface PragmaOptions {
  synchronous: 'FULL' | 'NORMAL';
  busyTimeoutMs: number;
}

export const TENANT_PRAGMAS: PragmaOptions = { synchronous: 'NORMAL', busyTimeoutMs: 5_000 };
export const CATALOG_PRAGMAS: PragmaOptions = { synchronous: 'FULL', busyTimeoutMs: 10_000 };

export function openSqlite(file: string, pragmas: PragmaOptions, options: { mustExist?: boolean } = {}): SqliteDatabase {
  // A database SQLite would create gets 0644 (and so would its WAL): create it owner-only first.
  if (!options.mustExist) preparePrivateFile(file);
  const db = new Database(file, { fileMustExist: options.mustExist ?? false });
  try {
    db.pragma(`busy_timeout = ${pragmas.busyTimeoutMs}`);
    enterWal(db, pragmas.busyTimeoutMs);
    db.pragma(`synchronous = ${pragmas.synchronous}`);
    db.pragma('foreign_keys = ON');
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * `journal_mode = WAL`, tried again while another process holds the lock: turning a new
 * database to WAL needs an exclusive lock, and SQLite answers SQLITE_BUSY at once there
 * instead of calling the busy handler (two processes creating the catalog together hit it).
 */
function enterWal(db: SqliteDatabase, busyTimeoutMs: number): void {
  const deadline = Date.now() + busyTimeoutMs;
  for (;;) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'SQLITE_BUSY' || Date.now() >= deadline) throw error;
      Atomics.wait(pause, 0, 0, 10);
    }
  }
}

export function openReadOnly(file: string): SqliteDatabase {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.pragma(`busy_timeout = ${TENANT_PRAGMAS.busyTimeoutMs}`);
  return db;
}

// The migration transaction is plain JavaScript so the migration threads run the same steps.
/**
 * What `PRAGMA integrity_check` found, one finding per item; empty when the file is sound.
 * SQLite reports a b-tree's findings in one row, a line each under a `*** in database main ***`
 * heading, so a damaged file can be one row of 70 lines.
 */
export function integrityFindings(db: SqliteDatabase): string[] {
  const rows = db.pragma('integrity_check') as { integrity_check: string }[];
  const findings = rows.flatMap((row) => row.integrity_check.split('\n')).filter((line) => line !== '' && !/^\*\*\* in database .* \*\*\*$/.test(line));
  return findings.length === 1 && findings[0] === 'ok' ? [] : findings;
}

/** SQLite's integrity check of a file, read-only; a file that cannot even be opened is one finding. */
export function integrityOfFile(file: string): string[] {
  let db: SqliteDatabase | undefined;
  try {
    db = openReadOnly(file);
    return integrityFindings(db);
  } catch (error) {
    return [`not a readable SQLite database: ${unreadableDetail(error, file)}`];
  } finally {
    db?.close();
  }
}

/**
 * What SQLite said about a file it could not read, for a message a person reads. A header that
 * claims UTF-16 text over a UTF-8 schema (a damaged or edited byte 56) makes SQLite quote the
 * schema's names decoded as UTF-16, which reads as random CJK characters: the header's claim is
 * added, as a possible cause. SQLite's own reason stays (a real UTF-16 file can be malformed too).
 */
export function unreadableDetail(error: unknown, file: string): string {
  const message = errorMessage(error);
  if (!message.startsWith('malformed database schema')) return message;
  const encoding = headerTextEncoding(file);
  if (encoding !== 2 && encoding !== 3) return message;
  return `${message}; its header says its text is UTF-16${encoding === 2 ? 'le' : 'be'} (byte 56): if the file was written as UTF-8, that byte is damaged and the name quoted is UTF-8 read as UTF-16`;
}

/** The database header's text encoding (1 UTF-8, 2 UTF-16le, 3 UTF-16be), or undefined if unreadable. */
function headerTextEncoding(file: string): number | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const field = Buffer.alloc(4);
    return readSync(fd, field, 0, 4, 56) === 4 ? field.readUInt32BE(0) : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The first `shown` findings and how many more, for a message of a few lines. */
export function findingsSummary(findings: readonly string[], shown = 3): string {
  const more = findings.length - shown;
  return `${findings.slice(0, shown).join('; ')}${more > 0 ? `; and ${more} more` : ''}`;
}

export { migrateSync, userVersion } from './pool/migrate-steps.mjs';
export type { MigratableDb } from './pool/migrate-steps.mjs';
