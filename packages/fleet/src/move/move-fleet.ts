import { quotaWarning } from '../engines/turso-shared';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Catalog, InstanceInfo } from '../catalog/catalog';
import { mapUnordered } from '../concurrency';
import type { Region } from '../config';
import type { Engine, TenantConnection } from '../engine';
import { removeDatabaseFiles, removeWithTemps, tempSibling } from '../files';
import { stagingDirOf } from '../staging';
import { LocalEngine, RoutingEngine } from '../engines/open-engine';
import { SiloError, errorMessage, isSiloError } from '../errors';
import { failpoint } from '../failpoints';
import type { HandleCache } from '../handle-cache';
import type { AuditLog } from '../audit-log';
import type { Regions } from '../regions';
import type { TenantSchema } from '../schema';
import { compareFingerprints, fingerprintOf, isSealed, seal, unseal, unsealSnapshot } from './seal';

export interface MoveOptions {
  /** The engine to move to; only local files → turso is supported. */
  to: 'turso';
  /** Only these instances (by name); by default every instance still on local files. */
  only?: readonly string[];
  /** Instances moved at once (default 4: most of the time is spent waiting on the network). */
  concurrency?: number;
  /** Report what would move, change nothing. */
  dryRun?: boolean;
  /** Keep each moved instance's local file (sealed: it refuses writes) until a later run without this flag. */
  keepLocal?: boolean;
  onProgress?: (progress: MoveProgress) => void;
  /** Told before anything moves when the target's plan quota would be passed (also in the report). */
  onWarning?: (message: string) => void;
  actor?: string;
}

export type MoveStatus = 'moved' | 'would-move' | 'skipped' | 'failed';

export interface InstanceMoveResult {
  readonly instance: string;
  readonly status: MoveStatus;
  /** Why it was skipped or failed; for moved ones, what happened to the local file. */
  readonly reason?: string;
  readonly from?: string;
  readonly to?: string;
  readonly durationMs: number;
}

export interface MoveProgress {
  readonly total: number;
  readonly done: number;
  readonly moved: number;
  readonly skipped: number;
  readonly failed: number;
  readonly last: InstanceMoveResult;
}

export interface MoveReport {
  readonly to: string;
  readonly results: InstanceMoveResult[];
  readonly moved: number;
  readonly skipped: number;
  readonly failed: number;
  /** Instances found on the target already (moved by an earlier run); not listed in results. */
  readonly alreadyMoved: number;
  /** Local files left by an earlier run (kept, or interrupted after the switch) removed by this one. */
  readonly localFilesRemoved: number;
  readonly durationMs: number;
  /** Set when the target's plan quota would be passed by this move (it still runs: creates past it fail one by one). */
  readonly quotaWarning?: string;
}

export interface MoveContext {
  readonly catalog: Catalog;
  readonly engine: Engine;
  readonly regions: Regions;
  readonly schema: TenantSchema;
  readonly importMaxBytes: number;
  /** This process's open handles: an instance whose database changed is dropped from them. */
  readonly handles: HandleCache<string, TenantConnection>;
  readonly audit: AuditLog;
}

interface Engines {
  readonly local: LocalEngine;
  readonly target: Engine;
}

/**
 * Moves instances from local files to Turso, one at a time per slot, each one:
 *
 *  1. leased and taken out of service (`moving`: the apps answer 503 with Retry-After);
 *  2. sealed: the file refuses writes, so none can land after the snapshot;
 *  3. snapshotted, the seal removed from the copy, and its fingerprint taken (schema version,
 *     rows per table);
 *  4. uploaded with the target's importFile (validated, then a new database);
 *  5. verified: integrity_check and the same fingerprint read back from the target;
 *  6. switched: engine and URL change and the instance is ready, in one catalog statement;
 *  7. its local file removed (or kept, sealed, with `keepLocal`).
 *
 * Until step 6 the row points at the local file, and any failure rolls back: remote copy
 * removed, file unsealed, instance ready again where it was. A crash is rolled back the same
 * way by reconciliation (see rollBackMove), which also removes the dead mover's staged
 * snapshot. After step 6 the instance is on Turso; a crash before step 7 leaves a sealed
 * local file that the next run removes. Never throws for one
 * instance: see the per-instance results.
 */
