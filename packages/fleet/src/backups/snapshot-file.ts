import { TENANT_PRAGMAS, migrateSync, openReadOnly, openSqlite, userVersion, type SqliteDatabase } from '../sqlite';
import type { TenantSchema } from '../schema';

/**
 * Facts about a staged SQLite file (a snapshot about to be stored, or a point just rebuilt):
 * read through a read-only connection that is closed before returning.
 */
export interface SnapshotFacts {
  readonly schemaVersion: number;
  /** Rows per user table. */
  readonly tables: Record<string, number>;
}

export function readFacts(file: string): SnapshotFacts {
  const db = openReadOnly(file);
  try {
    return { schemaVersion: userVersion(db), tables: countRows(db) };
  } finally {
    db.close();
  }
}

/** Brings a rebuilt point up to the code's schema before it is served again. */
export function migrateFile(file: string, schema: TenantSchema): { from: number; to: number } {
  const db = openSqlite(file, TENANT_PRAGMAS, { mustExist: true });
  try {
    const result = migrateSync(db, schema.migrations);
    db.pragma('wal_checkpoint(TRUNCATE)');
    return result;
  } finally {
    db.close();
  }
}

function countRows(db: SqliteDatabase): Record<string, number> {
  const tables = db
    .prepare<[], { name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .all();
  const counts: Record<string, number> = {};
  for (const { name } of tables) {
    const row = db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM "${name.replaceAll('"', '""')}"`).get();
    counts[name] = row?.n ?? 0;
  }
  return counts;
}
