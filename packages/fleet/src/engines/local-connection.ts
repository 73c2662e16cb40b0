import type { Statement as SqliteStatement } from 'better-sqlite3';
import { statSync } from 'node:fs';
import path from 'node:path';
import { SiloError, isSiloError } from '../errors';
import { diskFullError } from '../disk-space';
import type { ExecuteResult, Row, SqlArgs, Statement, TenantConnection } from '../engine';
import { TENANT_PRAGMAS, type SqliteDatabase } from '../sqlite';
import { batchResults, runOffThread } from '../off-thread/off-thread';
import { whenWritesFree, writesHeldOn } from '../write-holds';
import { isFullError, sizeLimitExceeded } from '../size-cap';

/** The instance and its cap, so a write over it is reported as SIZE_LIMIT_EXCEEDED. */
export interface SizeCap {
  readonly instance: string;
  readonly maxBytes: number;
}

const STATEMENT_CACHE_SIZE = 100;

/**
 * A write-ahead log smaller than this is left as it is when its handle goes idle. SQLite keeps
 * the file at its largest size (up to ~4 MB, the autocheckpoint's 1,000 pages) for as long as
 * a connection is open: an outside soak measured 1.37 GB of WAL beside 110 MB of databases
 * over 2,000 open tenants, all counted in their sizes.
 */
const WAL_TRIM_BYTES = 256 * 1024;

/** A better-sqlite3 connection behind the engine-neutral interface, with prepared statements reused. */
export class LocalConnection implements TenantConnection {
  readonly #db: SqliteDatabase;
  readonly #statements = new Map<string, SqliteStatement<unknown[], Row>>();

  readonly #sizeCap: SizeCap | undefined;

  constructor(db: SqliteDatabase, sizeCap?: SizeCap) {
    this.#db = db;
    this.#sizeCap = sizeCap;
  }

  execute(sql: string, args?: SqlArgs): Promise<ExecuteResult> {
    try {
      const statement = this.#prepare(sql);
      // A statement that may write waits while a copy holds the file's lock (write-holds.ts);
      // a read never needs the lock in WAL mode.
      const hold = statement.reader ? undefined : this.#mustWait();
      if (hold) return hold.then(() => this.execute(sql, args));
      return Promise.resolve(this.#run(statement, args));
    } catch (error) {
      return Promise.reject(this.#failed(error));
    }
  }

  batch(statements: readonly Statement[]): Promise<ExecuteResult[]> {
    const hold = this.#mustWait();
    if (hold) return hold.then(() => this.batch(statements));
    try {
      return Promise.resolve(this.#db.transaction(() => statements.map((s) => this.#run(this.#prepare(s.sql), s.args))).immediate());
    } catch (error) {
      return Promise.reject(this.#failed(error));
    }
  }

  async batchOffThread(statements: readonly Statement[]): Promise<ExecuteResult[]> {
    const job = { kind: 'batch' as const, file: this.#db.name, statements, busyTimeoutMs: TENANT_PRAGMAS.busyTimeoutMs, maxBytes: this.#sizeCap?.maxBytes };
    try {
      // The worker thread would wait in its busy handler, holding up every other tenant's job.
      return batchResults(await whenWritesFree(this.#db.name, () => runOffThread(job)));
    } catch (error) {
      throw this.#failed(error);
    }
  }

  trimIdle(): boolean {
    let walBytes: number;
    try {
      walBytes = statSync(`${this.#db.name}-wal`).size;
    } catch {
      return false;
    }
    if (walBytes < WAL_TRIM_BYTES) return false;
    // Never waits: a reader or writer elsewhere (another process, the worker thread) keeps its
    // frames, and the next idle spell tries again.
    this.#db.pragma('busy_timeout = 0');
    try {
      const [result] = this.#db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      return result?.busy === 0;
    } catch {
      // Busy, or a disk that cannot take the checkpoint's writes now: nothing was lost.
      return false;
    } finally {
      this.#db.pragma(`busy_timeout = ${TENANT_PRAGMAS.busyTimeoutMs}`);
    }
  }

  /**
   * What a write must wait for first (write-holds.ts): a copy's hold on this file, unless this
   * connection is in a transaction while the copy waits for the lock, which this transaction
   * may be the one to hold.
   */
  #mustWait(): Promise<void> | undefined {
    const hold = writesHeldOn(this.#db.name);
    return hold && (hold.locked || !this.#db.inTransaction) ? hold.done : undefined;
  }

  close(): void {
    this.#statements.clear();
    this.#db.close();
  }

  #failed(error: unknown): unknown {
    // SQLITE_FULL is the cap unless the disk itself is full (disk-space.ts tells them apart by
    // the free space left), so a capped instance on a disk with room never reads as DISK_FULL.
    if (this.#sizeCap && isFullError(error)) {
      const full = diskFullError(error, path.dirname(this.#db.name));
      return isSiloError(full, 'DISK_FULL') ? full : sizeLimitExceeded(this.#sizeCap.instance, this.#sizeCap.maxBytes, error);
    }
    return queryFailed(error, this.#db);
  }

  #run(statement: SqliteStatement<unknown[], Row>, args: SqlArgs | undefined): ExecuteResult {
    // better-sqlite3 binds an array's items, or an object's names, passed as one argument:
    // no spread of the arguments into a new array per statement.
    if (statement.reader) {
      return { rows: args === undefined ? statement.all() : statement.all(args), rowsAffected: 0, lastInsertRowid: undefined };
    }
    const info = args === undefined ? statement.run() : statement.run(args);
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
  if (isSiloError(full, 'DISK_FULL')) return full;
  const code = (error as { code?: unknown }).code;
  const sqliteCode = typeof code === 'string' ? code : undefined;
  return new SiloError('QUERY_FAILED', error.message, { cause: error, details: { sqliteCode } });
}
