import { execFileSync } from 'node:child_process';
import { closeSync, copyFileSync, fsyncSync, openSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Fleet } from '@silo/fleet';
import { sampleSchema } from '../../packages/fleet/test/fixtures/sample-schema';
import { startWriters, type WriterSummary } from '../../packages/fleet/test/fixtures/writers';
import { benchFleet, localFile, log, scratch } from '../setup';
import { costRow, pairedRow, type BenchRow } from '../report';
import { figure, percentile, repeat, timed } from '../stats';
import { longestStall } from '../event-loop';

/** 2. Clone a live instance of `megabytes` against `cp` of the same file. */
export async function cloneBench(size: { megabytes: number; runs: number }): Promise<BenchRow> {
  const dir = scratch('clone');
  const fleet = await benchFleet(dir);
  const source = await fleet.create('big', { jurisdiction: 'eu' });
  const rows = Math.ceil((size.megabytes * 1024 * 1024) / 1_100);
  await fleet.withInstance('big', async (db) => {
    const now = Date.now();
    for (let done = 0; done < rows; done += 1_000) {
      await db.batch(Array.from({ length: Math.min(1_000, rows - done) }, (_, i) => ({
        sql: 'INSERT INTO todos (title, created_at, updated_at) VALUES (?, ?, ?)',
        args: [`${'x'.repeat(980)} ${done + i}`, now, now],
      })));
    }
  });
  const file = localFile(fleet, source.dbUrl);
  const sizeMb = (await fleet.engine.sizeOf(source.dbUrl)) / 1024 / 1024;
  const silo: number[] = [];
  const cp: number[] = [];
  const cpSync: number[] = [];
  // The main thread's longest stall during a clone, against a copy on the main thread (how
  // clones, exports and backup snapshots copied before ADR 40).
  const stalls = { silo: [] as number[], sync: [] as number[] };
  await repeat(size.runs, async (run) => {
    let elapsed = 0;
    stalls.silo.push(await longestStall(async () => (elapsed = await timed(() => fleet.clone('big', `big-clone-${run}`)))));
    silo.push(elapsed);
    const onThread = path.join(dir, `sync-${run}.db`);
    stalls.sync.push(await longestStall(() => copyFileSync(file, onThread)));
    rmSync(onThread);
    cp.push(await timed(() => execFileSync('cp', [file, path.join(dir, `cp-${run}.db`)])));
    // The durable equivalent: the copy is only safe from a power cut once it is on disk.
    cpSync.push(await timed(() => {
      const copy = path.join(dir, `cp-sync-${run}.db`);
      execFileSync('cp', [file, copy]);
      const fd = openSync(copy, 'r');
      fsyncSync(fd);
      closeSync(fd);
    }));
    log(`  clone run ${run + 1}: silo ${silo.at(-1)?.toFixed(1)} ms, cp ${cp.at(-1)?.toFixed(1)} ms, cp + fsync ${cpSync.at(-1)?.toFixed(1)} ms`);
  });
  const plain = figure(cp);
  await fleet.close();
  // The goal is against the durable copy (DESIGN: `cp` + fsync): Silo marks a clone ready only
  // once its file is on disk, which plain `cp` does not wait for.
  return pairedRow(
    {
      id: '2',
      title: `Clone a ${Math.round(sizeMb)} MB instance`,
      unit: 'ms',
      baselineLabel: '`cp` of the same file, then fsync of the copy (the durable baseline; includes starting cp)',
      goal: { maxRatio: 1.5, text: '≤ 1.5×' },
      details: {
        'what Silo does': 'catalog row, passive checkpoint, BEGIN IMMEDIATE, passive checkpoint on a second connection, copy the main file, fsync, rename, ready',
        sample: `${size.runs} clones of one ${sizeMb.toFixed(1)} MB database`,
        '`cp` alone (data still in the page cache on return)': `${plain.median.toFixed(1)} ms (${plain.min.toFixed(1)}–${plain.max.toFixed(1)}); Silo ÷ that: ${(figure(silo).median / plain.median).toFixed(2)}×`,
        "longest main-thread stall during a clone (other requests' worst wait)": `${stallText(stalls.silo)}; copyFileSync of the same file on the main thread (before ADR 40): ${stallText(stalls.sync)}`,
      },
      reproduce: 'npm run bench -- --only clone',
    },
    { silo, baseline: cpSync, kind: 'cost' },
  );
}

/**
 * 2b. Clones of an instance that other processes write to without pause, beside the same
 * clones of the idle instance: the p99 of each, and the writers' p99 latency while the clones
 * ran. The writers are child processes (real lock contention), one write then a millisecond's
 * pause each, as busy app servers are.
 */
