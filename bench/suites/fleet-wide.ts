import { execFileSync } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATION_SQL, benchFleet, benchSchemaV2, localFile, log, scratch, todoSchema } from '../setup';
import { costRow, type BenchRow } from '../report';
import { figure, repeat, timed } from '../stats';

interface Fixture {
  /** A data folder holding `instances` instances at the TODO schema, each with a few todos. */
  readonly fleetDir: string;
  /** The same databases as plain files, for the raw loops. */
  readonly rawFiles: string[];
}

/** Builds the fleet once; every run works on a fresh copy of it. */
export async function fleetFixture(instances: number): Promise<Fixture> {
  const fleetDir = scratch('fleet');
  const fleet = await benchFleet(fleetDir);
  const rawFiles: string[] = [];
  const started = performance.now();
  for (let i = 0; i < instances; i++) {
    const info = await fleet.create(`tenant-${i}`, { jurisdiction: i % 2 ? 'eu' : 'us' });
    rawFiles.push(localFile(fleet, info.dbUrl));
    if (i % 2_000 === 1_999) log(`  fixture: ${i + 1} / ${instances} instances`);
  }
  await fleet.close();
  log(`  fixture: ${instances} instances in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return { fleetDir, rawFiles };
}

function copyFleet(fixture: Fixture, label: string): { dir: string; files: string[] } {
  const dir = scratch(label);
  execFileSync('cp', ['-a', `${fixture.fleetDir}/.`, dir]);
  return { dir, files: fixture.rawFiles.map((file) => path.join(dir, path.relative(fixture.fleetDir, file))) };
}

/** 3. Migrate every instance (a column and an index) against a raw loop of the same SQL. */
export async function migrateBench(fixture: Fixture, runs: number): Promise<BenchRow> {
  const silo: number[] = [];
  const raw: number[] = [];
  const count = fixture.rawFiles.length;
  await repeat(runs, async (run) => {
    const forSilo = copyFleet(fixture, 'migrate-silo');
    const forRaw = copyFleet(fixture, 'migrate-raw');
    const fleet = await benchFleet(forSilo.dir, {}, benchSchemaV2);
    let failed = 0;
    silo.push(await timed(async () => (failed = (await fleet.migrateAll()).failed)));
    await fleet.close();
    if (failed > 0) throw new Error(`${failed} instances failed to migrate`);
    raw.push(
      await timed(() => {
        for (const file of forRaw.files) {
          const db = new Database(file);
          db.pragma('busy_timeout = 5000');
          db.exec('BEGIN IMMEDIATE');
          db.exec(MIGRATION_SQL);
          db.pragma(`user_version = ${todoSchema.latestVersion + 1}`);
          db.exec('COMMIT');
          db.close();
        }
      }),
    );
    log(`  migrate run ${run + 1}: silo ${(silo.at(-1) ?? 0).toFixed(0)} ms, raw ${(raw.at(-1) ?? 0).toFixed(0)} ms`);
  });
  const perSecond = (ms: number): string => `${Math.round(count / (ms / 1000)).toLocaleString('en-US')} instances/s`;
  return costRow({
    id: '3',
    title: `Migrate all of ${count.toLocaleString('en-US')} instances`,
    unit: 'ms',
    silo: figure(silo),
    baseline: figure(raw),
    baselineLabel: 'raw loop: open, BEGIN IMMEDIATE, same SQL, user_version, COMMIT, close',
    goal: { maxRatio: 1.3, text: '≤ 1.3×' },
    details: {
      throughput: `Silo ${perSecond(figure(silo).median)}, raw ${perSecond(figure(raw).median)}`,
      'what Silo adds': 'catalog selection, per-instance result, size refresh, catalog versions in batches of 250',
    },
    reproduce: 'npm run bench -- --only migrate',
  });
}

/** 4. `SELECT count(*)` on every instance against a raw loop. */
export async function queryAllBench(fixture: Fixture, runs: number): Promise<BenchRow> {
  const { dir, files } = copyFleet(fixture, 'query-all');
  const fleet = await benchFleet(dir);
  const silo: number[] = [];
  const raw: number[] = [];
  await repeat(runs, async (run) => {
    let errors = 0;
    silo.push(
      await timed(async () => {
        for await (const event of fleet.queryAll('SELECT count(*) FROM todos')) if (event.status === 'error') errors++;
      }),
    );
    if (errors > 0) throw new Error(`${errors} instances failed`);
    raw.push(
      await timed(() => {
        for (const file of files) {
          const db = new Database(file, { readonly: true });
          db.prepare('SELECT count(*) FROM todos').get();
          db.close();
        }
      }),
    );
    log(`  query-all run ${run + 1}: silo ${(silo.at(-1) ?? 0).toFixed(0)} ms, raw ${(raw.at(-1) ?? 0).toFixed(0)} ms`);
  });
  await fleet.close();
  return costRow({
    id: '4',
    title: `Query all ${files.length.toLocaleString('en-US')} instances with count(*)`,
    unit: 'ms',
    silo: figure(silo),
    baseline: figure(raw),
    baselineLabel: 'raw loop: open read-only, count, close, in-process',
    goal: { maxRatio: 1.5, text: '≤ 1.5×' },
    details: {
      'what Silo adds': `each query runs in one of ${fleet.settings.queryWorkers} killable query processes (time limit, row cap), streamed per instance`,
    },
    reproduce: 'npm run bench -- --only query-all',
  });
}
