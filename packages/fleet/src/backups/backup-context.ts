import path from 'node:path';
import type { BackupStateRow } from '../catalog/backup-records';
import type { Catalog, InstanceInfo } from '../catalog/catalog';
import type { FleetSettings } from '../config';
import type { Engine } from '../engine';
import { tempSibling } from '../files';
import { SiloError, errorMessage, instanceNotFound } from '../errors';
import type { Regions } from '../regions';
import type { TenantSchema } from '../schema';
import type { ActorOption, BackupPoint } from './backup-types';
import type { ChunkCollector } from './chunk-collector';
import type { PointDetails, PointDetailsCache } from './point-details';
import type { PointRef } from './points';
import type { BackupStores } from './stores';

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
  /** Records the app's metrics of an instance whose content was just replaced (best effort). */
  refreshMetrics(name: string): Promise<void>;
  /** A failed row left by a refused restore-as is dropped so the name stays free. */
  dropFailed(name: string): void;
}

/** What every backup step works with: the fleet's parts, the stores, and this fleet's name in leases. */
export interface BackupContext {
  readonly host: BackupHost;
  readonly stores: BackupStores;
  /** This fleet's name in leases: the process, plus a suffix for each fleet opened in it. */
  readonly owner: string;
  /** Retention's collection of unreferenced chunks (it remembers between runs). */
  readonly chunks: ChunkCollector;
  /** Sizes of points already read, for listings with details. */
  readonly pointDetails: PointDetailsCache;
  /**
   * Failed attempts the catalog could not record because the data disk is full (the catalog
   * lives there too), by instance id: the overview shows them, and the next cycle records them.
   */
  readonly unrecorded: Map<string, UnrecordedFailure>;
}

export interface UnrecordedFailure {
  readonly instance: string;
  readonly at: number;
  readonly error: string;
  readonly failures: number;
}

/** An instance backups can be read from: ready, or deleted but not yet purged. */
export function backedUpInstance(ctx: BackupContext, name: string): InstanceInfo {
  const instance = ctx.host.catalog.resolve(name);
  if (!instance || (instance.state !== 'ready' && instance.state !== 'deleted')) throw instanceNotFound(name);
  return instance;
}

/** A temp file in the staging folder of the instance's region (temp names are swept if a process dies). */
export function stagingFile(ctx: BackupContext, regionId: string, fileName: string): string {
  const region = ctx.host.regions.get(regionId);
  return tempSibling(path.join(ctx.host.engine.stagingDir(region), fileName));
}

export function pointOf(ref: PointRef, manifest?: PointDetails): BackupPoint {
  return manifest
    ? { id: ref.id, takenAt: ref.takenAt, reason: ref.reason, sizeBytes: manifest.sizeBytes, storedBytes: manifest.storedBytes, schemaVersion: manifest.schemaVersion }
    : { id: ref.id, takenAt: ref.takenAt, reason: ref.reason };
}

export function toTime(at: Date | number): number {
  return at instanceof Date ? at.getTime() : at;
}

/** The fields of an instance the backup steps need, from a summary row. */
export function instanceOf(row: BackupStateRow): InstanceInfo {
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
