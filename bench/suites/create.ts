import path from 'node:path';
import { benchFleet, log, rawCreate, scratch } from '../setup';
import { costRow, type BenchRow } from '../report';
import { figure, percentile, repeat } from '../stats';

/** 1. Create an instance (servable on return) against a raw open + WAL + schema + close. */
export async function createBench(size: { instances: number; runs: number }): Promise<BenchRow> {
  const silo: number[] = [];
  const raw: number[] = [];
  const siloLatencies: number[] = [];
  const rawLatencies: number[] = [];
  await repeat(size.runs, async (run) => {
    const fleet = await benchFleet(scratch('create'));
    await fleet.create('warm-up', { jurisdiction: 'eu' }); // builds the template once
    const rawDir = scratch('create-raw');
    // Alternate so neither side always runs on a warmer page cache.
    let siloTotal = 0;
    let rawTotal = 0;
    for (let i = 0; i < size.instances; i++) {
      let started = performance.now();
      await fleet.create(`tenant-${run}-${i}`, { jurisdiction: i % 2 ? 'eu' : 'us' });
      const siloMs = performance.now() - started;
      started = performance.now();
      rawCreate(path.join(rawDir, `tenant-${i}.db`));
      const rawMs = performance.now() - started;
      siloTotal += siloMs;
      rawTotal += rawMs;
      siloLatencies.push(siloMs);
      rawLatencies.push(rawMs);
    }
    silo.push(siloTotal / size.instances);
    raw.push(rawTotal / size.instances);
    await fleet.close();
    log(`  create run ${run + 1}: silo ${(siloTotal / size.instances).toFixed(2)} ms, raw ${(rawTotal / size.instances).toFixed(2)} ms`);
  });
  siloLatencies.sort((a, b) => a - b);
  rawLatencies.sort((a, b) => a - b);
  return costRow({
    id: '1',
    title: 'Create an instance, servable on return (per instance)',
    unit: 'ms',
    silo: figure(silo),
    baseline: figure(raw),
    baselineLabel: 'better-sqlite3 open + WAL + schema + close',
    goal: { maxRatio: 1.5, text: '≤ 1.5×' },
    details: {
      'Silo p50 / p99': `${percentile(siloLatencies, 50).toFixed(2)} / ${percentile(siloLatencies, 99).toFixed(2)} ms`,
      'raw p50 / p99': `${percentile(rawLatencies, 50).toFixed(2)} / ${percentile(rawLatencies, 99).toFixed(2)} ms`,
      sample: `${size.instances} creates × ${size.runs} runs, alternating Silo and raw`,
      'what Silo does': 'catalog row (provisioning, fsync), copy of the migrated template, fsync, rename, catalog row ready (fsync)',
    },
    reproduce: 'npm run bench -- --only create',
  });
}
