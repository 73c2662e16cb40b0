import { statSync } from 'node:fs';
import type { AuditLog } from './audit-log';
import type { Catalog, InstanceInfo } from './catalog/catalog';
import type { OrphanBackupSet } from './backups/orphans';
import type { Region } from './config';
import type { Engine } from './engine';
import type { Provisioner } from './provisioner';
import type { Purges } from './purge';
import { ownerAlive } from './processes';
import { errorMessage } from './errors';
import { rollBackMove } from './move/move-fleet';
import { stagingLeftovers } from './staging';

/** How long a dead process's staging file is left before reconciliation removes it (see its use). */
const STAGING_LEFTOVER_AGE_MS = 60 * 60 * 1000;

export interface DoctorOptions {
  /** Also walk the region folders: remove leftovers, report orphans and missing files. */
  scanFiles?: boolean;
  /**
   * Also run SQLite's integrity check on every ready instance and re-read what the catalog
   * keeps of its file: schema version, size and the app's metrics (a restore or import killed
   * after its file was in place, or a file changed by hand, leaves them stale).
   */
  deep?: boolean;
  /** Provisioning rows of other hosts older than this are treated as interrupted. */
  staleAfterMs?: number;
  /**
   * Re-read the schema version of every ready instance the catalog has behind the latest one
   * (`silo doctor`, not start-up): a `silo migrate` killed part-way leaves files migrated
   * whose versions it had not recorded yet, and apps refuse those (SCHEMA_BEHIND) until the
   * catalog says what the files hold. None behind (a migrated fleet) costs nothing.
   */
  behindVersions?: boolean;
}

/**
 * The fleet's parts reconciliation works with: plain data. Interrupted provisioning is failed
 * by the `Provisioner`, interrupted purges are finished by `Purges` (which audit them).
 */
export interface ReconcileContext {
  readonly catalog: Catalog;
  readonly engine: Engine;
  readonly regions: readonly Region[];
  readonly provisioner: Provisioner;
  readonly purges: Purges;
  /** The newest schema version a tenant file may have (a recovered file above it is another app's). */
  readonly latestVersion: number;
  readonly audit: Pick<AuditLog, 'record'>;
}

export interface DoctorReport {
  /** Creates, clones and imports a crash interrupted: now failed, their files removed. */
  interrupted: { id: string; instance: string }[];
  /** Moves to another engine a crash interrupted (silo move), rolled back: served from where they were. */
  movesRolledBack: string[];
  /** Purges a crash interrupted, now finished (markers written, database removed, row gone). */
  purgesCompleted: string[];
  purgedExpired: string[];
  /** Expired deletions not purged, and interrupted purges that could not be finished (retried next time). */
  purgeFailures: { name: string; error: string }[];
  leftoversRemoved: string[];
  /** Database files with no catalog row: reported, never deleted automatically. */
  orphans: string[];
  /** Ready instances whose database is gone: marked failed. */
  missing: string[];
  /**
   * Instances marked failed for a missing file whose file is back (a volume mounted again, a
   * file restored by hand) and opens at a known version: ready again.
   */
  recovered: string[];
  versionsCorrected: { instance: string; from: number; to: number }[];
  integrity: { instance: string; problems: string[] }[];
  /**
   * With `scanFiles`: backup sets of instances the catalog does not know that carry no purge
   * marker, so nothing would ever erase them (marked now when `orphanBackupsMarked`).
   */
  orphanBackups?: OrphanBackupSet[];
  orphanBackupsMarked?: boolean;
  /** Backup locations the orphan scan could not read. */
  backupScanFailures?: string[];
}

const HOUR = 60 * 60 * 1000;

/** The error of an instance the scan found without its file; only these are taken back. */
const MISSING_FILE = 'The database file is missing.';

/**
 * Makes an instance failed for its missing file ready again once the file is back, whole (the
 * integrity check passes: not a copy still being written) and at a version of this schema.
 * Audited, as the failure was not.
 */
async function fileIsBack(context: ReconcileContext, instance: InstanceInfo): Promise<boolean> {
  const { engine, catalog } = context;
  if (!(await engine.exists(instance.dbUrl))) return false;
  if ((await engine.integrityCheck(instance.dbUrl)).length > 0) return false;
  let schemaVersion: number;
  try {
    schemaVersion = await engine.schemaVersion(instance.dbUrl);
  } catch {
    return false;
  }
  if (schemaVersion < 1 || schemaVersion > context.latestVersion) return false;
  if (!catalog.recoverMissing(instance.id, { schemaVersion, sizeBytes: await engine.sizeOf(instance.dbUrl) }, MISSING_FILE)) return false;
  context.audit.record({ actor: 'reconcile', operation: 'recover', instance: instance.name, outcome: 'ok', error: null, detail: { reason: 'the database file is back', schemaVersion } });
  return true;
}

