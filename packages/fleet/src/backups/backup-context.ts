import path from 'node:path';
import type { BackupStateRow } from '../catalog/backup-records';
import type { Catalog, InstanceInfo } from '../catalog/catalog';
import type { FleetSettings } from '../config';
import type { AuditLog } from '../audit-log';
import type { Engine, TenantConnection } from '../engine';
import type { HandleCache } from '../handle-cache';
import type { Provisioner } from '../provisioner';
import { tempSibling } from '../files';
import { stagingDirOf } from '../staging';
import { SiloError, errorMessage, instanceNotFound } from '../errors';
import type { Regions } from '../regions';
import type { TenantSchema } from '../schema';
import type { BackupPoint } from './backup-types';
import type { PointDetails } from './point-details';
import type { PointRef } from './points';

/** The fleet's parts its backups work with: plain data, shared with the fleet itself. */
export interface BackupHost {
  readonly catalog: Catalog;
  readonly engine: Engine;
  readonly regions: Regions;
  readonly settings: FleetSettings;
  readonly schema: TenantSchema;
  readonly clock: () => number;
  /** This process's open handles: an instance whose content a restore replaced is dropped from them. */
  readonly handles: HandleCache<string, TenantConnection>;
  /** Audits backup operations (and names the actor when an operation does not say). */
  readonly audit: AuditLog;
  /** Restores as a new instance come into being the way creates do. */
  readonly provisioner: Provisioner;
}

/**
 * A failed attempt the catalog could not record because the data disk is full (the catalog
 * lives there too): the overview shows it, and the next cycle records it.
 */
export interface UnrecordedFailure {
  readonly instance: string;
  readonly at: number;
  readonly error: string;
  readonly failures: number;
}

/** An instance backups can be read from: ready, or deleted but not yet purged. */
export function backedUpInstance(catalog: Catalog, name: string): InstanceInfo {
  const instance = catalog.resolve(name);
  if (!instance || (instance.state !== 'ready' && instance.state !== 'deleted')) throw instanceNotFound(name);
  return instance;
}

/** A temp file in the staging folder of the instance's region (temp names are swept if a process dies). */
export function stagingFile(regions: Regions, regionId: string, fileName: string): string {
  return tempSibling(path.join(stagingDirOf(regions.get(regionId)), fileName));
}

export function pointOf(ref: PointRef, manifest?: PointDetails): BackupPoint {
  return manifest
    ? { id: ref.id, takenAt: ref.takenAt, reason: ref.reason, sizeBytes: manifest.sizeBytes, storedBytes: manifest.storedBytes, schemaVersion: manifest.schemaVersion }
    : { id: ref.id, takenAt: ref.takenAt, reason: ref.reason };
}

/** Milliseconds since the epoch; NaN for a time outside what a Date can hold (±8.64e15 ms). */
export function toTime(at: Date | number): number {
  return new Date(at).getTime();
}

/** The fields of an instance that taking, storing and checking its points need. */
export type BackedUpInstance = Pick<InstanceInfo, 'id' | 'name' | 'state' | 'jurisdiction' | 'region' | 'dbUrl'>;

/** The fields of an instance the backup steps need, from a summary row. */
export function instanceOf(row: BackupStateRow): BackedUpInstance {
  return { id: row.instanceId, name: row.name, state: row.state as InstanceInfo['state'], jurisdiction: row.jurisdiction, region: row.region, dbUrl: row.dbUrl };
}

/**
 * Runs a step that reads or writes a backup location. A storage failure (a disk or a bucket
 * refusing) comes out of the file system or the AWS SDK as a plain error: it becomes
 * BACKUP_FAILED naming what was being done and where, with the original as its cause.
 */
export async function atLocation<T>(what: string, where: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof SiloError) throw error;
    throw new SiloError('BACKUP_FAILED', `${what} failed (backup location ${where}): ${errorMessage(error)}`, { cause: error, details: { location: where } });
  }
}
