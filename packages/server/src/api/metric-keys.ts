import Database from 'better-sqlite3';
import type { TenantSchema } from '@silo/fleet';

/**
 * The app's metric keys: the columns of its schema's `metricsSql`, the names the fleet records
 * that one row under. The server is handed a fleet, not the app's config, so they are read
 * from the statement itself, prepared on an empty database at the latest schema as the config's
 * own check of its metrics does. None when the schema has no metrics or they fail to prepare
 * there (the fleet could not record them either).
 */
export function metricKeys(schema: TenantSchema): readonly string[] {
  if (schema.metricsSql === undefined) return [];
  const db = new Database(':memory:');
  try {
    for (const migration of schema.migrations) db.exec(migration.sql);
    return db
      .prepare(schema.metricsSql)
      .columns()
      .map((column) => column.name);
  } catch {
    return [];
  } finally {
    db.close();
  }
}

/** `read` once, on first use: most servers never sort by a metric, and a schema does not change. */
export function once<T>(read: () => T): () => T {
  let value: { readonly kept: T } | undefined;
  return () => (value ??= { kept: read() }).kept;
}
