import type Database from 'better-sqlite3';
import { noteSql, restoreFresh } from './connection-state';

/**
 * Idle stream connections of a host process, kept for the next stream on the same instance:
 * most @libsql/client calls are one-shot streams (execute, close), and a fresh connection
 * parses the schema again on its first statement, which costs more than the statement itself.
 *
 * The key names the instance's catalog id, not only its file: a purged instance re-created
 * under the same name has a new file at the same path, and an old connection would still
 * point at the deleted one. Idle connections close after `idleMs`, so a quiet instance holds
 * no file open.
 */
export class ConnectionPool {
  readonly #idle = new Map<string, { conn: Database.Database; timer: NodeJS.Timeout }[]>();
  #count = 0;

  constructor(
    private readonly maxIdle: number,
    private readonly idleMs: number,
  ) {}

  /** The idle connection handed back last that `suits` (any, without it), or a new one. */
  take(key: string, open: () => Database.Database, suits?: (conn: Database.Database) => boolean): Database.Database {
    const list = this.#idle.get(key);
    const index = list === undefined ? -1 : suits === undefined ? list.length - 1 : list.findLastIndex((candidate) => suits(candidate.conn));
    const [entry] = index === -1 ? [] : (list?.splice(index, 1) ?? []);
    if (list?.length === 0) this.#idle.delete(key);
    if (entry === undefined) return open();
    this.#count--;
    clearTimeout(entry.timer);
    return entry.conn;
  }

  /**
   * Takes a connection back when its stream ends, for the next stream only as a fresh one
   * would be: what the stream left on it is undone, or the connection closed
   * (connection-state.ts).
   */
  give(key: string, conn: Database.Database): void {
    if (!conn.open) return;
    if (!restoreFresh(conn)) {
      conn.close();
      return;
    }
    if (this.#count >= this.maxIdle) this.#evictOldest();
    const entry = { conn, timer: setTimeout(() => this.#expire(key, entry), this.idleMs) };
    entry.timer.unref();
    const list = this.#idle.get(key) ?? [];
    list.push(entry);
    this.#idle.set(key, list);
    this.#count++;
  }

  #expire(key: string, entry: { conn: Database.Database; timer: NodeJS.Timeout }): void {
    const list = this.#idle.get(key);
    const index = list?.indexOf(entry) ?? -1;
    if (list === undefined || index < 0) return;
    list.splice(index, 1);
    if (list.length === 0) this.#idle.delete(key);
    this.#count--;
    entry.conn.close();
  }

  #evictOldest(): void {
    const [key, list] = this.#idle.entries().next().value ?? [];
    const entry = list?.[0];
    if (key !== undefined && entry !== undefined) {
      clearTimeout(entry.timer);
      this.#expire(key, entry);
    }
  }
}

/** Statements kept per connection: an app's one-shot streams run the same few statements again and again. */
const STATEMENTS_PER_CONNECTION = 64;

interface KeptStatements {
  /** Reads the schema's version: a kept statement is only as good as the schema it was prepared on. */
  readonly schemaVersion: Database.Statement;
  version: unknown;
  /**
   * Whether the version must be read again before the next statement is handed out: at a
   * request's start (another connection may have changed the schema since) and after a
   * statement that may write (DDL on this one). Reads in between cannot move it.
   */
  stale: boolean;
  readonly statements: Map<string, Database.Statement>;
}

const keptOn = new WeakMap<Database.Database, KeptStatements>();

/** A request begins on the connection: the schema may have moved since its last statement. */
export function beginRequest(conn: Database.Database): void {
  const kept = keptOn.get(conn);
  if (kept !== undefined) kept.stale = true;
}

/**
 * A statement prepared once per connection and reused by its later streams: preparing costs
 * more than a point read. SQLite would re-prepare a kept statement itself after a schema
 * change, but only when it runs: its columns (a `SELECT *` after an ALTER) would still be the
 * old ones. So the kept statements go as soon as the schema's version moves, whoever moved it.
 * The least recently used goes first.
 */
export function preparedOn(conn: Database.Database, sql: string): Database.Statement {
  let kept = keptOn.get(conn);
  if (kept === undefined) {
    const schemaVersion = conn.prepare('PRAGMA schema_version').pluck();
    kept = { schemaVersion, version: schemaVersion.get(), stale: false, statements: new Map() };
    keptOn.set(conn, kept);
  } else if (kept.stale) {
    const version = kept.schemaVersion.get();
    if (version !== kept.version) {
      kept.statements.clear();
      kept.version = version;
    }
  }
  const { statements } = kept;
  const hit = statements.get(sql);
  if (hit !== undefined) {
    statements.delete(sql);
    statements.set(sql, hit);
    kept.stale = !hit.readonly;
    return hit;
  }
  const statement = conn.prepare(sql);
  kept.stale = !statement.readonly;
  if (statements.size >= STATEMENTS_PER_CONNECTION) {
    const oldest = statements.keys().next();
    if (oldest.done !== true) statements.delete(oldest.value);
  }
  statements.set(sql, statement);
  return statement;
}

/**
 * The connection as a stream sees it: closing hands it back to the pool, and statements are
 * kept for the connection's next streams. better-sqlite3's methods check their receiver, so
 * they are called on the connection itself.
 */
export function pooledConnection(conn: Database.Database, onClose: () => void): Database.Database {
  beginRequest(conn);
  // Every text the stream's SQL reaches the connection by is noted: what it may change is
  // undone before the next stream (connection-state.ts).
  const prepare = (sql: string): Database.Statement => {
    noteSql(conn, sql);
    return preparedOn(conn, sql);
  };
  const exec = (sql: string): Database.Database => {
    noteSql(conn, sql);
    beginRequest(conn);
    return conn.exec(sql);
  };
  const pragma = (source: string, options?: Database.PragmaOptions): unknown => {
    noteSql(conn, `PRAGMA ${source}`);
    return conn.pragma(source, options);
  };
  return new Proxy(conn, {
    get(target, property) {
      if (property === 'close') return onClose;
      if (property === 'prepare') return prepare;
      if (property === 'exec') return exec;
      if (property === 'pragma') return pragma;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
