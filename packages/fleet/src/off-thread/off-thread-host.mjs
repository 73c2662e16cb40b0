// @ts-check
/**
 * A worker thread that runs the SQLite work whose length no per-tenant limit bounds well
 * enough to run it on the server's one main thread: a transaction over a whole list (a tenant
 * file of ours, opened here on a connection of its own) and the rebuild of a customer export.
 * SQLite calls are synchronous; here they hold this thread only, and the main thread keeps
 * serving other tenants meanwhile.
 *
 * Plain JavaScript with type checking, so it starts in plain Node without a TypeScript loader
 * (as the query host does).
 */
import { rmSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import Database from 'better-sqlite3';

/**
 * @typedef {{ sql: string, args?: unknown }} Statement
 * @typedef {{ kind: 'batch', file: string, statements: Statement[], busyTimeoutMs: number, maxBytes?: number }} BatchJob
 * @typedef {{ kind: 'redact', staged: string, dest: string, statements: string[] }} RedactJob
 * @typedef {{ id: number, job: BatchJob | RedactJob }} Message
 */

parentPort?.on('message', (/** @type {Message} */ { id, job }) => {
  try {
    const result = job.kind === 'batch' ? batch(job) : redact(job);
    parentPort?.postMessage({ id, ok: true, result });
  } catch (error) {
    const { message, code } = /** @type {{ message?: unknown, code?: unknown }} */ (error ?? {});
    parentPort?.postMessage({ id, ok: false, error: { message: String(message ?? error), code: typeof code === 'string' ? code : undefined } });
  }
});

/**
 * The statements in one transaction on a connection of their own, with the pragmas every
 * connection to a tenant file has (sqlite.ts TENANT_PRAGMAS, the size cap of size-cap.ts).
 * A batch that writes takes the write lock at its start (IMMEDIATE), as `batch` on the main
 * thread does; one that only reads is one read transaction: one consistent snapshot.
 * @param {BatchJob} job
 */
function batch(job) {
  const db = new Database(job.file, { fileMustExist: true });
  try {
    db.pragma(`busy_timeout = ${job.busyTimeoutMs}`);
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    if (job.maxBytes !== undefined) {
      const pageSize = Number(db.pragma('page_size', { simple: true }));
      db.pragma(`max_page_count = ${Math.max(1, Math.floor(job.maxBytes / pageSize))}`);
    }
    const prepared = job.statements.map((statement) => ({ statement: db.prepare(statement.sql), args: statement.args }));
    const run = db.transaction(() =>
      prepared.map(({ statement, args }) => {
        const bound = args === undefined ? [] : Array.isArray(args) ? args : [args];
        if (statement.reader) return { rows: statement.all(...bound), rowsAffected: 0, lastInsertRowid: undefined };
        const info = statement.run(...bound);
        return { rows: [], rowsAffected: info.changes, lastInsertRowid: info.lastInsertRowid };
      }),
    );
    return prepared.every(({ statement }) => statement.reader) ? run.deferred() : run.immediate();
  } finally {
    db.close();
  }
}

/**
 * Runs an app's redaction statements on a staged export (a private copy, never the live
 * database), empties SQLite's planner statistics, and writes the result to `dest` with VACUUM
 * INTO: a file rebuilt from the rows that are left, so nothing the statements removed survives
 * in free pages, page slack or sampled index keys.
 * VACUUM INTO needs no temporary database (plain VACUUM would put one in the system temp
 * folder, outside the instance's region); the staged copy is removed afterwards.
 * @param {RedactJob} job
 */
function redact({ staged, dest, statements }) {
  try {
    const db = new Database(staged, { fileMustExist: true });
    try {
      db.pragma('journal_mode = DELETE');
      db.transaction(() => {
        for (const sql of statements) db.exec(sql);
        // ANALYZE (a console write may run it) copies sampled index keys into sqlite_stat4, and
        // those samples outlive the rows the statements removed: a session's or an invite's
        // token hash, an email. Statistics are no one's data, so a redacted file has none.
        const stats = /** @type {{ name: string }[]} */ (
          db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name IN ('sqlite_stat1', 'sqlite_stat2', 'sqlite_stat3', 'sqlite_stat4')").all()
        );
        for (const { name } of stats) db.prepare(`DELETE FROM ${name}`).run();
      })();
      db.prepare('VACUUM INTO ?').run(dest);
    } finally {
      db.close();
    }
  } catch (error) {
    rmSync(dest, { force: true });
    throw error;
  } finally {
    for (const suffix of ['', '-journal', '-wal', '-shm']) rmSync(`${staged}${suffix}`, { force: true });
  }
  return null;
}
