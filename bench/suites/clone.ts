import { execFileSync } from 'node:child_process';
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
  await repeat(size.runs, async (run) => {
    silo.push(await timed(() => fleet.clone('big', `big-clone-${run}`)));
    cp.push(await timed(() => execFileSync('cp', [file, path.join(dir, `cp-${run}.db`)])));
    log(`  clone run ${run + 1}: silo ${silo.at(-1)?.toFixed(1)} ms, cp ${cp.at(-1)?.toFixed(1)} ms`);
  });
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
    },
    reproduce: 'npm run bench -- --only clone',
  });
}
