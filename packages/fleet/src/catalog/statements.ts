import type { CatalogDb, CatalogStatement } from './catalog-db';

/**
 * Prepared statements of one catalog connection, each compiled once: better-sqlite3 and libsql
 * compile a statement on every `prepare`, which cost more than the lookup it serves. Keyed by
 * SQL text, so statements built from filters are cached per shape (their values are bound).
 */
export class Statements {
  readonly #db: CatalogDb;
  readonly #cache = new Map<string, CatalogStatement<unknown[], unknown>>();

  constructor(db: CatalogDb) {
    this.#db = db;
  }

  get<P extends unknown[] = unknown[], R = unknown>(sql: string): CatalogStatement<P, R> {
    let statement = this.#cache.get(sql);
    if (!statement) {
      statement = this.#db.prepare<unknown[], unknown>(sql);
      this.#cache.set(sql, statement);
    }
    return statement as CatalogStatement<P, R>;
  }
}
