import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { InstanceInfo } from '../catalog/catalog';
import { publishNew, removeDatabaseFiles, tempSibling } from '../files';
import { SiloError, errorMessage } from '../errors';
import { failpoint } from '../failpoints';
import { validateName } from '../names';
import { assertSameJurisdiction } from '../regions';
import { atLocation, backedUpInstance, pointOf, stagingFile, toTime, type BackupHost } from './backup-context';
import type { ActorOption, BackupPoint, RestoreOptions, RestoreResult } from './backup-types';
import { CATALOG_BASE, instanceBase, listPoints, readManifest, type PointManifest } from './points';
import { pointAtOrBefore, rebuildPoint } from './rebuild-point';
import { derivedDisplayName } from '../unsafe-text';
import { migrateFile } from './snapshot-file';
import type { BackupStore } from './store';
import type { BackupStores } from './stores';
import { pointRecord, type PointTaker } from './take-point';

/** A crashed restorer's lease is freed sooner by its owner check; a live one renews it (RESTORE_RENEW_MS). */
const RESTORE_LEASE_MS = 10 * 60 * 1_000;
/**
 * A restore of a big database outlasts its lease (rebuilding, checking and copying gigabytes
 * takes minutes): once expired, a second restore of the instance could take it and run beside
 * the first. So a live restore renews it, well inside its term.
 */
const RESTORE_RENEW_MS = RESTORE_LEASE_MS / 5;

/**
 * Restoring instances from their points: as a new instance (through the `Provisioner`, like a
 * create), or in place (the replaced state kept as an undo point).
 */
export class Restorer {
  readonly #host: BackupHost;
  readonly #stores: BackupStores;
  readonly #taker: PointTaker;
  /** This fleet's name in leases; each restore adds its own suffix. */
  readonly #owner: string;

  constructor(host: BackupHost, stores: BackupStores, taker: PointTaker, owner: string) {
    this.#host = host;
    this.#stores = stores;
    this.#taker = taker;
    this.#owner = owner;
  }

