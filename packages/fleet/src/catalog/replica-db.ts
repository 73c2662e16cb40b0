import { createClient, LibsqlError, type Client } from '../optional/libsql-client';
import type Libsql from 'libsql';
import { libsqlDatabase } from '../optional/libsql';
import { SiloError } from '../errors';
import type { CatalogDb, CatalogLocation, CatalogStatement, CatalogTransaction, ChangeWatch, OpenedCatalogDb } from './catalog-db-types';
import { SLOT_HEARTBEAT_MS, claimReplicaSlot } from './replica-slot';

type TursoLocation = Extract<CatalogLocation, { kind: 'turso' }>;

/** The catalog on Turso: an embedded replica for reads and transactions, one HTTP client for batches of writes. */
export function openReplica(location: TursoLocation): OpenedCatalogDb {
  const slot = claimReplicaSlot(location.replicaDir);
  let replica: ReplicaCatalogDb;
  try {
    replica = new ReplicaCatalogDb(location, slot.file);
  } catch (error) {
    slot.release();
    throw error;
  }
  // The client resolves its endpoints relative to the URL, so a database under a path needs the slash the replica must not have.
  let primary: Client | undefined;
  const periodic = startPeriodicSync(replica, location.syncIntervalSec);
  const heartbeat = setInterval(() => slot.touch(), SLOT_HEARTBEAT_MS / 2);
  heartbeat.unref();
  return {
    db: replica,
    sync: () => replica.sync(),
    writeBatch: async (writes, options) => {
      primary ??= createClient({ url: `${location.syncUrl}/`, authToken: location.authToken });
      try {
        await primary.batch(
          writes.map(({ sql, args }) => ({ sql, args: [...args] })),
          'write',
        );
      } catch (error) {
        throw unwrapClientError(error);
      }
      if (options?.pull ?? true) replica.syncAfterWrite();
    },
    watch: () => replica.watch(),
    close: () => {
      clearInterval(periodic);
      clearInterval(heartbeat);
      primary?.close();
      replica.close();
      slot.release();
    },
  };
}

/**
 * The replica's periodic pull, driven from here rather than by libsql's `syncPeriod`: in
 * libsql-js 0.5.29 `close()` does not stop that background sync (the Rust Database lives
 * until garbage collection), so a closed catalog kept pulling from Turso, and a slot handed
 * back to the same process had two syncers on one file. `sync()` is synchronous (it blocks
 * the event loop for one round trip to the primary: median 1.3 ms on loopback when nothing is
 * new, measured in replica-lifetime.test.ts), so it runs only every
 * SILO_CATALOG_SYNC_INTERVAL_SEC, and the timer does not keep the process alive. A failed pull
 * is retried at the next tick; reads keep using the local copy.
 */
function startPeriodicSync(replica: ReplicaCatalogDb, intervalSec: number): NodeJS.Timeout {
  const timer = setInterval(() => replica.syncAfterWrite(), Math.max(100, Math.round(intervalSec * 1000)));
  timer.unref();
  return timer;
}

/** libsql's constructor takes more than its type declarations list. */
type ReplicaOptions = Libsql.Options & { authToken: string; readYourWrites: boolean };

/**
 * The catalog on Turso through libsql's embedded replica: reads are answered from the local
 * copy (microseconds, as with a local file), writes and whole transactions run on the primary,
 * and the replica pulls the primary's new pages after each of our writes and every sync
 * interval. libsql implements better-sqlite3's API with differences this class hides:
 * - a statement prepared outside a transaction keeps reading the local copy inside one, so
 *   inside a transaction every statement is prepared again (it then runs on the primary);
 * - named parameters (`@name`) reach the primary without their values, so they are numbered
 *   (`?1`) and bound by position;
 * - `get()` adds a `_metadata` field to the row (rows are built from raw arrays instead);
 * - errors from the primary carry the SQLite code only inside their message.
 */
class ReplicaCatalogDb implements CatalogDb {
  readonly #db: Libsql.Database;
  #closed = false;
  /**
   * Counts what may change the local copy: syncs (ours, periodic, after a write) and statements
   * that write (they run on the primary, but a transaction's reads see its own writes). A
   * replica file is written by no one else (replica-slot.ts), so nothing changes it unseen.
   */
  #generation = 0;

