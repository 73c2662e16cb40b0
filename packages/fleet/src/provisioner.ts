import { randomUUID } from 'node:crypto';
import type { AuditHandoff } from './audit-log';
import type { Catalog, InstanceInfo } from './catalog/catalog';
import { diskFullError } from './disk-space';
import type { Engine, TenantConnection } from './engine';
import { errorMessage } from './errors';
import { failpoint } from './failpoints';
import type { HandleCache } from './handle-cache';
import type { Regions } from './regions';
import type { TenantSchema } from './schema';
import { recordWrites, type RecordWritesOptions } from './write-activity';

export interface ProvisionEntry {
  readonly name: string;
  /** Absent or blank: the instance name. */
  readonly displayName: string | undefined;
  readonly jurisdiction: string;
  readonly region: string;
  readonly clonedFrom?: string;
}

/** Builds the new database at `url` and returns its schema version. */
export type BuildStep = (url: string, id: string) => Promise<number>;

export interface ProvisionOptions {
  /**
   * Whether a build failure refuses the instance rather than fails it: a refused upload or
   * seed was never an instance, so its row is dropped (the name stays free) instead of
   * being kept as `failed`. Any other failure keeps the failed row.
   */
  readonly dropOnRefusal?: (error: unknown) => boolean;
  /** The operation's audit entry, committed with the ready row (AuditLog.runCommittedBy). */
  readonly audit?: AuditHandoff;
}

export interface ProvisionerParts {
  readonly catalog: Catalog;
  readonly engine: Engine;
  readonly regions: Regions;
  readonly schema: TenantSchema;
  readonly handles: HandleCache<string, TenantConnection>;
}

/**
 * The one path by which databases come into being (create, clone, import, restore as a new
 * instance): register as provisioning (so a crash is visible), build the database, and only
 * then mark it ready. Any failure removes the files and marks the row failed (or drops it,
 * for a refusal).
 */
export class Provisioner {
  readonly #parts: ProvisionerParts;
  /** Failed creates whose row could not be written for a full disk, by id: retried before the next operation. */
  readonly #unmarkedFailures = new Map<string, string>();

  constructor(parts: ProvisionerParts) {
    this.#parts = parts;
  }

  async provision(entry: ProvisionEntry, build: BuildStep, options: ProvisionOptions = {}): Promise<InstanceInfo> {
    const { catalog, engine, regions } = this.#parts;
    this.retryUnmarkedFailures();
    const region = regions.get(entry.region);
    const id = randomUUID();
    const dbUrl = engine.locate(entry.name, region);
    await catalog.beginProvisioning({
      id,
      name: entry.name,
      displayName: entry.displayName?.trim() || entry.name,
      jurisdiction: entry.jurisdiction,
      region: region.id,
      engine: engine.kind,
      dbUrl,
      ...(entry.clonedFrom ? { clonedFrom: entry.clonedFrom } : {}),
    });
    failpoint('create:after-register');
    let refused = false;
    try {
      let schemaVersion: number;
      try {
        schemaVersion = await build(dbUrl, id);
      } catch (error) {
        refused = options.dropOnRefusal?.(error) ?? false;
        throw error;
      }
      failpoint('create:before-ready');
      const ready = { schemaVersion, sizeBytes: await engine.sizeOf(dbUrl) };
      if (options.audit) {
        await catalog.markReadyWith(id, ready, [options.audit.write()]);
        options.audit.committed();
      } else catalog.markReady(id, ready);
      failpoint('create:after-ready');
    } catch (error) {
      const reported = diskFullError(error, region.dataDir);
      // Removing files needs no free space, so the files always go.
      await engine.remove(dbUrl).catch(() => undefined);
      if (refused) this.#drop(id, errorMessage(reported));
      else this.#markFailed(id, errorMessage(reported));
      throw reported;
    }
    return catalog.require(entry.name);
  }

  /**
   * After a write that did not come from the app (import, clone, restore, the console, …): the
   * app's metrics read again with the schema's `metricsSql` and the write recorded as activity
   * (write-activity.ts). Best effort: it never throws.
   */
  refreshMetrics(name: string, options: RecordWritesOptions = {}): Promise<void> {
    return recordWrites(this.#parts, [name], options);
  }

  /** The same for many instances, in batched catalog writes (a fleet-wide migration: `active: false`). */
  recordWrites(names: Iterable<string>, options: RecordWritesOptions = {}): Promise<void> {
    return recordWrites(this.#parts, names, options);
  }

  /**
   * A create, clone, import or restore a crash interrupted, its row already claimed from the dead
   * process by reconciliation: the files go, and the row is failed like any failed create.
   */
  async failInterrupted(instance: InstanceInfo): Promise<void> {
    await this.#parts.engine.remove(instance.dbUrl);
    this.#parts.catalog.markFailed(instance.id, 'Interrupted before it was ready (the process stopped); its files were removed. Create it again, or purge it.');
  }

  /** Failed creates whose row could not be written for a full disk: written now, when there may be room. */
  retryUnmarkedFailures(): void {
    for (const [id, message] of [...this.#unmarkedFailures]) this.#markFailed(id, message);
  }

  /**
   * Marks a failed create failed. On a full disk even that catalog write can fail: the row is
   * then removed instead, and if that fails too it is retried before the next operation (and
   * reconciliation resolves it after a restart), so no `provisioning` row outlives the failure.
   */
  #markFailed(id: string, message: string): void {
    try {
      this.#parts.catalog.markFailed(id, message);
      this.#unmarkedFailures.delete(id);
    } catch {
      this.#drop(id, message);
    }
  }

  /** Removes the row of a create that ended; when even that fails, it is marked failed later. */
  #drop(id: string, message: string): void {
    try {
      this.#parts.catalog.remove(id);
      this.#unmarkedFailures.delete(id);
    } catch {
      this.#unmarkedFailures.set(id, message);
    }
  }
}