  /**
   * Restores the newest point taken at or before `at`: as a new instance (`as`), or in place
   * (`inPlace`, keeping the replaced state as an undo point). A damaged point is refused with
   * BACKUP_CORRUPT; nothing is created or replaced from it.
   */
  restore(name: string, options: RestoreOptions): Promise<RestoreResult> {
    const at = toTime(options.at);
    const detail = { at: Number.isFinite(at) ? new Date(at).toISOString() : String(options.at), as: options.as, inPlace: options.inPlace ?? false };
    return this.#host.audit.run('backup-restore', name, options, detail, async () => {
      if (!Number.isFinite(at)) throw new SiloError('INVALID_INPUT', 'The restore time is not a valid date.');
      if ((options.as === undefined) === !options.inPlace) {
        throw new SiloError('INVALID_INPUT', 'Say how to restore: either as a new instance (`as`) or in place (`inPlace`).');
      }
      const instance = backedUpInstance(this.#host.catalog, name);
      const store = this.#stores.forInstance(instance);
      const base = instanceBase(instance.id);
      return atLocation(`Restoring "${name}"`, store.description, async () => {
        const ref = await pointAtOrBefore(store, base, at);
        if (!ref) {
          throw new SiloError('BACKUP_NOT_FOUND', `"${name}" has no backup point at or before ${new Date(at).toISOString()}. See \`silo backup list ${name}\`.`, {
            details: { name, at },
          });
        }
        const manifest = await readManifest(store, base, ref.id);
        return options.as !== undefined ? this.#restoreAsNew(instance, manifest, options.as, options.region) : this.#restoreInPlace(instance, manifest);
      });
    });
  }

  /** Goes back to the state the last in-place restore replaced (or to the undo point named). */
  undo(name: string, options: ActorOption & { point?: string }): Promise<RestoreResult> {
    return this.#host.audit.run('backup-undo', name, options, { point: options.point }, async () => {
      const instance = backedUpInstance(this.#host.catalog, name);
      const store = this.#stores.forInstance(instance);
      const base = instanceBase(instance.id);
      return atLocation(`Undoing the restore of "${name}"`, store.description, async () => {
        const points = await listPoints(store, base);
        const ref = options.point ? points.find((point) => point.id === options.point) : points.filter((point) => point.reason === 'undo').at(-1);
        if (!ref) {
          throw new SiloError('BACKUP_NOT_FOUND', options.point ? `"${name}" has no backup point ${options.point}.` : `"${name}" has no in-place restore to undo.`);
        }
        return this.#restoreInPlace(instance, await readManifest(store, base, ref.id));
      });
    });
  }

  async #restoreAsNew(source: InstanceInfo, manifest: PointManifest, newName: string, regionId: string | undefined): Promise<RestoreResult> {
    const host = this.#host;
    validateName(newName);
    const region = host.regions.get(regionId ?? source.region);
    assertSameJurisdiction(region, source.jurisdiction, 'restored');
    const store = this.#stores.forInstance(source);
    const staged = stagingFile(host.regions, region.id, `${newName}.restore.db`);
    try {
      await rebuildPoint(store, instanceBase(source.id), manifest, staged, { maxMemoryBytes: host.settings.queryMaxMemoryBytes, timeoutSec: host.settings.checkTimeoutSec });
      await host.provisioner.provision(
        {
          name: newName,
          displayName: derivedDisplayName(`${source.displayName} (${new Date(manifest.takenAt).toISOString()})`) ?? newName,
          jurisdiction: source.jurisdiction,
          region: region.id,
          clonedFrom: source.id,
        },
        async (url) => {
          // The source may have been purged while its point was rebuilt: a copy made now would
          // outlive an erasure. Asked again once the file is in, right before it becomes ready.
          assertStillRestorable(host, source);
          // A point is the instance as the fleet served it: exempt from the upload schema check.
          const { toVersion } = await host.engine.importFile(staged, url, host.schema, Number.MAX_SAFE_INTEGER, 'own-copy');
          assertStillRestorable(host, source);
          return toVersion;
        },
        // A refused import leaves no failed row: the name stays free.
        { dropOnRefusal: () => true },
      );
      await host.provisioner.refreshMetrics(newName);
      return { mode: 'new-instance', instance: host.catalog.require(newName), point: pointOf(manifest, manifest) };
    } finally {
      removeDatabaseFiles(staged);
    }
  }

  async #restoreInPlace(instance: InstanceInfo, manifest: PointManifest): Promise<RestoreResult> {
    const host = this.#host;
    if (instance.state !== 'ready') {
      throw new SiloError('INVALID_STATE', `Instance "${instance.name}" is ${instance.state}; restore it in place once it is ready, or restore it as a new instance.`);
    }
    const support = host.engine.backups;
    if (!support) throw new SiloError('BACKUP_FAILED', `The ${host.engine.kind} engine keeps its own backups.`);
    const lease = `restore:${instance.id}`;
    // Each restore is its own lease owner: the fleet's name alone would let two restores of the
    // same instance in one process both take the lease (a holder may renew it).
    const owner = `${this.#owner}/restore-${randomBytes(4).toString('hex')}`;
    const busy = (): SiloError => new SiloError('INVALID_STATE', `Another restore of "${instance.name}" is running; try again when it is done.`);
    const holdLease = (): boolean => host.catalog.backups.acquireLease(lease, owner, RESTORE_LEASE_MS, host.clock());
    if (!holdLease()) throw busy();
    let held = true;
    const renewal = setInterval(() => {
      try {
        held &&= holdLease();
      } catch {
        // The catalog is busy or failing: the next renewal, or the check before the swap, says.
      }
    }, RESTORE_RENEW_MS);
    renewal.unref();
    /** Before each step that writes: the lease must still be ours (renewed now), or another restore may be running. */
    const stillHeld = (): void => {
      held &&= holdLease();
      if (!held) throw busy();
    };
    let staged: string | undefined;
    try {
      const store = this.#stores.forInstance(instance);
      staged = stagingFile(host.regions, instance.region, `${instance.name}.restore.db`);
      await rebuildPoint(store, instanceBase(instance.id), manifest, staged, { maxMemoryBytes: host.settings.queryMaxMemoryBytes, timeoutSec: host.settings.checkTimeoutSec });
      if (manifest.schemaVersion > host.schema.latestVersion) {
        throw new SiloError('INVALID_STATE', `Backup point ${manifest.id} is at schema version ${manifest.schemaVersion}, newer than this code's ${host.schema.latestVersion}; upgrade Silo first.`);
      }
      const { to } = migrateFile(staged, host.schema);
      stillHeld();
      assertStillReady(host, instance);
      // The state being replaced becomes a point of its own: the undo.
      const undo = await this.#taker.take(instance, 'undo');
      stillHeld();
      // Deleted (or purged) meanwhile: the backup API would write a deleted instance's file,
      // or create a purged one's again.
      assertStillReady(host, instance);
      failpoint('restore:before-swap');
      await support.replaceContent(instance.dbUrl, staged);
      host.handles.invalidate(instance.id);
      host.catalog.setSchemaVersions([{ id: instance.id, schemaVersion: to, sizeBytes: await host.engine.sizeOf(instance.dbUrl) }]);
      await host.provisioner.refreshMetrics(instance.name);
      await pointOfRestored(host, this.#taker, instance);
      return {
        mode: 'in-place',
        instance: host.catalog.require(instance.name),
        point: pointOf(manifest, manifest),
        undoPoint: pointOf(undo.manifest, undo.manifest),
      };
    } finally {
      clearInterval(renewal);
      if (staged) removeDatabaseFiles(staged);
      host.catalog.backups.releaseLease(lease, owner);
    }
  }
}

