import { randomBytes } from 'node:crypto';
import type { InstanceInfo, PurgeIntent } from '../catalog/catalog';
import { SiloError, errorMessage } from '../errors';
import { PROCESS_OWNER } from '../processes';
import type { BackupHost } from './backup-context';
import { BackupCycle } from './backup-cycle';
import { BackupStatus } from './backup-status';
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
import { OrphanBackups, type OrphanBackupSet, type OrphanScan } from './orphans';
import { Restorer, restoreCatalog } from './restore';
import { Retention, type MarkReport } from './retention';
import { BackupScheduler } from './scheduler';
import { BackupStores } from './stores';
import { CatalogBackup, PointTaker } from './take-point';
import { LeftoverSweep } from './leftovers';
import { Verifier, type VerifyOptions } from './verification';

export type { BackupHost } from './backup-context';

/**
 * Backups and point-in-time restore (ADR 0014). Changed instances are found by a stat of their
 * files, snapshotted under their write lock, and stored as deduplicated, compressed chunks in
 * the backup location of their region; a scheduler in one process at a time (a catalog lease)
 * does this every `intervalMs`.
 *
 * Each job is a class of its own with the parts it works with (the fleet's, as `BackupHost`,
 * and the stores): `BackupCycle` and `PointTaker` take points, `Restorer` restores,
 * `Verifier`, `Retention` and `OrphanBackups` look after what is stored, `BackupStatus` reads.
 * This class builds them once and is the face the fleet, the CLI and the consoles use.
 */
export class Backups {
  readonly #host: BackupHost;
  readonly #stores: BackupStores;
  readonly #cycle: BackupCycle;
  readonly #restorer: Restorer;
  readonly #verifier: Verifier;
  readonly #retention: Retention;
  readonly #orphans: OrphanBackups;
  readonly #status: BackupStatus;
  readonly #scheduler: BackupScheduler;