export async function moveFleet(context: MoveContext, options: MoveOptions): Promise<MoveReport> {
  const started = performance.now();
  const engines = enginesFor(context.engine, options.to);
  const concurrency = Math.max(1, Math.min(64, Math.trunc(options.concurrency ?? 4)));
  const results: InstanceMoveResult[] = [];
  let alreadyMoved = 0;
  let localFilesRemoved = 0;

  const candidates: (InstanceInfo | string)[] = [];
  if (options.only && options.only.length > 0) {
    for (const name of new Set(options.only)) candidates.push(context.catalog.find(name) ?? name);
  } else {
    for (const instance of context.catalog.each({})) {
      if (instance.engine === engines.local.kind) {
        candidates.push(instance);
      } else if (instance.engine === engines.target.kind) {
        alreadyMoved++;
        if (!options.dryRun && !options.keepLocal && (await removeLeftLocalFile(engines, context.regions, instance))) localFilesRemoved++;
      }
    }
  }

  // Read the plan's quota before the bulk operation, so an operator sees it would not fit.
  const quota = candidates.length > 0 && engines.target.databaseQuota ? await engines.target.databaseQuota().catch(() => undefined) : undefined;
  const warning = quota ? quotaWarning(quota, candidates.length) : undefined;
  if (warning) options.onWarning?.(warning);

  const moveOne = async (candidate: InstanceInfo | string): Promise<InstanceMoveResult> => {
    const begin = performance.now();
    const done = (status: MoveStatus, name: string, extra: Partial<InstanceMoveResult> = {}): InstanceMoveResult => ({
      instance: name,
      status,
      ...extra,
      durationMs: performance.now() - begin,
    });
    if (typeof candidate === 'string') {
      return done('failed', candidate, { reason: `No instance named "${candidate}". Check the name with \`silo instances list\`.` });
    }
    const instance = candidate;
    if (instance.engine === engines.target.kind) {
      const removed = !options.dryRun && !options.keepLocal && (await removeLeftLocalFile(engines, context.regions, instance));
      if (removed) localFilesRemoved++;
      return done('skipped', instance.name, { reason: `already on ${engines.target.kind}${removed ? ' (removed its old local file)' : ''}` });
    }
    const refusal = notMovable(instance, engines, context.schema);
    if (refusal) return done('skipped', instance.name, { reason: refusal, from: instance.dbUrl });
    let targetUrl: string;
    try {
      targetUrl = engines.target.locate(instance.name, context.regions.get(instance.region));
    } catch (error) {
      // An unconfigured region, or a jurisdiction without a Turso group: configuration to fix.
      return done('failed', instance.name, { from: instance.dbUrl, reason: errorMessage(error) });
    }
    if (options.dryRun) return done('would-move', instance.name, { from: instance.dbUrl, to: targetUrl });
    const audit = (outcome: 'ok' | 'error', detail: Record<string, unknown>, error: string | null = null): void => {
      try {
        context.audit.record({ actor: context.audit.actorOf(options), operation: 'move', instance: instance.name, outcome, error, detail });
      } catch (auditError) {
        // The move itself is done (or rolled back); a busy catalog must not change its result.
        process.emitWarning(`silo: could not audit the move of ${instance.name}: ${errorMessage(auditError)}`);
      }
    };
    let localFile: string;
    try {
      localFile = await moveInstance(context, engines, instance, targetUrl, options.keepLocal ?? false);
    } catch (error) {
      audit('error', { from: instance.dbUrl, to: targetUrl }, errorMessage(error));
      const status = isSiloError(error, 'INVALID_STATE') && error.details.notStarted === true ? 'skipped' : 'failed';
      return done(status, instance.name, { from: instance.dbUrl, to: targetUrl, reason: errorMessage(error) });
    }
    audit('ok', { from: instance.dbUrl, to: targetUrl, localFile });
    return done('moved', instance.name, { from: instance.dbUrl, to: targetUrl, reason: localFile });
  };

  const counts = { moved: 0, skipped: 0, failed: 0 };
  for await (const result of mapUnordered(candidates, concurrency, moveOne)) {
    results.push(result);
    if (result.status === 'failed') counts.failed++;
    else if (result.status === 'skipped') counts.skipped++;
    else counts.moved++;
    options.onProgress?.({ total: candidates.length, done: results.length, ...counts, last: result });
  }
  return {
    to: engines.target.kind,
    results,
    ...counts,
    alreadyMoved,
    localFilesRemoved,
    durationMs: performance.now() - started,
    ...(warning ? { quotaWarning: warning } : {}),
  };
}

