import path from 'node:path';
import type { AuditLog } from './audit-log';
import type { MarkReport } from './backups/retention';
import type { Catalog, InstanceInfo, PurgeIntent } from './catalog/catalog';
import type { Engine, TenantConnection } from './engine';
import { SiloError, errorMessage } from './errors';
import { failpoint } from './failpoints';
import { removeDatabaseFiles } from './files';
import type { HandleCache } from './handle-cache';
import type { Region } from './regions';
import { abandonedTempsIn, stagingDirOf } from './staging';

/** What a purge needs of backups: where its markers go, and writing them. */
export interface PurgeMarkers {
  purgeLocations(instance: Pick<InstanceInfo, 'id' | 'region'>): string[];
  markPurged(intent: PurgeIntent): Promise<MarkReport>;
}

export interface PurgeParts {
  readonly catalog: Catalog;
  readonly engine: Engine;
  readonly handles: HandleCache<string, TenantConnection>;
  readonly backups: PurgeMarkers;
  readonly audit: AuditLog;
  /** The instance's region, for its staging folder; undefined once the region left the config. */
  readonly regionOf: (id: string) => Region | undefined;
}

/** A purge a crash or a failed step left, and what became of it. */
export interface ResumedPurges {
  readonly completed: string[];
  readonly failures: { name: string; error: string }[];
}

/**
 * Purges as durable intents (catalog migration 8), shared by `Fleet.purge` and reconciliation:
 * the row is leased and the intent recorded (with every backup location the instance was
 * written to) in one transaction; then the purge marker goes into each location, the database
 * is removed, and the row and intent go together. A crash anywhere in between leaves the
 * intent, which reconciliation finishes here; meanwhile the name stays taken.
 */
export class Purges {
  readonly #parts: PurgeParts;

  constructor(parts: PurgeParts) {
    this.#parts = parts;
  }

  /** The work of `Fleet.purge` (which audits it): purging what is already gone reports `purged: false`. */
  async purge(name: string, actor: string): Promise<{ purged: boolean }> {
    const { catalog, backups } = this.#parts;
    const instance = catalog.resolve(name);
    if (!instance) return { purged: false };
    if (instance.state !== 'deleted' && instance.state !== 'failed') {
      throw new SiloError('INVALID_STATE', `Instance "${name}" is ${instance.state}; delete it first, then purge.`);
    }
    // Lease the row and record the intent first, so a concurrent undelete or purge cannot interleave with the removal.
    const begun = catalog.beginPurge(instance, ['deleted', 'failed'], { locations: backups.purgeLocations(instance), actor });
    if (!begun) {
      if (!catalog.resolve(name)) return { purged: false };
      throw new SiloError('INVALID_STATE', `Another operation is running on "${name}"; try again in a moment.`);
    }
    failpoint('purge:after-intent');
    // A location that cannot be written stops a purge this call began before anything is
    // removed, and frees the row again (it can still be undeleted); one resumed stays recorded.
    await this.#erase(begun.intent, { cancelIfUnmarked: begun.created });
    return { purged: true };
  }

  /**
   * Finishes the purge of a row leased by a process that died (`previousOwner`). False when
   * another process took it over first.
   */
  resumeInterrupted(instance: InstanceInfo, previousOwner: string): Promise<boolean> {
    return this.#resume({ instance, previousOwner });
  }

  /**
   * Recorded purges nobody is working on (their step failed, or their row is gone): finished
   * now. `skip`: names tried a moment ago (by the interrupted-operations pass).
   */
  async resumeRecorded(skip: ReadonlySet<string>): Promise<ResumedPurges> {
    const result: ResumedPurges = { completed: [], failures: [] };
    for (const { intent, state, owner } of this.#parts.catalog.purgeIntents()) {
      if (state !== undefined && owner !== null) continue; // running, or a dead owner's (reconcile took it)
      if (skip.has(intent.name)) continue;
      try {
        const instance = state === undefined ? undefined : this.#parts.catalog.resolve(intent.name);
        const finished = instance?.id === intent.instanceId ? await this.#resume({ instance, previousOwner: null }) : await this.#resume({ intent });
        if (finished) result.completed.push(intent.name);
      } catch (error) {
        result.failures.push({ name: intent.name, error: errorMessage(error) });
      }
    }
    return result;
  }

