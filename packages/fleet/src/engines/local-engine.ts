import { createHash } from 'node:crypto';
import { existsSync, rmSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import type { Region } from '../regions';
import { importAborted, stopIfImportAborted, type Engine, type EngineBackupSupport, type EngineCapabilities, type EngineFleetWork, type ImportReport, type ImportSource, type MigrationOutcome, type QueryRequest, type QueryResult, type TenantConnection } from '../engine';
import { SiloError, isSiloError } from '../errors';
import { diskFullError, diskSpace, fullDisk, writingAt } from '../disk-space';
import { checkUploadHeader } from './sqlite-import';
import { checkIntegrity, validateImport } from './check-process';
import { failpoint } from '../failpoints';
import { QueryPool } from '../query/query-pool';
import { MigratePool } from '../pool/migrate-pool';
import type { TenantSchema } from '../schema';
import { TENANT_PRAGMAS, migrateSync, openReadOnly, openSqlite, userVersion, type SqliteDatabase } from '../sqlite';
import { LocalConnection, type SizeCap } from './local-connection';
import { applySizeCap, isFullError, sizeLimitExceeded } from '../size-cap';
import { copyPrivate, copyPrivateAsync, makePrivateDir } from '../permissions';
import { SIDECARS, isAbandonedTemp, isTempFile, publish, publishAsync, removeDatabaseFiles, removeWithTemps, tempSibling } from '../files';
import { changeToken, consistentCopy, replaceContent } from '../sqlite-files';
import { whenWritesFree } from '../write-holds';
import { abandonedTempsIn, listDir, stagingLeftovers } from '../staging';

export interface LocalEngineOptions {
  /** Where migrated template databases are kept (schema only, no tenant data). */
  templatesDir: string;
  /** The configured regions: a database URL names its region, the region's folder says where it is. */
  regions: readonly Region[];
  queryWorkers: number;
  /** The memory limit of query processes and of the check process (SILO_QUERY_MAX_MEMORY_BYTES); without it, none. */
  queryMaxMemoryBytes?: number | undefined;
  /** The base of a file check's time limit (SILO_CHECK_TIMEOUT_SEC); without it, the default. */
  checkTimeoutSec?: number | undefined;
  /**
   * Workers for fleet-wide work (SILO_FLEET_WORKERS): migration threads and the query
   * processes of `queryAll`. Default: the CPUs Node may use.
   */
  fleetWorkers?: number | undefined;
  /** The per-instance size cap (SILO_INSTANCE_MAX_BYTES), set on every connection that writes. */
  maxBytes?: number | undefined;
}

/**
 * Instances per message to a fleet-wide query process: a round trip per instance cost about a
 * third of Fleet.queryAll on two cores (ADR 33). Eight keeps a message's replies within a few
 * milliseconds and the results in flight at 2 × 8 per process.
 */
const FLEET_QUERY_BATCH = 8;

const URL_PATTERN = /^local:([a-z0-9][a-z0-9-]*)\/([0-9a-f]{2})\/([a-z0-9-]+)\.db$/;

/** What local files offer: Silo backs them up itself; no history, usage counters or plan quota. */
export const LOCAL_CAPABILITIES: EngineCapabilities = { backups: true, pointInTime: false, usageMetrics: false, databaseQuota: false };

/**
 * The embedded default: one SQLite file per instance on this machine, through better-sqlite3.
 * New databases are copies of a template already at the latest schema; clones and exports
 * are file copies taken under the source's write lock, after a checkpoint on a second connection.
 */
export class LocalEngine implements Engine {
  readonly capabilities = LOCAL_CAPABILITIES;
  readonly kind = 'local';
  readonly #templatesDir: string;
  readonly #regions: ReadonlyMap<string, Region>;
  readonly #templates = new Map<string, string>();
  readonly #knownDirs = new Set<string>();
  readonly #pool: QueryPool;
  /** Fleet-wide queries have processes of their own, so the console never queues behind them. */
  readonly #fleetPool: QueryPool;
  readonly #migratePool: MigratePool;
  readonly fleetWork: EngineFleetWork;
  readonly #maxBytes: number | undefined;
  /** Of every process that runs a tenant's or an uploaded file's SQL for this engine. */
  readonly #maxMemoryBytes: number | undefined;
  readonly #checkTimeoutSec: number | undefined;
  readonly backups: EngineBackupSupport = {
    changeToken: (url) => changeToken(this.pathOf(url)),
    // The destination is a staging file the caller reads and removes: no temp name, no fsync.
    snapshot: (url, destPath, clock) =>
      writingAt(path.dirname(destPath), async () => {
        this.#ensureDir(path.dirname(destPath));
        return consistentCopy(this.pathOf(url), destPath, clock, { holdWrites: true });
      }),
    replaceContent: (url, sourcePath) => replaceContent(sourcePath, this.pathOf(url)),
  };

  constructor(options: LocalEngineOptions) {
    this.#templatesDir = options.templatesDir;
    this.#regions = new Map(options.regions.map((region) => [region.id, region]));
    const maxMemoryBytes = options.queryMaxMemoryBytes;
    this.#maxMemoryBytes = maxMemoryBytes;
    this.#checkTimeoutSec = options.checkTimeoutSec;
    this.#pool = new QueryPool(options.queryWorkers, { maxMemoryBytes });
    const fleetWorkers = options.fleetWorkers ?? Math.min(64, availableParallelism());
    this.#fleetPool = new QueryPool(fleetWorkers, { batch: FLEET_QUERY_BATCH, maxMemoryBytes });
    this.#migratePool = new MigratePool(fleetWorkers);
    this.fleetWork = { parallelism: fleetWorkers, queriesInFlight: this.#fleetPool.saturation, warm: () => this.#migratePool.warm(), migrate: (url, schema, migrateOptions) => this.#migrateOnThread(url, schema, migrateOptions) };
    this.#maxBytes = options.maxBytes;
  }

  /**
   * `local:<region>/<shard>/<name>.db`: relative to the region's configured folder, so a data
   * folder can be moved (or restored elsewhere) by changing configuration only.
   */
  locate(name: string, region: Region): string {
    return urlOf(region, tenantPath(region.dataDir, name));
  }

  /** The file behind a database URL of this engine. */
  pathOf(url: string): string {
    const match = URL_PATTERN.exec(url);
    if (!match) throw new SiloError('ENGINE_FAILURE', `"${url}" is not a local database URL; is this instance on another engine?`);
    const [, regionId = '', shard = '', name = ''] = match;
    const region = this.#regions.get(regionId);
    if (!region) {
      throw new SiloError('UNKNOWN_REGION', `The database ${url} lives in region "${regionId}", which is not configured (SILO_REGIONS).`);
    }
    return path.join(region.dataDir, 'tenants', shard, `${name}.db`);
  }

  async create(url: string, schema: TenantSchema): Promise<void> {
    const file = this.pathOf(url);
    const template = this.#template(schema);
    this.#ensureDir(path.dirname(file));
    const temp = tempSibling(file);
    try {
      copyPrivate(template, temp);
      failpoint('create:after-copy');
      publish(temp, file);
    } catch (error) {
      rmSync(temp, { force: true });
      throw diskFullError(error, path.dirname(file));
    }
  }

  async clone(sourceUrl: string, targetUrl: string): Promise<void> {
    await this.#copyInto(this.pathOf(sourceUrl), this.pathOf(targetUrl), true);
  }

  async snapshot(url: string, destPath: string): Promise<void> {
    await this.#copyInto(this.pathOf(url), destPath, false);
  }

  async #copyInto(source: string, destPath: string, ownsSidecars: boolean): Promise<void> {
    this.#ensureDir(path.dirname(destPath));
    const temp = tempSibling(destPath);
    try {
      await consistentCopy(source, temp, Date.now, { holdWrites: true });
      await publishAsync(temp, destPath, { ownsSidecars });
    } catch (error) {
      removeDatabaseFiles(temp);
      throw diskFullError(error, path.dirname(destPath));
    }
  }

  /**
   * Copy, check, publish. An aborted `signal` is refused before each of them; the copy or check
   * under way runs to its end first (neither can be stopped half-way without leaving its file
   * or killing the check process other imports share). Once the publish begins it is ignored.
   */
  async importFile(sourcePath: string, targetUrl: string, schema: TenantSchema, maxBytes: number, source: ImportSource = 'upload', signal?: AbortSignal): Promise<ImportReport> {
    stopIfImportAborted(signal);
    checkUploadHeader(sourcePath, maxBytes);
    const target = this.pathOf(targetUrl);
    this.#ensureDir(path.dirname(target));
    // Never open the uploaded file in place: validate and migrate a private copy.
    const temp = tempSibling(target);
    let publishing = false;
    try {
      // Off the main thread, as the validation: a file of gigabytes takes seconds to copy.
      await copyPrivateAsync(sourcePath, temp);
      failpoint('import:after-stage');
      stopIfImportAborted(signal);
      const report = await validateImport(temp, schema, source, this.#maxMemoryBytes, this.#checkTimeoutSec);
      // The point of no return: from here the import completes, whatever the signal says.
      stopIfImportAborted(signal);
      publishing = true;
      await publishAsync(temp, target);
      return { ...report, sizeBytes: statSync(target).size };
    } catch (error) {
      removeDatabaseFiles(temp);
      // A step that failed because of the stop (Ctrl+C reaches the check process too) was stopped, not refused.
      if (!publishing && signal?.aborted) throw importAborted(signal);
      throw diskFullError(error, path.dirname(target));
    }
  }

  async remove(url: string): Promise<void> {
    removeWithTemps(this.pathOf(url));
  }

  async exists(url: string): Promise<boolean> {
    return existsSync(this.pathOf(url));
  }

  async sizeOf(url: string): Promise<number> {
    return fileSize(this.pathOf(url)) + fileSize(`${this.pathOf(url)}-wal`);
  }

  async schemaVersion(url: string): Promise<number> {
    const db = openReadOnly(this.pathOf(url));
    try {
      return userVersion(db);
    } finally {
      db.close();
    }
  }

  integrityCheck(url: string): Promise<string[]> {
    return checkIntegrity(this.pathOf(url), this.#maxMemoryBytes, this.#checkTimeoutSec);
  }

  connect(url: string): TenantConnection {
    const file = this.pathOf(url);
    if (!existsSync(file)) {
      throw new SiloError('ENGINE_FAILURE', `The database file of this instance is missing (${file}). Run \`silo doctor\`.`);
    }
    let db: SqliteDatabase;
    try {
      // Opening a WAL database creates its -shm: on a full disk that fails (DISK_FULL).
      db = openSqlite(file, TENANT_PRAGMAS, { mustExist: true });
    } catch (error) {
      if ((error as { code?: unknown }).code === 'SQLITE_BUSY') {
        throw new SiloError(
          'ENGINE_FAILURE',
          `The database of this instance stayed locked for ${TENANT_PRAGMAS.busyTimeoutMs / 1_000} s (another process holds it: a migration, a restore or a long write); try again shortly.`,
          { details: { code: 'SQLITE_BUSY', retryAfterMs: 1_000 }, cause: error },
        );
      }
      throw diskFullError(error, path.dirname(file));
    }
    try {
      applySizeCap(db, this.#maxBytes);
    } catch (error) {
      db.close();
      throw error;
    }
    return new LocalConnection(db, this.#sizeCap(url));
  }

  migrate(url: string, schema: TenantSchema, options: { dryRun: boolean }): Promise<MigrationOutcome> {
    return whenWritesFree(this.pathOf(url), () => this.#migrateHere(url, schema, options));
  }

  #migrateHere(url: string, schema: TenantSchema, options: { dryRun: boolean }): MigrationOutcome {
    const db = openSqlite(this.pathOf(url), TENANT_PRAGMAS, { mustExist: true });
    try {
      applySizeCap(db, this.#maxBytes);
      return migrateSync(db, schema.migrations, {
        dryRun: options.dryRun,
        beforeCommit: () => failpoint('migrate:mid-transaction'),
      });
    } catch (error) {
      throw this.#overCap(url, error);
    } finally {
      db.close();
    }
  }

  /** `migrate` on a thread of the pool: the same pragmas, size cap, transaction and errors. */
  async #migrateOnThread(url: string, schema: TenantSchema, options: { dryRun: boolean }): Promise<MigrationOutcome> {
    try {
      // The thread would otherwise wait out a copy in its busy handler (its own thread only).
      const task = { path: this.pathOf(url), migrations: schema.migrations, dryRun: options.dryRun, maxBytes: this.#maxBytes, pragmas: TENANT_PRAGMAS };
      return await whenWritesFree(task.path, () => this.#migratePool.run(task));
    } catch (error) {
      throw this.#overCap(url, error);
    }
  }

  async query(url: string, request: QueryRequest): Promise<QueryResult> {
    const pool = request.fleetWide ? this.#fleetPool : this.#pool;
    try {
      return await pool.run({
        path: this.pathOf(url),
        sql: request.sql,
        args: request.args,
        readOnly: request.readOnly,
        limits: request.limits,
        script: request.script,
        busyTimeoutMs: TENANT_PRAGMAS.busyTimeoutMs,
        // The query process sets it on its write connection; reads cannot grow the file.
        ...(request.readOnly || this.#maxBytes === undefined ? {} : { maxDatabaseBytes: this.#maxBytes }),
      }, request.signal);
    } catch (error) {
      throw this.#overCap(url, error);
    }
  }

  #sizeCap(url: string): SizeCap | undefined {
    return this.#maxBytes === undefined ? undefined : { instance: instanceNameOf(url), maxBytes: this.#maxBytes };
  }

  /**
   * A full disk is DISK_FULL (disk-space.ts); any other SQLITE_FULL under a cap is the cap,
   * unless the disk has less room than the cap still allows. SQLite says SQLITE_FULL for both,
   * and by the time it answers the write was rolled back, so the disk no longer looks full;
   * but a disk with less free space than the room left under the cap runs out first.
   */
  #overCap(url: string, error: unknown): unknown {
    const dir = path.dirname(this.pathOf(url));
    const full = diskFullError(error, dir);
    if (isSiloError(full, 'DISK_FULL')) return full;
    const cap = this.#sizeCap(url);
    if (!cap || !isFullError(error)) return error;
    const room = cap.maxBytes - fileSize(this.pathOf(url)) - fileSize(`${this.pathOf(url)}-wal`);
    const free = diskSpace(dir)?.freeBytes;
    if (free !== undefined && free < room) return fullDisk(error, dir);
    return sizeLimitExceeded(cap.instance, cap.maxBytes, error);
  }

  async inventory(regions: readonly Region[]): Promise<{ databases: string[]; leftovers: string[] }> {
    const databases: string[] = [];
    const leftovers: string[] = [];
    for (const region of regions) {
      const tenantsDir = path.join(region.dataDir, 'tenants');
      for (const shard of listDir(tenantsDir)) {
        for (const entry of listDir(path.join(tenantsDir, shard))) {
          const file = path.join(tenantsDir, shard, entry);
          // A temp file of a live process is work in progress: neither a database nor a leftover.
          if (isTempFile(file)) {
            if (isAbandonedTemp(file)) leftovers.push(file);
          } else if (entry.endsWith('.db')) {
            databases.push(urlOf(region, file));
          } else if (isOrphanSidecar(file)) {
            leftovers.push(file);
          }
        }
      }
    }
    // A process killed while building a template leaves its temp file there.
    leftovers.push(...stagingLeftovers(regions), ...abandonedTempsIn(this.#templatesDir));
    return { databases, leftovers };
  }

  async removeLeftover(leftover: string): Promise<void> {
    rmSync(leftover, { force: true });
  }

  async close(): Promise<void> {
    this.#pool.close();
    this.#fleetPool.close();
    await this.#migratePool.close();
  }

  /** A database migrated to the schema's latest version, built once and copied for every create. */
  #template(schema: TenantSchema): string {
    const key = `${schema.id}-v${schema.latestVersion}-${schema.fingerprint}`;
    const known = this.#templates.get(key);
    if (known) return known;
    const file = path.join(this.#templatesDir, `${key}.db`);
    if (!existsSync(file)) {
      makePrivateDir(this.#templatesDir);
      const temp = tempSibling(file);
      try {
        const db = openSqlite(temp, TENANT_PRAGMAS);
        migrateSync(db, schema.migrations);
        db.pragma('wal_checkpoint(TRUNCATE)');
        db.close();
        publish(temp, file);
      } catch (error) {
        removeDatabaseFiles(temp);
        throw diskFullError(error, this.#templatesDir);
      }
    }
    this.#templates.set(key, file);
    return file;
  }

  #ensureDir(dir: string): void {
    if (this.#knownDirs.has(dir)) return;
    makePrivateDir(dir);
    this.#knownDirs.add(dir);
  }
}

/** The instance name in a local database URL (its file name), for messages. */
function instanceNameOf(url: string): string {
  return URL_PATTERN.exec(url)?.[3] ?? url;
}

function urlOf(region: Region, file: string): string {
  return `local:${region.id}/${path.relative(path.join(region.dataDir, 'tenants'), file).split(path.sep).join('/')}`;
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/**
 * Tenant files are spread over 256 sub-folders by a hash of the name, so no folder holds more
 * than a few hundred entries even at 100,000 instances.
 */
function tenantPath(regionDir: string, name: string): string {
  const shard = createHash('sha256').update(name).digest('hex').slice(0, 2);
  return path.join(regionDir, 'tenants', shard, `${name}.db`);
}

/** A WAL, shared-memory or journal file whose database is gone. */
function isOrphanSidecar(file: string): boolean {
  const sidecar = SIDECARS.find((suffix) => file.endsWith(`.db${suffix}`));
  return sidecar !== undefined && !existsSync(file.slice(0, -sidecar.length));
}
