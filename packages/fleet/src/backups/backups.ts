import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import path from 'node:path';
import type { Catalog, InstanceInfo } from '../catalog/catalog';
import type { BackupStateRow, VerificationRecord } from '../catalog/backup-records';
import type { FleetSettings } from '../config';
import type { Engine } from '../engine';
import { LocalEngine } from '../engines/local-engine';
import { removeDatabaseFiles, tempSibling } from '../engines/local-files';
import { SiloError, errorMessage, instanceNotFound } from '../errors';
import { failpoint } from '../failpoints';
import { validateName } from '../names';
import { PROCESS_OWNER } from '../processes';
import { assertSameJurisdiction, type Regions } from '../regions';
import type { TenantSchema } from '../schema';
import { describeLocation, type BackupLocation } from './backup-config';
import {
  CATALOG_BASE,
  assemblePoint,
  corrupt,
  instanceBase,
  listPoints,
  pointKey,
  readManifest,
  writePoint,
  type PointManifest,
  type PointReason,
  type PointRef,
  type PointSubject,
} from './points';
import type {
  ActorOption,
  BackupOverview,
  BackupPoint,
  CycleReport,
  InstanceBackupStatus,
  RestoreOptions,
  RestoreResult,
  RetentionReport,
  VerificationReport,
} from './backup-types';
import { pointsToDrop } from './retention';
import { BackupScheduler } from './scheduler';
import { S3Store } from './s3-store';
import { integrityOf, migrateFile, readFacts } from './snapshot-file';
import { FolderStore, type BackupStore } from './store';

/** What the fleet lends its backups: its catalog, engine and the private steps of provisioning and auditing. */
export interface BackupHost {
  readonly catalog: Catalog;
  readonly engine: Engine;
  readonly regions: Regions;
  readonly settings: FleetSettings;
  readonly schema: TenantSchema;
  readonly clock: () => number;
  /** Who the audit log names when an operation does not say. */
  readonly actor: string;
  provision(
    entry: { name: string; displayName: string; jurisdiction: string; region: string; clonedFrom?: string },
    build: (url: string) => Promise<number>,
  ): Promise<InstanceInfo>;
  audited<T>(operation: string, instance: string | null, options: ActorOption, detail: Record<string, unknown>, work: () => Promise<T>): Promise<T>;
  invalidate(instanceId: string): void;
  /** A failed row left by a refused restore-as is dropped so the name stays free. */
  dropFailed(name: string): void;
}

/** Chunks unreferenced for this long are garbage (younger ones may belong to a point being written). */
const CHUNK_GRACE_MS = 60 * 60 * 1_000;
const RECORD_BATCH = 200;
/**
 * The catalog changes on almost every cycle (activity, the lease itself) and is read whole to
 * be chunked, so it is backed up at most this often; its RPO is this plus one cycle.
 */
const CATALOG_MIN_INTERVAL_MS = 60_000;

/**
 * Backups and point-in-time restore (ADR 0014). Changed instances are found by a stat of their
 * files, snapshotted under their write lock, and stored as deduplicated, compressed chunks in
 * the backup location of their region; a scheduler in one process at a time (a catalog lease)
 * does this every `intervalMs`.
 */
export class Backups {
  readonly #host: BackupHost;
  readonly #stores = new Map<string, BackupStore>();
  /** This fleet's name in leases: the process, plus a suffix for each fleet opened in it. */
  readonly #owner = `${PROCESS_OWNER}/${randomBytes(4).toString('hex')}`;
  readonly #scheduler: BackupScheduler;
  #catalogToken: string | undefined;
  #catalogBackedUpAt = Number.NEGATIVE_INFINITY;

