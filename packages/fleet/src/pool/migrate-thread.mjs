// @ts-check
/**
 * A worker thread of the migration pool (migrate-pool.ts): it opens one tenant file at a time,
 * runs the instance's migration transaction and reports the outcome. It never touches the
 * catalog: the fleet's main thread records every result.
 *
 * Plain JavaScript with type checking, so it starts in plain Node without a TypeScript loader.
 */
import { statSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { migrateSync } from './migrate-steps.mjs';

/**
 * The pragmas of sqlite.ts's TENANT_PRAGMAS, sent by the pool so both places use one source.
 * @typedef {{ synchronous: 'FULL' | 'NORMAL', busyTimeoutMs: number }} Pragmas
 * @typedef {{ id: number, path: string, migrations: { version: number, sql: string }[],
 *   dryRun: boolean, maxBytes?: number, pragmas: Pragmas }} MigrateTask
 */

// The failpoints of failpoints.ts that fall inside this thread's work; the whole process dies.
const armed = process.env['SILO_FAILPOINT'];
const pause = new Int32Array(new SharedArrayBuffer(4));

parentPort?.on('message', (/** @type {MigrateTask} */ task) => {
  parentPort?.postMessage(run(task));
});

/**
 * Files up to this size are migrated holding the file alone (see `migrateAlone`): their
 * migration takes milliseconds, so a reader that opens the instance meanwhile waits that long.
 * Larger ones (an index build can take seconds) keep their readers going, as WAL allows.
 */
const ALONE_MAX_BYTES = 8 * 1024 * 1024;

/** @param {MigrateTask} task */
function run(task) {
  try {
    const small = fileSize(task.path) + fileSize(`${task.path}-wal`) <= ALONE_MAX_BYTES;
    const { from, to } = (small ? migrateAlone(task) : undefined) ?? migrateShared(task);
    return { id: task.id, ok: true, from, to, sizeBytes: fileSize(task.path) + fileSize(`${task.path}-wal`) };
  } catch (error) {
    const err = /** @type {{ message?: string, code?: string }} */ (error);
    return { id: task.id, ok: false, error: { message: err.message ?? String(error), code: err.code ?? null } };
  }
}

/**
 * The migration with `locking_mode = EXCLUSIVE` set before the file is first read: SQLite then
 * keeps the WAL index in this connection's memory instead of a shared `-shm` mapping, and no
 * other connection can read or write until it closes. That mapping (creating it, faulting its
 * pages in, its locks) is most of a small migration's system time, and what two threads of one
 * process take turns at. Without waiting: when any connection has the file open (a server
 * serving it), the lock is refused at once and undefined says to migrate it shared instead;
 * nothing was changed by then.
 * @param {MigrateTask} task
 * @returns {{ from: number, to: number } | undefined}
 */
function migrateAlone(task) {
  const db = new Database(task.path, { fileMustExist: true, timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    try {
      db.pragma('journal_mode = WAL');
      prepare(db, task);
      return migrate(db, task);
    } catch (error) {
      if (/** @type {{ code?: unknown }} */ (error).code === 'SQLITE_BUSY' && !db.inTransaction) return undefined;
      throw error;
    }
  } finally {
    db.close();
  }
}

/** @param {MigrateTask} task */
function migrateShared(task) {
  // The constructor's timeout is SQLite's busy timeout, set without a statement.
  const db = new Database(task.path, { fileMustExist: true, timeout: task.pragmas.busyTimeoutMs });
  try {
    enterWal(db, task.pragmas.busyTimeoutMs);
    prepare(db, task);
    return migrate(db, task);
  } finally {
    db.close();
  }
}

/** The connection's pragmas, as sqlite.ts sets a tenant connection's. @param {import('better-sqlite3').Database} db @param {MigrateTask} task */
function prepare(db, task) {
  db.pragma(`synchronous = ${task.pragmas.synchronous}`);
  db.pragma('foreign_keys = ON');
  // The size cap holds per connection (size-cap.ts), so a migration's connection sets it too.
  if (task.maxBytes !== undefined) {
    const pageSize = Number(db.pragma('page_size', { simple: true }));
    db.pragma(`max_page_count = ${Math.max(1, Math.floor(task.maxBytes / pageSize))}`);
  }
}

/** @param {import('better-sqlite3').Database} db @param {MigrateTask} task */
function migrate(db, task) {
  return migrateSync(db, task.migrations, {
    dryRun: task.dryRun,
    beforeCommit: () => {
      if (armed === 'migrate:mid-transaction') process.kill(process.pid, 'SIGKILL');
    },
  });
}

/**
 * `journal_mode = WAL`, tried again while another process holds the lock (sqlite.ts's enterWal).
 * @param {import('better-sqlite3').Database} db @param {number} busyTimeoutMs
 */
function enterWal(db, busyTimeoutMs) {
  const deadline = Date.now() + busyTimeoutMs;
  for (;;) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (error) {
      if (/** @type {{ code?: unknown }} */ (error).code !== 'SQLITE_BUSY' || Date.now() >= deadline) throw error;
      Atomics.wait(pause, 0, 0, 10);
    }
  }
}

/** @param {string} file */
function fileSize(file) {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
