import Database from 'better-sqlite3';
import { preparePrivateFile } from './permissions';
import type { Migration } from './schema';

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

/** What migrations need of a connection: better-sqlite3's, or the catalog's embedded replica. */
export interface MigratableDb {
  exec(sql: string): unknown;
  pragma(sql: string, options?: { simple?: boolean }): unknown;
  readonly inTransaction: boolean;
}

export function userVersion(db: MigratableDb): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Applies the migrations above the database's version in one IMMEDIATE transaction, so a
 * database is either fully at the new version or untouched. Reading the version inside the
 * transaction makes two concurrent migrators safe: the second finds nothing to do.
 */
export function migrateSync(
  db: MigratableDb,
  migrations: readonly Migration[],
  options: { dryRun?: boolean; beforeCommit?: () => void } = {},
): { from: number; to: number } {
  db.exec('BEGIN IMMEDIATE');
  try {
    const from = userVersion(db);
    const pending = migrations.filter((migration) => migration.version > from);
    for (const migration of pending) db.exec(migration.sql);
    const to = pending.at(-1)?.version ?? from;
    if (to !== from) db.pragma(`user_version = ${to}`);
    options.beforeCommit?.();
    db.exec(options.dryRun ? 'ROLLBACK' : 'COMMIT');
    return { from, to };
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw error;
  }
}
