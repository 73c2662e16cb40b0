import { createReadStream, statSync, type ReadStream } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { Backups } from './backups/backups';
import { assertOutsideFleetFolders, fleetFolders } from './fleet-folders';
import { Catalog, type AuditEntry, type AuditQuery, type FleetOverview, type InstanceFilter, type InstanceInfo, type InstanceState, type ListPage, type ListQuery } from './catalog/catalog';
import type { UsageDay } from './catalog/instance-activity';
import type { SavedQueries } from './catalog/saved-queries';
import type { AdminDirectory } from './catalog/admin-directory';
import type { ApiTokens } from './catalog/api-tokens';
import type { TokenGenerations } from './catalog/token-generations';
import { resolveSettings, type FleetSettings, type FleetSettingsInput, type QueryLimits } from './config';
import { mapUnordered } from './concurrency';
import { stopIfImportAborted, stopIfQueryAborted, type Engine, type QueryResult, type SqlArgs, type TenantConnection } from './engine';
import { openEngine } from './engines/open-engine';
import { assertNoForeignWrites, removeAbandonedTempsOf, tempSibling } from './files';
import { stagingDirOf } from './staging';
import { EngineReachability } from './engine-reachability';
import { SiloError, errorMessage, instanceNotFound, isSiloError } from './errors';
import { checkStorage, diskFullError, diskWarnPercent, isDiskFull, type StorageCheck } from './disk-space';
import { failpoint } from './failpoints';
import { HandleCache, type Lease } from './handle-cache';
import { AuditLog, type AuditHandoff } from './audit-log';
import { Provisioner } from './provisioner';
import { Purges } from './purge';
import { validateName, NAME_MAX_LENGTH } from './names';
import { DISPLAY_NAME_MAX_LENGTH, derivedDisplayName, validateDisplayName } from './unsafe-text';
import { importOverSizeLimit } from './size-cap';
import { checkPermissions, fleetRoots, warnLoosePermissions, type PermissionReport } from './permissions';
import { Regions, assertSameJurisdiction } from './regions';
import { redactInto } from './redact-export';
import { EXPORTS_PER_INSTANCE, removeStaged } from './export-gate';
import { PerKeyLimit } from './per-key-gate';
import { reconcile, type DoctorOptions, type DoctorReport } from './reconcile';
import { migrateFleet, type InstanceMigrationResult, type MigrateAllOptions, type MigrateAllReport } from './migrate-all';
import { moveFleet, type MoveOptions, type MoveReport } from './move/move-fleet';
import type { TenantSchema } from './schema';
import { TouchBuffer } from './touch-buffer';
import { queryPoolCounters } from './query/query-pool';
import type { FleetStats } from './stats';
import { listResidency, reportResidency, residencyDocument, type ResidencyParts } from './residency/fleet-residency';
import type { ResidencyListing, ResidencyOptions } from './residency/residency';
import type { ResidencyReportFile, WrittenReport } from './residency/report';
import { loadSiloConfig } from './app-config/load-config';

/** Why a fleet-wide query refuses a write, and what changes data across the fleet instead. */
const FLEET_QUERY_READS_ONLY =
  'A fleet-wide query only reads, and SQLite reports that this statement would change the database. Change every instance with a migration (`silo migrate`), or one instance with a write-mode query.';

export interface FleetOptions extends FleetSettingsInput {
  /** The tenant schema every instance is created at and migrated to. */
  schema: TenantSchema;
  /** Where tenant databases live; by default the one the settings name (`engineKind`, SILO_ENGINE). */
  engine?: Engine;
  /** Who the audit log names when an operation does not say. */
  actor?: string;
  /** Resolve operations a crash interrupted, on open (default true). Purging stays explicit. */
  reconcileOnOpen?: boolean;
  /** The time backups and their retention go by; tests inject one instead of sleeping. */
  clock?: () => number;
  /** Warn (once per process) when the fleet's files are readable by others (default true). */
  checkPermissionsOnOpen?: boolean;
  /** Where that warning goes; by default a process warning with code SILO_LOOSE_PERMISSIONS. */
  warn?: (message: string) => void;
}

/** See `Fleet.readiness`. */
export interface Readiness {
  readonly ready: boolean;
  /** `ok`, or why the catalog cannot be read. */
  readonly catalog: string;
  readonly storage: readonly Pick<StorageCheck, 'kind' | 'label' | 'freeBytes' | 'totalBytes' | 'freePercent' | 'level'>[];
  readonly warnings: readonly string[];
}

export interface ActorOption {
  actor?: string;
  /**
   * The id of the request that asks for the operation, kept in its audit entry (`detail.requestId`):
   * the HTTP API's Idempotency-Key retry after a crash finds its own create or clone by it.
   */
  requestId?: string;
}

export interface CreateOptions extends ActorOption {
  jurisdiction: string;
  region?: string;
  displayName?: string;
  /**
   * The app's first writes (e.g. its owner account), run on the new database inside
   * provisioning: after the schema is in place and before the instance is published ready.
   * The instance comes into being with them or not at all: a crash at any point leaves a
   * failed row (reconciled as any interrupted create) or a ready instance with its seed, and
   * an error thrown here fails the create with SEED_FAILED, leaving no row and no files.
   * Nothing else can open the instance while it runs. Write in one `batch` where you can.
   */
  seed?: (db: TenantConnection, instance: { readonly id: string; readonly name: string }) => Promise<void>;
}

export interface ImportOptions extends Omit<CreateOptions, 'seed'> {
  /**
   * Stops the import (Ctrl+C in `silo import`, a client that went away). An abort is noticed
   * between the import's steps: before the copy of the file, before its check, and before the
   * new database is put in place (local files: renamed into the data folder; Turso: uploaded).
   * The step under way (a copy, the check) runs to its end first. Stopped there, the import is
   * refused with IMPORT_REJECTED (`details.reason` `aborted`) and leaves nothing behind: no
   * catalog row, no files, the name free at once. Once the database is being put in place the
   * signal is ignored, and the import completes (the instance is created and returned).
   */
  signal?: AbortSignal;
}

export interface CloneOptions extends ActorOption {
  /** Branch the source as it was at this moment (engines that keep history only: turso). */
  at?: Date;
  /** Must be in the source's jurisdiction; defaults to the source's region. */
  region?: string;
  jurisdiction?: string;
  displayName?: string;
}

export interface QueryOptions extends ActorOption {
  /** Read-only by default, enforced by a read-only SQLite connection. */
  readOnly?: boolean;
  limits?: Partial<QueryLimits>;
  /** More for a write's audit entry beside its SQL (the data browser's old and new values). */
  auditDetail?: Readonly<Record<string, unknown>>;
  /** Write mode only: `sql` may hold several statements, run as one transaction (local engine). */
  script?: boolean;
  /**
   * Stops the query (Ctrl+C in `silo shell`, a client that went away): it is rejected at once
   * with QUERY_ABORTED. Not begun yet, it never runs; running on local files, its process is
   * killed, and SQLite keeps nothing of an unfinished statement, so a write stopped there
   * changed nothing (one that finished in the same instant stays, as at the time limit). On
   * Turso only the waiting stops: a statement Turso has received may still run to its end.
   */
  signal?: AbortSignal;
}

