import { SiloError } from './errors';
import { sha256Hex } from './sha256';

/**
 * One step of a tenant schema. Versions run 1, 2, 3, ... and a migration is never edited once
 * shipped: instances migrate at different times, so changes go "widen, then narrow".
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  /** One or more SQL statements, run inside the instance's migration transaction. */
  readonly sql: string;
}

export interface TenantSchema {
  /** Stable id of the application schema, e.g. "todos". */
  readonly id: string;
  readonly migrations: readonly Migration[];
  readonly latestVersion: number;
  /** Hash of every migration, so a template built from other SQL is never reused. */
  readonly fingerprint: string;
  /**
   * The app's metrics of an instance (e.g. its todo counts), as one SELECT returning one row
   * of numbers. The app reports them after its writes (`fleet.touch`); the fleet runs this
   * when an instance's data comes from elsewhere — import, clone, restore — so the catalog
   * does not show the numbers of an empty database until the app's next write.
   */
  readonly metricsSql?: string;
  /**
   * Statements run on an uploaded file once it passed the checks and was migrated, before it
   * becomes an instance: what an upload must not bring along, such as sessions signed in
   * elsewhere, which the app would otherwise read (and scan) on behalf of a file's author.
   * Restores and moves of Silo's own copies are left as they are.
   */
  readonly uploadCleanup?: readonly string[];
}

export function defineTenantSchema(input: { id: string; migrations: readonly Migration[]; metricsSql?: string; uploadCleanup?: readonly string[] }): TenantSchema {
  if (!/^[a-z0-9-]{1,40}$/.test(input.id)) {
    throw new SiloError('SCHEMA_INVALID', `Schema id "${input.id}" must be 1–40 chars of a–z, 0–9, -.`);
  }
  const migrations = [...input.migrations].sort((a, b) => a.version - b.version);
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new SiloError(
        'SCHEMA_INVALID',
        `Migrations of "${input.id}" must be numbered 1, 2, 3, ... without gaps; found version ${migration.version} at position ${index + 1}.`,
      );
    }
    if (migration.sql.trim() === '') {
      throw new SiloError('SCHEMA_INVALID', `Migration ${migration.version} (${migration.name}) of "${input.id}" has no SQL.`);
    }
  });
  // Browser safe (no node:crypto); the same digest as before, so no template is rebuilt.
  const hashed = migrations.map((migration) => `${migration.version}\0${migration.sql}\0`).join('');
  return {
    id: input.id,
    migrations,
    latestVersion: migrations.length,
    fingerprint: sha256Hex(hashed).slice(0, 16),
    ...(input.metricsSql ? { metricsSql: input.metricsSql } : {}),
    ...(input.uploadCleanup && input.uploadCleanup.length > 0 ? { uploadCleanup: [...input.uploadCleanup] } : {}),
  };
}
