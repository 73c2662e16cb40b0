import path from 'node:path';
import type { InstanceInfo, PurgeIntent } from '../catalog/catalog';
import { SiloError, errorMessage } from '../errors';
import { atLocation, type BackupHost } from './backup-context';
import type { RetentionPolicy } from './backup-config';
import type { ActorOption, RetentionReport } from './backup-types';
import { CATALOG_BASE, instanceBase, listPoints, pointKey, type PointRef } from './points';
import { ChunkCollector } from './chunk-collector';
import { FolderStore, type BackupStore } from './store';
import type { BackupStores } from './stores';

const DAY = 24 * 60 * 60 * 1_000;
const PURGED_MARKER = 'purged.json';

/**
 * Which points to keep: every point younger than the full-history window, then the newest
 * point of each UTC day within the daily window. The newest point is always kept, so an
 * instance that has not changed for months still has its backup.
 */
export function pointsToDrop(points: readonly PointRef[], now: number, policy: RetentionPolicy): PointRef[] {
  if (points.length === 0) return [];
  const newest = points.reduce((a, b) => (b.takenAt > a.takenAt ? b : a));
  const fullSince = now - policy.fullHistoryMs;
  const dailySince = Math.floor(now / DAY) * DAY - policy.dailyDays * DAY;
  const newestOfDay = new Map<number, PointRef>();
  for (const point of points) {
    const day = Math.floor(point.takenAt / DAY);
    const known = newestOfDay.get(day);
    if (!known || point.takenAt > known.takenAt) newestOfDay.set(day, point);
  }
  return points.filter((point) => {
    if (point === newest || point.takenAt >= fullSince) return false;
    const day = Math.floor(point.takenAt / DAY);
    return !(point.takenAt >= dailySince && newestOfDay.get(day) === point);
  });
}

/**
 * The catalog's points by the same rules, and none older than `purgeAfterDays` but the newest:
 * every catalog point names the instances that existed when it was taken, so keeping one
 * longer would keep a purged instance's name and settings beyond the stated retention.
 */
export function catalogPointsToDrop(points: readonly PointRef[], now: number, policy: RetentionPolicy): PointRef[] {
  const drop = new Set(pointsToDrop(points, now, policy));
  const newest = points.reduce<PointRef | undefined>((a, b) => (a === undefined || b.takenAt > a.takenAt ? b : a), undefined);
  for (const point of points) if (point !== newest && point.takenAt < now - policy.purgeAfterMs) drop.add(point);
  return points.filter((point) => drop.has(point));
}

/**
 * What happens to points over time: thinning by the retention policy, collecting chunks no
 * point references, and the removal of purged instances' backups (markers written by purges).
 */
export class Retention {
  readonly #host: BackupHost;
  readonly #stores: BackupStores;
  /** Collection of unreferenced chunks (it remembers between runs). */
  readonly #chunks = new ChunkCollector();

  constructor(host: BackupHost, stores: BackupStores) {
    this.#host = host;
    this.#stores = stores;
  }