export interface QueryAllOptions extends ActorOption {
  filter?: InstanceFilter;
  concurrency?: number;
  args?: SqlArgs;
  limits?: Partial<QueryLimits>;
  /**
   * Stops the run: the instances' queries under way are stopped as one query's would be
   * (QueryOptions.signal), no other instance is queried, and the iteration throws QUERY_ABORTED.
   */
  signal?: AbortSignal;
}

export type QueryAllEvent =
  | ({ instance: string; status: 'ok' } & QueryResult)
  | { instance: string; status: 'error'; code: string; error: string; durationMs: number };

export interface PurgeExpiredReport {
  purged: string[];
  failed: { name: string; error: string }[];
}

export interface InstanceDetails extends InstanceInfo {
  readonly clones: readonly { name: string; state: InstanceState }[];
}

/**
 * A handle nobody used for this long is tidied (its WAL checkpointed and truncated), a few a
 * second at most: each is a checkpoint on this thread (~1 ms), and a busy fleet's handles go
 * idle in their thousands.
 */
const IDLE_TIDY_MS = 30_000;
const IDLE_TIDY_PER_SECOND = 10;

/** An open tenant database. Release it when the request is done; the cache keeps it warm. */
export interface InstanceHandle extends Disposable {
  readonly instance: InstanceInfo;
  readonly db: TenantConnection;
  release(): void;
}

export interface ExportOptions extends ActorOption {
  /**
   * SQL run on the staged copy before it is streamed (the live database is never touched),
   * followed by a VACUUM: the app decides what is secret (a customer download without
   * password hashes or session tokens). Without it the export is the full file.
   */
  redact?: readonly string[];
}

export interface ExportedFile {
  readonly stream: Readable;
  readonly fileName: string;
  readonly sizeBytes: number;
}

/**
 * The fleet: every instance, its database and its metadata. Apps and the CLI use only this
 * class; it never throws anything but SiloError for expected failures, and fleet-wide
 * operations return per-instance results instead of throwing.
 */
export class Fleet {
  readonly settings: FleetSettings;
  readonly regions: Regions;
  readonly schema: TenantSchema;
  readonly engine: Engine;
  /** Backups and point-in-time restore of every instance (see ADR 0014). */
  readonly backups: Backups;
  readonly #catalog: Catalog;
  readonly #handles: HandleCache<string, TenantConnection>;
  /** Tidies handles nobody has used for a while (their write-ahead logs: TenantConnection.trimIdle). */
  readonly #tidying: NodeJS.Timeout;
  readonly #touches: TouchBuffer;
  readonly #audit: AuditLog;
  readonly #provisioner: Provisioner;
  readonly #purges: Purges;
  readonly #reachability: EngineReachability;
  #closed = false;
  /** Catalog lookups by `open` (Fleet.stats): one integer increment per request. */
  #catalogLookups = 0;
  #startupReport: DoctorReport | undefined;
  /** Exports of each instance (by id) staging a copy now: EXPORTS_PER_INSTANCE at most. */
  readonly #exports = new PerKeyLimit<string>(EXPORTS_PER_INSTANCE);

