import type { Catalog, InstanceFilter, InstanceInfo } from './catalog/catalog';
import { mapUnordered } from './concurrency';
import type { Engine } from './engine';
import { errorMessage } from './errors';
import { failpoint } from './failpoints';
import type { TenantSchema } from './schema';

export interface MigrateAllOptions {
  /** Instances migrated at once (default 1: local SQLite work is synchronous anyway). */
  concurrency?: number;
  /** Run each instance's migrations inside its transaction, then roll back. */
  dryRun?: boolean;
  /** Which instances; defaults to every ready one. */
  filter?: InstanceFilter;
  onProgress?: (progress: MigrateProgress) => void;
  actor?: string;
}

export interface MigrateProgress {
  readonly total: number;
  readonly done: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly last: InstanceMigrationResult;
}

export interface InstanceMigrationResult {
  readonly instance: string;
  readonly status: 'migrated' | 'would-migrate' | 'up-to-date' | 'failed';
  readonly from: number | null;
  readonly to: number | null;
  readonly error?: string;
  readonly durationMs: number;
}

export interface MigrateAllReport {
  readonly targetVersion: number;
  readonly results: InstanceMigrationResult[];
  readonly migrated: number;
  readonly upToDate: number;
  readonly failed: number;
  readonly durationMs: number;
}

/** Catalog writes are grouped: one transaction per this many migrated instances. */
const CATALOG_BATCH = 250;

/**
 * Migrates the fleet, each instance in its own transaction. It continues past failures and
 * never throws. It is resumable: the file's own user_version is the truth, so an instance
 * migrated just before a crash is found up to date and the catalog catches up.
 */
export async function migrateFleet(
  catalog: Catalog,
  engine: Engine,
  schema: TenantSchema,
  options: MigrateAllOptions,
): Promise<MigrateAllReport> {
  const started = performance.now();
  const dryRun = options.dryRun ?? false;
  const results: InstanceMigrationResult[] = [];
  let succeeded = 0;
  let failed = 0;
  let candidates: InstanceInfo[] = [];
  try {
    candidates = [...catalog.each({ state: 'ready', ...options.filter, schemaBelow: schema.latestVersion })];
  } catch (error) {
    results.push({ instance: '*', status: 'failed', from: null, to: null, error: errorMessage(error), durationMs: 0 });
  }

  let versions: { id: string; schemaVersion: number; sizeBytes: number }[] = [];
  const flushVersions = (): void => {
    try {
      catalog.setSchemaVersions(versions);
    } catch (error) {
      // The files are migrated; the next run finds them up to date and records it.
      process.emitWarning(`silo: could not record schema versions: ${errorMessage(error)}`);
    }
    versions = [];
  };

  const migrateOne = async (instance: InstanceInfo): Promise<InstanceMigrationResult> => {
    const begin = performance.now();
    try {
      const { from, to } = await engine.migrate(instance.dbUrl, schema, { dryRun });
      failpoint('migrate:after-instance-commit');
      if (!dryRun) versions.push({ id: instance.id, schemaVersion: to, sizeBytes: await engine.sizeOf(instance.dbUrl) });
      const status = from === to ? 'up-to-date' : dryRun ? 'would-migrate' : 'migrated';
      return { instance: instance.name, status, from, to: dryRun ? schema.latestVersion : to, durationMs: performance.now() - begin };
    } catch (error) {
      return { instance: instance.name, status: 'failed', from: instance.schemaVersion, to: null, error: errorMessage(error), durationMs: performance.now() - begin };
    }
  };

  for await (const result of mapUnordered(candidates, options.concurrency ?? 1, migrateOne)) {
    results.push(result);
    if (result.status === 'failed') failed++;
    else succeeded++;
    if (versions.length >= CATALOG_BATCH) flushVersions();
    options.onProgress?.({ total: candidates.length, done: results.length, succeeded, failed, last: result });
  }
  flushVersions();

  return {
    targetVersion: schema.latestVersion,
    results,
    migrated: results.filter((r) => r.status === 'migrated' || r.status === 'would-migrate').length,
    upToDate: results.filter((r) => r.status === 'up-to-date').length,
    failed,
    durationMs: performance.now() - started,
  };
}