  /**
   * Thins points by the retention policy, removes chunks no point references, removes the
   * backups of instances purged longer ago than `purgeAfterDays`, and sweeps temp leftovers.
   * One instance whose backups cannot be read does not stop the others (a purged instance's
   * removal must not wait on a neighbour); every failure is recorded in the audit log, the run
   * then throws, and the next run retries.
   */
  async apply(options: ActorOption): Promise<RetentionReport> {
    const host = this.#host;
    const actor = options.actor ?? 'retention';
    const tally = { pointsRemoved: 0, chunksRemoved: 0, leftoversRemoved: 0, instancesRemoved: [] as string[] };
    const failures: string[] = [];
    try {
      const now = host.clock();
      const policy = host.settings.backups.retention;
      const thin = async (store: BackupStore, base: string, choose = pointsToDrop): Promise<void> => {
        const drop = choose(await listPoints(store, base), now, policy);
        if (drop.length > 0) {
          await store.delete(drop.map((point) => pointKey(base, point.id)));
          tally.pointsRemoved += drop.length;
        }
        if (drop.length > 0 || this.#chunks.hasNoted(store, base)) tally.chunksRemoved += await this.#chunks.collect(store, base, now);
      };
      // Each part on its own: one that fails is reported, and the others still run.
      const attempt = async (where: string, work: () => Promise<void>): Promise<void> => {
        try {
          await work();
        } catch (error) {
          failures.push(`${where}: ${errorMessage(error)}`);
        }
      };
      for (const store of this.#stores.regional()) {
        await attempt(store.description, async () => {
          tally.leftoversRemoved += await store.sweepLeftovers('');
          for (const instanceId of await store.children('instances/')) {
            const base = instanceBase(instanceId);
            await attempt(`${store.description}/${base}`, async () => {
              const removed = await removeIfPurgedLongAgo(store, base, now - policy.purgeAfterMs);
              if (removed === undefined) return thin(store, base);
              this.#chunks.forget(store, base);
              tally.instancesRemoved.push(removed);
            });
          }
        });
      }
      const catalogStore = this.#stores.catalog();
      await attempt(catalogStore.description, () => thin(catalogStore, CATALOG_BASE, catalogPointsToDrop));
      // Snapshots of the catalog a killed process was staging.
      const staging = new FolderStore(path.join(host.settings.dataDir, 'staging'));
      await attempt(staging.description, async () => {
        tally.leftoversRemoved += await staging.sweepLeftovers('');
      });
    } catch (error) {
      failures.push(errorMessage(error));
    }
    const report = reportOf(tally);
    if (failures.length > 0) {
      const error = new SiloError('BACKUP_FAILED', `Backup retention could not finish ${failures.length} part(s); they are retried next run: ${failures.slice(0, 3).join('; ')}`, {
        details: { failures: failures.slice(0, 20) },
      });
      // The scheduler retries on its next tick; without this line nobody would know it failed.
      host.audit.record({ actor, operation: 'backup-retention', instance: null, outcome: 'error', error: error.message, detail: { ...report, instancesRemoved: report.instancesRemoved.slice(0, 50) } });
      throw error;
    }
    if (report.pointsRemoved > 0 || report.instancesRemoved.length > 0) {
      await host.audit.run('backup-retention', null, { actor }, { ...report, instancesRemoved: report.instancesRemoved.slice(0, 50) }, async () => report);
    }
    return report;
  }

  /** Where a purge must leave its marker: the instance's region's location, and every other one a point of it was written to. */
  purgeLocations(instance: Pick<InstanceInfo, 'id' | 'region'>): string[] {
    const locations = new Set(this.#host.catalog.backups.locationsOf(instance.id));
    const regional = this.#stores.describeRegional(instance.region);
    if (regional !== undefined) locations.add(regional);
    return [...locations].sort();
  }

  /**
   * A purge's backup step: marks the instance's backups in every location of the intent for
   * removal after `purgeAfterDays`. The marker lives in the location itself, so the removal
   * happens even if the catalog is lost. It is written even when nothing is stored yet: a backup
   * taken before the purge may still be on its way, and whatever it stores lands under the
   * marker. A marker already there is kept (a resumed purge does not restart the clock). The
   * catalog's verification history of the name goes too, so a new instance of that name starts
   * with none. A location that cannot be written fails the step (BACKUP_FAILED).
   */
  async markPurged(intent: PurgeIntent): Promise<MarkReport> {
    const report: MarkReport = { marked: [], unreachable: [] };
    for (const location of intent.locations) {
      const store = this.#stores.forLocation(location, intent.jurisdiction);
      if (!store) {
        report.unreachable.push(location);
        continue;
      }
      await writeMarker(store, intent.instanceId, { name: intent.name, purgedAt: this.#host.clock() });
      report.marked.push(location);
    }
    this.#host.catalog.backups.forgetVerifications(intent.name);
    return report;
  }
}

export interface MarkReport {
  /** Locations that carry the marker now (written now, or already there). */
  readonly marked: string[];
  /** Recorded locations that are no longer configured: out of Silo's reach (the backups overview names them). */
  readonly unreachable: string[];
}

/** Writes `instances/<id>/purged.json` unless one is there already; true when it wrote one. */
export async function writeMarker(store: BackupStore, instanceId: string, marker: { name: string; purgedAt: number; orphan?: true }): Promise<boolean> {
  return atLocation(`Marking the backups of "${marker.name}" for removal`, store.description, async () => {
    const key = purgedMarkerKey(instanceId);
    if (await store.get(key)) return false;
    await store.putAll([{ key, data: Buffer.from(JSON.stringify(marker)) }]);
    return true;
  });
}

export function purgedMarkerKey(instanceId: string): string {
  return `${instanceBase(instanceId)}/${PURGED_MARKER}`;
}

/** Removes everything under `base` if it was purged before `cutoff`; returns the instance's name then. */
async function removeIfPurgedLongAgo(store: BackupStore, base: string, cutoff: number): Promise<string | undefined> {
  const markerKey = `${base}/${PURGED_MARKER}`;
  const marker = await store.get(markerKey);
  if (!marker) return undefined;
  const { purgedAt, name } = readMarker(marker, markerKey);
  if (purgedAt > cutoff) return undefined;
  const keys = (await store.list(`${base}/`)).map((object) => object.key);
  // The marker goes last, so an interrupted removal is finished next time.
  await store.delete(keys.filter((key) => key !== markerKey));
  await store.delete([markerKey]);
  return name;
}

/**
 * A marker's time decides when a tenant's backups are erased, so one that cannot be read is
 * never taken as "long ago" (a missing time compared as no later than any cutoff): the run
 * reports it, and the backups stay until someone looks.
 */
function readMarker(data: Buffer, key: string): { purgedAt: number; name: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const marker = parsed !== null && typeof parsed === 'object' ? (parsed as { purgedAt?: unknown; name?: unknown }) : {};
  if (typeof marker.purgedAt !== 'number' || !Number.isFinite(marker.purgedAt)) {
    throw new Error(`the purge marker ${key} is unreadable (no purge time); its backups were kept`);
  }
  return { purgedAt: marker.purgedAt, name: typeof marker.name === 'string' ? marker.name : key };
}

function reportOf(tally: { pointsRemoved: number; chunksRemoved: number; leftoversRemoved: number; instancesRemoved: string[] }): RetentionReport {
  return { pointsRemoved: tally.pointsRemoved, chunksRemoved: tally.chunksRemoved, instancesRemoved: tally.instancesRemoved, leftoversRemoved: tally.leftoversRemoved };
}
