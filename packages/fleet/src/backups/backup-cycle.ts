import type { AttemptRecord, BackupStateRow } from '../catalog/backup-records';
import { SiloError, errorMessage } from '../errors';
import { isDiskFull } from '../disk-space';
import { SharedRuns } from '../per-key-gate';
import { backedUpInstance, instanceOf, pointOf, type BackupHost, type UnrecordedFailure } from './backup-context';
import type { ActorOption, BackupPoint, CycleReport } from './backup-types';
import type { BackupStores } from './stores';
import { pointRecord, type CatalogBackup, type PointTaker } from './take-point';

/** Attempts are written to the catalog in batches: one transaction per point would dominate a big cycle. */
export const RECORD_BATCH = 200;

/**
 * Taking points: one pass of the scheduler over every changed instance, and `backup now`.
 * Attempts are recorded on the instance; those a full data disk refuses are kept here.
 */
export class BackupCycle {
  readonly #host: BackupHost;
  readonly #stores: BackupStores;
  readonly #taker: PointTaker;
  readonly #catalogBackup: CatalogBackup;
  /** Failed attempts the catalog could not record (a full data disk), by instance id. */
  readonly #unrecorded = new Map<string, UnrecordedFailure>();
  /** `backup now` of each instance (by id) that later calls can still share. */
  readonly #manual = new SharedRuns<string, BackupPoint>();

  constructor(host: BackupHost, stores: BackupStores, taker: PointTaker, catalogBackup: CatalogBackup) {
    this.#host = host;
    this.#stores = stores;
    this.#taker = taker;
    this.#catalogBackup = catalogBackup;
  }

  /** Failures a full data disk kept out of the catalog: the overview shows them until a later cycle records them. */
  get unrecorded(): ReadonlyMap<string, UnrecordedFailure> {
    return this.#unrecorded;
  }

  /**
   * `backup now`: one point of the instance, changed or not, recorded like a scheduled attempt.
   * Calls for one instance coalesce (this process): a call made while a `backup now` of it has
   * not yet taken its snapshot shares that point instead of taking another; a call made after
   * the snapshot gets the next point (its writes may not be in the running one), which the
   * calls after it share in turn. A call that shared a point is audited with `joined: true`:
   * it took no snapshot of its own.
   */
  now(name: string, options: ActorOption): Promise<BackupPoint> {
    let id: string | undefined;
    try {
      id = this.#host.catalog.resolve(name)?.id;
    } catch {
      // A closed fleet, a failing catalog: treated as unknown below.
    }
    // Unknown: the normal path fails and audits it.
    if (id === undefined) return this.#takeNow(name, options, () => undefined);
    const { result, joined } = this.#manual.run(id, (closeToJoiners) => this.#takeNow(name, options, closeToJoiners));
    return joined ? this.#host.audit.run('backup', name, options, { joined: true }, () => result) : result;
  }

  #takeNow(name: string, options: ActorOption, snapshotted: () => void): Promise<BackupPoint> {
    const host = this.#host;
    return host.audit.run('backup', name, options, {}, async () => {
      const instance = backedUpInstance(this.#host.catalog, name);
      if (instance.state !== 'ready') throw new SiloError('INVALID_STATE', `Instance "${name}" is ${instance.state}; only ready instances are backed up.`);
      const at = host.clock();
      try {
        const taken = await this.#taker.take(instance, 'manual', { snapshotted });
        host.catalog.backups.recordAttempts([pointRecord(instance.id, at, taken)]);
        return pointOf(taken.manifest, taken.manifest);
      } catch (error) {
        this.#recordAttempts([{ instanceId: instance.id, at, ok: false, error: errorMessage(error) }], new Map([[instance.id, instance.name]]));
        throw error;
      }
    });
  }