  constructor(host: BackupHost) {
    this.#host = host;
    this.#scheduler = new BackupScheduler({
      records: host.catalog.backups,
      owner: this.#owner,
      settings: host.settings.backups,
      clock: host.clock,
      runCycle: () => this.runCycle(),
      applyRetention: () => this.applyRetention(),
      verify: () => this.verify({ actor: 'scheduler' }),
      lastVerifiedAt: () => this.lastVerification()?.at ?? 0,
    });
  }

  get #settings(): FleetSettings['backups'] {
    return this.#host.settings.backups;
  }

  // ── Reading ─────────────────────────────────────────────────────────────────────────────

  async status(name: string): Promise<InstanceBackupStatus> {
    const instance = this.#instance(name);
    const row = this.#host.catalog.backups.stateOf(instance.id);
    const store = this.#storeFor(instance);
    const points = await listPoints(store, instanceBase(instance.id));
    const token = instance.state === 'ready' ? this.#host.engine.backups?.changeToken(instance.dbUrl) : undefined;
    const pending = token !== undefined && token !== row?.changeToken;
    const now = this.#host.clock();
    const [lastVerification] = this.#host.catalog.backups.verifications({ instance: instance.name, limit: 1 });
    return {
      instance: instance.name,
      state: instance.state,
      jurisdiction: instance.jurisdiction,
      region: instance.region,
      location: store.description,
      lastBackupAt: row?.lastBackupAt ?? null,
      lastPointId: row?.lastPointId ?? null,
      lastAttemptAt: row?.lastAttemptAt ?? null,
      lastError: row?.lastError ?? null,
      failures: row?.failures ?? 0,
      pending,
      lagMs: pending ? Math.max(0, now - (row?.lastBackupAt ?? instance.createdAt)) : 0,
      points: points.length,
      oldestPointAt: points[0]?.takenAt ?? null,
      lastVerification: lastVerification ?? null,
    };
  }

  /** Points of an instance, newest first. `details` reads each listed manifest for sizes. */
  async list(name: string, options: { limit?: number; details?: boolean } = {}): Promise<BackupPoint[]> {
    const instance = this.#instance(name);
    const store = this.#storeFor(instance);
    const base = instanceBase(instance.id);
    const refs = (await listPoints(store, base)).reverse().slice(0, options.limit ?? 100);
    if (!options.details) return refs.map((ref) => pointOf(ref));
    return Promise.all(
      refs.map(async (ref) => {
        try {
          return pointOf(ref, await readManifest(store, base, ref.id));
        } catch {
          return pointOf(ref);
        }
      }),
    );
  }

  /** The catalog's own points (metadata only), newest first. */
  async catalogPoints(options: { limit?: number } = {}): Promise<BackupPoint[]> {
    return (await listPoints(this.#catalogStore(), CATALOG_BASE)).reverse().slice(0, options.limit ?? 100).map((ref) => pointOf(ref));
  }

  lastVerification(): VerificationReport | null {
    const results = this.#host.catalog.backups.lastVerificationRun();
    const first = results[0];
    if (!first) return null;
    return { runId: first.runId, at: first.at, checked: results.length, failed: results.filter((r) => !r.ok).length, results };
  }

  overview(): BackupOverview {
    const rows = this.#host.catalog.backups.states(['ready']);
    const lease = this.#scheduler.liveLease();
    const backedUp = rows.filter((row) => row.lastBackupAt !== null);
    return {
      enabled: this.#settings.enabled,
      intervalMs: this.#settings.intervalMs,
      scheduler: lease
        ? { owner: lease.owner, since: lease.acquiredAt, expiresAt: lease.expiresAt, lastCycle: (lease.detail?.['lastCycle'] as CycleReport | undefined) ?? null }
        : null,
      instances: rows.length,
      backedUp: backedUp.length,
      neverBackedUp: rows.length - backedUp.length,
      oldestLastBackupAt: backedUp.reduce<number | null>((oldest, row) => (oldest === null || (row.lastBackupAt ?? 0) < oldest ? row.lastBackupAt : oldest), null),
      failing: rows
        .filter((row) => row.lastError !== null)
        .sort((a, b) => (b.lastAttemptAt ?? 0) - (a.lastAttemptAt ?? 0))
        .slice(0, 100)
        .map((row) => ({ instance: row.name, error: row.lastError ?? '', failures: row.failures, lastAttemptAt: row.lastAttemptAt, lastBackupAt: row.lastBackupAt })),
      lastVerification: this.lastVerification(),
      locations: [...this.#settings.locations].map(([region, location]) => ({ region, jurisdiction: location.jurisdiction, location: describeLocation(location) })),
    };
  }

  // ── Taking backups ──────────────────────────────────────────────────────────────────────

  /** Backs the instance up now, changed or not. */
  now(name: string, options: ActorOption = {}): Promise<BackupPoint> {
    return this.#host.audited('backup', name, options, {}, async () => {
      const instance = this.#instance(name);
      if (instance.state !== 'ready') throw new SiloError('INVALID_STATE', `Instance "${name}" is ${instance.state}; only ready instances are backed up.`);
      const at = this.#host.clock();
      try {
        const { manifest, changeToken } = await this.#backupInstance(instance, 'manual');
        this.#host.catalog.backups.recordAttempts([{ instanceId: instance.id, at, ok: true, pointId: manifest.id, changeToken }]);
        return pointOf(manifest, manifest);
      } catch (error) {
        this.#host.catalog.backups.recordAttempts([{ instanceId: instance.id, at, ok: false, error: errorMessage(error) }]);
        throw error;
      }
    });
  }

  /**
   * One pass of the scheduler: back up the catalog if it changed, find instances whose files
   * changed since their last point (a stat each), and back those up. Never throws for one
   * instance: failures are recorded on the instance and shown in the overview.
   */
  async runCycle(): Promise<CycleReport> {
    const started = performance.now();
    const at = this.#host.clock();
    const support = this.#host.engine.backups;
    let catalogBackedUp = false;
    let catalogError: string | undefined;
    try {
      catalogBackedUp = await this.#backupCatalogIfChanged();
    } catch (error) {
      // Retried next cycle; tenant backups must not wait on it. The cycle report shows it.
      catalogError = errorMessage(error);
    }
    const scanStarted = performance.now();
    const rows = this.#host.catalog.backups.states(['ready']);
    const changed: { row: BackupStateRow }[] = [];
    if (support) {
      for (const row of rows) {
        const token = support.changeToken(row.dbUrl);
        if (token !== undefined && token !== row.changeToken) changed.push({ row });
      }
    }
    const scanMs = performance.now() - scanStarted;
    let backedUp = 0;
    let failed = 0;
    let records: Parameters<Catalog['backups']['recordAttempts']>[0][number][] = [];
    const flush = (): void => {
      this.#host.catalog.backups.recordAttempts(records);
      records = [];
    };
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < changed.length) {
        const item = changed[next++];
        if (!item) return;
        const attemptAt = this.#host.clock();
        try {
          const { manifest, changeToken } = await this.#backupInstance(instanceOf(item.row), 'scheduled');
          records.push({ instanceId: item.row.instanceId, at: attemptAt, ok: true, pointId: manifest.id, changeToken });
          backedUp++;
        } catch (error) {
          records.push({ instanceId: item.row.instanceId, at: attemptAt, ok: false, error: errorMessage(error) });
          failed++;
        }
        if (records.length >= RECORD_BATCH) flush();
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#settings.concurrency, changed.length) }, worker));
    flush();
    return {
      at,
      scanned: rows.length,
      changed: changed.length,
      backedUp,
      failed,
      catalogBackedUp,
      ...(catalogError ? { catalogError } : {}),
      scanMs,
      durationMs: performance.now() - started,
    };
  }

  // ── Restoring ───────────────────────────────────────────────────────────────────────────

  /**
   * Restores the newest point taken at or before `at`: as a new instance (`as`), or in place
   * (`inPlace`, keeping the replaced state as an undo point). A damaged point is refused with
   * BACKUP_CORRUPT; nothing is created or replaced from it.
   */
  restore(name: string, options: RestoreOptions): Promise<RestoreResult> {
    const at = toTime(options.at);
    const detail = { at: Number.isFinite(at) ? new Date(at).toISOString() : String(options.at), as: options.as, inPlace: options.inPlace ?? false };
    return this.#host.audited('backup-restore', name, options, detail, async () => {
      if (!Number.isFinite(at)) throw new SiloError('INVALID_INPUT', 'The restore time is not a valid date.');
      if ((options.as === undefined) === !options.inPlace) {
        throw new SiloError('INVALID_INPUT', 'Say how to restore: as a new instance (`as`) or in place (`inPlace`), not both.');
      }
      const instance = this.#instance(name);
      const store = this.#storeFor(instance);
      const base = instanceBase(instance.id);
      const ref = (await listPoints(store, base)).filter((point) => point.takenAt <= at).at(-1);
      if (!ref) {
        throw new SiloError('BACKUP_NOT_FOUND', `"${name}" has no backup point at or before ${new Date(at).toISOString()}. See \`silo backup list ${name}\`.`, {
          details: { name, at },
        });
      }
      const manifest = await readManifest(store, base, ref.id);
      return options.as !== undefined
        ? this.#restoreAsNew(instance, manifest, options.as, options.region)
        : this.#restoreInPlace(instance, manifest);
    });
  }

  /** Goes back to the state the last in-place restore replaced (or to the undo point named). */
  undoRestore(name: string, options: ActorOption & { point?: string } = {}): Promise<RestoreResult> {
    return this.#host.audited('backup-undo', name, options, { point: options.point }, async () => {
      const instance = this.#instance(name);
      const store = this.#storeFor(instance);
      const base = instanceBase(instance.id);
      const points = await listPoints(store, base);
      const ref = options.point ? points.find((point) => point.id === options.point) : points.filter((point) => point.reason === 'undo').at(-1);
      if (!ref) {
        throw new SiloError('BACKUP_NOT_FOUND', options.point ? `"${name}" has no backup point ${options.point}.` : `"${name}" has no in-place restore to undo.`);
      }
      return this.#restoreInPlace(instance, await readManifest(store, base, ref.id));
    });
  }

  /**
   * The catalog as it was at `at`, written to `destPath` (for disaster recovery: stop Silo,
   * then put the file in place of catalog.db).
   */
  async restoreCatalog(at: Date | number, destPath: string): Promise<BackupPoint> {
    const time = toTime(at);
    if (existsSync(destPath)) throw new SiloError('INVALID_INPUT', `${destPath} exists; give a new file name (the live catalog is never overwritten from here).`);
    const store = this.#catalogStore();
    const ref = (await listPoints(store, CATALOG_BASE)).filter((point) => point.takenAt <= time).at(-1);
    if (!ref) throw new SiloError('BACKUP_NOT_FOUND', `The catalog has no backup point at or before ${new Date(time).toISOString()}.`);
    const manifest = await readManifest(store, CATALOG_BASE, ref.id);
    const staged = tempSibling(path.resolve(destPath));
    try {
      await this.#rebuild(store, CATALOG_BASE, manifest, staged);
      renameSync(staged, destPath);
    } finally {
      removeDatabaseFiles(staged);
    }
    return pointOf(ref, manifest);
  }

  // ── Verification and retention ──────────────────────────────────────────────────────────

  /**
   * Restores the latest point of a sample of instances to a temporary file, runs SQLite's
   * integrity check and compares row counts with those recorded when the point was taken.
   */
  async verify(options: ActorOption & { sample?: number; instances?: readonly string[] } = {}): Promise<VerificationReport> {
    const runId = randomUUID();
    const rows = options.instances
      ? options.instances.map((name) => {
          const row = this.#host.catalog.backups.stateOf(this.#instance(name).id);
          if (!row) throw instanceNotFound(name);
          return row;
        })
      : this.#host.catalog.backups.verificationSample(options.sample ?? this.#settings.verifySample);
    const at = this.#host.clock();
    const results: (VerificationRecord & { instanceId: string })[] = [];
    for (const row of rows) {
      const started = performance.now();
      let pointId: string | null = row.lastPointId;
      let problems: string[];
      try {
        const instance = instanceOf(row);
        const store = this.#storeFor(instance);
        const base = instanceBase(row.instanceId);
        pointId = pointId ?? (await listPoints(store, base)).at(-1)?.id ?? null;
        if (!pointId) throw new SiloError('BACKUP_NOT_FOUND', 'it has no backup point yet');
        problems = await this.#checkPoint(store, base, await readManifest(store, base, pointId), instance);
      } catch (error) {
        problems = [errorMessage(error)];
      }
      results.push({ runId, at, instance: row.name, instanceId: row.instanceId, pointId, ok: problems.length === 0, problems, durationMs: performance.now() - started });
    }
    this.#host.catalog.backups.recordVerifications(results);
    const failures = results.filter((result) => !result.ok);
    // Not thrown: a failed check is a finding to report, and the report names each problem.
    this.#host.catalog.appendAudit({
      actor: options.actor ?? this.#host.actor,
      operation: 'backup-verify',
      instance: null,
      outcome: failures.length > 0 ? 'error' : 'ok',
      error: failures.length > 0 ? `${failures.length} backup(s) failed verification: ${failures.slice(0, 10).map((r) => r.instance).join(', ')}` : null,
      detail: { runId, checked: results.length, failed: failures.map((r) => ({ instance: r.instance, pointId: r.pointId, problems: r.problems.slice(0, 3) })).slice(0, 20) },
    });
    return { runId, at, checked: results.length, failed: failures.length, results: results.map(({ instanceId: _id, ...record }) => record) };
  }

  /**
   * Thins points by the retention policy, removes chunks no point references, removes the
   * backups of instances purged longer ago than `purgeAfterDays`, and sweeps temp leftovers.
   */
  async applyRetention(options: ActorOption = {}): Promise<RetentionReport> {
    const now = this.#host.clock();
    const policy = this.#settings.retention;
    let pointsRemoved = 0;
    let chunksRemoved = 0;
    let leftoversRemoved = 0;
    const instancesRemoved: string[] = [];
    const thin = async (store: BackupStore, base: string): Promise<void> => {
      const points = await listPoints(store, base);
      const drop = pointsToDrop(points, now, policy);
      if (drop.length === 0) return;
      await store.delete(drop.map((point) => pointKey(base, point.id)));
      pointsRemoved += drop.length;
      chunksRemoved += await this.#collectGarbage(store, base);
    };
    for (const store of this.#allStores()) {
      leftoversRemoved += await store.sweepLeftovers('');
      for (const instanceId of await store.children('instances/')) {
        const base = instanceBase(instanceId);
        const marker = await store.get(`${base}/purged.json`);
        if (marker) {
          const { purgedAt, name } = JSON.parse(marker.toString('utf8')) as { purgedAt: number; name: string };
          if (purgedAt + policy.purgeAfterMs <= now) {
            const keys = (await store.list(`${base}/`)).map((object) => object.key);
            // The marker goes last, so an interrupted removal is finished next time.
            await store.delete(keys.filter((key) => !key.endsWith('/purged.json')));
            await store.delete([`${base}/purged.json`]);
            instancesRemoved.push(name);
            continue;
          }
        }
        await thin(store, base);
      }
    }
    await thin(this.#catalogStore(), CATALOG_BASE);
    // Snapshots of the catalog a killed process was staging.
    leftoversRemoved += await new FolderStore(path.join(this.#host.settings.dataDir, 'staging')).sweepLeftovers('');
    const report = { pointsRemoved, chunksRemoved, instancesRemoved, leftoversRemoved };
    if (pointsRemoved > 0 || instancesRemoved.length > 0) {
      await this.#host.audited('backup-retention', null, { actor: options.actor ?? 'retention' }, { ...report, instancesRemoved: instancesRemoved.slice(0, 50) }, async () => report);
    }
    return report;
  }

  /**
   * Called by purge: marks the instance's backups for removal after `purgeAfterDays`. The
   * marker lives in the location itself, so the removal happens even if the catalog is lost.
   */
  async markPurged(instance: InstanceInfo): Promise<void> {
    const store = this.#storeFor(instance);
    const base = instanceBase(instance.id);
    // Anything stored (even chunks of an interrupted first backup) gets the marker, so it goes too.
    if ((await store.list(`${base}/`)).length === 0) return;
    const marker = { name: instance.name, purgedAt: this.#host.clock() };
    await store.putAll([{ key: `${base}/purged.json`, data: Buffer.from(JSON.stringify(marker)) }]);
  }

  // ── The scheduler ───────────────────────────────────────────────────────────────────────

  /**
   * Starts the scheduler in this process (unless backups are off). Many processes may call it:
   * a catalog lease lets one of them work at a time, and another takes over when it stops or
   * dies. `fleet.close()` stops it.
   */
  start(options: { onCycle?: (cycle: CycleReport) => void } = {}): void {
    // SILO_BACKUPS=off: no scheduler (a manual `backup now` still works).
    if (this.#settings.enabled) this.#scheduler.start(options.onCycle);
  }

  /** Stops the scheduler after the running cycle and hands the lease back. */
  stop(): Promise<void> {
    return this.#scheduler.stop();
  }

  get running(): boolean {
    return this.#scheduler.running;
  }

  /**
   * One scheduler tick (exposed for tests and `silo backup run --once`): take or renew the
   * lease, and if this fleet holds it, run a cycle and whatever retention and verification are
   * due. Returns the cycle, or undefined when another process holds the lease.
   */
  tick(): Promise<CycleReport | undefined> {
    return this.#scheduler.tick();
  }

  // ── Internals ───────────────────────────────────────────────────────────────────────────

  async #backupInstance(instance: InstanceInfo, reason: PointReason): Promise<{ manifest: PointManifest; changeToken: string }> {
    const support = this.#host.engine.backups;
    if (!support) throw new SiloError('BACKUP_FAILED', `The ${this.#host.engine.kind} engine keeps its own backups; Silo does not back its databases up.`);
    const store = this.#storeFor(instance);
    const base = instanceBase(instance.id);
    const region = this.#host.regions.get(instance.region);
    const staged = tempSibling(path.join(this.#host.engine.stagingDir(region), `${instance.name}.backup.db`));
    try {
      // Every commit before this moment is in the snapshot taken next.
      const takenAt = this.#host.clock();
      const { changeToken } = await support.snapshot(instance.dbUrl, staged);
      const facts = readFacts(staged);
      const lastPointId = this.#host.catalog.backups.stateOf(instance.id)?.lastPointId;
      const previous = lastPointId ? await readManifest(store, base, lastPointId).catch(() => undefined) : undefined;
      const manifest = await writePoint({
        store,
        base,
        file: staged,
        subject: { kind: 'instance', instanceId: instance.id, name: instance.name, jurisdiction: instance.jurisdiction, region: instance.region },
        takenAt,
        reason,
        schemaVersion: facts.schemaVersion,
        tables: facts.tables,
        knownChunks: new Set(previous?.chunks ?? []),
      });
      return { manifest, changeToken };
    } finally {
      removeDatabaseFiles(staged);
    }
  }

  async #backupCatalogIfChanged(): Promise<boolean> {
    const file = this.#host.catalog.file;
    const token = LocalEngine.changeTokenOf(file);
    if (token === undefined || token === this.#catalogToken) return false;
    if (this.#host.clock() - this.#catalogBackedUpAt < CATALOG_MIN_INTERVAL_MS) return false;
    const stagingDir = path.join(this.#host.settings.dataDir, 'staging');
    mkdirSync(stagingDir, { recursive: true });
    const staged = tempSibling(path.join(stagingDir, 'catalog.backup.db'));
    const store = this.#catalogStore();
    try {
      const takenAt = this.#host.clock();
      const changeToken = await LocalEngine.copyConsistently(file, staged);
      const facts = readFacts(staged);
      const previous = (await listPoints(store, CATALOG_BASE)).at(-1);
      const known = previous ? await readManifest(store, CATALOG_BASE, previous.id).catch(() => undefined) : undefined;
      const subject: PointSubject = { kind: 'catalog', name: 'catalog' };
      await writePoint({
        store,
        base: CATALOG_BASE,
        file: staged,
        subject,
        takenAt,
        reason: 'scheduled',
        schemaVersion: facts.schemaVersion,
        tables: facts.tables,
        knownChunks: new Set(known?.chunks ?? []),
      });
      this.#catalogToken = changeToken;
      this.#catalogBackedUpAt = takenAt;
      return true;
    } finally {
      removeDatabaseFiles(staged);
    }
  }

  async #restoreAsNew(source: InstanceInfo, manifest: PointManifest, newName: string, regionId: string | undefined): Promise<RestoreResult> {
    validateName(newName);
    const region = this.#host.regions.get(regionId ?? source.region);
    assertSameJurisdiction(region, source.jurisdiction, 'restored');
    const store = this.#storeFor(source);
    const staged = tempSibling(path.join(this.#host.engine.stagingDir(region), `${newName}.restore.db`));
    let refused = false;
    try {
      await this.#rebuild(store, instanceBase(source.id), manifest, staged);
      const instance = await this.#host.provision(
        {
          name: newName,
          displayName: `${source.displayName} (${new Date(manifest.takenAt).toISOString()})`,
          jurisdiction: source.jurisdiction,
          region: region.id,
          clonedFrom: source.id,
        },
        async (url) => {
          try {
            return (await this.#host.engine.importFile(staged, url, this.#host.schema, Number.MAX_SAFE_INTEGER)).toVersion;
          } catch (error) {
            refused = true;
            throw error;
          }
        },
      );
      return { mode: 'new-instance', instance, point: pointOf(manifest, manifest) };
    } finally {
      removeDatabaseFiles(staged);
      if (refused) this.#host.dropFailed(newName);
    }
  }

  async #restoreInPlace(instance: InstanceInfo, manifest: PointManifest): Promise<RestoreResult> {
    if (instance.state !== 'ready') {
      throw new SiloError('INVALID_STATE', `Instance "${instance.name}" is ${instance.state}; restore it in place once it is ready, or restore it as a new instance.`);
    }
    const support = this.#host.engine.backups;
    if (!support) throw new SiloError('BACKUP_FAILED', `The ${this.#host.engine.kind} engine keeps its own backups.`);
    const lease = `restore:${instance.id}`;
    if (!this.#host.catalog.backups.acquireLease(lease, this.#owner, 10 * 60 * 1_000, this.#host.clock())) {
      throw new SiloError('INVALID_STATE', `Another restore of "${instance.name}" is running; try again when it is done.`);
    }
    const store = this.#storeFor(instance);
    const region = this.#host.regions.get(instance.region);
    const staged = tempSibling(path.join(this.#host.engine.stagingDir(region), `${instance.name}.restore.db`));
    try {
      await this.#rebuild(store, instanceBase(instance.id), manifest, staged);
      if (manifest.schemaVersion > this.#host.schema.latestVersion) {
        throw new SiloError('INVALID_STATE', `Backup point ${manifest.id} is at schema version ${manifest.schemaVersion}, newer than this code's ${this.#host.schema.latestVersion}; upgrade Silo first.`);
      }
      const { to } = migrateFile(staged, this.#host.schema);
      // The state being replaced becomes a point of its own: the undo.
      const undo = await this.#backupInstance(instance, 'undo');
      failpoint('restore:before-swap');
      await support.replaceContent(instance.dbUrl, staged);
      this.#host.invalidate(instance.id);
      this.#host.catalog.setSchemaVersions([{ id: instance.id, schemaVersion: to, sizeBytes: await this.#host.engine.sizeOf(instance.dbUrl) }]);
      // The files changed: the next cycle stores the restored state as the newest point.
      this.#host.catalog.backups.invalidateToken(instance.id);
      return {
        mode: 'in-place',
        instance: this.#host.catalog.require(instance.name),
        point: pointOf(manifest, manifest),
        undoPoint: pointOf(undo.manifest, undo.manifest),
      };
    } finally {
      removeDatabaseFiles(staged);
      this.#host.catalog.backups.releaseLease(lease, this.#owner);
    }
  }

  /** Rebuilds a point into `staged`, refusing it unless every checksum and SQLite's integrity check pass. */
  async #rebuild(store: BackupStore, base: string, manifest: PointManifest, staged: string): Promise<void> {
    mkdirSync(path.dirname(staged), { recursive: true });
    await assemblePoint(store, base, manifest, staged);
    const problems = integrityOf(staged);
    if (problems.length > 0) throw corrupt(manifest.id, `SQLite's integrity check failed: ${problems.slice(0, 3).join('; ')}`);
  }

  async #checkPoint(store: BackupStore, base: string, manifest: PointManifest, instance: InstanceInfo): Promise<string[]> {
    const region = this.#host.regions.get(instance.region);
    const staged = tempSibling(path.join(this.#host.engine.stagingDir(region), `${instance.name}.verify.db`));
    try {
      await this.#rebuild(store, base, manifest, staged);
      const { tables } = readFacts(staged);
      const problems: string[] = [];
      for (const [table, expected] of Object.entries(manifest.tables)) {
        const actual = tables[table];
        if (actual !== expected) problems.push(`table ${table}: ${actual ?? 'missing'} rows restored, ${expected} recorded`);
      }
      return problems;
    } finally {
      removeDatabaseFiles(staged);
    }
  }

  /** Deletes chunks no remaining point of `base` references (and that are old enough not to be in flight). */
  async #collectGarbage(store: BackupStore, base: string): Promise<number> {
    const referenced = new Set<string>();
    for (const point of await listPoints(store, base)) {
      const manifest = await readManifest(store, base, point.id).catch(() => undefined);
      if (!manifest) return 0; // An unreadable manifest: keep every chunk rather than guess.
      for (const hash of manifest.chunks) referenced.add(hash);
    }
    const cutoff = Date.now() - CHUNK_GRACE_MS;
    const garbage = (await store.list(`${base}/chunks/`))
      .filter((object) => !referenced.has(object.key.slice(`${base}/chunks/`.length)) && object.modifiedAt < cutoff)
      .map((object) => object.key);
    await store.delete(garbage);
    return garbage.length;
  }

  #instance(name: string): InstanceInfo {
    const instance = this.#host.catalog.resolve(name);
    if (!instance || (instance.state !== 'ready' && instance.state !== 'deleted')) throw instanceNotFound(name);
    return instance;
  }

  /**
   * The store of the instance's region, after checking that the location is in the instance's
   * jurisdiction: the rule is enforced on every use, not only at configuration.
   */
  #storeFor(instance: Pick<InstanceInfo, 'region' | 'jurisdiction' | 'name'>): BackupStore {
    const region = this.#host.regions.get(instance.region);
    const location = this.#settings.locations.get(region.id);
    if (!location) throw new SiloError('CONFIG_INVALID', `Region "${region.id}" has no backup location.`);
    if (location.jurisdiction !== instance.jurisdiction || region.jurisdiction !== instance.jurisdiction) {
      throw new SiloError(
        'JURISDICTION_VIOLATION',
        `Backups of "${instance.name}" (jurisdiction "${instance.jurisdiction}") cannot be kept in ${describeLocation(location)} (jurisdiction "${location.jurisdiction}").`,
        { details: { instance: instance.name, jurisdiction: instance.jurisdiction, location: location.jurisdiction } },
      );
    }
    return this.#store(`region:${region.id}`, location);
  }

  #catalogStore(): BackupStore {
    return this.#store('catalog', this.#settings.catalogLocation);
  }

  #allStores(): BackupStore[] {
    return [...this.#settings.locations].map(([regionId, location]) => this.#store(`region:${regionId}`, location));
  }

  #store(key: string, location: BackupLocation): BackupStore {
    let store = this.#stores.get(key);
    if (!store) {
      store = location.kind === 'folder' ? new FolderStore(location.path) : new S3Store(location);
      this.#stores.set(key, store);
    }
    return store;
  }
}

function pointOf(ref: PointRef, manifest?: PointManifest): BackupPoint {
  return manifest
    ? { id: ref.id, takenAt: ref.takenAt, reason: ref.reason, sizeBytes: manifest.sizeBytes, storedBytes: manifest.storedBytes, schemaVersion: manifest.schemaVersion }
    : { id: ref.id, takenAt: ref.takenAt, reason: ref.reason };
}

function toTime(at: Date | number): number {
  return at instanceof Date ? at.getTime() : at;
}

/** The fields of an instance the backup steps need, from a summary row. */
function instanceOf(row: BackupStateRow): InstanceInfo {
  return {
    id: row.instanceId,
    name: row.name,
    displayName: row.name,
    state: row.state as InstanceInfo['state'],
    jurisdiction: row.jurisdiction,
    region: row.region,
    engine: '',
    dbUrl: row.dbUrl,
    schemaVersion: 0,
    sizeBytes: 0,
    clonedFrom: null,
    createdAt: 0,
    updatedAt: 0,
    lastActiveAt: null,
    deletedAt: null,
    error: null,
    metrics: {},
  };
}

