/**
 * A 10,000-instance fleet created, listed and migrated inside the test suite's time.
 *
 * No timing assertions: the durations are printed for the record only. What is asserted is
 * that everything completes, the counts are right, and file descriptors stay bounded.
 */
import { describe, expect, it } from 'vitest';
import type { Fleet } from '../src/index';
import { fdsUnder, sampleSchema, tempDir, tempFleet } from './helpers';

const COUNT = 10_000;
const HANDLE_CAP = 200;
const name = (index: number): string => `inst-${String(index).padStart(5, '0')}`;
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

function allNames(fleet: Fleet, query: { order?: 'asc' | 'desc'; jurisdiction?: string } = {}): string[] {
  const names: string[] = [];
  for (let offset = 0; ; offset += 1_000) {
    const page = fleet.list({ ...query, sort: 'name', limit: 1_000, offset });
    names.push(...page.items.map((instance) => instance.name));
    if (page.items.length < 1_000) return names;
  }
}

describe('a 10,000-instance fleet', () => {
  it(
    'is created, listed and migrated, with handles and file descriptors bounded',
    async () => {
      const dataDir = tempDir('silo-scale-');
      const expectedNames = Array.from({ length: COUNT }, (_, index) => name(index));

      // ── Create, at schema v1 (an older release of the app) ──
      const { fleet: v1 } = await tempFleet({ dataDir, schema: sampleSchema(1) });
      let started = performance.now();
      for (let index = 0; index < COUNT; index++) {
        await v1.create(name(index), { jurisdiction: index % 2 === 0 ? 'eu' : 'us' });
      }
      const createMs = performance.now() - started;

      // ── List: totals, filters, sorts and paging ──
      started = performance.now();
      expect(v1.list().total).toBe(COUNT);
      expect(v1.list({ state: 'ready' }).total).toBe(COUNT);
      expect(v1.list({ jurisdiction: 'eu' }).total).toBe(COUNT / 2);
      expect(v1.list({ jurisdiction: 'us' }).total).toBe(COUNT / 2);
      expect(v1.list({ region: 'eu-west' }).total).toBe(COUNT / 2);
      expect(v1.list({ region: 'eu-central' }).total).toBe(0);
      expect(v1.list({ schemaBelow: 2 }).total).toBe(COUNT);
      expect(v1.list({ state: ['failed', 'provisioning', 'deleted'] }).total).toBe(0);
      const search = v1.list({ search: 'inst-0999' });
      expect(search.total).toBe(10);
      expect(search.items.map((instance) => instance.name)).toEqual(Array.from({ length: 10 }, (_, i) => name(9_990 + i)));

      expect(allNames(v1)).toEqual(expectedNames);
      expect(allNames(v1, { order: 'desc' })).toEqual([...expectedNames].reverse());
      expect(allNames(v1, { jurisdiction: 'us' })).toEqual(expectedNames.filter((_, index) => index % 2 === 1));

      const page = v1.list({ jurisdiction: 'eu', sort: 'name', limit: 100, offset: 4_950 });
      expect(page.total).toBe(COUNT / 2);
      expect(page.items).toHaveLength(50);
      expect(page.items.every((instance) => instance.jurisdiction === 'eu' && instance.region === 'eu-west')).toBe(true);
      expect(page.items.at(-1)?.name).toBe(name(COUNT - 2));

      const newest = v1.list({ sort: 'created', order: 'desc', limit: 1_000 });
      expect(newest.total).toBe(COUNT);
      const created = newest.items.map((instance) => instance.createdAt);
      expect(created).toEqual([...created].sort((a, b) => b - a));
      expect(newest.items[0]?.createdAt).toBe(Math.max(...created));
      expect(v1.list({ limit: 5_000 }).items).toHaveLength(1_000); // page size is capped
      const listMs = performance.now() - started;
      await v1.close();

      // ── Migrate to v2 ──
      const { fleet } = await tempFleet({ dataDir, schema: sampleSchema(2), handleCap: HANDLE_CAP });
      expect(fleet.migrationStatus()).toMatchObject({ latestVersion: 2, behind: COUNT, pending: [{ version: 2, instances: COUNT }] });
      let progressCalls = 0;
      started = performance.now();
      const report = await fleet.migrateAll({ onProgress: () => progressCalls++ });
      const migrateMs = performance.now() - started;
      expect(report.failed).toBe(0);
      expect(report.migrated).toBe(COUNT);
      expect(report.upToDate).toBe(0);
      expect(report.results).toHaveLength(COUNT);
      expect(progressCalls).toBe(COUNT);
      const status = fleet.migrationStatus();
      expect(status.behind).toBe(0);
      expect(status.byVersion).toEqual([{ version: 2, count: COUNT }]);
      expect(status.pending).toEqual([]);
      expect(fleet.list({ schemaBelow: 2 }).total).toBe(0);
      for (let index = 0; index < COUNT; index += 997) {
        const { rows } = await fleet.query(name(index), 'PRAGMA user_version');
        expect(rows, name(index)).toEqual([[2]]);
      }
      // A second run has nothing to do.
      const again = await fleet.migrateAll();
      expect(again.results).toHaveLength(0);

      // ── Handles: 500 distinct instances through a cap of 200 ──
      expect(fleet.settings.handleCap).toBe(HANDLE_CAP);
      let maxHandles = 0;
      let maxFds = 0;
      started = performance.now();
      for (let index = 0; index < 500; index++) {
        const handle = await fleet.open(name(index * 20));
        try {
          const { rows } = await handle.db.execute('SELECT count(*) AS n, (SELECT count(*) FROM pragma_table_info(\'notes\') WHERE name = \'tag\') AS tag FROM notes');
          expect(rows).toEqual([{ n: 0, tag: 1 }]);
        } finally {
          handle.release();
        }
        maxHandles = Math.max(maxHandles, fleet.openHandles);
        if (index % 10 === 0 || index >= 190) maxFds = Math.max(maxFds, fdsUnder(dataDir));
      }
      const openMs = performance.now() - started;
      expect(maxHandles).toBe(HANDLE_CAP);
      expect(fleet.openHandles).toBeLessThanOrEqual(HANDLE_CAP);
      // Each cached WAL database holds at most its file, -wal and -shm; plus the catalog's three and a little slack.
      expect(maxFds).toBeLessThanOrEqual(3 * HANDLE_CAP + 10);
      expect(fdsUnder(dataDir)).toBeLessThanOrEqual(3 * HANDLE_CAP + 10);

      // ── The files agree with the catalog ──
      started = performance.now();
      const doctor = await fleet.doctor({ scanFiles: true });
      const doctorMs = performance.now() - started;
      expect(doctor.orphans).toEqual([]);
      expect(doctor.missing).toEqual([]);
      expect(doctor.leftoversRemoved).toEqual([]);
      expect(doctor.interrupted).toEqual([]);

      console.log(
        [
          `${COUNT.toLocaleString('en')} instances:`,
          `create ${seconds(createMs)} (${(createMs / COUNT).toFixed(2)} ms each)`,
          `list checks ${seconds(listMs)}`,
          `migrateAll ${seconds(migrateMs)} (${(migrateMs / COUNT).toFixed(2)} ms each)`,
          `500 opens through the cap ${seconds(openMs)}, max ${maxHandles} handles, max ${maxFds} fds in the data dir`,
          `doctor --scan ${seconds(doctorMs)}`,
        ].join('\n  '),
      );
    },
    15 * 60_000,
  );
});
