import type Database from 'better-sqlite3';

/**
 * What a stream can leave on its connection for the next stream, and the one place that undoes
 * it: the pool (connection-pool.ts) hands a connection on only if `restoreFresh` brings it back
 * to what stream-connection.ts opens; otherwise the connection is closed. sqld opens a new
 * connection for every stream, so that is what the next stream must find.
 *
 * What a client's SQL can change on a connection, given what the endpoint runs at all (sqld's
 * classification, sqld-statements.ts in @silo/turso-standin; the console's statement guard in
 * @silo/fleet plays no part here):
 *
 * - **A transaction or savepoint left open** (BEGIN or SAVEPOINT, then the stream closed or
 *   expired): rolled back. `inTransaction` costs no SQL, so it is looked at after every stream.
 * - **Settings.** Of the pragmas that set something per connection, sqld's classification lets
 *   a statement set only `foreign_keys` and `defer_foreign_keys`; it refuses the others with a
 *   value (busy_timeout, cache_size, query_only, recursive_triggers, reverse_unordered_selects,
 *   temp_store, max_page_count, …) or altogether (case_sensitive_like, writable_schema, …), and
 *   libsql-connection-state.test.ts holds it to that. Both are set back (`STREAM_SETTINGS`);
 *   SQLite itself clears defer_foreign_keys at every commit and rollback, an autocommit
 *   statement's included. A flag pragma takes effect as soon as it is prepared (a `describe`
 *   does that), and statements compiled meanwhile keep what it said: setting it back by running
 *   it expires them all, so kept statements are compiled again under the fresh setting.
 * - **Databases besides main.** The temp schema: sqld refuses CREATE TEMP …, but allows a view
 *   or trigger named `temp.x` and a table in `"temp".x`, and merely reading sqlite_temp_schema
 *   opens it, which `PRAGMA database_list` shows. Attached databases: every token lacks the
 *   attach right (403 before anything runs), looked for all the same. Either way the connection
 *   is closed.
 *
 * Nothing else a fresh connection has can be changed from SQL: no function, collation or
 * extension can be added (load_extension is not authorized, fts3_tokenizer's registering form
 * is disabled). One thing cannot be reset: `last_insert_rowid()`, `changes()` and
 * `total_changes()` count per connection, and SQLite has no statement that sets them back; a new
 * connection after every write would cost several times the write itself. So a connection a
 * write ran on (`noteWrite`) is handed only to a stream whose first requests do not read them
 * (`readsCounters`); one that does gets a connection no write has run on, or a new one, and
 * reads 0 as on sqld. (A stream that reads them only in a later request, before writing
 * anything itself, still reads what earlier streams left.)
 *
 * Noticing costs no SQL: each statement's text is matched against one regular expression as it
 * is prepared, and only a stream whose text could have changed something has its connection
 * checked or reset when it ends.
 */

/** A setting a stream may have changed (the text named `pragma`). */
const SETTINGS = 1;
/** A database besides main may be open (the text named the temp schema, or attach). */
const DATABASES = 2;

/**
 * Loose on purpose, false alarms only cost a check. Settings: `pragma` (PRAGMA, EXPLAIN PRAGMA,
 * the pragma_… functions). Databases: `temp` as a name of its own, TEMPORARY, or in
 * sqlite_temp_schema/_master (not `temperature`: the temp schema is only ever named `temp`,
 * however quoted), and `attach`.
 */
const NAMES_SETTINGS = /pragma/i;
const NAMES_DATABASES = /temp(?:orary|[^a-z0-9]|$)|attach/i;
/** Either of them, in one pass over the text of the common statement that names neither. */
const NAMES_EITHER = new RegExp(`${NAMES_SETTINGS.source}|${NAMES_DATABASES.source}`, 'i');

/** Connections a write has run on: their counters are no longer a new connection's zeros. */
const countersMovedOn = new WeakSet<Database.Database>();

/** The functions that read a connection's counters, called as functions. */
const READS_COUNTERS = /\b(?:last_insert_rowid|total_changes|changes)\s*\(/i;

/** A write is about to run on the connection (SqlStream's beforeWrite hook). */
export function noteWrite(conn: Database.Database): void {
  countersMovedOn.add(conn);
}

/**
 * Whether a stream's first requests (as the endpoint received them) read the connection's
 * counters: any `sql` text in them (execute, batch steps, sequence, describe, store_sql).
 */
export function readsCounters(requests: unknown): boolean {
  if (Array.isArray(requests)) return requests.some(readsCounters);
  if (typeof requests !== 'object' || requests === null) return false;
  for (const [key, value] of Object.entries(requests)) {
    if (key === 'sql' ? typeof value === 'string' && READS_COUNTERS.test(value) : readsCounters(value)) return true;
  }
  return false;
}

/** Whether the connection's counters are still those of a new connection. */
export function countersUnmoved(conn: Database.Database): boolean {
  return !countersMovedOn.has(conn);
}

/** What each connection's current stream may have changed, if anything. */
const touchedOn = new WeakMap<Database.Database, number>();

/**
 * The settings a stream may change (see above), as a fresh connection has them: run when a
 * connection is opened and again after a stream that may have changed them.
 */
export const STREAM_SETTINGS = 'PRAGMA foreign_keys = ON; PRAGMA defer_foreign_keys = OFF';

/** A read-only token's connection has it from the start, as SqlStream sets it (`conn.pragma`). */
export const READ_ONLY_SETTING = 'query_only = ON';

/** A statement's text is about to reach the connection (prepared, run, or a pragma set directly). */
export function noteSql(conn: Database.Database, sql: string): void {
  if (!NAMES_EITHER.test(sql)) return;
  const touched = (touchedOn.get(conn) ?? 0) | (NAMES_SETTINGS.test(sql) ? SETTINGS : 0) | (NAMES_DATABASES.test(sql) ? DATABASES : 0);
  touchedOn.set(conn, touched);
}

/**
 * The stream on the connection has ended: brings the connection back to what a fresh one is,
 * or answers false when it cannot (the caller closes it). No SQL unless the stream left a
 * transaction open or its text could have changed something (`noteSql`).
 */
export function restoreFresh(conn: Database.Database): boolean {
  const touched = touchedOn.get(conn);
  if (touched !== undefined) touchedOn.delete(conn);
  try {
    // Closing would roll it back too; rolling back keeps the connection.
    if (conn.inTransaction) conn.exec('ROLLBACK');
    if (conn.inTransaction) return false;
    if (touched === undefined) return true;
    if ((touched & DATABASES) !== 0 && conn.prepare('PRAGMA database_list').all().length !== 1) return false;
    if ((touched & SETTINGS) !== 0) conn.exec(STREAM_SETTINGS);
    return true;
  } catch {
    return false;
  }
}
