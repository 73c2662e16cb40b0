import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { LeaseInfo } from '../catalog/backup-records';
import { atLocation, backedUpInstance, pointOf, type BackupContext } from './backup-context';
import { describeLocation } from './backup-config';
import type { BackupOverview, BackupPoint, CycleReport, InstanceBackupStatus, VerificationReport } from './backup-types';
import { needsPoint } from './backup-cycle';
import { CATALOG_BASE, instanceBase, listPoints } from './points';

/** The read side of backups: what the CLI's status commands and the admin console show. */

export async function instanceStatus(ctx: BackupContext, name: string): Promise<InstanceBackupStatus> {
  const { host } = ctx;
  const instance = backedUpInstance(ctx, name);
  const row = host.catalog.backups.stateOf(instance.id);
  const store = ctx.stores.forInstance(instance);
  const points = await atLocation(`Listing the backups of "${name}"`, store.description, () => listPoints(store, instanceBase(instance.id)));
  const token = instance.state === 'ready' ? host.engine.backups?.changeToken(instance.dbUrl) : undefined;
  const pending = needsPoint(row ?? { changeToken: null, location: null }, token, store.description);
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
export async function listInstancePoints(ctx: BackupContext, name: string, options: { limit?: number; details?: boolean }): Promise<BackupPoint[]> {
  const instance = backedUpInstance(ctx, name);
  const store = ctx.stores.forInstance(instance);
  const base = instanceBase(instance.id);
  const refs = (await atLocation(`Listing the backups of "${name}"`, store.description, () => listPoints(store, base))).reverse().slice(0, options.limit ?? 100);
  if (!options.details) return refs.map((ref) => pointOf(ref));
  return Promise.all(
    refs.map(async (ref) => {
      try {
        return pointOf(ref, await ctx.pointDetails.get(store, base, ref.id));
      } catch {
        // A listing shows the point anyway; restoring it is what reports the damage.
        return pointOf(ref);
      }
    }),
  );
}

/** The catalog's own points (metadata only), newest first. */
export async function listCatalogPoints(ctx: BackupContext, options: { limit?: number }): Promise<BackupPoint[]> {
  return (await listPoints(ctx.stores.catalog(), CATALOG_BASE))
    .reverse()
    .slice(0, options.limit ?? 100)
    .map((ref) => pointOf(ref));
}

export function lastVerification(ctx: BackupContext): VerificationReport | null {
  const results = ctx.host.catalog.backups.lastVerificationRun();
  const first = results[0];
  if (!first) return null;
  return { runId: first.runId, at: first.at, checked: results.length, failed: results.filter((r) => !r.ok).length, results };
}

/** The fleet-wide picture; `schedulerLease` is the lease of a live scheduler, if any. */
export function overview(ctx: BackupContext, schedulerLease: LeaseInfo | undefined): BackupOverview {
  const settings = ctx.host.settings.backups;
  const rows = ctx.host.catalog.backups.states(['ready']);
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
        .filter((row) => ctx.unrecorded.has(row.instanceId))
        .map((row) => {
          const failure = ctx.unrecorded.get(row.instanceId);
          return { instance: row.name, error: failure?.error ?? '', failures: row.failures + (failure?.failures ?? 0), lastAttemptAt: failure?.at ?? null, lastBackupAt: row.lastBackupAt };
        }),
      ...rows.filter((row) => row.lastError !== null && !ctx.unrecorded.has(row.instanceId)).map((row) => ({ instance: row.name, error: row.lastError ?? '', failures: row.failures, lastAttemptAt: row.lastAttemptAt, lastBackupAt: row.lastBackupAt })),
    ]
      .sort((a, b) => (b.lastAttemptAt ?? 0) - (a.lastAttemptAt ?? 0))
      .slice(0, 100),
    lastVerification: lastVerification(ctx),
    locations: [...settings.locations].map(([region, location]) => ({ region, jurisdiction: location.jurisdiction, location: describeLocation(location) })),
    retiredLocations: retiredLocations(ctx),
  };
}

/**
 * Locations written to and no longer configured, unless known to be empty: a folder that is
 * gone or empty holds nothing (a bucket cannot be looked into without its configuration, so
 * it stays listed until `forgetLocation`).
 */
function retiredLocations(ctx: BackupContext): BackupOverview['retiredLocations'] {
  const configured = ctx.stores.describeConfigured();
  return ctx.host.catalog.backups
    .usedLocations()
    .filter((used) => !configured.has(used.location) && !isEmptyFolder(used.location))
    .map(({ location, lastUsedAt, instances }) => ({ location, lastUsedAt, instances }));
}

function isEmptyFolder(location: string): boolean {
  if (!path.isAbsolute(location)) return false;
  try {
    return readdirSync(location).length === 0;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}
