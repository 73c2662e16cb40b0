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

/** @param {MigrateTask} task */
function run(task) {
  /** @type {import('better-sqlite3').Database | undefined} */
  let db;
  try {
    // The constructor's timeout is SQLite's busy timeout, set without a statement.
    db = new Database(task.path, { fileMustExist: true, timeout: task.pragmas.busyTimeoutMs });
    enterWal(db, task.pragmas.busyTimeoutMs);
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
        if (armed === 'migrate:mid-transaction') process.kill(process.pid, 'SIGKILL');
      },
    });
    db.close();
    db = undefined;
    return { id: task.id, ok: true, from, to, sizeBytes: fileSize(task.path) + fileSize(`${task.path}-wal`) };
  } catch (error) {
    const err = /** @type {{ message?: string, code?: string }} */ (error);
    return { id: task.id, ok: false, error: { message: err.message ?? String(error), code: err.code ?? null } };
  } finally {
    db?.close();
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