export async function cloneUnderLoadBench(size: { megabytes: number; clones: number; writers: number }): Promise<BenchRow> {
  const dir = scratch('clone-load');
  // The fleet tests' sample schema: its `notes` table is what the writer processes insert into.
  const fleet = await benchFleet(dir, {}, sampleSchema());
  const source = await fleet.create('busy', { jurisdiction: 'eu' });
  await fill(fleet, 'busy', size.megabytes);
  const file = localFile(fleet, source.dbUrl);
  const sizeMb = (await fleet.engine.sizeOf(source.dbUrl)) / 1024 / 1024;

  const idle: number[] = [];
  for (let run = 0; run < size.clones; run++) {
    idle.push(await timed(() => fleet.clone('busy', `idle-${run}`)));
    await fleet.delete(`idle-${run}`);
    await fleet.purge(`idle-${run}`);
  }
  log(`  idle: p99 ${percentile([...idle].sort((a, b) => a - b), 99).toFixed(1)} ms over ${size.clones} clones`);

  // Writers' latency while no clone runs, then during the clones.
  const quiet = await startWriters(file, size.writers, { padBytes: 200, pauseMs: 1 });
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const quietSummaries = await quiet.stop();
  const writers = await startWriters(file, size.writers, { padBytes: 200, pauseMs: 1 });
  const loaded: number[] = [];
  let summaries: WriterSummary[];
  try {
    for (let run = 0; run < size.clones; run++) {
      loaded.push(await timed(() => fleet.clone('busy', `loaded-${run}`)));
      await fleet.delete(`loaded-${run}`);
      await fleet.purge(`loaded-${run}`);
    }
  } finally {
    summaries = await writers.stop();
  }
  await fleet.close();
  const p99 = (samples: readonly number[]): number => percentile([...samples].sort((a, b) => a - b), 99);
  const writes = summaries.reduce((sum, s) => sum + s.writes, 0);
  const failures = summaries.reduce((sum, s) => sum + s.failures, 0);
  const writerP99 = Math.max(...summaries.map((s) => s.p99Ms));
  const writerMax = Math.max(...summaries.map((s) => s.maxMs));
  const quietP99 = Math.max(...quietSummaries.map((s) => s.p99Ms));
  log(`  under load: p99 ${p99(loaded).toFixed(1)} ms; writers p99 ${writerP99.toFixed(2)} ms, max ${writerMax.toFixed(1)} ms, ${failures} failed of ${writes}`);
  const asFigure = (samples: readonly number[]): { median: number; min: number; max: number } => ({ ...figure(samples), median: p99(samples) });
  return costRow({
    id: '2b',
    title: `Clone a ${Math.round(sizeMb)} MB instance under continuous writes (p99)`,
    unit: 'ms',
    silo: asFigure(loaded),
    baseline: asFigure(idle),
    baselineLabel: 'the same clone of the idle instance (p99)',
    goal: { maxRatio: 3, text: 'bounded: p99 ≤ 3× idle, no write fails' },
    details: {
      'what Silo does': 'passive checkpoint, BEGIN IMMEDIATE, passive checkpoint on a second connection (the WAL cannot grow meanwhile), copy the main file, roll back; fsync, rename, ready (ADR 0004)',
      sample: `${size.clones} clones each way of one ${sizeMb.toFixed(1)} MB database; the figure is the p99 (min–max beside it)`,
      'write load': `${size.writers} writer processes, one insert then 1 ms pause each: ${writes} writes during the clones, ${failures} failed`,
      'writer latency during the clones': `p99 ${writerP99.toFixed(2)} ms, max ${writerMax.toFixed(1)} ms (without clones: p99 ${quietP99.toFixed(2)} ms)`,
    },
    reproduce: 'npm run bench -- --only clone-load',
  });
}

async function fill(fleet: Fleet, name: string, megabytes: number): Promise<void> {
  const rows = Math.ceil((megabytes * 1024 * 1024) / 1_100);
  await fleet.withInstance(name, async (db) => {
    for (let done = 0; done < rows; done += 1_000) {
      await db.batch(Array.from({ length: Math.min(1_000, rows - done) }, (_, i) => ({
        sql: 'INSERT INTO notes (body) VALUES (?)',
        args: [`${'x'.repeat(1_000)} ${done + i}`],
      })));
    }
  });
}

function stallText(samples: readonly number[]): string {
  const f = figure(samples);
  return `${f.median.toFixed(1)} ms (${f.min.toFixed(1)}–${f.max.toFixed(1)})`;
}