/**
 * The restored state becomes the newest point at once. Until one exists the newest point is the
 * undo point, so a restore "as of now" would bring back the very data this restore replaced.
 * It costs a snapshot, a manifest and the chunks the instance's last point did not have (most
 * of them are the restored point's, already stored: written again, same content). If it
 * cannot be taken now, the restore stands and the next cycle takes it (the token is forgotten);
 * the failure is recorded on the instance meanwhile, so the backups overview shows that its
 * newest point is still the undo point.
 */
async function pointOfRestored(host: BackupHost, taker: PointTaker, instance: InstanceInfo): Promise<void> {
  const at = host.clock();
  try {
    const taken = await taker.take(instance, 'restored');
    host.catalog.backups.recordAttempts([pointRecord(instance.id, at, taken)]);
  } catch (error) {
    host.catalog.backups.invalidateToken(instance.id);
    const failure = `The restored state could not be stored as a backup point yet (the next cycle takes it): ${errorMessage(error)}`;
    try {
      host.catalog.backups.recordAttempts([{ instanceId: instance.id, at, ok: false, error: failure }]);
    } catch {
      // The catalog cannot take it either (a full data disk): the forgotten token still makes the next cycle take the point.
    }
  }
}

function assertStillRestorable(host: BackupHost, source: InstanceInfo): void {
  const current = host.catalog.resolve(source.name);
  if (!current || current.id !== source.id || host.catalog.purgeIntent(source.id)) {
    throw new SiloError('INSTANCE_NOT_FOUND', `Instance "${source.name}" was purged while it was being restored; nothing was created from its backups.`, {
      details: { name: source.name },
    });
  }
  if (current.state !== 'ready' && current.state !== 'deleted') {
    throw new SiloError('INVALID_STATE', `Instance "${source.name}" became ${current.state} while it was being restored; nothing was created.`);
  }
}

/** The instance of an in-place restore is still the ready one the restore began with. */
function assertStillReady(host: BackupHost, instance: InstanceInfo): void {
  const current = host.catalog.resolve(instance.name);
  if (!current || current.id !== instance.id || current.state !== 'ready' || host.catalog.purgeIntent(instance.id)) {
    throw new SiloError('INVALID_STATE', `Instance "${instance.name}" was ${current?.id === instance.id ? current.state : 'removed'} while it was being restored in place; its content was not replaced.`);
  }
}

/**
 * The catalog as it was at `at`, written to `destPath` (for disaster recovery: stop Silo,
 * remove catalog.db and its -wal and -shm files, then put the file in place of catalog.db).
 * The file appears whole and checked, or not at all; an existing file is never replaced. It
 * comes from the backup location alone: nothing here reads the live catalog, which may be the
 * very thing that was lost or damaged.
 */
export async function restoreCatalog(store: BackupStore, at: Date | number, destPath: string): Promise<BackupPoint> {
  const time = toTime(at);
  if (!Number.isFinite(time)) throw new SiloError('INVALID_INPUT', 'The restore time is not a valid date.');
  const dest = path.resolve(destPath);
  const exists = (): SiloError => new SiloError('INVALID_INPUT', `${destPath} exists; give a new file name (the live catalog is never overwritten from here).`);
  if (existsSync(dest)) throw exists();
  return atLocation('Restoring the catalog', store.description, async () => {
    const ref = await pointAtOrBefore(store, CATALOG_BASE, time);
    if (!ref) throw new SiloError('BACKUP_NOT_FOUND', `The catalog has no backup point at or before ${new Date(time).toISOString()}.`);
    const manifest = await readManifest(store, CATALOG_BASE, ref.id);
    const staged = tempSibling(dest);
    try {
      // Silo's own catalog, read in a recovery with no fleet open: no settings to limit it by.
      await rebuildPoint(store, CATALOG_BASE, manifest, staged, { maxMemoryBytes: undefined });
      if (!publishNew(staged, dest)) throw exists();
    } finally {
      removeDatabaseFiles(staged);
    }
    return pointOf(ref, manifest);
  });
}

