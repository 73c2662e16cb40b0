import Database from 'better-sqlite3';
import { rmSync } from 'node:fs';

export type Connection = Database.Database;

/**
 * One connection per SQL stream, as sqld gives each Hrana stream its own connection.
 * WAL so readers never block the writer; busy_timeout 0 because better-sqlite3 is synchronous:
 * a waiting writer would block the event loop and with it the stream that holds the lock.
 * The SQL endpoint waits for the lock asynchronously instead (see sql-executor.ts).
 */
export function openConnection(file: string, sizeLimitBytes?: number): Connection {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 0');
  // libsql-server enforces foreign keys on every connection (libsql PR #981).
  db.pragma('foreign_keys = ON');
  // libsql-server enforces a database's size limit the same way, `PRAGMA max_page_count` on
  // each connection: a write past it fails with SQLITE_FULL "database or disk is full".
  if (sizeLimitBytes !== undefined) {
    const pageSize = Number(db.pragma('page_size', { simple: true }));
    db.pragma(`max_page_count = ${Math.max(1, Math.floor(sizeLimitBytes / pageSize))}`);
  }
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

/**
 * Turso's `size_limit`: "the maximum size of the database in bytes. Values with units are also
 * accepted, e.g. 1mb, 256mb, 1gb." The docs do not say whether units are 1000- or 1024-based;
 * the stand-in takes 1024. Anything else is refused, as a strict fake should.
 */
export function parseSizeLimit(value: string): number | undefined {
  const match = /^\s*(\d+)\s*(b|kb|mb|gb|tb)?\s*$/i.exec(value);
  if (!match?.[1]) return undefined;
  const units: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, tb: 1024 ** 4 };
  const bytes = Number(match[1]) * (units[(match[2] ?? 'b').toLowerCase()] ?? 1);
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined;
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