/** Why this instance is not moved now, or undefined when it can be. */
function notMovable(instance: InstanceInfo, engines: Engines, schema: TenantSchema): string | undefined {
  if (instance.engine !== engines.local.kind) return `on the ${instance.engine} engine; only instances on local files are moved`;
  switch (instance.state) {
    case 'ready':
      break;
    case 'deleted':
      return 'deleted; undelete it to move it, or let the retention window purge it';
    case 'failed':
      return 'failed to provision; purge it';
    case 'provisioning':
      return 'still being set up; run silo move again once it is ready';
    case 'moving':
      return 'another silo move is moving it';
  }
  if (instance.schemaVersion < schema.latestVersion) {
    return `at schema version ${instance.schemaVersion}, behind ${schema.latestVersion}; run silo migrate first`;
  }
  return undefined;
}

/** Steps 1–7 for one instance; returns what happened to the local file. */
async function moveInstance(context: MoveContext, engines: Engines, instance: InstanceInfo, targetUrl: string, keepLocal: boolean): Promise<string> {
  const { catalog, schema } = context;
  const { local, target } = engines;
  if (!catalog.beginMove(instance.id, local.kind)) {
    throw new SiloError('INVALID_STATE', 'it changed while the move started (another operation is running on it); run silo move again', {
      details: { notStarted: true },
    });
  }
  context.handles.invalidate(instance.id);
  const region = context.regions.get(instance.region);
  const staged = tempSibling(path.join(stagingDirOf(region), stagedName(instance.name)));
  let uploaded = false;
  try {
    await withConnection(local, instance.dbUrl, seal);
    failpoint('move:after-seal');
    await local.snapshot(instance.dbUrl, staged);
    const expected = unsealSnapshot(staged);
    if (expected.userVersion !== instance.schemaVersion) {
      throw new SiloError('INVALID_STATE', `its file is at schema version ${expected.userVersion}, the catalog says ${instance.schemaVersion}; run silo doctor --deep`);
    }
    // A database of this name can only be the remnant of an interrupted move: the catalog's
    // names are unique, and this one's row still points at its local file.
    // exists() also checks the group, so a database of this name elsewhere is never touched.
    if (await target.exists(targetUrl)) await target.remove(targetUrl);
    // A failed import removes what it created itself; from here on the copy is ours to remove.
    // The live instance's own file, not an upload: its schema is its own history.
    await target.importFile(staged, targetUrl, schema, context.importMaxBytes, 'own-copy');
    uploaded = true;
    failpoint('move:after-upload');
    const problems = await target.integrityCheck(targetUrl);
    if (problems.length === 0) problems.push(...compareFingerprints(expected, await withConnection(target, targetUrl, fingerprintOf)));
    if (problems.length > 0) {
      throw new SiloError('ENGINE_FAILURE', `the copy on ${target.kind} does not match the local file: ${problems.slice(0, 5).join('; ')}`);
    }
    const sizeBytes = await target.sizeOf(targetUrl);
    if (!catalog.endMove(instance.id, { engine: target.kind, dbUrl: targetUrl, sizeBytes })) {
      throw new SiloError('INVALID_STATE', 'its lease was taken over (this run was presumed dead); run silo move again');
    }
  } catch (error) {
    if (uploaded) await target.remove(targetUrl).catch(() => undefined);
    await withConnection(local, instance.dbUrl, unseal).catch(() => undefined);
    catalog.endMove(instance.id);
    throw error;
  } finally {
    removeDatabaseFiles(staged);
  }
  context.handles.invalidate(instance.id);
  failpoint('move:after-switch');
  if (keepLocal) return 'local file kept, sealed against writes';
  await local.remove(instance.dbUrl).catch(() => undefined);
  return existsSync(local.pathOf(instance.dbUrl)) ? 'could not remove the local file; the next silo move removes it' : 'local file removed';
}