  constructor(host: BackupHost) {
    const stores = new BackupStores(host);
    // This fleet's name in leases: the process, plus a suffix for each fleet opened in it.
    const owner = `${PROCESS_OWNER}/${randomBytes(4).toString('hex')}`;
    // One for every kind of point this fleet takes: each prefix of a store is swept once.
    const leftovers = new LeftoverSweep();
    const taker = new PointTaker(host, stores, leftovers);
    this.#host = host;
    this.#stores = stores;
    this.#cycle = new BackupCycle(host, stores, taker, new CatalogBackup(host, stores, leftovers));
    this.#restorer = new Restorer(host, stores, taker, owner);
    this.#verifier = new Verifier(host, stores);
    this.#retention = new Retention(host, stores);
    this.#orphans = new OrphanBackups(host, stores);
    this.#status = new BackupStatus(host, stores, this.#cycle.unrecorded);
    this.#scheduler = new BackupScheduler({
      records: host.catalog.backups,
      owner,
      settings: host.settings.backups,
      clock: host.clock,
      runCycle: () => this.runCycle(),
      applyRetention: () => this.applyRetention(),
      verify: () => this.verify({ actor: 'scheduler' }),
      lastVerifiedAt: () => this.lastVerification()?.at ?? 0,
      recordFailure: (error) => recordSchedulerFailure(host, error),
    });
  }

  // ── Reading ─────────────────────────────────────────────────────────────────────────────

  status(name: string): Promise<InstanceBackupStatus> {
    return this.#status.status(name);
  }

  /** Points of an instance, newest first. `details` reads each listed manifest for sizes. */
  list(name: string, options: { limit?: number; details?: boolean } = {}): Promise<BackupPoint[]> {
    return this.#status.list(name, options);
  }

  /** The catalog's own points (metadata only), newest first. */
  catalogPoints(options: { limit?: number } = {}): Promise<BackupPoint[]> {
    return this.#status.catalogPoints(options);
  }

  lastVerification(): VerificationReport | null {
    return this.#status.lastVerification();
  }

  overview(): BackupOverview {
    return this.#status.overview(this.#scheduler.liveLease());
  }

  /**
   * Whether a live process runs the scheduler and the last cycle it finished: one catalog row,
   * cheap enough for every metrics scrape and readiness probe (overview reads every instance).
   */
  schedulerState(): { readonly running: boolean; readonly lastCycle: CycleReport | null } {
    const lease = this.#scheduler.liveLease();
    return { running: lease !== undefined, lastCycle: (lease?.detail?.['lastCycle'] as CycleReport | undefined) ?? null };
  }

  /**
   * Stops naming a location that is no longer configured (once its contents were moved or
   * deleted; a folder that is gone or empty is not named anyway).
   */
  forgetLocation(location: string, options: ActorOption = {}): Promise<void> {
    return this.#host.audit.run('backup-forget-location', null, options, { location }, async () => {
      if (this.#stores.describeConfigured().has(location)) {
        throw new SiloError('INVALID_INPUT', `${location} is a configured backup location; only one that is no longer configured can be forgotten.`);
      }
      if (!this.#host.catalog.backups.forgetLocation(location)) {
        throw new SiloError('INVALID_INPUT', `No backups were ever written to ${location}; \`silo backup status\` names the ones that were.`);
      }
    });
  }

  // ── Taking backups ──────────────────────────────────────────────────────────────────────

  /** Backs the instance up now, changed or not. */
  now(name: string, options: ActorOption = {}): Promise<BackupPoint> {
    return this.#cycle.now(name, options);
  }

  /** One pass of the scheduler: the catalog if it changed, then every changed instance. Never throws for one instance. */
  runCycle(): Promise<CycleReport> {
    return this.#cycle.run();
  }

  // ── Restoring ───────────────────────────────────────────────────────────────────────────

  /**
   * Restores the newest point taken at or before `at`: as a new instance (`as`), or in place
   * (`inPlace`, keeping the replaced state as an undo point).
   */
  restore(name: string, options: RestoreOptions): Promise<RestoreResult> {
    return this.#restorer.restore(name, options);
  }

  /** Goes back to the state the last in-place restore replaced (or to the undo point named). */
  undoRestore(name: string, options: ActorOption & { point?: string } = {}): Promise<RestoreResult> {
    return this.#restorer.undo(name, options);
  }

  /** The catalog as it was at `at`, written to `destPath` (a new file; for disaster recovery). */
  restoreCatalog(at: Date | number, destPath: string): Promise<BackupPoint> {
    return restoreCatalog(this.#stores.catalog(), at, destPath);
  }

  // ── Verification and retention ──────────────────────────────────────────────────────────

  /** Rebuilds the latest point of a sample of instances and checks it; failures are reported, not thrown. */
  verify(options: VerifyOptions = {}): Promise<VerificationReport> {
    return this.#verifier.verify(options);
  }

  /** Thins points, collects unreferenced chunks, removes long-purged instances' backups, sweeps leftovers. */
  applyRetention(options: ActorOption = {}): Promise<RetentionReport> {
    return this.#retention.apply(options);
  }

  /** Where a purge of this instance must leave its marker: its region's location and every one a point of it went to. */
  purgeLocations(instance: Pick<InstanceInfo, 'id' | 'region'>): string[] {
    return this.#retention.purgeLocations(instance);
  }

  /** Called by purge: the instance's backups go after `purgeAfterDays` (the marker lives in each location). */
  markPurged(intent: PurgeIntent): Promise<MarkReport> {
    return this.#retention.markPurged(intent);
  }

  /** Backup sets in configured locations whose instance the catalog does not know and that carry no purge marker. */
  findOrphans(): Promise<OrphanScan> {
    return this.#orphans.find();
  }

  /** Marks every orphan backup set (see findOrphans) for removal after `purgeAfterDays`; one audit entry names them. */
  markOrphans(options: ActorOption = {}): Promise<{ marked: OrphanBackupSet[]; failures: string[] }> {
    return this.#orphans.mark(options);
  }

  // ── The scheduler ───────────────────────────────────────────────────────────────────────

  /**
   * Starts the scheduler in this process (unless backups are off). Many processes may call it:
   * a catalog lease lets one of them work at a time, and another takes over when it stops or
   * dies. `fleet.close()` stops it.
   */
  start(options: { onCycle?: (cycle: CycleReport) => void } = {}): void {
    // SILO_BACKUPS=off: no scheduler (a manual `backup now` still works).
    if (this.#host.settings.backups.enabled) this.#scheduler.start(options.onCycle);
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
}

/** A tick that broke (not one instance: those are recorded on the instance) goes to the audit log. */
function recordSchedulerFailure(host: BackupHost, error: unknown): void {
  try {
    host.audit.record({ actor: 'scheduler', operation: 'backup-scheduler', instance: null, outcome: 'error', error: errorMessage(error), detail: {} });
  } catch {
    // The catalog itself is failing: there is nowhere left to record it, and the next tick retries.
  }
}
