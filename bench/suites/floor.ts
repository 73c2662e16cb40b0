import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { log, scratch } from '../setup';
import { pairedRow, type BenchRow } from '../report';
import { figure, repeat } from '../stats';
import { ROOT, SECRET, buildTodos, load, seed, start, warm, type Load, type Server } from './http';

export const FLOOR_DIR = path.join(ROOT, 'bench/floor-app');

/** Builds the floor app (about a second) every time, so its figures never come from a stale build. */
export function buildFloor(): void {
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules/@react-router/dev/bin.cjs'), 'build'], { cwd: FLOOR_DIR, stdio: 'ignore' });
}

/** The floor's server (bench/floor-app/server.ts); `env` picks a variant (FLOOR_SERVER, FLOOR_RENDER). */
export function startFloor(env: NodeJS.ProcessEnv = {}): Promise<Server> {
  return start(['--conditions=@silo/source', '--import', 'tsx', path.join(FLOOR_DIR, 'server.ts')], { PORT: '0', HOST: '127.0.0.1', NODE_ENV: 'production', ...env }, /listening on (http:\/\/\S+)/);
}

export function describeLoads(runs: readonly Load[]): string {
  const med = (pick: (l: Load) => number) => figure(runs.map(pick)).median;
  return `${Math.round(med((l) => l.rps)).toLocaleString('en-US')} pages/s, p50 ${med((l) => l.p50).toFixed(1)} ms, p99 ${med((l) => l.p99).toFixed(1)} ms, CPU ${med((l) => l.cpuPerRequestMs).toFixed(2)} ms/request, errors ${runs.reduce((n, l) => n + l.errors, 0)}`;
}

/**
 * 5d. The TODO list page against the framework's floor: a React Router app on the same server
 * stack (startAppServer) rendering the same 20 rows from memory (bench/floor-app). Both servers
 * run side by side; each run loads Silo's page, then the floor's, with 50 connections, and the
 * ratio is that run's CPU per request of the one over the other (the server process's own
 * user + system time, so other load on the machine does not count).
 */
/** Loads of each side per run, taken in turn (ABBA). */
const CHUNKS = 4;

/**
 * One run's figure from its equal-length chunks: pages/s and CPU per page over all of them
 * (CPU weighted by each chunk's pages), p50 and p99 the median chunk's.
 */
function combined(chunks: readonly Load[]): Load {
  const pages = chunks.reduce((sum, chunk) => sum + chunk.rps, 0);
  return {
    rps: pages / chunks.length,
    p50: figure(chunks.map((chunk) => chunk.p50)).median,
    p99: figure(chunks.map((chunk) => chunk.p99)).median,
    cpuPerRequestMs: chunks.reduce((sum, chunk) => sum + chunk.cpuPerRequestMs * chunk.rps, 0) / Math.max(1, pages),
    errors: chunks.reduce((sum, chunk) => sum + chunk.errors, 0),
  };
}

