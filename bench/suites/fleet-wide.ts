import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { countEach, migrateEach } from '../raw-loops.mjs';
import { MIGRATION_SQL, benchFleet, benchSchemaV2, localFile, log, scratch, todoSchema } from '../setup';
import { pairedRatios, pairedRow, type BenchRow } from '../report';
import { figure, repeat, timed } from '../stats';

const RAW_LOOP_THREAD = new URL('../raw-loop-thread.mjs', import.meta.url);

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
  const threads: number[] = [];
  const count = fixture.rawFiles.length;
  await repeat(runs, async (run) => {
    const forSilo = copyFleet(fixture, 'migrate-silo');
    const forRaw = copyFleet(fixture, 'migrate-raw');
    const forThreads = copyFleet(fixture, 'migrate-threads');
    // The copies' writeback would otherwise land on whichever loop runs first.
    execFileSync('sync');
    const fleet = await benchFleet(forSilo.dir, {}, benchSchemaV2);
    let failed = 0;
    silo.push(await timed(async () => (failed = (await fleet.migrateAll()).failed)));
    await fleet.close();
    if (failed > 0) throw new Error(`${failed} instances failed to migrate`);
    raw.push(await timed(() => migrateEach(forRaw.files, MIGRATION_SQL, todoSchema.latestVersion + 1)));
    threads.push(await timed(() => rawOnThreads('migrate', forThreads.files)));
    log(`  migrate run ${run + 1}: silo ${(silo.at(-1) ?? 0).toFixed(0)} ms, raw ${(raw.at(-1) ?? 0).toFixed(0)} ms, raw on ${os.availableParallelism()} threads ${(threads.at(-1) ?? 0).toFixed(0)} ms`);
  });
  const perSecond = (ms: number): string => `${Math.round(count / (ms / 1000)).toLocaleString('en-US')} instances/s`;
  const median = (samples: readonly number[]): number => [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)] ?? NaN;
  return pairedRow(
    {
      id: '3',
      title: `Migrate all of ${count.toLocaleString('en-US')} instances`,
      unit: 'ms',
      baselineLabel: 'raw loop on one thread: open, BEGIN IMMEDIATE, same SQL, user_version, COMMIT, close',
      goal: { maxRatio: GOAL_RATIO, text: '≤ 0.59× (≥ 1.7× the raw loop)' },
      details: {
        throughput: `Silo ${perSecond(median(silo))}, raw ${perSecond(median(raw))}`,
        'what Silo adds': 'catalog selection, per-instance result, size refresh, catalog versions in batches of 250; a file of at most 1 MiB that nobody has open is held alone while it migrates (ADR 41)',
        workers: workersNote(),
        ...threadsNote(silo, raw, threads),
      },
      reproduce: 'npm run bench -- --only migrate',
    },
    { silo, baseline: raw, kind: 'cost' },
  );
}

/** The goal for both fleet-wide rows: at least 1.7× the one-thread raw loop. */
const GOAL_RATIO = 1 / 1.7;

function workersNote(): string {
  return `${os.availableParallelism()} (SILO_FLEET_WORKERS defaults to os.availableParallelism()); load average at the end of the row ${os.loadavg().map((load) => load.toFixed(1)).join(' / ')}`;
}

/** 4. `SELECT count(*)` on every instance against a raw loop. */
export async function queryAllBench(fixture: Fixture, runs: number): Promise<BenchRow> {
  const { dir, files } = copyFleet(fixture, 'query-all');
  const fleet = await benchFleet(dir);
  const silo: number[] = [];
  const raw: number[] = [];
  const threads: number[] = [];
  // A first read-only open creates a file's -shm and -wal, which no read-only close removes;
  // whoever ran first paid for all of them (two times the later runs' cost). Opened once
  // beforehand, every run of every design starts from files as a serving fleet has them.
  countEach(files);
  await repeat(runs, async (run) => {
    let errors = 0;
    silo.push(
      await timed(async () => {
        for await (const event of fleet.queryAll('SELECT count(*) FROM todos')) if (event.status === 'error') errors++;
      }),
    );
    if (errors > 0) throw new Error(`${errors} instances failed`);
    raw.push(await timed(() => countEach(files)));
    threads.push(await timed(() => rawOnThreads('count', files)));
    log(`  query-all run ${run + 1}: silo ${(silo.at(-1) ?? 0).toFixed(0)} ms, raw ${(raw.at(-1) ?? 0).toFixed(0)} ms, raw on ${os.availableParallelism()} threads ${(threads.at(-1) ?? 0).toFixed(0)} ms`);
  });
  await fleet.close();
  return pairedRow(
    {
      id: '4',
      title: `Query all ${files.length.toLocaleString('en-US')} instances with count(*)`,
      unit: 'ms',
      baselineLabel: 'raw loop on one thread: open read-only, count, close, in-process',
      goal: { maxRatio: GOAL_RATIO, text: '≤ 0.59× (≥ 1.7× the raw loop)' },
      details: {
        'what Silo adds': `each query runs in one of ${fleet.settings.fleetWorkers} killable query processes for fleet-wide work (statement guard, time limit, row cap), eight instances per message, streamed per instance`,
        workers: workersNote(),
        ...threadsNote(silo, raw, threads),
      },
      reproduce: 'npm run bench -- --only query-all',
    },
    { silo, baseline: raw, kind: 'cost' },
  );
}

/**
 * The raw loop split over one worker thread per CPU: what this machine's cores and disk give
 * the same hand-written loop, so the goal (1.7× the one-thread loop) can be read against it.
 */
async function rawOnThreads(loop: 'migrate' | 'count', files: readonly string[]): Promise<void> {
  const count = os.availableParallelism();
  await Promise.all(
    Array.from({ length: count }, (_, index) => {
      const share = files.filter((_, i) => i % count === index);
      const worker = new Worker(RAW_LOOP_THREAD, { workerData: { loop, files: share, sql: MIGRATION_SQL, version: todoSchema.latestVersion + 1 } });
      return new Promise<void>((resolve, reject) => {
        worker.once('error', reject);
        worker.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`raw loop thread exited with ${code}`))));
      });
    }),
  );
}

function threadsNote(silo: readonly number[], raw: readonly number[], threads: readonly number[]): Record<string, string> {
  const ceiling = pairedRatios(threads, raw, 'cost');
  const overThreads = pairedRatios(silo, threads, 'cost');
  return {
    [`raw loop on ${os.availableParallelism()} threads (the same loop, one thread per CPU)`]: `${Math.round(figure(threads).median).toLocaleString('en-US')} ms; ${ceiling.median.toFixed(2)}× the one-thread loop's time (${ceiling.min.toFixed(2)}–${ceiling.max.toFixed(2)}, per run); Silo ÷ it ${overThreads.median.toFixed(2)}× (${overThreads.min.toFixed(2)}–${overThreads.max.toFixed(2)})`,
  };
}
