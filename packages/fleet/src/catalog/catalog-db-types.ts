export interface CatalogRunResult {
  changes: number;
  lastInsertRowid: number | bigint;
}

export interface CatalogStatement<P extends unknown[], R> {
  get(...params: P): R | undefined;
  all(...params: P): R[];
  run(...params: P): CatalogRunResult;
}

export interface CatalogTransaction<A extends unknown[], T> {
  (...args: A): T;
  immediate(...args: A): T;
}

/**
 * The part of better-sqlite3's API the catalog uses. A local catalog is better-sqlite3 itself;
 * a catalog on Turso is an embedded replica (replica-db.ts) that keeps these semantics. Opening
 * one is catalog-db.ts's job.
 */
export interface CatalogDb {
  prepare<P extends unknown[] = unknown[], R = unknown>(sql: string): CatalogStatement<P, R>;
  exec(sql: string): unknown;
  pragma(sql: string, options?: { simple?: boolean }): unknown;
  transaction<A extends unknown[], T>(fn: (...args: A) => T): CatalogTransaction<A, T>;
  readonly inTransaction: boolean;
  close(): unknown;
}

/** Where the catalog lives: a SQLite file here, or a Turso database read through an embedded replica. */
export type CatalogLocation =
  | { readonly kind: 'file'; readonly file: string }
  | {
      readonly kind: 'turso';
      /** The primary, as `libsql://…`, `https://…` or (a local stand-in) `http://…`. */
      readonly syncUrl: string;
      /** Secret: never logged or rendered. */
      readonly authToken: string;
      /** Where replicas of this primary live (one slot per open catalog: replica-slot.ts). */
      readonly replicaDir: string;
      readonly syncIntervalSec: number;
    };

/** A write with positional arguments, for `writeBatch`. */
export interface CatalogWrite {
  readonly sql: string;
  readonly args: readonly (string | number | bigint | null)[];
}

export interface OpenedCatalogDb {
  readonly db: CatalogDb;
  /** Pulls the primary's latest commits now; a no-op for a local file. */
  sync(): void;
  /**
   * Many writes as one transaction. On Turso it is one request to the primary (then a sync),
   * where the same writes through `db` would cost round trips per statement.
   */
  writeBatch(writes: readonly CatalogWrite[], options?: WriteBatchOptions): Promise<void>;
  /** A new watch on what this connection reads (see ChangeWatch). */
  watch(): ChangeWatch;
  close(): void;
}

/**
 * Tells whether anything this connection reads may have changed since the watch last looked:
 * a commit by any connection of any process (this one's included), or a sync of a replica.
 * It may say so when nothing did, never the reverse, so a cache checked against it answers
 * as the database would. Writes of a transaction still open may go unseen: a cache is not
 * used inside one.
 */
export interface ChangeWatch {
  /** True on the first call, and whenever something may have changed since the previous one. */
  changed(): boolean;
}

export interface WriteBatchOptions {
  /**
   * On Turso, pull the primary into the replica after the write (default true), so this
   * server reads its own write. False saves the sync's requests when nothing reads it soon.
   */
  readonly pull?: boolean;
  /**
   * The writes change nothing the lookup caches answer from (`Catalog.resolve`: activity
   * times, sizes, metrics), so on a local file the caches' watches let them keep their answers
   * when no other commit came meanwhile. On Turso the replica's sync counts as before.
   */
  readonly keepsLookups?: boolean;
}
