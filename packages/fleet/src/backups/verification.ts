import { randomUUID } from 'node:crypto';
import type { BackupStateRow, VerificationRecord } from '../catalog/backup-records';
import { removeDatabaseFiles } from '../files';
import { SiloError, errorMessage, instanceNotFound, isSiloError } from '../errors';
import { backedUpInstance, instanceOf, stagingFile, type BackedUpInstance, type BackupHost } from './backup-context';
import type { ActorOption, VerificationReport } from './backup-types';
import { instanceBase, listPoints, readManifest, type PointManifest } from './points';
import { rebuildPoint } from './rebuild-point';
import { readFacts } from './snapshot-file';
import type { BackupStore } from './store';
import type { BackupStores } from './stores';

export type VerifyOptions = ActorOption & { sample?: number; instances?: readonly string[] };

/** Checks that points can be restored: rebuilds a sample and compares it with what was recorded. */
export class Verifier {
  readonly #host: BackupHost;
  readonly #stores: BackupStores;

  constructor(host: BackupHost, stores: BackupStores) {
    this.#host = host;
    this.#stores = stores;
  }

  /**
   * Restores the latest point of a sample of instances to a temporary file, runs SQLite's
   * integrity check and compares row counts with those recorded when the point was taken.
   */
  async verify(options: VerifyOptions): Promise<VerificationReport> {
    const host = this.#host;
    const runId = randomUUID();
    const rows = options.instances
      ? options.instances.map((name) => {
          const row = host.catalog.backups.stateOf(backedUpInstance(host.catalog, name).id);
          if (!row) throw instanceNotFound(name);
          return row;
        })
      : host.catalog.backups.verificationSample(options.sample ?? host.settings.backups.verifySample);
    const at = host.clock();
    const results: (VerificationRecord & { instanceId: string })[] = [];
    const damaged: string[] = [];
    for (const row of rows) {
      const { damaged: isDamaged, ...result } = await this.#verifyLatestPoint(row);
      results.push({ runId, at, ...result });
      if (isDamaged && row.state === 'ready') damaged.push(row.instanceId);
    }
    host.catalog.backups.recordVerifications(results);
    // Healed by the next cycle: a new point of the live database, every chunk written again
    // (a damaged chunk is overwritten with its right content). A location that cannot be read
    // is no evidence of damage: nothing is taken again for it.
    for (const instanceId of damaged) host.catalog.backups.forgetLastPoint(instanceId);
    const failures = results.filter((result) => !result.ok);
    // Not thrown: a failed check is a finding to report, and the report names each problem.
    host.audit.record({
      actor: host.audit.actorOf(options),
      operation: 'backup-verify',
      instance: null,
      outcome: failures.length > 0 ? 'error' : 'ok',
      error: failures.length > 0 ? `${failures.length} backup(s) failed verification: ${failures.slice(0, 10).map((r) => r.instance).join(', ')}` : null,
      detail: {
        runId,
        checked: results.length,
        failed: failures.map((r) => ({ instance: r.instance, pointId: r.pointId, problems: r.problems.slice(0, 3) })).slice(0, 20),
        ...(damaged.length > 0 ? { newPointNextCycle: damaged.length } : {}),
      },
    });
    return { runId, at, checked: results.length, failed: failures.length, results: results.map(({ instanceId: _id, ...record }) => record) };
  }

  /** Checks one instance's latest point; whatever goes wrong is a problem of the result, never thrown. */
  async #verifyLatestPoint(row: BackupStateRow): Promise<Omit<VerificationRecord, 'runId' | 'at'> & { instanceId: string; damaged: boolean }> {
    const started = performance.now();
    let pointId: string | null = row.lastPointId;
    let problems: string[];
    let damaged: boolean;
    try {
      const instance = instanceOf(row);
      const store = this.#stores.forInstance(instance);
      const base = instanceBase(row.instanceId);
      // The newest point in the location, not the catalog's last recorded one: an in-place
      // restore's undo point is newer and unrecorded when its restored point could not be taken,
      // and retention may have dropped the recorded one since (that is no damage to report).
      pointId = (await listPoints(store, base)).at(-1)?.id ?? null;
      if (!pointId) throw new SiloError('BACKUP_NOT_FOUND', 'it has no backup point yet');
      problems = await this.#checkPoint(store, base, await readManifest(store, base, pointId), instance);
      damaged = problems.length > 0;
    } catch (error) {
      problems = [errorMessage(error)];
      // Damaged, or gone from a location that answered: a new point heals either.
      damaged = isSiloError(error, 'BACKUP_CORRUPT') || isSiloError(error, 'BACKUP_NOT_FOUND');
    }
    return { instance: row.name, instanceId: row.instanceId, pointId, ok: problems.length === 0, problems, damaged, durationMs: performance.now() - started };
  }

  /** Rebuilds the point and compares its row counts with those recorded when it was taken. */
  async #checkPoint(store: BackupStore, base: string, manifest: PointManifest, instance: BackedUpInstance): Promise<string[]> {
    const staged = stagingFile(this.#host.regions, instance.region, `${instance.name}.verify.db`);
    try {
      await rebuildPoint(store, base, manifest, staged, { maxMemoryBytes: this.#host.settings.queryMaxMemoryBytes, timeoutSec: this.#host.settings.checkTimeoutSec });
      const { tables } = readFacts(staged);
      const problems: string[] = [];
      for (const [table, expected] of Object.entries(manifest.tables)) {
        const actual = tables[table];
        if (actual !== expected) problems.push(`table ${table}: ${actual ?? 'missing'} rows restored, ${expected} recorded`);
      }
      return problems;
    } finally {
      removeDatabaseFiles(staged);
    }
  }
}

