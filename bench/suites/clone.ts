import { execFileSync } from 'node:child_process';
import { closeSync, fsyncSync, openSync } from 'node:fs';
import path from 'node:path';
import { benchFleet, localFile, log, scratch } from '../setup';
import { costRow, type BenchRow } from '../report';
import { figure, repeat, timed } from '../stats';

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
  await repeat(size.runs, async (run) => {
    silo.push(await timed(() => fleet.clone('big', `big-clone-${run}`)));
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
  const durable = figure(cpSync);
  await fleet.close();
  return costRow({
    id: '2',
    title: `Clone a ${Math.round(sizeMb)} MB instance`,
    unit: 'ms',
    silo: figure(silo),
    baseline: figure(cp),
    baselineLabel: '`cp` of the same file (includes starting cp)',
    goal: { maxRatio: 1.5, text: '≤ 1.5×' },
    details: {
      'what Silo does': 'catalog row, checkpoint(TRUNCATE), BEGIN IMMEDIATE, copy with an empty WAL, fsync, rename, ready',
      sample: `${size.runs} clones of one ${sizeMb.toFixed(1)} MB database`,
      '`cp` + fsync of the copy (the durable baseline)': `${durable.median.toFixed(1)} ms (${durable.min.toFixed(1)}–${durable.max.toFixed(1)}); Silo ÷ that: ${(figure(silo).median / durable.median).toFixed(2)}×`,
    },
    reproduce: 'npm run bench -- --only clone',
  });
}
