import { SiloError } from '../errors';
import type { CatalogDb } from './catalog-db';
import { Statements } from './statements';

export interface SavedQuery {
  readonly id: number;
  readonly name: string;
  readonly sql: string;
  readonly updatedAt: number;
}

/** Most saved queries one admin keeps, and the longest SQL (the catalog holds no bulk data). */
export const SAVED_QUERIES_PER_ADMIN = 200;
export const SAVED_QUERY_MAX_CHARS = 20_000;

/**
 * Each admin's saved queries (catalog migration 12): named SQL for the console and the fleet
 * query, private to the account and removed with it.
 */
export class SavedQueries {
  readonly #db: CatalogDb;
  readonly #statements: Statements;

  constructor(db: CatalogDb) {
    this.#db = db;
    this.#statements = new Statements(db);
  }

  list(userId: number): SavedQuery[] {
    return this.#statements
      .get<[number], { id: number; name: string; sql: string; updated_at: number }>('SELECT id, name, sql, updated_at FROM admin_saved_queries WHERE user_id = ? ORDER BY name COLLATE NOCASE, id')
      .all(userId)
      .map((row) => ({ id: row.id, name: row.name, sql: row.sql, updatedAt: row.updated_at }));
  }

  /** Saves under a name, replacing that admin's query of the same name. */
  save(userId: number, name: string, sql: string, now = Date.now()): SavedQuery {
    const trimmed = name.trim();
    if (trimmed === '' || trimmed.length > 100) throw new SiloError('INVALID_INPUT', 'Give the query a name of 1 to 100 characters.');
    if (sql.trim() === '') throw new SiloError('INVALID_INPUT', 'Write a SQL statement first.');
    if (sql.length > SAVED_QUERY_MAX_CHARS) throw new SiloError('INVALID_INPUT', `A saved query holds at most ${SAVED_QUERY_MAX_CHARS} characters.`);
    return this.#db.transaction(() => {
      const count = this.#statements.get<[number, string], { n: number }>('SELECT count(*) AS n FROM admin_saved_queries WHERE user_id = ? AND name <> ?').get(userId, trimmed)?.n ?? 0;
      if (count >= SAVED_QUERIES_PER_ADMIN) throw new SiloError('INVALID_INPUT', `You have ${SAVED_QUERIES_PER_ADMIN} saved queries; delete one first.`);
      this.#statements
        .get(
          `INSERT INTO admin_saved_queries (user_id, name, sql, updated_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (user_id, name) DO UPDATE SET sql = excluded.sql, updated_at = excluded.updated_at`,
        )
        .run(userId, trimmed, sql, now);
      const row = this.#statements.get<[number, string], { id: number }>('SELECT id FROM admin_saved_queries WHERE user_id = ? AND name = ?').get(userId, trimmed);
      return { id: row?.id ?? 0, name: trimmed, sql, updatedAt: now };
    }).immediate();
  }

  /** Removes one of this admin's saved queries; another admin's id is left alone. */
  remove(userId: number, id: number): boolean {
    return this.#statements.get('DELETE FROM admin_saved_queries WHERE id = ? AND user_id = ?').run(id, userId).changes > 0;
  }
}
