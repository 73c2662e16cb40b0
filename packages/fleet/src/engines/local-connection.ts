import type { Statement as SqliteStatement } from 'better-sqlite3';
import path from 'node:path';
import { SiloError } from '../errors';
import { diskFullError } from '../disk-space';
import type { ExecuteResult, Row, SqlArgs, Statement, TenantConnection } from '../engine';
import type { SqliteDatabase } from '../sqlite';

const STATEMENT_CACHE_SIZE = 100;

/** A better-sqlite3 connection behind the engine-neutral interface, with prepared statements reused. */
export class LocalConnection implements TenantConnection {
  readonly #db: SqliteDatabase;
  readonly #statements = new Map<string, SqliteStatement<unknown[], Row>>();

  constructor(db: SqliteDatabase) {
    this.#db = db;
  }

  execute(sql: string, args?: SqlArgs): Promise<ExecuteResult> {
    try {
      return Promise.resolve(this.#run(sql, args));
    } catch (error) {
      return Promise.reject(queryFailed(error, this.#db));
    }
  }

  batch(statements: readonly Statement[]): Promise<ExecuteResult[]> {
    try {
      return Promise.resolve(this.#db.transaction(() => statements.map((s) => this.#run(s.sql, s.args))).immediate());
    } catch (error) {
      return Promise.reject(queryFailed(error, this.#db));
    }
  }

  close(): void {
    this.#statements.clear();
    this.#db.close();
  }

  #run(sql: string, args: SqlArgs | undefined): ExecuteResult {
    const statement = this.#prepare(sql);
    const bound = args === undefined ? [] : Array.isArray(args) ? args : [args];
    if (statement.reader) {
      return { rows: statement.all(...bound), rowsAffected: 0, lastInsertRowid: undefined };
    }
    const info = statement.run(...bound);
    return { rows: [], rowsAffected: info.changes, lastInsertRowid: info.lastInsertRowid };
  }

  #prepare(sql: string): SqliteStatement<unknown[], Row> {
    let statement = this.#statements.get(sql);
    if (statement) return statement;
    statement = this.#db.prepare<unknown[], Row>(sql);
    if (this.#statements.size >= STATEMENT_CACHE_SIZE) {
      this.#statements.delete(this.#statements.keys().next().value as string);
    }
    this.#statements.set(sql, statement);
    return statement;
  }
}

function queryFailed(error: unknown, db: SqliteDatabase): unknown {
  if (error instanceof SiloError || !(error instanceof Error)) return error;
  // A write refused for a full disk (not for the instance's size cap: see disk-space.ts).
  const full = diskFullError(error, path.dirname(db.name));
  if (full instanceof SiloError) return full;
  const sqliteCode = (error as { code?: unknown }).code;
  return new SiloError('QUERY_FAILED', error.message, { cause: error, details: { sqliteCode } });
}
