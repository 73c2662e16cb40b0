import type { Catalog } from './catalog/catalog';
import type { Region } from './config';
import type { Engine } from './engine';
import { isAlive } from './processes';
import { errorMessage } from './errors';

export interface DoctorOptions {
  /** Also walk the region folders: remove leftovers, report orphans and missing files. */
  scanFiles?: boolean;
  /** Also run SQLite's integrity check on every ready instance and re-read schema versions. */
  deep?: boolean;
  /** Provisioning rows of other hosts older than this are treated as interrupted. */
  staleAfterMs?: number;
}

export interface DoctorReport {
  interrupted: { id: string; instance: string }[];
  purgedExpired: string[];
  leftoversRemoved: string[];
  /** Database files with no catalog row: reported, never deleted automatically. */
  orphans: string[];
  /** Ready instances whose database is gone: marked failed. */
  missing: string[];
  versionsCorrected: { instance: string; from: number; to: number }[];
  integrity: { instance: string; problems: string[] }[];
}

const HOUR = 60 * 60 * 1000;

export async function reconcile(
  catalog: Catalog,
  engine: Engine,
  regions: readonly Region[],
  options: DoctorOptions,
): Promise<DoctorReport> {
  const report: DoctorReport = {
    interrupted: [],
    purgedExpired: [],
    leftoversRemoved: [],
    orphans: [],
    missing: [],
    versionsCorrected: [],
    integrity: [],
  };

  // A provisioning row whose owner died was interrupted: its files may be partial, so they go.
  for (const instance of catalog.interruptedOperations(isAlive, options.staleAfterMs ?? HOUR)) {
    await engine.remove(instance.dbUrl);
    catalog.markFailed(instance.id, 'Interrupted before it was ready (the process stopped); its files were removed. Create it again, or purge it.');
    report.interrupted.push({ id: instance.id, instance: instance.name });
  }

  if (options.scanFiles || options.deep) {
    const { databases, leftovers } = await engine.inventory(regions);
    for (const leftover of leftovers) {
      await engine.removeLeftover(leftover);
      report.leftoversRemoved.push(leftover);
    }
    const known = new Set<string>();
    for (const instance of catalog.each({})) {
      known.add(instance.dbUrl);
      if (instance.state !== 'ready' && instance.state !== 'deleted') continue;
      if (!(await engine.exists(instance.dbUrl))) {
        if (instance.state === 'ready') catalog.markFailed(instance.id, 'The database file is missing.');
        report.missing.push(instance.name);
        continue;
      }
      if (options.deep && instance.state === 'ready') {
        const problems = await engine.integrityCheck(instance.dbUrl);
        if (problems.length > 0) report.integrity.push({ instance: instance.name, problems });
        try {
          const actual = await engine.schemaVersion(instance.dbUrl);
          if (actual !== instance.schemaVersion) {
            catalog.setSchemaVersions([{ id: instance.id, schemaVersion: actual }]);
            report.versionsCorrected.push({ instance: instance.name, from: instance.schemaVersion, to: actual });
          }
        } catch (error) {
          report.integrity.push({ instance: instance.name, problems: [errorMessage(error)] });
        }
      }
    }
    report.orphans = databases.filter((url) => !known.has(url));
  }
  return report;
}
