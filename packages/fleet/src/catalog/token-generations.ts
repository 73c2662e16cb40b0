import type { CatalogDb } from './catalog-db';
import { Statements } from './statements';

/**
 * The token generation of each instance (migration 11): a libSQL token carries the generation
 * it was signed under and is refused once the instance's generation has moved on. Kept in the
 * catalog so that every server sharing it (a catalog on Turso, `silo serve` on several
 * machines) sees one revocation. An instance without a row is at generation 0. @silo/server's
 * jurisdiction tokens keep their generations here too, keyed `jurisdiction:<j>` (ids are UUIDs).
 */
export class TokenGenerations {
  readonly #statements: Statements;

  constructor(db: CatalogDb) {
    this.#statements = new Statements(db);
  }

  /** Every instance's generation, in one query: the table has a row per instance ever revoked, so it stays small. */
  all(): Map<string, number> {
    const rows = this.#statements.get<[], { instance_id: string; generation: number }>('SELECT instance_id, generation FROM instance_token_generations').all();
    return new Map(rows.map((row) => [row.instance_id, row.generation]));
  }

  of(instanceId: string): number {
    return this.#statements.get<[string], { generation: number }>('SELECT generation FROM instance_token_generations WHERE instance_id = ?').get(instanceId)?.generation ?? 0;
  }

  /**
   * Moves the instance to its next generation and returns it. One upsert, so two revocations at
   * once (on one primary) both count, and neither reads a value the other is about to change.
   */
  bump(instanceId: string, now = Date.now()): number {
    this.#statements
      .get(
        `INSERT INTO instance_token_generations (instance_id, generation, updated_at) VALUES (?, 1, ?)
         ON CONFLICT (instance_id) DO UPDATE SET generation = generation + 1, updated_at = excluded.updated_at`,
      )
      .run(instanceId, now);
    return this.of(instanceId);
  }
}
