import path from 'node:path';
import { removeDatabaseFiles, tempSibling } from '../files';
import { changeToken as changeTokenOf, consistentCopy } from '../sqlite-files';
import { SiloError } from '../errors';
import { atLocation, stagingFile, type BackedUpInstance, type BackupHost } from './backup-context';
import { CATALOG_BASE, instanceBase, listPoints, readManifest, writePoint, type PointManifest, type PointReason } from './points';
import { readFacts } from './snapshot-file';
import { makePrivateDir } from '../permissions';
import type { BackupStores } from './stores';
import type { LeftoverSweep } from './leftovers';
import type { AttemptRecord } from '../catalog/backup-records';

/**
 * The catalog changes on almost every cycle (activity, the lease itself) and is read whole to
 * be chunked, so it is backed up at most this often; its RPO is this plus one cycle.
 */
const CATALOG_MIN_INTERVAL_MS = 60_000;

/** A point just taken, and where it went. */
export interface TakenPoint {
  readonly manifest: PointManifest;
  readonly changeToken: string;
  /** Also means "unchanged since this point" (EngineBackupSupport.snapshot). */
  readonly settledToken: string | undefined;
  readonly location: string;
}

/** The catalog's record of a point just taken: its id and the tokens that mean "unchanged since". */
export function pointRecord(instanceId: string, at: number, taken: TakenPoint): AttemptRecord {
  const { manifest, changeToken, settledToken, location } = taken;
  return { instanceId, at, ok: true, pointId: manifest.id, changeToken, settledToken: settledToken ?? null, location };
}

/** Takes points of instances: the scheduler's, `backup now`'s, and a restore's undo and restored points. */
export class PointTaker {
  readonly #host: BackupHost;
  readonly #stores: BackupStores;
  readonly #leftovers: LeftoverSweep;

  constructor(host: BackupHost, stores: BackupStores, leftovers: LeftoverSweep) {
    this.#host = host;
    this.#stores = stores;
    this.#leftovers = leftovers;
  }

  /**
   * Snapshots the instance under its write lock and stores it as a new point. `snapshotted` is
   * called once the snapshot is taken: the point holds no write made after that.
   */
  async take(instance: BackedUpInstance, reason: PointReason, events: { snapshotted?: () => void } = {}): Promise<TakenPoint> {
    const host = this.#host;
    const support = host.engine.backups;
    if (!support) throw new SiloError('BACKUP_FAILED', `The ${host.engine.kind} engine keeps its own backups; Silo does not back its databases up.`);
    const store = this.#stores.forInstance(instance);
    const base = instanceBase(instance.id);
    const staged = stagingFile(host.regions, instance.region, `${instance.name}.backup.db`);
    try {
      return await atLocation(`Backing up "${instance.name}"`, store.description, async () => {
        await this.#leftovers.once(store, `${base}/`);
        // The point's time is read under the snapshot's lock: it holds every commit before it, none after.
        const { changeToken, settledToken, takenAt } = await support.snapshot(instance.dbUrl, staged, host.clock);
        events.snapshotted?.();
        const facts = readFacts(staged);
        const lastPointId = host.catalog.backups.stateOf(instance.id)?.lastPointId;
        // Unreadable or gone: every chunk is written again, which costs space, never correctness.
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
        return { manifest, changeToken, settledToken, location: store.description };
      });
    } finally {
      removeDatabaseFiles(staged);
    }
  }
}

/** Backs the catalog up when its file changed and the last catalog point is old enough. */
export class CatalogBackup {
  readonly #host: BackupHost;
  readonly #stores: BackupStores;
  readonly #leftovers: LeftoverSweep;
  /** The catalog file's change tokens that mean "unchanged since its last point" (this process only). */
  #tokens: readonly (string | undefined)[] = [];
  #backedUpAt = Number.NEGATIVE_INFINITY;

  constructor(host: BackupHost, stores: BackupStores, leftovers: LeftoverSweep) {
    this.#host = host;
    this.#stores = stores;
    this.#leftovers = leftovers;
  }

  /** true when a point was taken. */
  async takeIfChanged(): Promise<boolean> {
    const host = this.#host;
    const file = host.catalog.file;
    // A catalog on Turso has no file here: Turso keeps its history (point-in-time branches).
    if (file === undefined) return false;
    const token = changeTokenOf(file);
    if (token === undefined || this.#tokens.includes(token)) return false;
    if (host.clock() - this.#backedUpAt < CATALOG_MIN_INTERVAL_MS) return false;
    const stagingDir = path.join(host.settings.dataDir, 'staging');
    makePrivateDir(stagingDir);
    const staged = tempSibling(path.join(stagingDir, 'catalog.backup.db'));
    const store = this.#stores.catalog();
    try {
      await this.#leftovers.once(store, `${CATALOG_BASE}/`);
      const { changeToken, settledToken, takenAt } = await consistentCopy(file, staged, host.clock);
      const facts = readFacts(staged);
      const previous = (await listPoints(store, CATALOG_BASE)).at(-1);
      const known = previous ? await readManifest(store, CATALOG_BASE, previous.id).catch(() => undefined) : undefined;
      await writePoint({
        store,
        base: CATALOG_BASE,
        file: staged,
        subject: { kind: 'catalog', name: 'catalog' },
        takenAt,
        reason: 'scheduled',
        schemaVersion: facts.schemaVersion,
        tables: facts.tables,
        knownChunks: new Set(known?.chunks ?? []),
      });
      this.#tokens = [changeToken, settledToken];
      this.#backedUpAt = takenAt;
      host.catalog.backups.noteLocationUsed(store.description, takenAt);
      return true;
    } finally {
      removeDatabaseFiles(staged);
    }
  }
}