  constructor(location: TursoLocation, file: string) {
    // libsql's read-your-writes syncs after every statement, inside transactions too; we sync
    // once per write instead: after a statement outside a transaction, or after COMMIT. No
    // `syncPeriod`: its background sync outlives close() (see startPeriodicSync).
    const options: ReplicaOptions = { syncUrl: location.syncUrl, authToken: location.authToken, readYourWrites: false };
    this.#db = new (libsqlDatabase())(file, options);
  }

  get inTransaction(): boolean {
    return this.#db.inTransaction;
  }

  sync(): void {
    this.#generation++;
    remote(() => this.#db.sync());
  }

  watch(): ChangeWatch {
    let seen = Number.NaN;
    return {
      changed: () => {
        if (seen === this.#generation) return false;
        seen = this.#generation;
        return true;
      },
    };
  }

  /**
   * After a write the primary has taken: pull it now so this server reads its own write. A
   * failure here does not undo the write (the next interval's sync brings it), so it is not
   * reported as one.
   */
  syncAfterWrite(): void {
    if (this.#closed) return;
    this.#generation++;
    try {
      this.#db.sync();
    } catch {
      // The periodic sync catches up.
    }
  }

  prepare<P extends unknown[] = unknown[], R = unknown>(source: string): CatalogStatement<P, R> {
    const db = this.#db;
    const { sql, names } = numberNamedParameters(source);
    const bind = (params: unknown[]): unknown[] => (names.length === 0 ? params : valuesByName(params[0], names, source));
    // Outside a transaction: one prepared statement; reads come back as arrays and are made
    // objects here, which is cheaper than libsql's own rows (they carry `_metadata`).
    let local: { statement: Libsql.Statement<unknown[]>; columns: string[] | undefined } | undefined;
    const outside = (): { statement: Libsql.Statement<unknown[]>; columns: string[] | undefined } => {
      if (local) return local;
      const statement = db.prepare(sql);
      local = { statement, columns: statement.reader ? statement.raw(true).columns().map((column) => column.name) : undefined };
      return local;
    };
    const read = (params: unknown[], one: boolean): unknown[] => {
      if (db.inTransaction) {
        const statement = db.prepare(sql);
        return one ? [withoutMetadata(statement.get(...bind(params)))] : statement.all(...bind(params));
      }
      const { statement, columns } = outside();
      if (!columns) throw new TypeError(`Not a query: ${source}`);
      const rows = one ? [statement.get(...bind(params))] : statement.all(...bind(params));
      return rows.map((values) => (values === undefined ? undefined : toObject(columns, values as unknown[])));
    };
    return {
      get: (...params) => remote(() => read(params, true)[0] as R | undefined),
      all: (...params) => remote(() => read(params, false) as R[]),
      run: (...params) =>
        remote(() => {
          this.#generation++;
          if (db.inTransaction) return db.prepare(sql).run(...bind(params));
          const result = outside().statement.run(...bind(params));
          this.syncAfterWrite();
          return result;
        }),
    };
  }

  exec(sql: string): void {
    remote(() => {
      this.#generation++;
      this.#db.exec(sql);
      // Outside a transaction now (a COMMIT, or statements of their own): pull what they wrote.
      if (!this.#db.inTransaction) this.syncAfterWrite();
    });
  }

  pragma(sql: string, options: { simple?: boolean } = {}): unknown {
    // libsql ignores `simple` for a pragma answered by the primary.
    this.#generation++;
    const rows = remote(() => this.#db.prepare(`PRAGMA ${sql}`).all()) as Record<string, unknown>[];
    if (!options.simple) return rows;
    const first = rows[0];
    return first === undefined ? undefined : Object.values(first)[0];
  }

  transaction<A extends unknown[], T>(fn: (...args: A) => T): CatalogTransaction<A, T> {
    const run =
      (mode: string) =>
      (...args: A): T => {
        this.exec(`BEGIN ${mode}`);
        try {
          const result = fn(...args);
          this.exec('COMMIT');
          return result;
        } catch (error) {
          if (this.#db.inTransaction) this.exec('ROLLBACK');
          throw error;
        }
      };
    return Object.assign(run('DEFERRED'), { immediate: run('IMMEDIATE') });
  }

  close(): void {
    this.#closed = true;
    this.#db.close();
  }
}

/**
 * `@name`, `:name` and `$name` parameters rewritten as `?1`, `?2`… (one number per distinct
 * name), skipping string literals, quoted identifiers and comments.
 */
export function numberNamedParameters(source: string): { sql: string; names: string[] } {
  const names: string[] = [];
  const sql = source.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|`[^`]*`|\[[^\]]*\]|--[^\n]*|\/\*[\s\S]*?\*\/|[@:$]([A-Za-z_][A-Za-z0-9_]*)/g, (token, name?: string) => {
    if (name === undefined) return token;
    let index = names.indexOf(name);
    if (index === -1) index = names.push(name) - 1;
    return `?${index + 1}`;
  });
  return { sql, names };
}

function valuesByName(params: unknown, names: readonly string[], source: string): unknown[] {
  if (typeof params !== 'object' || params === null) throw new TypeError(`Named parameters need an object of values: ${source}`);
  const values = params as Record<string, unknown>;
  return names.map((name) => {
    if (!(name in values)) throw new RangeError(`Missing named parameter "${name}"`);
    return values[name];
  });
}

function toObject(columns: readonly string[], values: readonly unknown[]): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (let index = 0; index < columns.length; index++) row[columns[index] as string] = values[index];
  return row;
}

function withoutMetadata(row: unknown): unknown {
  if (typeof row !== 'object' || row === null || !('_metadata' in row)) return row;
  const rest: Record<string, unknown> = { ...row };
  delete rest['_metadata'];
  return rest;
}

/** What a primary's error looks like once libsql has wrapped it: `Hrana(StreamError(Error { message: "SQLite error: …", code: "SQLITE_…" }))`. */
const WRAPPED = /message: "(?:SQLite error: )?((?:[^"\\]|\\.)*)"(?:, code: "([A-Z_]+)")?/;
const API_ERROR = /Hrana\(Api\("(?:SQLite error: )?((?:[^"\\]|\\.)*)"\)\)/;

/** A failure of the primary's HTTP client: unreachable is CATALOG_UNAVAILABLE, as for the replica's own calls. */
function unwrapClientError(error: unknown): unknown {
  const unreachable = (error instanceof LibsqlError && !error.code.startsWith('SQLITE_')) || (error instanceof TypeError && /fetch failed/.test(error.message));
  if (unreachable) {
    return new SiloError('CATALOG_UNAVAILABLE', `Cannot write to the catalog database on Turso (${error.message}), so nothing was changed. Check the network and SILO_CATALOG_URL, then retry.`, {
      cause: error,
    });
  }
  return error;
}

/** Runs a replica call, turning the primary's wrapped errors into errors like SQLite's own (`code`, plain message). */
function remote<T>(call: () => T): T {
  try {
    return call();
  } catch (error) {
    throw unwrapRemoteError(error);
  }
}

function unwrapRemoteError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  // The primary could not be reached at all (not an SQL error): nothing was written.
  if (/^(?:Hrana\(Http\(|Sync\(HttpDispatch)/.test(error.message)) {
    return new SiloError(
      'CATALOG_UNAVAILABLE',
      'Cannot reach the catalog database on Turso, so nothing was changed; lookups keep working from the local replica. Check the network and SILO_CATALOG_URL, then retry.',
      { cause: error },
    );
  }
  if (!error.message.startsWith('Hrana(')) return error;
  const wrapped = WRAPPED.exec(error.message) ?? API_ERROR.exec(error.message);
  if (!wrapped?.[1]) return error;
  const plain = new Error(wrapped[1].replace(/\\"/g, '"'), { cause: error }) as Error & { code: string };
  plain.code = wrapped[2] ?? (/^SQLITE_[A-Z]+/.exec(wrapped[1])?.[0] ?? 'SQLITE_ERROR');
  return plain;
}
