import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { costRow, type BenchRow } from '../report';
import { figure } from '../stats';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BUILT = ['@silo/fleet', '@silo/web', '@silo/cli'];

/**
 * `silo --version` as a user runs it: the built JavaScript (what the tarball ships), without
 * the `@silo/source` condition, beside `node -e 0` (Node's own start-up).
 */
export function startupBench(size: { runs: number }): BenchRow {
  for (const name of BUILT) execFileSync('npm', ['run', '--silent', 'build', '-w', name], { cwd: ROOT, stdio: 'ignore' });
  const env = { ...process.env };
  delete env['NODE_OPTIONS'];
  const node = (args: string[]) => (): void => void execFileSync(process.execPath, args, { cwd: ROOT, env, stdio: 'ignore' });
  const silo = node([path.join(ROOT, 'packages/cli/dist/main.mjs'), '--version']);
  const bare = node(['-e', '0']);
  silo();
  const siloTimes: number[] = [];
  const bareTimes: number[] = [];
  for (let run = 0; run < size.runs; run++) {
    siloTimes.push(timedSync(silo));
    bareTimes.push(timedSync(bare));
  }
  return costRow({
    id: '11',
    title: '`silo --version` from the built package (start-up)',
    unit: 'ms',
    silo: figure(siloTimes),
    baseline: figure(bareTimes),
    baselineLabel: 'node -e 0',
    goal: { max: 300, text: '≤ 300 ms' },
    details: { sample: `${size.runs} runs of each, alternating`, entry: 'packages/cli/dist/main.mjs (tsdown build), no tsx' },
    reproduce: 'npm run bench -- --only startup',
  });
}

function timedSync(work: () => void): number {
  const started = performance.now();
  work();
  return performance.now() - started;
}
