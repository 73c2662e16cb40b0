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
 *   dryRun: boolean, maxBytes?: number, pragmas: Pragmas, aloneUpToBytes: number }} MigrateTask
 */

// The failpoints of failpoints.ts that fall inside this thread's work; the whole process dies.
const armed = process.env['SILO_FAILPOINT'];
const pause = new Int32Array(new SharedArrayBuffer(4));

parentPort?.on('message', (/** @type {MigrateTask} */ task) => {
  parentPort?.postMessage(run(task));
});

/** @param {MigrateTask} task */
function run(task) {
  /** @type {import('better-sqlite3').Database | undefined} */
  let db;
  try {
    const started = performance.now();
    const sizeBefore = fileSize(task.path);
    db = openAlone(task, sizeBefore) ?? openShared(task);
    db.pragma(`synchronous = ${task.pragmas.synchronous}`);
    db.pragma('foreign_keys = ON');
    // The size cap holds per connection (size-cap.ts), so a migration's connection sets it too.
    if (task.maxBytes !== undefined) {
      const pageSize = Number(db.pragma('page_size', { simple: true }));
      db.pragma(`max_page_count = ${Math.max(1, Math.floor(task.maxBytes / pageSize))}`);
    }
    const { from, to } = migrateSync(db, task.migrations, {
      dryRun: task.dryRun,
      beforeCommit: () => {
        // The first instance of a run migrates on the main thread, where `migrate:mid-transaction`
        // fires first; this one reaches a thread's transaction (a file held alone, ADR 41).
        if (armed === 'migrate:mid-transaction' || armed === 'migrate:thread-mid-transaction') process.kill(process.pid, 'SIGKILL');
      },
    });
    db.close();
    db = undefined;
    return { id: task.id, ok: true, from, to, sizeBytes: fileSize(task.path) + fileSize(`${task.path}-wal`), sizeBefore, ms: performance.now() - started };
  } catch (error) {
    const err = /** @type {{ message?: string, code?: string }} */ (error);
    return { id: task.id, ok: false, error: { message: err.message ?? String(error), code: err.code ?? null } };
  } finally {
    db?.close();
  }
}

/**
 * A file no other connection has open, small enough that its migration should take milliseconds
 * (`task.aloneUpToBytes`, from the pool's recent migrations: migrate-pool.ts), is migrated
 * holding it alone: `locking_mode = EXCLUSIVE` before the first read keeps the WAL
 * index in this connection's memory, so no `-shm` is created, mapped, locked and deleted for it
 * (ADR 41: a third of a small migration's system time). Every other connection in WAL mode
 * holds a SHARED lock for as long as it is open, so taking the EXCLUSIVE lock without waiting
 * proves nobody else has the file open; if anyone has, this returns undefined and the
 * migration shares the file as usual. Whoever opens the file meanwhile waits in their busy
 * handler for the few milliseconds of the migration.
 * @param {MigrateTask} task @param {number} size @returns {import('better-sqlite3').Database | undefined}
 */
function openAlone(task, size) {
  if (size > task.aloneUpToBytes) return undefined;
  const db = new Database(task.path, { fileMustExist: true, timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    // The first read: it opens the WAL and takes the lock, or fails at once.
    db.pragma('journal_mode = WAL');
    db.pragma(`busy_timeout = ${task.pragmas.busyTimeoutMs}`);
    return db;
  } catch (error) {
    db.close();
    if (/** @type {{ code?: unknown }} */ (error).code === 'SQLITE_BUSY') return undefined;
    throw error;
  }
}

/** @param {MigrateTask} task @returns {import('better-sqlite3').Database} */
function openShared(task) {
  // The constructor's timeout is SQLite's busy timeout, set without a statement.
  const db = new Database(task.path, { fileMustExist: true, timeout: task.pragmas.busyTimeoutMs });
  try {
    enterWal(db, task.pragmas.busyTimeoutMs);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
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