  private constructor(options: FleetOptions, settings: FleetSettings, engine: Engine, catalog: Catalog) {
    this.settings = settings;
    this.regions = new Regions(this.settings.regions);
    this.schema = options.schema;
    this.engine = engine;
    this.#catalog = catalog;
    this.#handles = new HandleCache({
      cap: this.settings.handleCap,
      waitMs: this.settings.handleWaitMs,
      close: (connection) => connection.close(),
    });
    this.#tidying = setInterval(() => void this.#tidyIdleHandles(), 1_000);
    this.#tidying.unref();
    this.#touches = new TouchBuffer(this.#catalog, this.engine, this.settings.touchFlushMs);
    this.#audit = new AuditLog(this.#catalog.audits, { actor: options.actor ?? 'system', dataDir: this.settings.dataDir });
    this.#provisioner = new Provisioner({ catalog: this.#catalog, engine: this.engine, regions: this.regions, schema: this.schema, handles: this.#handles });
    this.backups = new Backups({
      catalog: this.#catalog,
      engine: this.engine,
      regions: this.regions,
      settings: this.settings,
      schema: this.schema,
      clock: options.clock ?? Date.now,
      handles: this.#handles,
      audit: this.#audit,
      provisioner: this.#provisioner,
    });
    this.#purges = new Purges({
      catalog: this.#catalog,
      engine: this.engine,
      handles: this.#handles,
      backups: this.backups,
      audit: this.#audit,
      regionOf: (id) => this.regions.find(id),
    });
    this.#reachability = new EngineReachability(this.engine);
  }

  static async open(options: FleetOptions): Promise<Fleet> {
    const settings = resolveSettings(options);
    // Before the catalog opens: SQLite would give a loose catalog's new WAL the same loose mode.
    if (options.checkPermissionsOnOpen ?? true) warnLoosePermissions(settings, options.warn);
    const engine = options.engine ?? (await openEngine(settings, options.warn));
    let fleet: Fleet;
    try {
      const catalog = await Catalog.open(settings.catalog, { auditRetentionMs: settings.auditRetentionMs, maxFailedSignIns: settings.auditMaxFailedSignIns });
      fleet = new Fleet(options, settings, engine, catalog);
    } catch (error) {
      if (!options.engine) await engine.close();
      throw error;
    }
    if (options.reconcileOnOpen ?? true) {
      try {
        fleet.#startupReport = await fleet.doctor({ scanFiles: false, purgeExpired: false });
      } catch (error) {
        // Opening for reads never needs free space: what could not be written now is done by
        // the next open or `silo doctor` once there is room again.
        if (!isDiskFull(error, settings.dataDir)) throw error;
        process.emitWarning(`Skipped the start-up reconciliation: ${errorMessage(diskFullError(error, settings.dataDir))}`, { code: 'SILO_DISK_FULL' });
      }
    }
    return fleet;
  }

  /** What the reconciliation on open resolved, if it ran. */
  get startupReport(): DoctorReport | undefined {
    return this.#startupReport;
  }

  /** Operators of the admin console (accounts, sessions, console history), kept in the catalog. */
  get admins(): AdminDirectory {
    this.#assertOpen();
    return this.#catalog.admins;
  }

  /** Each admin's saved console and fleet queries. */
  get savedQueries(): SavedQueries {
    this.#assertOpen();
    return this.#catalog.savedQueries;
  }

  /** Tokens of the fleet's HTTP API (`silo serve`, `silo token`), kept hashed in the catalog. */
  get apiTokens(): ApiTokens {
    this.#assertOpen();
    return this.#catalog.apiTokens;
  }

  /** The libSQL token generation of each instance, in the catalog so every server shares revocations. */
  get tokenGenerations(): TokenGenerations {
    this.#assertOpen();
    return this.#catalog.tokenGenerations;
  }

  get openHandles(): number {
    return this.#handles.size;
  }

  /** Counters and gauges for an app server's metrics (see FleetStats); reads two catalog rows' worth. */
  stats(): FleetStats {
    return {
      handles: { open: this.#handles.size, cap: this.settings.handleCap, ...this.#handles.counters },
      catalogLookups: this.#catalogLookups,
      operations: [...this.#audit.operations].map(([kind, count]) => ({ kind, ...count })),
      queryPoolKills: queryPoolCounters.kills,
      queryPoolMemoryKills: queryPoolCounters.memoryKills,
      instances: this.#catalog.countByStateAndJurisdiction(),
      backups: { enabled: this.settings.backups.enabled, ...this.backups.schedulerState() },
    };
  }

  // ── Serving ────────────────────────────────────────────────────────────────────────────

  /**
   * Opens a ready instance through the handle cache. Unknown and deleted instances are
   * INSTANCE_NOT_FOUND (a 404), provisioning or failed ones INSTANCE_NOT_READY, and one whose
   * schema is older than the code expects SCHEMA_BEHIND: migrations never run on a request.
   */
  open(name: string): Promise<InstanceHandle> {
    // Not async: a warm instance is answered with no promise but the one returned, and a
    // failure still rejects instead of throwing.
    try {
      const instance = this.servable(name);
      const lease = this.#handles.tryAcquire(instance.id, this.#connect, instance.dbUrl);
      if (lease) return Promise.resolve(instanceHandle(instance, lease));
      return this.#handles.acquire(instance.id, this.#connect, instance.dbUrl).then((waited) => instanceHandle(instance, waited));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Opens a handle for the handle cache: one function for every `open`, not a closure each. */
  readonly #connect = (dbUrl: string): TenantConnection => this.engine.connect(dbUrl);

  /** The instance `open` serves, or why not. */
  /**
   * The instance as `open` would serve it now, without a handle: it throws what `open` would
   * (not found or deleted, not ready, schema behind). For a server that keeps something of an
   * instance across requests (a libSQL stream) and must stop when it is deleted or replaced,
   * whichever process did it: the lookup sees other processes' commits.
   */
  servable(name: string): InstanceInfo {
    this.#assertOpen();
    this.#catalogLookups++;
    const instance = this.#catalog.resolve(name);
    if (!instance || instance.state === 'deleted') throw instanceNotFound(name);
    if (instance.state !== 'ready') {
      throw new SiloError(
        'INSTANCE_NOT_READY',
        instance.state === 'provisioning'
          ? `Instance "${name}" is still being set up; try again in a moment.`
          : instance.state === 'moving'
            ? `Instance "${name}" is being moved to another engine; try again in a moment.`
            : `Instance "${name}" failed to provision (${instance.error ?? 'unknown error'}); purge it and create it again.`,
        { details: { name, state: instance.state } },
      );
    }
    if (instance.schemaVersion < this.schema.latestVersion) {
      throw new SiloError(
        'SCHEMA_BEHIND',
        `Instance "${name}" is at schema version ${instance.schemaVersion} but this code expects ${this.schema.latestVersion}. Run \`silo migrate\`.`,
        { details: { name, version: instance.schemaVersion, expected: this.schema.latestVersion } },
      );
    }
    return instance;
  }

  /** Opens the instance for the duration of `work`, releasing the handle however it ends. */
  async withInstance<T>(name: string, work: (db: TenantConnection, instance: InstanceInfo) => Promise<T>): Promise<T> {
    const handle = await this.open(name);
    try {
      return await work(handle.db, handle.instance);
    } finally {
      handle.release();
    }
  }

  /** Records activity and app metrics (e.g. todo counts); written to the catalog in batches. */
  touch(name: string, metrics?: Readonly<Record<string, number>>): void {
    this.#touches.touch(name, metrics);
  }

  flushActivity(): Promise<void> {
    return this.#touches.flush();
  }

  /**
   * Gives back the disk idle handles' write-ahead logs hold (TenantConnection.trimIdle), and
   * records the sizes that changed: without it, the catalog kept showing the log's bytes until
   * the instance's next write. Best effort, as activity is.
   */
  async #tidyIdleHandles(): Promise<void> {
    const trimmed: { id: string; dbUrl: string }[] = [];
    this.#handles.tidyIdle(IDLE_TIDY_MS, IDLE_TIDY_PER_SECOND, (connection, id, dbUrl) => {
      if (connection.trimIdle?.() && dbUrl !== undefined) trimmed.push({ id, dbUrl });
    });
    if (trimmed.length === 0) return;
    try {
      const sizes = await Promise.all(trimmed.map(async ({ id, dbUrl }) => ({ id, sizeBytes: await this.engine.sizeOf(dbUrl) })));
      await this.#catalog.recordSizes(sizes);
    } catch {
      // The catalog busy or closing: the instance's next write records its size.
    }
  }

  /**
   * After a write that did not come from the app (import, clone, restore, the console, the
   * libSQL endpoint): reads the app's metrics with the schema's `metricsSql` and records them
   * with the write as activity and usage of the day (`writes`: how many to count, default 1).
   * Best effort: never throws.
   */
  refreshMetrics(name: string, options: { writes?: number } = {}): Promise<void> {
    return this.#provisioner.refreshMetrics(name, options);
  }

  // ── Reading the catalog ────────────────────────────────────────────────────────────────

  list(query: ListQuery = {}): ListPage {
    this.#assertOpen();
    return this.#catalog.list(query);
  }

  /** The instance of this name in any state, with its clones; INSTANCE_NOT_FOUND when there is none. */
  require(name: string): InstanceDetails {
    this.#assertOpen();
    const instance = this.#catalog.require(name);
    return { ...instance, clones: this.#catalog.clonesOf(instance.id) };
  }

  /** Counts, size on disk and activity of the whole fleet, with per-day series over `days`. */
  /** An instance's usage per UTC day (reads, writes, size) over the last `days` days. */
  usage(name: string, days = 30): UsageDay[] {
    return this.#catalog.activity.usage(this.#catalog.require(name).id, days);
  }

  overview(days = 30): FleetOverview {
    return this.#catalog.overview(days);
  }

  /** The instance of this name in any state, or undefined: for callers that expect absence. */
  find(name: string): InstanceInfo | undefined {
    this.#assertOpen();
    return this.#catalog.find(name);
  }

  /** Deleted instances past the retention window: what `purgeExpired` would remove now. */
  expiredDeletions(): InstanceInfo[] {
    return this.#catalog.expiredDeletions(this.settings.retentionMs);
  }

  audit(query: AuditQuery = {}): { items: AuditEntry[]; total: number } {
    this.#assertOpen();
    return this.#catalog.audits.query(query);
  }

  /**
   * The operation names a filter of the audit log may ask for: every operation the fleet itself
   * records, whether or not it has happened yet, and whatever else the log holds (tools built
   * on the fleet record their own: `token create`, `admin add`, …).
   */
  auditOperations(): string[] {
    return [...new Set([...FLEET_AUDIT_OPERATIONS, ...this.#catalog.audits.operations()])].sort();
  }

  /**
   * One audit entry for an operation done outside the fleet's own methods by a tool built on
   * it (`silo token create --instance`: a libSQL token signed by @silo/server), or for the end
   * of one the tool stopped (`error`: `silo export` interrupted while the fleet staged it).
   */
  recordAudit(entry: { operation: string; instance: string | null; actor?: string; detail?: Readonly<Record<string, unknown>>; error?: string }): void {
    this.#assertOpen();
    // With `error`, the operation failed or was stopped (an export interrupted by Ctrl+C).
    const outcome = entry.error === undefined ? { outcome: 'ok' as const, error: null } : { outcome: 'error' as const, error: entry.error };
    this.#audit.record({ operation: entry.operation, instance: entry.instance, actor: this.#audit.actorOf(entry), ...outcome, detail: entry.detail ?? null });
  }

  /** Removes audit entries past SILO_AUDIT_RETENTION_DAYS now (housekeeping does it too); returns how many. */
  pruneAuditLog(): number {
    this.#assertOpen();
    return this.#catalog.audits.prune();
  }

  /**
   * Free space of the data folder, each region's folder and each backup folder (one check per
   * disk): `full` where writes fail now, `low` under `warnPercent` (SILO_DISK_WARN_PERCENT,
   * default 5 %). For /readyz and the admin's banner; a statfs each, no catalog access.
   */
  storage(warnPercent = diskWarnPercent()): StorageCheck[] {
    return checkStorage(fleetFolders(this.settings), warnPercent);
  }

  /**
   * What a readiness probe (/readyz) reports: not ready when the catalog cannot be read or the
   * data disk is full; nearly full disks are warnings. No folder paths: probes may be public.
   */
  readiness(warnPercent = diskWarnPercent()): Readiness {
    let catalog = 'ok';
    try {
      this.#assertOpen();
      this.#catalog.list({ limit: 1 });
    } catch (error) {
      catalog = errorMessage(error);
    }
    const storage = this.storage(warnPercent);
    const dataFull = storage.some((check) => check.kind === 'data' && check.level === 'full');
    return {
      ready: catalog === 'ok' && !dataFull,
      catalog,
      storage: storage.map(({ kind, label, freeBytes, totalBytes, freePercent, level }) => ({ kind, label, freeBytes, totalBytes, freePercent: Math.round(freePercent * 10) / 10, level })),
      warnings: storage.filter((check) => check.level !== 'ok').map((check) => `${check.label}: ${check.level === 'full' ? 'full' : `nearly full (${check.freePercent.toFixed(1)} % free, under ${warnPercent} %)`}`),
    };
  }

  /**
   * Whether the engine's service answers (`ok`, or why not): Turso's Platform API accepts the
   * token and every group exists. The answer is reused for a few seconds, so probes do not
   * spend the organisation's API rate limit; local files are always `ok`.
   */
  engineReachability(): Promise<string> {
    return this.#reachability.check();
  }

  // ── Lifecycle ──────────────────────────────────────────────────────────────────────────

  /**
   * Creates an instance at the latest schema, with the app's `seed` written in it before it is
   * published. On return it is ready and servable.
   */
  create(name: string, options: CreateOptions): Promise<InstanceInfo> {
    const detail = { jurisdiction: options.jurisdiction, ...(options.seed ? { seeded: true } : {}) };
    return this.#auditedWithReady('create', name, options, detail, async (audit) => {
      validateName(name);
      const displayName = optionalDisplayName(options.displayName);
      const region = this.regions.place(options.jurisdiction, options.region);
      const seed = options.seed;
      return this.#provisioner.provision(
        { name, displayName, jurisdiction: region.jurisdiction, region: region.id },
        async (url, id) => {
          await this.engine.create(url, this.schema);
          if (seed) {
            await this.#seed(url, { id, name }, seed);
            failpoint('create:after-seed');
          }
          return this.schema.latestVersion;
        },
        // A seed the app refused was never an instance, so the name is free again.
        { dropOnRefusal: (error) => isSiloError(error, 'SEED_FAILED'), audit },
      );
    });
  }

  /** Runs the app's seed on the new (still provisioning) database with a connection of its own. */
  async #seed(url: string, instance: { id: string; name: string }, seed: NonNullable<CreateOptions['seed']>): Promise<void> {
    const db = this.engine.connect(url);
    try {
      await seed(db, instance);
    } catch (error) {
      throw new SiloError('SEED_FAILED', `The first writes of "${instance.name}" failed (${errorMessage(error)}), so it was not created; try again.`, {
        cause: error,
        details: { name: instance.name },
      });
    } finally {
      db.close();
    }
  }

  /** Branches a live instance; the source keeps serving. Clones never leave the jurisdiction. */
  clone(sourceName: string, newName?: string, options: CloneOptions = {}): Promise<InstanceInfo> {
    const target = newName ?? this.#cloneName(sourceName);
    const at = options.at;
    // The source's jurisdiction, as a create's entry has its own: a scoped reader of the
    // target name's log is not shown another jurisdiction's attempt at it (it names a source there).
    const known = this.#catalog.resolve(sourceName);
    const detail = {
      source: sourceName,
      ...(known ? { jurisdiction: known.jurisdiction } : {}),
      ...(at ? { at: Number.isNaN(at.getTime()) ? 'invalid' : at.toISOString() } : {}),
    };
    return this.#auditedWithReady('clone', target, options, detail, async (audit) => {
      validateName(target);
      const displayName = optionalDisplayName(options.displayName);
      const cloneAt = this.engine.cloneAt?.bind(this.engine);
      if (at && !cloneAt) {
        throw new SiloError('INVALID_INPUT', `The ${this.engine.kind} engine keeps no history, so it cannot clone "${sourceName}" as it was at a past time.`);
      }
      if (at && (Number.isNaN(at.getTime()) || at.getTime() > Date.now())) {
        throw new SiloError('INVALID_INPUT', 'A point-in-time clone needs a valid moment in the past.');
      }
      const source = this.#catalog.resolve(sourceName);
      if (!source || source.state === 'deleted') throw instanceNotFound(sourceName);
      if (source.state !== 'ready') {
        throw new SiloError('INVALID_STATE', `Instance "${sourceName}" is ${source.state}; only ready instances can be cloned.`);
      }
      if (options.jurisdiction !== undefined && options.jurisdiction !== source.jurisdiction) {
        throw new SiloError(
          'JURISDICTION_VIOLATION',
          `A clone stays in its source's jurisdiction: "${sourceName}" is in "${source.jurisdiction}", not "${options.jurisdiction}". Export and import it if the customer asks to move.`,
        );
      }
      const region = this.regions.get(options.region ?? source.region);
      assertSameJurisdiction(region, source.jurisdiction, 'cloned');
      await this.#provisioner.provision(
        {
          name: target,
          displayName: displayName ?? derivedDisplayName(`${source.displayName} (copy)`),
          jurisdiction: source.jurisdiction,
          region: region.id,
          clonedFrom: source.id,
        },
        async (url, id) => {
          if (at && cloneAt) await cloneAt(source.dbUrl, url, at);
          else await this.engine.clone(source.dbUrl, url);
          failpoint('clone:before-ready');
          this.#catalog.metrics.copy(source.id, id);
          return this.engine.schemaVersion(url);
        },
        { audit },
      );
      // A point-in-time clone holds other data than its source has now.
      await this.#provisioner.refreshMetrics(target);
      return this.#catalog.require(target);
    });
  }

  /**
   * Creates an instance from an uploaded SQLite file; a refused file, or an import stopped by
   * `options.signal`, leaves nothing behind.
   */
  importFile(name: string, sourcePath: string, options: ImportOptions): Promise<InstanceInfo> {
    const signal = options.signal;
    return this.#auditedWithReady('import', name, options, { jurisdiction: options.jurisdiction }, async (audit) => {
      validateName(name);
      const displayName = optionalDisplayName(options.displayName);
      refuseOverSizeLimit(name, sourcePath, this.settings.instanceMaxBytes);
      const region = this.regions.place(options.jurisdiction, options.region);
      // Stopped already: not even a provisioning row.
      stopIfImportAborted(signal);
      await this.#provisioner.provision(
        { name, displayName, jurisdiction: region.jurisdiction, region: region.id },
        async (url) => (await this.engine.importFile(sourcePath, url, this.schema, this.settings.importMaxBytes, 'upload', signal)).toVersion,
        // A refused (or stopped) upload was never an instance: no failed row, so the name stays free.
        { dropOnRefusal: () => true, audit },
      );
      await this.#provisioner.refreshMetrics(name);
      return this.#catalog.require(name);
    });
  }

  /** Soft delete: unreachable at once, `undelete` brings it back until purged (after the retention window). */
  delete(name: string, options: ActorOption = {}): Promise<InstanceInfo> {
    return this.#audited('delete', name, options, {}, async () => {
      const instance = this.#catalog.require(name);
      if (instance.state === 'deleted') return instance;
      if (instance.state !== 'ready') {
        throw new SiloError(
          'INVALID_STATE',
          instance.state === 'failed'
            ? `Instance "${name}" failed to provision; purge it instead.`
            : `Instance "${name}" is ${instance.state === 'moving' ? 'being moved to another engine' : 'still being set up'}; delete it once it is ready.`,
        );
      }
      if (!this.#catalog.transition(instance.id, 'ready', 'deleted')) {
        // Someone else changed it meanwhile: deleted already is success, anything else is not.
        const now = this.#catalog.require(name);
        if (now.state === 'deleted') return now;
        throw new SiloError('INVALID_STATE', `Instance "${name}" changed to ${now.state} while deleting it; check it and try again.`);
      }
      this.#handles.invalidate(instance.id);
      return this.#catalog.require(name);
    });
  }

  /**
   * Brings a soft-deleted instance back, migrating it if the schema moved on meanwhile. (Going
   * back to a backup point is `backups.restore`.)
   */
  undelete(name: string, options: ActorOption = {}): Promise<InstanceInfo> {
    return this.#audited('undelete', name, options, {}, async () => {
      const instance = this.#catalog.require(name);
      if (instance.state === 'ready') return instance;
      if (instance.state !== 'deleted') {
        throw new SiloError('INVALID_STATE', `Instance "${name}" is ${instance.state}, not deleted; there is nothing to undelete.`);
      }
      if (this.#catalog.purgeIntent(instance.id)) {
        throw new SiloError('INVALID_STATE', `Instance "${name}" is being purged; it can no longer be undeleted.`);
      }
      if (!(await this.engine.exists(instance.dbUrl))) {
        throw new SiloError('ENGINE_FAILURE', `The database of "${name}" is gone, so it cannot be undeleted. Run \`silo doctor\`.`);
      }
      if (instance.schemaVersion < this.schema.latestVersion) {
        const { to } = await this.engine.migrate(instance.dbUrl, this.schema, { dryRun: false });
        this.#catalog.setSchemaVersions([{ id: instance.id, schemaVersion: to }]);
      }
      if (!this.#catalog.transition(instance.id, 'deleted', 'ready')) {
        throw new SiloError('INVALID_STATE', `Instance "${name}" is being purged; it can no longer be undeleted.`);
      }
      return this.#catalog.require(name);
    });
  }

  /**
   * Removes a deleted (or failed) instance and its database for good. Purging what is already
   * gone is a no-op that reports `purged: false`.
   *
   * A purge is a durable intent (catalog migration 8): the row is leased and the intent
   * recorded (with every backup location the instance was written to) in one transaction;
   * then the purge marker goes into each location, the database is removed, and the row and
   * intent go together. A crash anywhere in between leaves the intent, which reconciliation
   * (start-up, `silo doctor`) finishes; meanwhile the name stays taken and the instance cannot
   * be undeleted.
   */
  purge(name: string, options: ActorOption = {}): Promise<{ purged: boolean }> {
    return this.#audited('purge', name, options, {}, () => this.#purges.purge(name, this.#audit.actorOf(options)));
  }

  /** Purges every instance deleted longer ago than the retention window. Failures are reported, and retried next run. */
  async purgeExpired(options: ActorOption = {}): Promise<PurgeExpiredReport> {
    const report: PurgeExpiredReport = { purged: [], failed: [] };
    for (const instance of this.expiredDeletions()) {
      try {
        await this.purge(instance.name, { actor: options.actor ?? 'retention' });
        report.purged.push(instance.name);
      } catch (error) {
        report.failed.push({ name: instance.name, error: errorMessage(error) });
      }
    }
    return report;
  }

  setDisplayName(name: string, displayName: string, options: ActorOption = {}): Promise<InstanceInfo> {
    // The entry keeps what was asked, cut at what a display name may hold: a refused name of a
    // form's 16 KB would otherwise be kept whole, and a flood of them fill the catalog.
    const asked = displayName.length > DISPLAY_NAME_MAX_LENGTH ? `${displayName.slice(0, DISPLAY_NAME_MAX_LENGTH)}…` : displayName;
    return this.#audited('rename', name, options, { displayName: asked }, async () => {
      const trimmed = validateDisplayName(displayName);
      const instance = this.#catalog.require(name);
      this.#catalog.setDisplayName(instance.id, trimmed);
      return this.#catalog.require(name);
    });
  }

  // ── Export ─────────────────────────────────────────────────────────────────────────────

  /** Writes a consistent single-file SQLite snapshot: the customer's own copy. */
  exportTo(name: string, destPath: string, options: ActorOption = {}): Promise<{ sizeBytes: number }> {
    return this.#audited('export', name, options, {}, async () => {
      assertOutsideFleetFolders(destPath, fleetFolders(this.settings));
      assertNoForeignWrites(destPath);
      const release = await this.#exports.acquire(this.#exportable(name).id);
      try {
        // Looked up again: the instance may have changed while this export waited its turn.
        const instance = this.#exportable(name);
        removeAbandonedTempsOf(destPath);
        await this.engine.snapshot(instance.dbUrl, destPath);
        return { sizeBytes: statSync(destPath).size };
      } finally {
        release();
      }
    });
  }

  /**
   * A snapshot as a stream (for HTTP downloads). The snapshot is staged inside the instance's
   * region, so the data never leaves its jurisdiction except to the requester, and removed
   * when the stream closes. At most EXPORTS_PER_INSTANCE exports of one instance are staged at
   * a time: the others wait their turn (in order) until an earlier one's stream has closed and
   * its staged copy is gone. A stream nobody reads or closes keeps its turn.
   */
  exportStream(name: string, options: ExportOptions = {}): Promise<ExportedFile> {
    const redact = options.redact ?? [];
    this.#assertOpen();
    this.#provisioner.retryUnmarkedFailures();
    // Its audit entry is written when the stream ends: `ok` once every byte was read, `error` if
    // it was closed before (a client that went away, Ctrl+C on `silo export -o -`).
    return this.#audit.runDelivered('export', name, options, redact.length > 0 ? { redacted: true } : {}, async () => {
      const release = await this.#exports.acquire(this.#exportable(name).id);
      const staging: string[] = [];
      try {
        // Looked up again: the instance may have changed while this export waited its turn.
        const instance = this.#exportable(name);
        const stagingDir = stagingDirOf(this.regions.get(instance.region));
        staging.push(tempSibling(path.join(stagingDir, `${instance.name}.export.db`)));
        await this.engine.snapshot(instance.dbUrl, staging[0] as string);
        if (redact.length > 0) {
          staging.push(tempSibling(path.join(stagingDir, `${instance.name}.export.db`)));
          await redactInto(staging[0] as string, staging[1] as string, redact);
        }
        const staged = staging.at(-1) as string;
        const { size } = statSync(staged);
        const stream = createReadStream(staged);
        // The turn is handed on once the staged copy is gone, not merely closed.
        stream.once('close', () => void removeStaged(staging).then(release));
        return { stream, fileName: `${instance.name}.sqlite`, sizeBytes: size };
      } catch (error) {
        await removeStaged(staging);
        release();
        throw error;
      }
    }, deliveredWhole);
  }

  // ── Migrations and queries ─────────────────────────────────────────────────────────────

  /** How far the fleet (or one jurisdiction of it) is from the latest schema. */
  migrationStatus(filter: { jurisdiction?: string } = {}): {
    latestVersion: number;
    behind: number;
    byVersion: { version: number; count: number }[];
    pending: { version: number; name: string; instances: number }[];
  } {
    const latest = this.schema.latestVersion;
    // Deleted instances count: an undelete serves them again, so they must be migrated too.
    const live: InstanceFilter = { state: ['ready', 'deleted'], ...(filter.jurisdiction === undefined ? {} : { jurisdiction: filter.jurisdiction }) };
    const byVersion = this.#catalog
      .countBy('schema_version', live)
      .map(({ key, count }) => ({ version: Number(key), count }));
    return {
      latestVersion: latest,
      behind: this.#catalog.count({ ...live, schemaBelow: latest }),
      byVersion,
      pending: this.schema.migrations.map((migration) => ({
        version: migration.version,
        name: migration.name,
        instances: this.#catalog.count({ ...live, schemaBelow: migration.version }),
      })).filter((entry) => entry.instances > 0),
    };
  }

  /** Migrates every matching instance. Never throws: see the per-instance results. */
  async migrateAll(options: MigrateAllOptions = {}): Promise<MigrateAllReport> {
    this.#assertOpen();
    const report = await migrateFleet(this.#catalog, this.engine, this.schema, options);
    // Usage, not the tenants' activity: a fleet-wide migration would make every tenant look active.
    if (!options.dryRun) await this.#provisioner.recordWrites(report.results.filter((r) => r.status === 'migrated').map((r) => r.instance), { active: false });
    this.#audit.record({
      actor: this.#audit.actorOf(options),
      operation: options.dryRun ? 'migrate-all (dry run)' : 'migrate-all',
      instance: null,
      outcome: report.failed > 0 || report.interrupted ? 'error' : 'ok',
      error: [report.failed > 0 ? `${report.failed} instance(s) failed` : '', report.interrupted ? 'interrupted before every instance was tried' : ''].filter(Boolean).join('; ') || null,
      detail: {
        ...(report.interrupted ? { interrupted: true } : {}),
        migrated: report.migrated,
        upToDate: report.upToDate,
        failed: report.failed,
        failedInstances: report.results.filter((r) => r.status === 'failed').slice(0, 50).map((r) => r.instance),
        durationMs: Math.round(report.durationMs),
      },
    });
    return report;
  }

  /**
   * Migrates one instance (a bulk action of the console): its own audit entry, unlike
   * migrateAll's one entry per run. A failed migration throws with the engine's message.
   */
  migrate(name: string, options: ActorOption = {}): Promise<InstanceMigrationResult> {
    return this.#audited('migrate', name, options, {}, async () => {
      const instance = this.#catalog.require(name);
      if (instance.state !== 'ready') throw new SiloError('INVALID_STATE', `Instance "${name}" is ${instance.state}; only ready instances are migrated.`);
      const report = await migrateFleet(this.#catalog, this.engine, this.schema, { filter: { names: [name] } });
      const result = report.results[0] ?? { instance: name, status: 'up-to-date', from: instance.schemaVersion, to: instance.schemaVersion, durationMs: 0 };
      if (result.status === 'failed') throw new SiloError('QUERY_FAILED', result.error ?? `Migrating "${name}" failed.`);
      if (result.status === 'migrated') await this.#provisioner.recordWrites([name], { active: false });
      return result;
    });
  }

  /** Moves instances from local files to Turso, resumably (see move/move-fleet.ts). Never throws for one instance. */
  moveInstances(options: MoveOptions): Promise<MoveReport> {
    this.#assertOpen();
    const context = { catalog: this.#catalog, engine: this.engine, regions: this.regions, schema: this.schema, importMaxBytes: this.settings.importMaxBytes };
    return moveFleet({ ...context, handles: this.#handles, audit: this.#audit }, options);
  }

  /**
   * Runs one statement against one instance, in a separate process so a runaway query is
   * stopped at the time limit. Writes need `readOnly: false` and are audited.
   */
  async query(name: string, sql: string, args?: SqlArgs, options: QueryOptions = {}): Promise<QueryResult> {
    this.#assertOpen();
    const readOnly = options.readOnly ?? true;
    const run = async (): Promise<QueryResult> => {
      stopIfQueryAborted(options.signal);
      const instance = this.#catalog.resolve(name);
      if (!instance || instance.state !== 'ready') throw instanceNotFound(name);
      return this.engine.query(instance.dbUrl, { sql, args, readOnly, limits: this.#limits(options.limits), script: !readOnly && options.script === true, signal: options.signal });
    };
    if (readOnly) return run();
    return this.#audited('query (write)', name, options, { ...options.auditDetail, sql: sql.slice(0, 2_000) }, async () => {
      const result = await run();
      await this.#provisioner.refreshMetrics(name);
      return result;
    });
  }

  /**
   * The same read-only statement across every matching ready instance, streamed per instance.
   * It reads every tenant at once, so each run is audited (who, the SQL, how many instances
   * answered or failed), also when the caller stops early.
   */
  async *queryAll(sql: string, options: QueryAllOptions = {}): AsyncGenerator<QueryAllEvent> {
    this.#assertOpen();
    const { signal } = options;
    stopIfQueryAborted(signal);
    const limits = this.#limits(options.limits);
    const instances = this.#catalog.each({ ...options.filter, state: 'ready' });
    // Enough queries in flight that no worker waits on a round trip: on local files what the
    // fleet-wide query processes take (SILO_FLEET_WORKERS, several queries per message), on
    // Turso a few HTTP requests per query worker.
    const concurrency = options.concurrency ?? this.engine.fleetWork?.queriesInFlight ?? this.settings.queryWorkers * 4;
    const tally = { ok: 0, failed: 0, refused: 0 };
    let finished = false;
    try {
      const events = mapUnordered(instances, concurrency, async (instance): Promise<QueryAllEvent> => {
        const started = performance.now();
        try {
          const result = await this.engine.query(instance.dbUrl, { sql, args: options.args, readOnly: true, limits, fleetWide: true, signal });
          tally.ok++;
          return { instance: instance.name, status: 'ok', ...result };
        } catch (error) {
          const code = error instanceof SiloError ? error.code : 'QUERY_FAILED';
          // Stopped with the run, not an instance that failed: the audit entry says it stopped early.
          if (code !== 'QUERY_ABORTED') tally.failed++;
          if (code === 'STATEMENT_REFUSED' || code === 'QUERY_READ_ONLY') tally.refused++;
          // A one-instance query's remedy (write mode) is none here: a fleet-wide query has no write mode.
          const message = code === 'QUERY_READ_ONLY' ? FLEET_QUERY_READS_ONLY : errorMessage(error);
          return { instance: instance.name, status: 'error', code, error: message, durationMs: performance.now() - started };
        }
      });
      for await (const event of events) {
        // Answers still coming in once the run is stopped are not given out: the run ends here.
        stopRunIfAborted(signal);
        yield event;
      }
      stopRunIfAborted(signal);
      finished = true;
    } finally {
      if (!this.#closed) {
        this.#audit.record({
          actor: this.#audit.actorOf(options),
          operation: 'query (fleet)',
          instance: null,
          detail: { sql: sql.slice(0, 2_000), filter: options.filter ?? {}, instances: tally.ok + tally.failed, ...tally, stoppedEarly: !finished },
          outcome: tally.failed === 0 ? 'ok' : 'error',
          error: tally.failed === 0 ? null : `${tally.failed} of ${tally.ok + tally.failed} instances failed${tally.refused > 0 ? ` (${tally.refused} refused the statement)` : ''}`,
        });
      }
    }
  }

  // ── Housekeeping ───────────────────────────────────────────────────────────────────────

  /**
   * Reconciles the catalog with the files: interrupted operations become failed (their files
   * removed), interrupted purges are finished, expired deletions are purged, and with
   * `scanFiles` leftovers are removed and orphans reported — orphan database files, and backup
   * sets of instances the catalog does not know that carry no purge marker (marked for removal
   * after `purgeAfterDays` with `markOrphanBackups`, audited).
   */
  async doctor(options: DoctorOptions & { purgeExpired?: boolean; markOrphanBackups?: boolean; actor?: string } = {}): Promise<DoctorReport> {
    this.#assertOpen();
    this.#provisioner.retryUnmarkedFailures();
    const context = {
      catalog: this.#catalog,
      engine: this.engine,
      regions: this.regions.all,
      provisioner: this.#provisioner,
      purges: this.#purges,
      latestVersion: this.schema.latestVersion,
      audit: this.#audit,
    };
    const report = await reconcile(context, options).catch((error: unknown) => {
      throw diskFullError(error, this.settings.dataDir);
    });
    if (options.scanFiles || options.deep || options.markOrphanBackups) {
      const scan = options.markOrphanBackups ? await this.backups.markOrphans({ actor: this.#audit.actorOf(options) }) : undefined;
      const found = scan ? { orphans: scan.marked, failures: scan.failures } : await this.backups.findOrphans();
      report.orphanBackups = found.orphans;
      report.orphanBackupsMarked = scan !== undefined;
      report.backupScanFailures = found.failures;
    }
    // The audit log's retention (SILO_AUDIT_RETENTION_DAYS): at start-up and with `silo doctor`.
    try {
      this.pruneAuditLog();
    } catch (error) {
      throw diskFullError(error, this.settings.dataDir);
    }
    if (options.purgeExpired ?? true) {
      const { purged, failed } = await this.purgeExpired();
      report.purgedExpired = purged;
      report.purgeFailures = failed;
    }
    for (const entry of report.interrupted) this.#handles.invalidate(entry.id);
    return report;
  }

  /**
   * Where every byte of every instance (or of `options.instance`) lives, judged by walking
   * every configured folder and backup location, with the residency checks: bytes in another
   * jurisdiction's place, orphans, jurisdictions sharing a filesystem (docs/sovereignty.md).
   */
  residency(options: ResidencyOptions = {}): Promise<ResidencyListing> {
    this.#assertOpen();
    if (options.instance !== undefined) this.#catalog.require(options.instance);
    return listResidency(this.#residencyParts(), options);
  }

  /** `residency()` written to `dir` as JSON and Markdown with its SHA-256; the audit log records who and the hash. */
  residencyReport(dir: string, options: ResidencyOptions & ActorOption = {}): Promise<WrittenReport & { listing: ResidencyListing }> {
    this.#assertOpen();
    if (options.instance !== undefined) this.#catalog.require(options.instance);
    return reportResidency(this.#residencyParts(), dir, { ...options, actor: this.#audit.actorOf(options) });
  }

  /** The same report as a document (for a download), audited the same way. */
  residencyReportDocument(options: ResidencyOptions & ActorOption = {}): Promise<ResidencyReportFile> {
    this.#assertOpen();
    if (options.instance !== undefined) this.#catalog.require(options.instance);
    return residencyDocument(this.#residencyParts(), { ...options, actor: this.#audit.actorOf(options) });
  }

  /**
   * Files and folders of the fleet that other users of the machine could read (anything but
   * 0700 folders and 0600 files), every level down; with `fix`, made owner-only.
   */
  checkPermissions(options: { fix?: boolean; depth?: number } = {}): PermissionReport & { roots: string[] } {
    const roots = fleetRoots(this.settings);
    return { ...checkPermissions(roots, options), roots };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#audit.close();
    if (this.backups.running) await this.backups.stop();
    await this.#touches.close();
    clearInterval(this.#tidying);
    this.#handles.closeAll();
    await this.engine.close();
    this.#catalog.close();
  }

  // ── Internals ──────────────────────────────────────────────────────────────────────────

  /** Runs a mutating operation with its audit entry (see AuditLog.run). */
  #audited<T>(operation: string, instance: string | null, options: ActorOption, detail: Record<string, unknown>, work: () => Promise<T>): Promise<T> {
    this.#assertOpen();
    this.#provisioner.retryUnmarkedFailures();
    return this.#audit.run(operation, instance, options, detail, work);
  }

  /**
   * `#audited` for an operation that makes an instance (create, clone, import): its `ok` entry
   * is committed with the ready row (AuditLog.runCommittedBy, handed to the provisioner). One
   * catalog write after the file exists, and no moment in which the instance is ready but its
   * entry missing: a retry after a crash (the API's Idempotency-Key) finds it, not a new one.
   */
  #auditedWithReady<T>(operation: string, instance: string, options: ActorOption, detail: Record<string, unknown>, work: (audit: AuditHandoff) => Promise<T>): Promise<T> {
    this.#assertOpen();
    this.#provisioner.retryUnmarkedFailures();
    return this.#audit.runCommittedBy(operation, instance, options, detail, work);
  }

  #residencyParts(): ResidencyParts {
    return { settings: this.settings, catalog: this.#catalog, audit: this.#audit };
  }

  #exportable(name: string): InstanceInfo {
    const instance = this.#catalog.require(name);
    if (instance.state !== 'ready' && instance.state !== 'deleted') {
      throw new SiloError('INVALID_STATE', `Instance "${name}" is ${instance.state}; there is no database to export.`);
    }
    return instance;
  }

  #cloneName(source: string): string {
    const base = `${source.slice(0, NAME_MAX_LENGTH - '-copy-999'.length)}-copy`;
    if (!this.#catalog.resolve(base)) return base;
    for (let n = 2; n < 1_000; n++) if (!this.#catalog.resolve(`${base}-${n}`)) return `${base}-${n}`;
    throw new SiloError('NAME_TAKEN', `Could not find a free name for a clone of "${source}"; pass one explicitly.`);
  }

  #limits(overrides: Partial<QueryLimits> = {}): QueryLimits {
    return { ...this.settings.query, ...overrides };
  }

  #assertOpen(): void {
    if (this.#closed) throw new SiloError('FLEET_CLOSED', 'This fleet has been closed; open a new one.');
  }
}

/** A fleet-wide run whose signal fired ends where it is (QueryAllOptions.signal). */
function stopRunIfAborted(signal: AbortSignal | undefined): void {
  stopIfQueryAborted(signal, 'The fleet-wide run ended there: the queries under way were stopped, and no other instance was queried.');
}

function instanceHandle(instance: InstanceInfo, lease: Lease<TenantConnection>): InstanceHandle {
  return { instance, db: lease.value, release: lease.release, [Symbol.dispose]: lease.release };
}

/** A file over the instance size cap is refused up front: it could never be written to. */
function refuseOverSizeLimit(name: string, sourcePath: string, maxBytes: number | undefined): void {
  if (maxBytes === undefined) return;
  let size: number;
  try {
    size = statSync(sourcePath).size;
  } catch {
    return; // The engine's checks name what is wrong with the file.
  }
  if (size > maxBytes) throw importOverSizeLimit(name, size, maxBytes);
}

/** An optional display name from the caller: absent or blank means "use the instance name". */
function optionalDisplayName(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : validateDisplayName(value);
}

/**
 * Opens the fleet. With no options it is the app's own: `silo.config.*` found from the
 * working folder up (or SILO_CONFIG), SILO_* variables over it, as the CLI reads it.
 */
export async function openFleet(options?: FleetOptions): Promise<Fleet> {
  return Fleet.open(options ?? (await loadSiloConfig()).fleet);
}

/** Settles when an export's stream has been read to its end, or fails when it closed before. */
function deliveredWhole({ stream, sizeBytes }: { readonly stream: ReadStream; readonly sizeBytes: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.once('end', resolve);
    // 'close' follows 'end' too; by then the promise has settled.
    stream.once('close', () => reject(new Error(`The download stopped after ${stream.bytesRead} of ${sizeBytes} bytes were read.`)));
  });
}

/**
 * The operations the fleet records in its audit log (`#audited` and AuditLog.run callers, the
 * backup scheduler, moves, residency reports, admin accounts and API tokens). A test checks that every one the code records is
 * listed, so a filter for one that has not happened yet is not taken for a typo.
 */
export const FLEET_AUDIT_OPERATIONS: readonly string[] = [
  'admin add',
  'admin disable',
  'admin enable',
  'admin remove',
  'admin reset-password',
  'admin sign-in',
  'backup',
  'backup-forget-location',
  'backup-mark-orphans',
  'backup-restore',
  'backup-retention',
  'backup-scheduler',
  'backup-undo',
  'backup-verify',
  'clone',
  'create',
  'delete',
  'export',
  'import',
  'migrate',
  'migrate-all',
  'migrate-all (dry run)',
  'move',
  'purge',
  'purge-unmarked-locations',
  'query (fleet)',
  'query (write)',
  'recover',
  'rename',
  'residency-report',
  'token create',
  'token revoke',
  'undelete',
];