  /**
   * Finishes a purge a crash (or a failed step) left: the leased row of a dead process (its
   * intent recorded, or — before migration 8 — not), or an intent whose row is unleased or gone.
   * False when a live process holds it.
   */
  async #resume(target: { instance: InstanceInfo; previousOwner: string | null } | { intent: PurgeIntent }): Promise<boolean> {
    const { catalog, backups, audit } = this.#parts;
    let intent: PurgeIntent;
    if ('intent' in target) {
      intent = target.intent;
    } else {
      const { instance, previousOwner } = target;
      const begun = catalog.beginPurge(instance, [instance.state], { locations: backups.purgeLocations(instance), actor: 'reconcile' }, previousOwner);
      if (!begun) return false;
      intent = begun.intent;
    }
    await this.#erase(intent, { cancelIfUnmarked: false });
    // The erasure's record: the interrupted purge wrote none.
    audit.record({
      actor: 'reconcile',
      operation: 'purge',
      instance: intent.name,
      outcome: 'ok',
      error: null,
      detail: { resumed: true, requestedBy: intent.actor, requestedAt: intent.requestedAt, instanceId: intent.instanceId, locations: intent.locations },
    });
    return true;
  }

  /**
   * The erasing steps of a purge whose intent is recorded: markers in every backup location,
   * the database, then the row and the intent. Each step is idempotent (a marker already there,
   * a file already gone, a row already gone), so a resumed purge simply runs them again.
   */
  async #erase(intent: PurgeIntent, options: { cancelIfUnmarked: boolean }): Promise<void> {
    const { catalog, engine, handles, backups, audit } = this.#parts;
    handles.invalidate(intent.instanceId);
    let unreachable: string[];
    try {
      unreachable = (await backups.markPurged(intent)).unreachable;
    } catch (error) {
      if (options.cancelIfUnmarked) catalog.cancelPurge(intent.instanceId);
      else catalog.release(intent.instanceId);
      throw error;
    }
    failpoint('purge:after-markers');
    try {
      // Never another instance's database (the path derives from the name; the name is held until the end, this is a second guard).
      if (!catalog.dbUrlInUse(intent.dbUrl, intent.instanceId)) await engine.remove(intent.dbUrl);
      this.#removeStagedCopies(intent);
      failpoint('purge:after-remove');
    } catch (error) {
      catalog.release(intent.instanceId);
      throw error;
    }
    if (!catalog.finishPurge(intent.instanceId)) {
      throw new SiloError('INVALID_STATE', `Another process took over the purge of "${intent.name}"; it finishes it.`);
    }
    if (unreachable.length > 0) {
      // Locations written to once but no longer configured: Silo cannot mark them. The backups overview names them until an operator deals with them.
      audit.record({ actor: intent.actor, operation: 'purge-unmarked-locations', instance: intent.name, outcome: 'error', error: `No purge marker could be written to ${unreachable.join(', ')} (no longer configured): remove ${intent.instanceId}'s backups there by hand.`, detail: { instanceId: intent.instanceId, locations: unreachable } });
    }
  }

  /**
   * Copies of the instance a killed export, backup, restore or move left in its region's
   * staging folder (named after the instance: `<name>.export.db.tmp-…`). An erasure that left
   * them would not be one. Only abandoned ones: a live process removes its own.
   */
  #removeStagedCopies(intent: PurgeIntent): void {
    const region = this.#parts.regionOf(intent.region);
    if (!region) return;
    for (const file of abandonedTempsIn(stagingDirOf(region))) {
      if (path.basename(file).startsWith(`${intent.name}.`)) removeDatabaseFiles(file);
    }
  }
}
