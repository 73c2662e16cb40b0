import { createHash } from 'node:crypto';
import type { Client } from '@libsql/client';
import Database from 'better-sqlite3';
import type { QueryRequest } from '../engine';
import { SiloError, errorMessage, isSiloError } from '../errors';
import { refusalError } from '../query/refusal';
import { bindByIndex, guardStatement, leadingTokens } from '../query/statement-guard.mjs';
import { VERSION_TABLE } from './version-table';

type SchemaRow = readonly [type: string, name: string, sql: string];

/** Distinct schemas kept as local stand-ins; a fleet usually has one per schema version. */
const MAX_SCHEMAS = 16;
/** Functions only the remote side knows (libSQL's vector functions…) stubbed before giving up. */
const MAX_STUBS = 16;

/**
 * The query guard for Turso databases. sqlite3_stmt_readonly and EXPLAIN cannot be asked of the
 * remote database, so they are asked of a local in-memory database holding the same schema
 * objects (the remote `sqlite_schema`, read with the query's own token). What the guard looks
 * at (the statement kind, the VACUUM opcode, calls of ATTACH and load_extension, pragmas)
 * does not depend on the rows, only on the schema.
 *
 * The schema is read once per database and kept; a statement that fails to prepare locally
 * (a table made since) reads it again before the statement is refused.
 */
export class TursoStatementGuard {
  /** Schema hash by database URL. */
  readonly #schemaOf = new Map<string, string>();
  readonly #mirrors = new Map<string, Database.Database>();

  async check(url: string, client: Client, request: QueryRequest): Promise<void> {
    let hash = this.#schemaOf.get(url);
    let fresh = false;
    if (hash === undefined) {
      hash = await this.#load(url, client);
      fresh = true;
    }
    try {
      this.#verdict(hash, request);
    } catch (error) {
      if (fresh || !isSchemaMiss(error)) throw error;
      this.#verdict(await this.#load(url, client), request);
    }
  }

  /**
   * A write script's statements, each guarded as a single query would be, in order: a scratch
   * copy of the schema follows what earlier statements create, alter or drop, so a script that
   * makes a table and fills it is judged as the local engine judges it (statement by statement
   * inside its transaction). The first refusal names its statement; nothing has run by then.
   */
  async checkScript(url: string, client: Client, request: QueryRequest, statements: readonly string[]): Promise<void> {
    let hash = this.#schemaOf.get(url);
    let fresh = false;
    if (hash === undefined) {
      hash = await this.#load(url, client);
      fresh = true;
    }
    try {
      this.#scriptVerdict(hash, request, statements);
    } catch (error) {
      if (fresh || !isSchemaMiss(error)) throw error;
      this.#scriptVerdict(await this.#load(url, client), request, statements);
    }
  }

  #scriptVerdict(hash: string, request: QueryRequest, statements: readonly string[]): void {
    const scratch = new Database(this.#mirror(hash).serialize());
    try {
      for (const [index, sql] of statements.entries()) {
        try {
          verdictOn(scratch, { ...request, sql, args: undefined });
        } catch (error) {
          if (!(error instanceof SiloError)) throw error;
          throw new SiloError(error.code, `Statement ${index + 1} of ${statements.length}: ${error.message} Nothing was changed.`, { cause: error.cause, details: error.details });
        }
        if (SCHEMA_CHANGES.has(leadingTokens(sql, 1)[0]?.word ?? '')) {
          try {
            scratch.exec(sql);
          } catch {
            // Turso judges it when the script runs; a later statement that needs it is refused here.
          }
        }
      }
    } finally {
      scratch.close();
    }
  }

  close(): void {
    for (const db of this.#mirrors.values()) db.close();
    this.#mirrors.clear();
    this.#schemaOf.clear();
  }

  #verdict(hash: string, request: QueryRequest): void {
    verdictOn(this.#mirror(hash), request);
  }

  #mirror(hash: string): Database.Database {
    const db = this.#mirrors.get(hash);
    if (!db) throw new SiloError('ENGINE_FAILURE', 'The local copy of the schema went missing; run the query again.');
    return db;
  }

  async #load(url: string, client: Client): Promise<string> {
    const result = await client.execute("SELECT type, name, sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid");
    const rows: SchemaRow[] = result.rows.map((row) => [String(row[0]), String(row[1]), String(row[2])]);
    const hash = createHash('sha256').update(JSON.stringify(rows)).digest('hex');
    if (!this.#mirrors.has(hash)) {
      if (this.#mirrors.size >= MAX_SCHEMAS) {
        const [oldest, db] = this.#mirrors.entries().next().value as [string, Database.Database];
        db.close();
        this.#mirrors.delete(oldest);
      }
      this.#mirrors.set(hash, mirror(rows));
    }
    this.#schemaOf.set(url, hash);
    return hash;
  }
}

