import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { LeaseInfo } from '../catalog/backup-records';
import { atLocation, backedUpInstance, pointOf, type BackupHost, type UnrecordedFailure } from './backup-context';
import { describeLocation } from './backup-config';
import type { BackupOverview, BackupPoint, CycleReport, InstanceBackupStatus, VerificationReport } from './backup-types';
import { needsPoint } from './backup-cycle';
import { PointDetailsCache } from './point-details';
import { CATALOG_BASE, instanceBase, listPoints } from './points';
import type { BackupStores } from './stores';

/** The read side of backups: what the CLI's status commands and the admin console show. */
export class BackupStatus {
  readonly #host: BackupHost;
  readonly #stores: BackupStores;
  /** Failures a full data disk kept out of the catalog (the cycle's). */
  readonly #unrecorded: ReadonlyMap<string, UnrecordedFailure>;
  /** Sizes of points already read, for listings with details. */
  readonly #pointDetails = new PointDetailsCache();

  constructor(host: BackupHost, stores: BackupStores, unrecorded: ReadonlyMap<string, UnrecordedFailure>) {
    this.#host = host;
    this.#stores = stores;
    this.#unrecorded = unrecorded;
  }

  async status(name: string): Promise<InstanceBackupStatus> {
    const host = this.#host;
    const instance = backedUpInstance(this.#host.catalog, name);
    const row = host.catalog.backups.stateOf(instance.id);
    const store = this.#stores.forInstance(instance);
    const points = await atLocation(`Listing the backups of "${name}"`, store.description, () => listPoints(store, instanceBase(instance.id)));
    const token = instance.state === 'ready' ? host.engine.backups?.changeToken(instance.dbUrl) : undefined;
    const pending = needsPoint(row ?? { changeToken: null, settledToken: null, location: null }, token, store.description);
    const now = host.clock();
    const [lastVerification] = host.catalog.backups.verifications({ instance: instance.name, limit: 1 });
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
      lastUndoAt: points.filter((point) => point.reason === 'undo').at(-1)?.takenAt ?? null,
      lastVerification: lastVerification ?? null,
    };
  }

  /** Points of an instance, newest first. `details` reads each listed manifest for sizes, once per point (they never change). */
  async list(name: string, options: { limit?: number; details?: boolean }): Promise<BackupPoint[]> {
    const instance = backedUpInstance(this.#host.catalog, name);
    const store = this.#stores.forInstance(instance);
    const base = instanceBase(instance.id);
    const refs = (await atLocation(`Listing the backups of "${name}"`, store.description, () => listPoints(store, base))).reverse().slice(0, options.limit ?? 100);
    if (!options.details) return refs.map((ref) => pointOf(ref));
    return Promise.all(
      refs.map(async (ref) => {
        try {
          return pointOf(ref, await this.#pointDetails.get(store, base, ref.id));
        } catch {
          // A listing shows the point anyway; restoring it is what reports the damage.
          return pointOf(ref);
        }
      }),
    );
  }

  /** The catalog's own points (metadata only), newest first. */
  async catalogPoints(options: { limit?: number }): Promise<BackupPoint[]> {
    return (await listPoints(this.#stores.catalog(), CATALOG_BASE))
      .reverse()
      .slice(0, options.limit ?? 100)
      .map((ref) => pointOf(ref));
  }

  lastVerification(): VerificationReport | null {
    const results = this.#host.catalog.backups.lastVerificationRun();
    const first = results[0];
    if (!first) return null;
    return { runId: first.runId, at: first.at, checked: results.length, failed: results.filter((r) => !r.ok).length, results };
  }

  /** The fleet-wide picture; `schedulerLease` is the lease of a live scheduler, if any. */
  overview(schedulerLease: LeaseInfo | undefined): BackupOverview {
    const settings = this.#host.settings.backups;
    const rows = this.#host.catalog.backups.states(['ready']);
    const backedUp = rows.filter((row) => row.lastBackupAt !== null);
    return {
      enabled: settings.enabled,
      intervalMs: settings.intervalMs,
      scheduler: schedulerLease
        ? {
            owner: schedulerLease.owner,
            since: schedulerLease.acquiredAt,
            expiresAt: schedulerLease.expiresAt,
            lastCycle: (schedulerLease.detail?.['lastCycle'] as CycleReport | undefined) ?? null,
          }
        : null,
      instances: rows.length,
      backedUp: backedUp.length,
      neverBackedUp: rows.length - backedUp.length,
      oldestLastBackupAt: backedUp.reduce<number | null>((oldest, row) => (oldest === null || (row.lastBackupAt ?? 0) < oldest ? row.lastBackupAt : oldest), null),
      failing: [
        // Failures the catalog could not record (a full data disk): newer than what it holds.
        ...rows
          .filter((row) => this.#unrecorded.has(row.instanceId))
          .map((row) => {
            const failure = this.#unrecorded.get(row.instanceId);
            return { instance: row.name, error: failure?.error ?? '', failures: row.failures + (failure?.failures ?? 0), lastAttemptAt: failure?.at ?? null, lastBackupAt: row.lastBackupAt };
          }),
        ...rows.filter((row) => row.lastError !== null && !this.#unrecorded.has(row.instanceId)).map((row) => ({ instance: row.name, error: row.lastError ?? '', failures: row.failures, lastAttemptAt: row.lastAttemptAt, lastBackupAt: row.lastBackupAt })),
      ]
        .sort((a, b) => (b.lastAttemptAt ?? 0) - (a.lastAttemptAt ?? 0))
        .slice(0, 100),
      lastVerification: this.lastVerification(),
      locations: [...settings.locations].map(([region, location]) => ({ region, jurisdiction: location.jurisdiction, location: describeLocation(location) })),
      retiredLocations: this.#retiredLocations(),
    };
  }

  /**
   * Locations written to and no longer configured, unless known to be empty: a folder that is
   * gone or empty holds nothing (a bucket cannot be looked into without its configuration, so
   * it stays listed until `forgetLocation`).
   */
  #retiredLocations(): BackupOverview['retiredLocations'] {
    const configured = this.#stores.describeConfigured();
    return this.#host.catalog.backups
      .usedLocations()
      .filter((used) => !configured.has(used.location) && !isEmptyFolder(used.location))
      .map(({ location, lastUsedAt, instances }) => ({ location, lastUsedAt, instances }));
  }
}

function isEmptyFolder(location: string): boolean {
  if (!path.isAbsolute(location)) return false;
  try {
    return readdirSync(location).length === 0;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}
