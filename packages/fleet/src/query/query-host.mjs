// @ts-check
/**
 * A child process that runs admin queries against tenant files. SQLite calls are synchronous,
 * so a runaway query (an endless recursive CTE) would freeze any process it ran in; here the
 * parent can SIGKILL this process at the time limit and nothing else stops.
 *
 * Plain JavaScript with type checking, so it starts in plain Node without a TypeScript loader.
 */
import Database from 'better-sqlite3';
import { bindByIndex, guardStatement } from './statement-guard.mjs';
import { TRANSACTION_CONTROL, splitStatements } from './split-statements.mjs';

// Owner-only, like its parent: SQLite may create a -wal or -shm beside a tenant file here.
process.umask(0o077);

/**
 * @typedef {{ id: number, path: string, sql: string, args?: unknown, readOnly: boolean,
 *   maxRows: number, maxBytes: number, busyTimeoutMs: number, maxDatabaseBytes?: number, script?: boolean }} QueryTask
 * @typedef {{ tasks: QueryTask[], flushMs: number, flushBytes: number }} QueryMessage
 */

// The parent counts time limits from here, not from the fork (query-pool.ts).
if (process.connected) process.send?.({ ready: true }, () => undefined);

/**
 * A message carries one query or, for fleet-wide work, several (query-pool.ts). Their replies
 * go back together, except that a reply goes as soon as `flushMs` have passed since the
 * message began or the last reply went: the parent counts a query's time limit from the last
 * reply it got (plus `flushMs`), so no query may start later than that. A reply also goes once
 * it holds `flushBytes` of rows, so that one message stays small.
 */
process.on('message', (/** @type {QueryMessage} */ message) => {
  /** @type {ReturnType<typeof runTask>[]} */
  let replies = [];
  let bytes = 0;
  let since = performance.now();
  for (const [index, task] of message.tasks.entries()) {
    const reply = runTask(task);
    replies.push(reply);
    if ('bytes' in reply) bytes += reply.bytes;
    const now = performance.now();
    if (index === message.tasks.length - 1 || now - since >= message.flushMs || bytes >= message.flushBytes) {
      // The parent may be gone (Ctrl+C): nobody to answer, and no EPIPE trace for it.
      if (process.connected) process.send?.({ replies }, () => undefined);
      replies = [];
      bytes = 0;
      since = now;
    }
  }
});

/** @param {QueryTask} task */
function runTask(task) {
  const started = performance.now();
  /** @type {import('better-sqlite3').Database | undefined} */
  let db;
  try {
    // A read-only connection as a second wall; the guard is the first, because a read-only
    // connection still runs VACUUM INTO and ATTACH.
    // The constructor's timeout is SQLite's busy timeout, set without a statement.
    db = new Database(task.path, { readonly: task.readOnly, fileMustExist: true, timeout: task.busyTimeoutMs });
    // The instance's size cap holds per connection (size-cap.ts), so this one sets it too.
    if (!task.readOnly && task.maxDatabaseBytes !== undefined) {
      const pageSize = Number(db.pragma('page_size', { simple: true }));
      db.pragma(`max_page_count = ${Math.max(1, Math.floor(task.maxDatabaseBytes / pageSize))}`);
    }
    const args = bindable(task.sql, task.args);
    if (task.script && !task.readOnly) return runScript(db, task, started);
    const verdict = guardStatement(db, task.sql, args, task.readOnly);
    if (!verdict.ok) return { id: task.id, ok: false, error: { message: verdict.refusal.message, sqliteCode: null, refusal: verdict.refusal } };
    const statement = verdict.statement;
    if (!statement.reader) {
      const info = statement.run(...args);
      return ok(task.id, { columns: [], rows: [], truncated: false, rowsAffected: info.changes, durationMs: performance.now() - started });
    }
    // Integers beyond 2^53 come back as BigInt instead of silently losing digits.
    statement.raw(true).safeIntegers(true);
    const columns = statement.columns().map((column) => column.name);
    /** @type {unknown[][]} */
    const rows = [];
    let bytes = 0;
    let truncated = false;
    for (const row of /** @type {IterableIterator<unknown[]>} */ (statement.iterate(...args))) {
      bytes += rowBytes(row);
      if (rows.length >= task.maxRows || bytes > task.maxBytes) {
        truncated = true;
        break;
      }
      rows.push(row.map(exactNumber));
    }
    return ok(task.id, { columns, rows, truncated, rowsAffected: 0, durationMs: performance.now() - started }, bytes);
  } catch (error) {
    const err = /** @type {{ message?: string, code?: string }} */ (error);
    return { id: task.id, ok: false, error: { message: err.message ?? String(error), sqliteCode: err.code ?? null } };
  } finally {
    db?.close();
  }
}

