import Database from 'better-sqlite3';
import { SiloError, type Fleet } from '@silo/fleet';
import { LocalEngine } from '@silo/fleet/internal';
import { SqlStream, type DatabaseHooks, type StreamOptions } from '@silo/turso-standin/hrana';
import type { InstanceTokenClaims } from '../instance-tokens';
import type { MetricsRefresher } from './metrics-refresher';

/** Turso's limits (sqld): a transaction holds the write lock 5 s at most; 10 MB per result. */
export const TRANSACTION_TIMEOUT_MS = 5_000;
export const MAX_RESPONSE_BYTES = 10 * 1024 * 1024;

export interface StreamLimits {
  readonly transactionTimeoutMs: number;
  /** How long a statement waits, without blocking the event loop, for another writer. */
  readonly busyTimeoutMs: number;
  readonly maxResponseBytes: number;
}

/** A stream that also holds its instance's handle-cache lease until it closes. */
class LeasedStream extends SqlStream {
  #release: (() => void) | undefined;

  constructor(conn: Database.Database, hooks: DatabaseHooks, options: StreamOptions, release: () => void) {
    super(conn, hooks, options);
    this.#release = release;
  }

  override close(): void {
    super.close();
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }
}

export class InstanceMismatch extends Error {}

/**
 * Opens a Hrana stream on an instance through the fleet: `fleet.open` makes the state and
 * schema checks and leases the instance's handle-cache entry for as long as the stream lives
 * (so the cap counts it and a purge or move waits for it). The stream's statements run on a
 * connection of its own, as sqld gives each stream one: a transaction spans requests and must
 * not leak into the app's shared handle. Read-only tokens get a read-only SQLite connection.
 */
export async function openInstanceStream(
  fleet: Fleet,
  claims: InstanceTokenClaims,
  version: 2 | 3,
  limits: StreamLimits,
  metrics: MetricsRefresher,
): Promise<SqlStream> {
  const handle = await fleet.open(claims.instance);
  try {
    // A purged and re-created instance of the same name is another database.
    if (handle.instance.id !== claims.id) throw new InstanceMismatch();
    const readOnly = claims.access === 'read-only';
    const conn = openStreamConnection(localFileOf(fleet, handle.instance.dbUrl), readOnly, fleet.settings.instanceMaxBytes);
    const name = handle.instance.name;
    const hooks: DatabaseHooks = {
      beforeWrite: () => undefined,
      noteCommit: () => metrics.changed(name),
      recordUsage: () => undefined,
    };
    try {
      return new LeasedStream(conn, hooks, { version, readOnly, ...limits }, handle.release);
    } catch (error) {
      conn.close();
      throw error;
    }
  } catch (error) {
    handle.release();
    throw error;
  }
}

function localFileOf(fleet: Fleet, dbUrl: string): string {
  if (fleet.engine instanceof LocalEngine) return fleet.engine.pathOf(dbUrl);
  throw new SiloError('ENGINE_FAILURE', 'The libSQL endpoint serves instances kept in local files; connect to a Turso instance at Turso directly.');
}

/**
 * busy_timeout 0: better-sqlite3 is synchronous, so a waiting writer would block the event loop
 * and with it the stream holding the lock; the stream retries asynchronously instead. The size
 * cap holds per connection (`max_page_count`, as on every fleet connection that writes).
 */
function openStreamConnection(file: string, readOnly: boolean, maxBytes: number | undefined): Database.Database {
  const db = new Database(file, { readonly: readOnly, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 0');
    db.pragma('foreign_keys = ON');
    if (!readOnly && maxBytes !== undefined) {
      const pageSize = Number(db.pragma('page_size', { simple: true }));
      db.pragma(`max_page_count = ${Math.max(1, Math.floor(maxBytes / pageSize))}`);
    }
    db.defaultSafeIntegers(true);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}