/** Records the schema version the instance's file holds, when the catalog says another. */
async function correctVersion(context: ReconcileContext, instance: InstanceInfo, report: DoctorReport): Promise<void> {
  const actual = await context.engine.schemaVersion(instance.dbUrl);
  if (actual === instance.schemaVersion) return;
  context.catalog.setSchemaVersions([{ id: instance.id, schemaVersion: actual }]);
  report.versionsCorrected.push({ instance: instance.name, from: instance.schemaVersion, to: actual });
}

export async function reconcile(context: ReconcileContext, options: DoctorOptions): Promise<DoctorReport> {
  const { catalog, engine, regions } = context;
  const report: DoctorReport = {
    interrupted: [],
    movesRolledBack: [],
    purgesCompleted: [],
    purgedExpired: [],
    purgeFailures: [],
    leftoversRemoved: [],
    orphans: [],
    missing: [],
    recovered: [],
    versionsCorrected: [],
    integrity: [],
  };

  // A leased row whose owner died was interrupted. The lease is taken over first, so two
  // reconcilers never both act, and a stale one can never remove a re-created instance's files.
  for (const { instance, owner } of catalog.interruptedOperations(ownerAlive, options.staleAfterMs ?? HOUR)) {
    if (instance.state === 'deleted' || instance.state === 'failed') {
      // Only a purge leases a deleted or failed row.
      try {
        if (await context.purges.resumeInterrupted(instance, owner)) report.purgesCompleted.push(instance.name);
      } catch (error) {
        report.purgeFailures.push({ name: instance.name, error: errorMessage(error) });
      }
      continue;
    }
    if (!catalog.claim(instance.id, [instance.state], owner)) continue;
    if (instance.state === 'moving') {
      // The row still points at the local file (the switch is the move's last catalog write).
      await rollBackMove(engine, instance, regions);
      catalog.endMove(instance.id);
      report.movesRolledBack.push(instance.name);
      continue;
    }
    await context.provisioner.failInterrupted(instance);
    report.interrupted.push({ id: instance.id, instance: instance.name });
  }

  if (options.behindVersions && !options.deep) {
    // Read whole first: the corrections write to the catalog this would still be reading.
    for (const instance of [...catalog.each({ state: 'ready', schemaBelow: context.latestVersion })]) {
      try {
        await correctVersion(context, instance, report);
      } catch {
        // An unreadable file is the deep check's to report (integrity); here it stays as it is.
      }
    }
  }

  if (!(options.scanFiles || options.deep)) {
    // Staging is one folder per region, read in one listing: swept at every reconciliation,
    // start-up included, not only by a scan of every tenant file. A process killed there (an
    // export, a backup's snapshot, an import) leaves a copy of a whole tenant per operation.
    // Only files untouched for an hour as well: this runs at every start of every process,
    // and a temp name tells processes apart by host, boot and pid only (files.ts), so
    // containers that share a hostname as well as a data volume (run with the host's network)
    // still see each other's live work as dead. Such a file is being written (a snapshot, an
    // upload) or is open (an export's stream, which an unlink does not cut).
    const before = Date.now() - STAGING_LEFTOVER_AGE_MS;
    for (const leftover of stagingLeftovers(regions)) {
      if ((statSync(leftover, { throwIfNoEntry: false })?.mtimeMs ?? before) > before) continue;
      await engine.removeLeftover(leftover);
      report.leftoversRemoved.push(leftover);
    }
  }

  if (options.scanFiles || options.deep) {
    const { databases, leftovers } = await engine.inventory(regions);
    for (const leftover of leftovers) {
      await engine.removeLeftover(leftover);
      report.leftoversRemoved.push(leftover);
    }
    const known = new Set<string>();
    const checked: string[] = [];
    for (const instance of catalog.each({})) {
      known.add(instance.dbUrl);
      if (instance.state === 'failed' && instance.error === MISSING_FILE) {
        if (await fileIsBack(context, instance)) report.recovered.push(instance.name);
        else report.missing.push(instance.name);
        continue;
      }
      if (instance.state !== 'ready' && instance.state !== 'deleted') continue;
      if (!(await engine.exists(instance.dbUrl))) {
        if (instance.state === 'ready') catalog.markFailed(instance.id, MISSING_FILE);
        report.missing.push(instance.name);
        continue;
      }
      if (options.deep && instance.state === 'ready') {
        const problems = await engine.integrityCheck(instance.dbUrl);
        if (problems.length > 0) report.integrity.push({ instance: instance.name, problems });
        checked.push(instance.name);
        try {
          await correctVersion(context, instance, report);
        } catch (error) {
          report.integrity.push({ instance: instance.name, problems: [errorMessage(error)] });
        }
      }
    }
    report.orphans = databases.filter((url) => !known.has(url));
    // Usage only: a check is not the tenant's activity, nor a write.
    await context.provisioner.recordWrites(checked, { active: false, writes: 0 });
  }

  // Recorded purges nobody is working on; not those the pass above just tried.
  const resumed = await context.purges.resumeRecorded(new Set(report.purgeFailures.map((failure) => failure.name)));
  report.purgesCompleted.push(...resumed.completed);
  report.purgeFailures.push(...resumed.failures);
  return report;
}
