import { errorMessage } from '../errors';
import { atLocation, type BackupHost } from './backup-context';
import type { ActorOption } from './backup-types';
import { instanceBase, listPoints, readManifest } from './points';
import { purgedMarkerKey, writeMarker } from './retention';
import type { BackupStore } from './store';
import type { BackupStores } from './stores';

/** Backups in a configured location of an instance the catalog no longer knows, without a purge marker. */
export interface OrphanBackupSet {
  readonly location: string;
  readonly instanceId: string;
  /** The instance's name as its newest manifest records it (null: no readable manifest). */
  readonly name: string | null;
  readonly jurisdiction: string | null;
  readonly points: number;
  readonly newestAt: number | null;
}

export interface OrphanScan {
  readonly orphans: OrphanBackupSet[];
  /** Locations (or instance folders) that could not be read: the scan is incomplete there. */
  readonly failures: string[];
}

/** Backup sets nothing would ever erase: found by `silo doctor --scan`, marked on request. */
export class OrphanBackups {
  readonly #host: BackupHost;
  readonly #stores: BackupStores;

  constructor(host: BackupHost, stores: BackupStores) {
    this.#host = host;
    this.#stores = stores;
  }

  /**
   * Walks every configured regional location for instance folders whose id is neither in the
   * catalog nor in a recorded purge, and that carry no purge marker: nothing would ever erase
   * them (a purge that predates purge intents and was interrupted, a catalog restored from an
   * older point, a row removed by hand). Reported by `silo doctor --scan`; marked on request.
   * The catalog's ids are read after the walk, so an instance created meanwhile is not counted.
   */
  async find(): Promise<OrphanScan> {
    const found: { store: BackupStore; instanceId: string }[] = [];
    const failures: string[] = [];
    const seen = new Set<string>();
    for (const store of this.#stores.regional()) {
      if (seen.has(store.description)) continue;
      seen.add(store.description);
      try {
        for (const instanceId of await atLocation('Listing backups', store.description, () => store.children('instances/'))) found.push({ store, instanceId });
      } catch (error) {
        failures.push(`${store.description}: ${errorMessage(error)}`);
      }
    }
    const known = this.#host.catalog.knownInstanceIds();
    const orphans: OrphanBackupSet[] = [];
    for (const { store, instanceId } of found) {
      if (known.has(instanceId)) continue;
      try {
        if (await store.get(purgedMarkerKey(instanceId))) continue;
        const base = instanceBase(instanceId);
        const points = await listPoints(store, base);
        const newest = points.at(-1);
        const manifest = newest ? await readManifest(store, base, newest.id).catch(() => undefined) : undefined;
        orphans.push({
          location: store.description,
          instanceId,
          name: manifest?.subject.name ?? null,
          jurisdiction: manifest?.subject.jurisdiction ?? null,
          points: points.length,
          newestAt: newest?.takenAt ?? null,
        });
      } catch (error) {
        failures.push(`${store.description}/${instanceBase(instanceId)}: ${errorMessage(error)}`);
      }
    }
    return { orphans, failures };
  }

  /**
   * Writes a purge marker into each orphan set, so retention erases it `purgeAfterDays` from now
   * like any purged instance's backups. Only sets still orphaned are marked (the scan is redone
   * here); returns the ones marked. One audit entry names them.
   */
  async mark(options: ActorOption): Promise<{ marked: OrphanBackupSet[]; failures: string[] }> {
    const scan = await this.find();
    const marked: OrphanBackupSet[] = [];
    const failures = [...scan.failures];
    for (const orphan of scan.orphans) {
      const store = this.#stores.regional().find((candidate) => candidate.description === orphan.location);
      if (!store) continue;
      try {
        await writeMarker(store, orphan.instanceId, { name: orphan.name ?? orphan.instanceId, purgedAt: this.#host.clock(), orphan: true });
        marked.push(orphan);
      } catch (error) {
        failures.push(`${orphan.location}/${instanceBase(orphan.instanceId)}: ${errorMessage(error)}`);
      }
    }
    const { audit } = this.#host;
    audit.record({
      actor: audit.actorOf(options),
      operation: 'backup-mark-orphans',
      instance: null,
      outcome: failures.length > 0 ? 'error' : 'ok',
      error: failures.length > 0 ? failures.slice(0, 3).join('; ') : null,
      detail: { count: marked.length, marked: marked.slice(0, 200).map((set) => ({ location: set.location, instanceId: set.instanceId, name: set.name })) },
    });
    return { marked, failures };
  }
}

