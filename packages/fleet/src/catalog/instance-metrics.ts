import type { CatalogWrite, OpenedCatalogDb } from './catalog-db';
import { Statements } from './statements';

/**
 * The apps' metrics of each instance (e.g. todo counts): what the app reports after its
 * writes, or what the tenant schema's `metricsSql` read after data came from elsewhere.
 * Activity itself (last active, size) stays on the instance row.
 */
export class InstanceMetrics {
  readonly #opened: OpenedCatalogDb;
  readonly #statements: Statements;

  constructor(opened: OpenedCatalogDb) {
    this.#opened = opened;
    this.#statements = new Statements(opened.db);
  }

  /** Sets an instance's metrics without counting as activity (its data came from an import, clone or restore). */
  set(name: string, metrics: Readonly<Record<string, number>>, at: number): Promise<void> {
    const writes = metricWrites(name, metrics, at);
    return writes.length === 0 ? Promise.resolve() : this.#opened.writeBatch(writes);
  }

  /** A clone starts with its source's metrics, until its own activity reports new ones. */
  copy(fromId: string, toId: string, now = Date.now()): void {
    this.#statements
      .get(
        `INSERT OR REPLACE INTO instance_metrics (instance_id, key, value, updated_at)
         SELECT ?, key, value, ? FROM instance_metrics WHERE instance_id = ?`,
      )
      .run(toId, now, fromId);
  }
}

/** The writes recording metrics of a ready instance by name (batched with activity by the catalog). */
export function metricWrites(name: string, metrics: Readonly<Record<string, number>>, at: number): CatalogWrite[] {
  return Object.entries(metrics).map(([key, value]) => ({
    sql: `INSERT INTO instance_metrics (instance_id, key, value, updated_at)
          SELECT id, ?, ?, ? FROM instances WHERE name = ? AND state = 'ready'
          ON CONFLICT (instance_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    args: [key, value, at, name],
  }));
}