/**
 * Several write statements as one transaction: each is guarded like a single query, then run;
 * the first refusal or error rolls all of them back. The result is the last statement's rows
 * that returned any, and the changes of all of them.
 * @param {import('better-sqlite3').Database} db @param {QueryTask} task @param {number} started
 */
function runScript(db, task, started) {
  const statements = splitStatements(task.sql);
  if (statements.length === 0) return { id: task.id, ok: false, error: { message: 'The script holds no statement.', sqliteCode: null } };
  const control = statements.find((sql) => TRANSACTION_CONTROL.test(sql));
  if (control !== undefined) {
    const refusal = { code: 'STATEMENT_REFUSED', refused: 'transaction control', message: `A script runs as one transaction of its own; leave out "${control.slice(0, 40)}".` };
    return { id: task.id, ok: false, error: { message: refusal.message, sqliteCode: null, refusal } };
  }
  /** @type {{ columns: string[], rows: unknown[][], truncated: boolean }} */
  let shown = { columns: [], rows: [], truncated: false };
  let changes = 0;
  db.exec('BEGIN IMMEDIATE');
  try {
    for (const [index, sql] of statements.entries()) {
      const verdict = guardStatement(db, sql, [], false);
      if (!verdict.ok) {
        db.exec('ROLLBACK');
        const message = `Statement ${index + 1} of ${statements.length}: ${verdict.refusal.message} Nothing was changed.`;
        return { id: task.id, ok: false, error: { message, sqliteCode: null, refusal: { ...verdict.refusal, message } } };
      }
      const statement = verdict.statement;
      if (!statement.reader) {
        changes += statement.run().changes;
        continue;
      }
      statement.raw(true).safeIntegers(true);
      const rows = [];
      let bytes = 0;
      let truncated = false;
      for (const row of /** @type {IterableIterator<unknown[]>} */ (statement.iterate())) {
        bytes += rowBytes(row);
        if (rows.length >= task.maxRows || bytes > task.maxBytes) {
          truncated = true;
          break;
        }
        rows.push(row.map(exactNumber));
      }
      shown = { columns: statement.columns().map((column) => column.name), rows, truncated };
    }
    db.exec('COMMIT');
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    const err = /** @type {{ message?: string, code?: string }} */ (error);
    return { id: task.id, ok: false, error: { message: `${err.message ?? String(error)} (the script was rolled back: nothing was changed)`, sqliteCode: err.code ?? null } };
  }
  return ok(task.id, { ...shown, rowsAffected: changes, statements: statements.length, durationMs: performance.now() - started });
}

/** @param {string} sql @param {unknown} args @returns {unknown[]} */
function bindable(sql, args) {
  if (args === undefined || args === null) return [];
  return Array.isArray(args) ? bindByIndex(sql, args) : [args];
}

/** @param {unknown} value */
function exactNumber(value) {
  return typeof value === 'bigint' && value <= Number.MAX_SAFE_INTEGER && value >= Number.MIN_SAFE_INTEGER ? Number(value) : value;
}

/** @param {unknown[]} row */
function rowBytes(row) {
  let bytes = 0;
  for (const value of row) {
    if (typeof value === 'string') bytes += value.length * 2;
    else if (value instanceof Uint8Array) bytes += value.byteLength;
    else bytes += 8;
  }
  return bytes;
}

/** @param {number} id @param {object} result @param {number} [bytes] the rows' size, as rowBytes counts it */
function ok(id, result, bytes = 0) {
  return { id, ok: true, result, bytes };
}