export async function floorBench(size: { instances: number; seconds: number; runs: number }): Promise<BenchRow> {
  buildTodos();
  log('  building the floor app…');
  buildFloor();
  const dataDir = scratch('floor');
  const tenants = await seed(dataDir, size.instances);
  const env = { SILO_DATA_DIR: dataDir, SILO_SECRET: SECRET, PORT: '0', HOST: '127.0.0.1', NODE_ENV: 'production' };
  const silo = await start(['--conditions=@silo/source', '--import', 'tsx', path.join(ROOT, 'apps/todos/server.ts')], env, /listening on (http:\/\/\S+)/);
  const floor = await startFloor();
  const runs = { silo: [] as Load[], floor: [] as Load[] };
  try {
    await warm(silo, tenants, 'page');
    await load(silo, tenants, 'page', 2); // JIT warm-up of both
    await load(floor, tenants, 'page', 2);
    await repeat(size.runs, async (run) => {
      // The VM's speed moves from one ten-second stretch to the next (a whole run of one side
      // measured 1.5× the CPU per page of the next), so a run is CHUNKS short loads of each side
      // in turn, in ABBA order: a slow stretch falls on both. A server that has just had the
      // cores back after the other's load is slower for a moment (its working set left the
      // CPU caches); in turn, both sides pay that alike.
      const chunks = { silo: [] as Load[], floor: [] as Load[] };
      const chunkSeconds = Math.max(1, Math.round(size.seconds / CHUNKS));
      for (let chunk = 0; chunk < CHUNKS; chunk++) {
        const order = chunk % 2 === 0 ? (['silo', 'floor'] as const) : (['floor', 'silo'] as const);
        for (const side of order) chunks[side].push(await load(side === 'silo' ? silo : floor, tenants, 'page', chunkSeconds));
      }
      runs.silo.push(combined(chunks.silo));
      runs.floor.push(combined(chunks.floor));
      const [s, f] = [runs.silo.at(-1) as Load, runs.floor.at(-1) as Load];
      log(`  floor run ${run + 1}: Silo ${s.cpuPerRequestMs.toFixed(2)} ms CPU/page (${Math.round(s.rps)} pages/s) vs floor ${f.cpuPerRequestMs.toFixed(2)} ms (${Math.round(f.rps)} pages/s): ${(s.cpuPerRequestMs / f.cpuPerRequestMs).toFixed(2)}×`);
    });
  } finally {
    await Promise.all([silo.stop(), floor.stop()]);
  }
  const perRun = runs.silo.map((s, i) => `${(s.cpuPerRequestMs / (runs.floor[i] as Load).cpuPerRequestMs).toFixed(2)}×`).join(', ');
  return pairedRow(
    {
      id: '5d',
      title: `TODO list page (20 todos, signed in, ${size.instances.toLocaleString('en-US')} instances at random): CPU per request against the floor, 50 connections`,
      unit: 'ms CPU/page',
      baselineLabel: 'the floor: a React Router app on the same server stack, the same 20 rows from memory',
      goal: { maxRatio: 1.2, text: '≤ 1.2×' },
      details: {
        'Silo': describeLoads(runs.silo),
        'floor (bench/floor-app)': describeLoads(runs.floor),
        'per-run ratios (Silo ÷ floor, CPU per page)': perRun,
        why: 'CPU per page is the server process\'s own user + system time over the pages it answered, so it does not move with other load on the machine; pages/s and p99 do',
        how: `each run is ${CHUNKS} loads of each server in turn (ABBA), ${Math.max(1, Math.round(size.seconds / CHUNKS))} s each, so a slower stretch of the VM falls on both; p50 and p99 are the median load's`,
      },
      reproduce: 'npm run bench -- --only floor',
    },
    { silo: runs.silo.map((l) => l.cpuPerRequestMs), baseline: runs.floor.map((l) => l.cpuPerRequestMs), kind: 'cost' },
  );
}

/**
 * 5e. The same comparison in one process, request by request (bench/page-vs-floor.ts, in a
 * child process of its own so the TODO app's settings and builds stay out of this one): the
 * two sides alternate over the same instances, so the machine's swings fall on both alike.
 */
export function pageVsFloorBench(size: { instances: number; requests: number; rounds: number }): BenchRow {
  const args = ['--conditions=@silo/source', '--import', 'tsx', path.join(ROOT, 'bench/page-vs-floor.ts'), '--json'];
  args.push('--instances', String(size.instances), '--requests', String(size.requests), '--rounds', String(size.rounds));
  const child = spawnSync(process.execPath, args, { cwd: ROOT, env: { ...process.env, NODE_ENV: 'production' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 16 * 1024 * 1024 });
  if (child.status !== 0) throw new Error(`bench/page-vs-floor.ts exited with ${child.status}`);
  const lines = child.stdout.trim().split('\n');
  for (const line of lines.slice(0, -1)) log(`  ${line}`);
  const perPage = JSON.parse(lines.at(-1) ?? '{}') as { silo: number[]; floor: number[] };
  return pairedRow(
    {
      id: '5e',
      title: `TODO list page against the floor in one process, request by request (${size.instances.toLocaleString('en-US')} instances at random, no HTTP)`,
      unit: 'ms CPU/page',
      baselineLabel: "the floor's page through its own React Router handler, alternating with Silo's",
      goal: { maxRatio: 1.2, text: '≤ 1.2×' },
      details: {
        rounds: `${size.rounds} of ${size.requests.toLocaleString('en-US')} pages on each side`,
        why: "the two builds' request handlers run in one process, one request each in turn, and each request's CPU time goes to its side: what the machine does meanwhile falls on both, where row 5d loads one server, then the other",
      },
      reproduce: `npm run bench:page-vs-floor -- --instances ${size.instances} --requests ${size.requests} --rounds ${size.rounds}`,
    },
    { silo: perPage.silo, baseline: perPage.floor, kind: 'cost' },
  );
}