/**
 * After a crash in the middle of a move (the row still `moving`, so still pointing at its local
 * file): remove the copy the move may have made, unseal the file. The caller then serves the
 * instance again where it was; the next silo move starts it over.
 */
export async function rollBackMove(engine: Engine, instance: InstanceInfo, regions: readonly Region[]): Promise<void> {
  const router = engine instanceof RoutingEngine ? engine : undefined;
  const region = regions.find((candidate) => candidate.id === instance.region);
  if (router && region && router.kind !== instance.engine) {
    // Best effort: the next move of this instance removes a remnant it finds first.
    const abandoned = router.locate(instance.name, region);
    if (await router.exists(abandoned).catch(() => false)) await router.remove(abandoned).catch(() => undefined);
  }
  // A file that is gone has no seal; doctor --scan then reports the instance as missing.
  if (await engine.exists(instance.dbUrl)) await withConnection(engine, instance.dbUrl, unseal);
  // The dead mover's snapshot: the lease was its, so every staged copy of this move is.
  if (region) removeWithTemps(path.join(stagingDirOf(region), stagedName(instance.name)));
}

/** Where a move stages an instance's snapshot (as a temp sibling of this name). */
function stagedName(name: string): string {
  return `${name}.move.db`;
}

/**
 * The local file of an instance that is on the target already, left by a crash between the
 * switch and the removal, or kept with --keep-local. Only a sealed file is removed: it is a
 * moved instance's old copy and refuses writes, never a database someone still uses.
 */
async function removeLeftLocalFile(engines: Engines, regions: Regions, instance: InstanceInfo): Promise<boolean> {
  let url: string;
  try {
    url = engines.local.locate(instance.name, regions.get(instance.region));
  } catch {
    return false;
  }
  if (!existsSync(engines.local.pathOf(url))) return false;
  if (!(await withConnection(engines.local, url, isSealed).catch(() => false))) return false;
  return engines.local.remove(url).then(
    () => true,
    () => false,
  );
}

function enginesFor(engine: Engine, to: string): Engines {
  const local = engine instanceof RoutingEngine ? engine.engineOfKind('local') : undefined;
  const target = engine instanceof RoutingEngine ? engine.engineOfKind(to) : undefined;
  if (to !== 'turso' || engine.kind !== to || !(local instanceof LocalEngine) || !target) {
    throw new SiloError(
      'CONFIG_INVALID',
      `silo move --to ${to} needs SILO_ENGINE=${to} and its settings (SILO_TURSO_ORG, SILO_TURSO_API_TOKEN, SILO_TURSO_GROUPS), as on the app servers: set them there first, so the apps serve both moved instances and those not moved yet.`,
    );
  }
  return { local, target };
}

async function withConnection<T>(engine: Engine, url: string, work: (db: TenantConnection) => Promise<T>): Promise<T> {
  const db = engine.connect(url);
  try {
    return await work(db);
  } finally {
    db.close();
  }
}