  /**
   * One pass of the scheduler: back up the catalog if it changed, find instances whose files
   * changed since their last point (a stat each), and back those up. Never throws for one
   * instance: failures are recorded on the instance and shown in the overview.
   */
  async run(): Promise<CycleReport> {
    const host = this.#host;
    const started = performance.now();
    const at = host.clock();
    let catalogBackedUp = false;
    let catalogError: string | undefined;
    try {
      catalogBackedUp = await this.#catalogBackup.takeIfChanged();
    } catch (error) {
      // Retried next cycle; tenant backups must not wait on it. The cycle report shows it.
      catalogError = errorMessage(error);
    }
    const scanStarted = performance.now();
    const rows = host.catalog.backups.states(['ready']);
    const changed = this.#changedSinceLastPoint(rows);
    const scanMs = performance.now() - scanStarted;

    let backedUp = 0;
    let failed = 0;
    let records: AttemptRecord[] = [];
    const names = new Map(changed.map((row) => [row.instanceId, row.name]));
    const flush = (): void => {
      this.#recordAttempts(records, names);
      records = [];
    };
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < changed.length) {
        const row = changed[next++];
        if (!row) return;
        const attemptAt = host.clock();
        try {
          // Taken before `records` is read: another worker may flush (replace) it meanwhile.
          const taken = await this.#taker.take(instanceOf(row), 'scheduled');
          records.push(pointRecord(row.instanceId, attemptAt, taken));
          backedUp++;
        } catch (error) {
          records.push({ instanceId: row.instanceId, at: attemptAt, ok: false, error: errorMessage(error) });
          failed++;
        }
        if (records.length >= RECORD_BATCH) flush();
      }
    };
    await Promise.all(Array.from({ length: Math.min(host.settings.backups.concurrency, changed.length) }, worker));
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

  /**
   * Writes attempts to the catalog. When the data disk is full the catalog cannot take them:
   * failures are then kept in memory (the overview shows them, so a full data disk shows up
   * like a full backup location does) and written by a later call once there is room.
   */
  #recordAttempts(records: readonly AttemptRecord[], names: ReadonlyMap<string, string>): void {
    const host = this.#host;
    const unrecorded = this.#unrecorded;
    const earlier: AttemptRecord[] = [...unrecorded].map(([instanceId, failure]) => ({ instanceId, at: failure.at, ok: false, error: failure.error }));
    const pending = [...earlier.filter((old) => !records.some((record) => record.instanceId === old.instanceId)), ...records];
    if (pending.length === 0) return;
    try {
      host.catalog.backups.recordAttempts(pending);
      unrecorded.clear();
    } catch (error) {
      if (!isDiskFull(error, host.settings.dataDir)) throw error;
      for (const record of records) {
        if (record.ok) {
          unrecorded.delete(record.instanceId);
          continue;
        }
        const previous = unrecorded.get(record.instanceId);
        unrecorded.set(record.instanceId, {
          instance: names.get(record.instanceId) ?? previous?.instance ?? record.instanceId,
          at: record.at,
          error: record.error ?? 'unknown error',
          failures: (previous?.failures ?? 0) + 1,
        });
      }
    }
  }

  /** Rows that need a new point: a stat each, no reads. */
  #changedSinceLastPoint(rows: readonly BackupStateRow[]): BackupStateRow[] {
    const support = this.#host.engine.backups;
    if (!support) return [];
    return rows.filter((row) => needsPoint(row, support.changeToken(row.dbUrl), this.#stores.describeRegional(row.region)));
  }
}

/**
 * Whether an instance's last point no longer covers it: its files changed since (`token`, from
 * a stat), or its region's backups now go to another location, which holds none of its points
 * yet — an idle instance would otherwise never get one there. A point recorded before
 * locations were (`row.location` null) may be anywhere, so it needs one too (once).
 */
export function needsPoint(row: Pick<BackupStateRow, 'changeToken' | 'settledToken' | 'location'>, token: string | undefined, location: string | undefined): boolean {
  if (token === undefined) return false;
  return (token !== row.changeToken && token !== row.settledToken) || row.location !== location;
}

