import Database from 'better-sqlite3';
import { rmSync } from 'node:fs';

export type Connection = Database.Database;

/**
 * One connection per SQL stream, as sqld gives each Hrana stream its own connection.
 * WAL so readers never block the writer; busy_timeout 0 because better-sqlite3 is synchronous:
 * a waiting writer would block the event loop and with it the stream that holds the lock.
 * The SQL endpoint waits for the lock asynchronously instead (see sql-executor.ts).
 */
export function openConnection(file: string): Connection {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 0');
  // libsql-server enforces foreign keys on every connection (libsql PR #981).
  db.pragma('foreign_keys = ON');
  db.defaultSafeIntegers(true);
  return db;
}

/**
 * A consistent copy of the committed state of `source` at `target` (VACUUM INTO reads in one
 * transaction, so concurrent writers on other connections don't tear it).
 */
export function copyCommittedState(source: Connection, target: string): void {
  removeDatabaseFiles(target);
  source.prepare('VACUUM INTO ?').run(target);
  const copy = new Database(target);
  try {
    copy.pragma('journal_mode = WAL');
  } finally {
    copy.close();
  }
}

export function removeDatabaseFiles(file: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(file + suffix, { force: true });
}

/** Bytes the database occupies: pages in use times page size (committed state). */
export function storageBytes(conn: Connection): number {
  const pageCount = conn.pragma('page_count', { simple: true }) as bigint | number;
  const pageSize = conn.pragma('page_size', { simple: true }) as bigint | number;
  return Number(pageCount) * Number(pageSize);
}
