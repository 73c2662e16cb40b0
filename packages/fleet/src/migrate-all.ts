import type { Catalog, InstanceFilter, InstanceInfo } from './catalog/catalog';
import { mapUnordered } from './concurrency';
import type { Engine } from './engine';
import { errorMessage } from './errors';
import { failpoint } from './failpoints';
import type { TenantSchema } from './schema';

export interface MigrateAllOptions {
  /**
   * Instances migrated at once. Default: on local files, two per worker thread of the engine's
   * pool (SILO_FLEET_WORKERS), so no thread waits for its next instance; elsewhere 1.
   */
  concurrency?: number;
  /** Run each instance's migrations inside its transaction, then roll back. */
  dryRun?: boolean;
  /** Which instances; defaults to every ready one. */
  filter?: InstanceFilter;
  onProgress?: (progress: MigrateProgress) => void;
  actor?: string;
  /**
   * Stops the run (Ctrl+C in `silo migrate`): no instance is started after it, those in flight
   * finish, and what was done is recorded in the catalog and the audit log as for a run that
   * ended; the report says `interrupted`, and running again finishes the job.
   */
  signal?: AbortSignal;
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
  /** Stopped by `signal` before every instance was tried: the others are still behind. */
  readonly interrupted: boolean;
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

  const pool = engine.fleetWork;
  const migrateOne = async (instance: InstanceInfo, onWorker: boolean): Promise<InstanceMigrationResult> => {
    const begin = performance.now();
    try {
      const migrate = onWorker && pool ? pool.migrate : engine.migrate.bind(engine);
      const { from, to, sizeBytes } = await migrate(instance.dbUrl, schema, { dryRun });
      failpoint('migrate:after-instance-commit');
      if (!dryRun) versions.push({ id: instance.id, schemaVersion: to, sizeBytes: sizeBytes ?? (await engine.sizeOf(instance.dbUrl)) });
      const status = from === to ? 'up-to-date' : dryRun ? 'would-migrate' : 'migrated';
      return { instance: instance.name, status, from, to: dryRun ? schema.latestVersion : to, durationMs: performance.now() - begin };
    } catch (error) {
      return { instance: instance.name, status: 'failed', from: instance.schemaVersion, to: null, error: errorMessage(error), durationMs: performance.now() - begin };
    }
  };

  // The first instance runs on this thread while the pool's threads start; so it is also the
  // only one in flight when it commits (a crash right after it leaves one file ahead of the
  // catalog, as with one instance at a time).
  const [first, ...rest] = candidates;
  const concurrency = options.concurrency ?? (pool ? pool.parallelism * 2 : 1);
  async function* migrated(): AsyncGenerator<InstanceMigrationResult> {
    if (!first) return;
    if (rest.length > 0) pool?.warm();
    if (options.signal?.aborted) return;
    yield await migrateOne(first, false);
    yield* mapUnordered(untilAborted(rest, options.signal), concurrency, (instance) => migrateOne(instance, true));
  }

  for await (const result of migrated()) {
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
    interrupted: results.length < candidates.length && options.signal?.aborted === true,
  };
}

/** The items, until the signal says stop: what was handed out already still runs. */
function* untilAborted<T>(items: Iterable<T>, signal: AbortSignal | undefined): Generator<T> {
  for (const item of items) {
    if (signal?.aborted) return;
    yield item;
  }
}