/** The guard's verdict on one statement, against a database holding the schema (throws the refusal). */
function verdictOn(db: Database.Database, request: QueryRequest): void {
  const args = localArgs(request.sql, request.args);
  for (let stubs = 0; ; stubs++) {
    let verdict;
    try {
      verdict = guardStatement(db, request.sql, args, request.readOnly);
    } catch (error) {
      const missing = /no such function: ([A-Za-z0-9_]+)/.exec(errorMessage(error))?.[1];
      // The remote side may know functions better-sqlite3 does not; what they compute does
      // not change what the statement is, so a stub lets SQLite judge the rest of it.
      if (missing && stubs < MAX_STUBS && missing.toLowerCase() !== 'load_extension') {
        db.function(missing, { varargs: true }, () => null);
        continue;
      }
      throw new SiloError(
        'QUERY_FAILED',
        `The query failed: ${errorMessage(error)} (checked against the database's schema before it was sent to Turso).`,
        { cause: error, details: { checkedLocally: true } },
      );
    }
    if (!verdict.ok) throw refusalError(verdict.refusal);
    const turso = tursoPragmaRefusal(request.sql, request.readOnly);
    if (turso) throw turso;
    return;
  }
}

/** Statements whose effect on the schema later statements of a script see. */
const SCHEMA_CHANGES = new Set(['create', 'drop', 'alter']);

/**
 * An empty in-memory database with the same tables, indexes, views and triggers. Virtual tables
 * come first: creating one makes its shadow tables (an FTS5 table's `_data`, `_idx`, …), which
 * `sqlite_schema` lists too, and not always after it (VACUUM writes the tables with pages
 * first, virtual tables after them). Made first as plain tables, the shadow tables would keep
 * the virtual table from being made, and every query of it would fail as "no such table".
 */
function mirror(rows: readonly SchemaRow[]): Database.Database {
  const db = new Database(':memory:');
  const isVirtual = ([type, , sql]: SchemaRow): boolean => type === 'table' && /^\s*create\s+virtual\s/i.test(sql);
  for (const [, , sql] of [...rows.filter(isVirtual), ...rows.filter((row) => !isVirtual(row))]) {
    try {
      db.exec(sql);
    } catch {
      // An object libSQL knows and SQLite does not (a vector index) stays out; statements
      // that need it then fail to prepare here and are refused, never sent unchecked.
    }
  }
  return db;
}

/**
 * Pragmas the guard lets a read-only query run that sqld does not class as reads, and those
 * Turso Cloud refuses in every form.
 *
 * Pragmas the guard lets a query read that sqld classes as writes (query_analysis.rs,
 * `pragma_kind`): a read-only token gets HTTP 403 for them. They change nothing, but the
 * read-only token is the second wall and stays one, so a read-only query of these is refused
 * here with a message that says what to do; write mode (the full-access token) runs them.
 */
const SQLD_WRITE_CLASS_PRAGMAS = new Set([
  'foreign_key_list',
  'foreign_key_check',
  'integrity_check',
  'quick_check',
  'collation_list',
  'data_version',
  'freelist_count',
  'page_count',
  'page_size',
]);

/** Refused by Turso Cloud in every form ("SQL not allowed statement"). */
const TURSO_REFUSED_PRAGMAS = new Set(['user_version', 'application_id']);

function tursoPragmaRefusal(sql: string, readOnly: boolean): SiloError | undefined {
  const head = leadingTokens(sql, 4);
  // EXPLAIN (and EXPLAIN QUERY PLAN) of anything is a read to sqld (query_analysis.rs); EXPLAIN
  // PRAGMA keeps the pragma's kind, checked below.
  let at = head[0]?.word === 'explain' ? 1 : 0;
  if (head[at]?.word !== 'pragma') return undefined;
  at++;
  const name = head[at + 1]?.text === '.' ? head[at + 2]?.word : head[at]?.word;
  if (name === undefined) return undefined;
  if (TURSO_REFUSED_PRAGMAS.has(name)) {
    return refusalError({
      code: 'STATEMENT_REFUSED',
      refused: `PRAGMA ${name}`,
      message: `Turso does not serve PRAGMA ${name}, not even to read it. Silo keeps an instance's schema version on Turso in the ${VERSION_TABLE} table: SELECT version FROM ${VERSION_TABLE}.`,
    });
  }
  if (readOnly && SQLD_WRITE_CLASS_PRAGMAS.has(name)) {
    return refusalError({
      code: 'QUERY_READ_ONLY',
      refused: `PRAGMA ${name}`,
      message: `Turso serves PRAGMA ${name} only to a full-access token (its server counts it as a write), and this query is read-only. It changes nothing: run it in write mode.`,
    });
  }
  return undefined;
}

function isSchemaMiss(error: unknown): boolean {
  return isSiloError(error, 'QUERY_FAILED') && error.details.checkedLocally === true && /no such (table|column|index|view|trigger)/.test(error.message);
}

/** better-sqlite3 binds Buffers and unprefixed names; the values only satisfy EXPLAIN's binder. */
function localArgs(sql: string, args: QueryRequest['args']): unknown[] {
  if (args === undefined) return [];
  const value = (v: unknown): unknown => (v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v) : v);
  if (Array.isArray(args)) return bindByIndex(sql, args.map(value));
  return [Object.fromEntries(Object.entries(args).map(([key, v]) => [key.replace(/^[:@$]/, ''), value(v)]))];
}
