/**
 * `npm run bench:profile`: where the TODO list page spends its CPU. Starts the built app with
 * `--cpu-prof`, loads the list page with 50 connections (of one instance, or with
 * `-- --instances N` of N instances at random, each opened once first, as in row 5a), stops the
 * server and prints the profile's self time grouped by who runs it (React, React Router,
 * fleet/SQLite, Node's HTTP stack, GC). The .cpuprofile file stays for Chrome DevTools / speedscope.
 * `-- --floor` profiles the floor app (bench/floor-app, row 5d's baseline) the same way.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { cleanScratch, log, scratch } from './setup';
import { buildFloor } from './suites/floor';
import { ROOT, SECRET, buildTodos, load, seed, start, warm } from './suites/http';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, instances: { type: 'string', default: '1' }, floor: { type: 'boolean', default: false } } });
const seconds = Number(values.seconds);
const instances = Math.max(1, Number(values.instances));

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  hitCount?: number;
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
}

/** Buckets by script URL: the question is whose code the CPU runs, not which function. */
const BUCKETS: ReadonlyArray<readonly [string, (url: string, name: string) => boolean]> = [
  ['idle (waiting for I/O)', (_url, name) => name === '(idle)'],
  ['garbage collection', (_url, name) => name === '(garbage collector)'],
  ['native / VM (program)', (_url, name) => name === '(program)'],
  ['React rendering (react-dom/server)', (url) => /node_modules\/react-dom\//.test(url)],
  ['React (react, scheduler)', (url) => /node_modules\/(react|scheduler)\//.test(url)],
  ['React Router (server runtime, data, turbo-stream)', (url) => /node_modules\/(react-router|@react-router|turbo-stream)\//.test(url)],
  ['the app (build/server)', (url) => /apps\/todos\/build\/|bench\/floor-app\/build\//.test(url)],
  ['fleet + SQLite (@silo/fleet, better-sqlite3)', (url) => /packages\/fleet\/|better-sqlite3/.test(url)],
  ['@silo/web (sessions, CSRF, headers)', (url) => /packages\/web\//.test(url)],
  ['our server.ts / tsx loader', (url) => /apps\/todos\/server\.ts|floor-app\/server\.ts|node_modules\/tsx\//.test(url)],
  ['Node HTTP, fetch Request/Response, streams (node:internal)', (url) => url.startsWith('node:')],
  ['native built-ins (socket writes, stat, JSON, TextEncoder)', (url) => url === ''],
];

function summarise(profile: CpuProfile): Array<{ bucket: string; ms: number; share: number }> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const total = (profile.endTime - profile.startTime) / 1000;
  const perSample = total / Math.max(1, profile.samples.length);
  const totals = new Map<string, number>();
  for (const id of profile.samples) {
    const node = byId.get(id);
    if (!node) continue;
    const { url, functionName } = node.callFrame;
    const bucket = BUCKETS.find(([, test]) => test(url, functionName))?.[0] ?? 'other';
    totals.set(bucket, (totals.get(bucket) ?? 0) + perSample);
  }
  const busy = [...totals].filter(([bucket]) => !bucket.startsWith('idle')).reduce((sum, [, ms]) => sum + ms, 0);
  return [...totals]
    .map(([bucket, ms]) => ({ bucket, ms, share: bucket.startsWith('idle') ? NaN : ms / busy }))
    .sort((a, b) => b.ms - a.ms);
}

const dataDir = scratch('profile');
const profileDir = mkdtempSync(path.join(tmpdir(), 'silo-cpu-prof-'));
try {
  const tenants = await seed(dataDir, instances);
  if (tenants.length === 0) throw new Error('seeding failed');
  if (values.floor) buildFloor();
  else buildTodos();
  const server = await start(
    ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, '--conditions=@silo/source', '--import', 'tsx', path.join(ROOT, values.floor ? 'bench/floor-app/server.ts' : 'apps/todos/server.ts')],
    { SILO_DATA_DIR: dataDir, SILO_SECRET: SECRET, PORT: '0', HOST: '127.0.0.1', NODE_ENV: 'production' },
    /listening on (http:\/\/\S+)/,
  );
  if (instances > 1) await warm(server, tenants, 'page');
  const warmUp = await load(server, tenants, 'page', 2);
  const result = await load(server, tenants, 'page', seconds);
  await server.stop();
  // The loader's worker thread writes a profile too; the main thread's is the largest.
  const file = readdirSync(profileDir)
    .filter((name) => name.endsWith('.cpuprofile'))
    .sort((a, b) => statSync(path.join(profileDir, b)).size - statSync(path.join(profileDir, a)).size)[0];
  if (!file) throw new Error(`no profile was written to ${profileDir}`);
  const profile = JSON.parse(readFileSync(path.join(profileDir, file), 'utf8')) as CpuProfile;
  // The profile covers the warm-up too, so per-request figures divide by both runs' requests.
  const requests = warmUp.rps * 2 + result.rps * seconds + (instances > 1 ? instances : 0);
  log(`${values.floor ? 'floor ' : ''}list page ${instances > 1 ? `over ${instances} instances at random` : 'pinned to one instance'}: ${Math.round(result.rps)} req/s, CPU ${result.cpuPerRequestMs.toFixed(2)} ms/request (profiler on)`);
  console.log('| where | CPU ms | share of busy time | per request |');
  console.log('| --- | --- | --- | --- |');
  for (const row of summarise(profile)) {
    const share = Number.isNaN(row.share) ? '—' : `${(row.share * 100).toFixed(1)}%`;
    console.log(`| ${row.bucket} | ${Math.round(row.ms)} | ${share} | ${Number.isNaN(row.share) ? '—' : `${(row.ms / requests).toFixed(3)} ms`} |`);
  }
  log(`profile: ${path.join(profileDir, file)}`);
} finally {
  cleanScratch();
}
