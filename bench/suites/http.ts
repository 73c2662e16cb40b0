import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { createCookie } from 'react-router';
import { csrfToken, hashToken, randomToken } from '@silo/web';
import { benchFleet, log, scratch } from '../setup';
import { throughputRow, type BenchRow } from '../report';
import { figure, repeat } from '../stats';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const SECRET = 'bench-secret-bench-secret-bench-secret-0123';

export interface Tenant {
  readonly name: string;
  readonly cookie: string;
  readonly csrf: string;
}

/** Instances with an owner, a live session and 20 todos each, made through the fleet directly. */
export async function seed(dataDir: string, count: number): Promise<Tenant[]> {
  const fleet = await benchFleet(dataDir);
  const tenants: Tenant[] = [];
  const now = Date.now();
  for (let i = 0; i < count; i++) {
    const name = `shop-${i}`;
    await fleet.create(name, { jurisdiction: i % 2 ? 'eu' : 'us' });
    const token = randomToken();
    const sessionId = hashToken(token);
    await fleet.withInstance(name, (db) =>
      db.batch([
        { sql: "INSERT INTO users (id, email, password_hash, role, created_at) VALUES (1, 'owner@example.com', 'not-used', 'owner', ?)", args: [now] },
        { sql: 'INSERT INTO sessions (id, user_id, created_at, expires_at) VALUES (?, 1, ?, ?)', args: [sessionId, now, now + 86_400_000] },
        ...Array.from({ length: 20 }, (_, t) => ({ sql: 'INSERT INTO todos (title, completed, created_at, updated_at) VALUES (?, ?, ?, ?)', args: [`Todo ${t}`, t % 3 === 0 ? 1 : 0, now, now] })),
      ]),
    );
    // The cookie exactly as the app writes it (React Router's encoding), name=value only.
    const cookie = (await createCookie('silo_session', { path: `/t/${name}` }).serialize(token)).split(';')[0] as string;
    tenants.push({ name, cookie, csrf: csrfToken(SECRET, sessionId) });
  }
  await fleet.close();
  return tenants;
}

export interface Server {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/** Starts a server process and waits for the address it prints. */
export function start(args: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<Server> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = ready.exec(output);
      if (match?.[1]) {
        child.stdout?.off('data', onData);
        resolve({
          url: match[1].replace('localhost', '127.0.0.1'),
          pid: child.pid as number,
          stop: () => new Promise((done) => {
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
        });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before it was ready:\n${output}`)));
  });
}

/** Set once built, so the bench's child processes (row 5e) do not build again. */
const TODOS_BUILT = 'SILO_BENCH_TODOS_BUILT';

/**
 * Builds the TODO app once per bench run, whatever is in apps/todos/build: a build left from
 * before a change would be measured in its place without a word.
 */
export function buildTodos(): void {
  if (process.env[TODOS_BUILT]) return;
  log('  building the TODO app…');
  execFileSync('npm', ['run', '--silent', 'build', '-w', '@silo/todos'], { cwd: ROOT, stdio: 'inherit' });
  process.env[TODOS_BUILT] = '1';
}

/** User + system CPU time of a process, in ms (Linux /proc). */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

export interface Load {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly cpuPerRequestMs: number;
  readonly errors: number;
}

/** `data`: the list page's single-fetch request (turbo-stream), as a client navigation asks for it. */
export async function load(server: Server, tenants: readonly Tenant[], kind: 'page' | 'add' | 'data', seconds: number): Promise<Load> {
  const origin = new URL(server.url).origin;
  const pick = (): Tenant => tenants[Math.floor(Math.random() * tenants.length)] as Tenant;
  const cpuBefore = cpuMs(server.pid);
  const result = await autocannon({
    url: origin,
    connections: 50,
    duration: seconds,
    requests: [
      {
        setupRequest: (request) => {
          const tenant = pick();
          if (kind !== 'add') return { ...request, method: 'GET', path: `/t/${tenant.name}${kind === 'data' ? '.data' : ''}`, headers: { cookie: tenant.cookie } };
          return {
            ...request,
            method: 'POST',
            path: `/t/${tenant.name}?index`,
            headers: { cookie: tenant.cookie, origin, 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({ intent: 'add', title: 'Benchmark todo', csrf: tenant.csrf }).toString(),
          };
        },
      },
    ],
  });
  const cpu = cpuMs(server.pid) - cpuBefore;
  const expected = kind === 'add' ? result['3xx'] : result['2xx'];
  return {
    rps: expected / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    cpuPerRequestMs: cpu / Math.max(1, result.requests.total),
    // Anything but the expected answer (200 for the page, the no-JavaScript redirect for a post).
    errors: result.errors + result.timeouts + (result.requests.total - expected),
  };
}

/**
 * Brings every instance to the state a server that has been serving these tenants is in: its
 * handle open and, for writers, its WAL started (the first write into a fresh WAL fsyncs its
 * header). The figures are then the steady state of 1,000 active instances; the first open of
 * each is row 7c's figure. 20 requests in flight.
 */
export async function warm(server: Server, tenants: readonly Tenant[], kind: 'page' | 'add'): Promise<void> {
  const origin = new URL(server.url).origin;
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let tenant = tenants[next++]; tenant; tenant = tenants[next++]) {
      const response = await fetch(`${origin}/t/${tenant.name}${kind === 'add' ? '?index' : ''}`, {
        method: kind === 'add' ? 'POST' : 'GET',
        redirect: 'manual',
        headers: { cookie: tenant.cookie, origin, ...(kind === 'add' ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
        ...(kind === 'add' ? { body: new URLSearchParams({ intent: 'add', title: 'Warm-up todo', csrf: tenant.csrf }).toString() } : {}),
      });
      await response.arrayBuffer();
      if (response.status >= 400) throw new Error(`warm-up: ${tenant.name} answered ${response.status}`);
    }
  };
  await Promise.all(Array.from({ length: 20 }, worker));
}

/**
 * 5. The TODO app over HTTP with 50 connections on loopback: the list page and add-todo spread
 * over many instances at random, against the same build pinned to one instance, and the list
 * page on react-router-serve's default server.
 */
export async function httpBench(size: { instances: number; seconds: number; runs: number }): Promise<BenchRow[]> {
  buildTodos();
  const dataDir = scratch('http');
  // Pages are measured on instances that keep their 20 todos; adds go to a second set, so a
  // growing list never slows the page figures down.
  const all = await seed(dataDir, size.instances * 2);
  const tenants = all.slice(0, size.instances);
  const writers = all.slice(size.instances);
  // The pinned writer gets every add of a run (thousands): the per-list limit (5,000 by
  // default) would turn the later runs into 409s, and this row measures routing, not limits.
  const env = { SILO_DATA_DIR: dataDir, SILO_SECRET: SECRET, PORT: '0', HOST: '127.0.0.1', NODE_ENV: 'production', SILO_TODOS_MAX_PER_LIST: '1000000' };
  const silo = await start(['--conditions=@silo/source', '--import', 'tsx', path.join(ROOT, 'apps/todos/server.ts')], env, /listening on (http:\/\/\S+)/);
  const results: Record<string, Load[]> = { pageMany: [], pageOne: [], addMany: [], addOne: [], serve: [] };
  try {
    const pinned = tenants.slice(0, 1);
    const pinnedWriter = writers.slice(0, 1);
    await warm(silo, tenants, 'page');
    await warm(silo, writers, 'add');
    await load(silo, tenants, 'page', 2); // warm-up: JIT
    await repeat(size.runs, async (run) => {
      results['pageMany']?.push(await load(silo, tenants, 'page', size.seconds));
      results['pageOne']?.push(await load(silo, pinned, 'page', size.seconds));
      results['addMany']?.push(await load(silo, writers, 'add', size.seconds));
      results['addOne']?.push(await load(silo, pinnedWriter, 'add', size.seconds));
      log(`  http run ${run + 1}: page ${Math.round(results['pageMany']?.at(-1)?.rps ?? 0)} vs pinned ${Math.round(results['pageOne']?.at(-1)?.rps ?? 0)} req/s; add ${Math.round(results['addMany']?.at(-1)?.rps ?? 0)} vs pinned ${Math.round(results['addOne']?.at(-1)?.rps ?? 0)} req/s`);
    });
  } finally {
    await silo.stop();
  }
  // The same build on react-router-serve (express, compression, request logging), for the cost of the HTTP stack.
  const serve = await start(
    ['--conditions=@silo/source', '--import', 'tsx', path.join(ROOT, 'node_modules/@react-router/serve/bin.cjs'), path.join(ROOT, 'apps/todos/build/server/index.js')],
    { ...env, PORT: String(40_000 + Math.floor(Math.random() * 10_000)) },
    /\[react-router-serve\] (http:\/\/\S+)/,
  );
  try {
    await warm(serve, tenants, 'page');
    await load(serve, tenants, 'page', 2);
    await repeat(size.runs, async () => {
      results['serve']?.push(await load(serve, tenants, 'page', size.seconds));
    });
  } finally {
    await serve.stop();
  }

  const rps = (key: string) => figure((results[key] ?? []).map((r) => r.rps));
  const describe = (key: string): string => {
    const runs = results[key] ?? [];
    const med = (pick: (l: Load) => number) => figure(runs.map(pick)).median;
    return `${Math.round(med((l) => l.rps)).toLocaleString('en-US')} req/s, p50 ${med((l) => l.p50).toFixed(1)} ms, p99 ${med((l) => l.p99).toFixed(1)} ms, CPU ${med((l) => l.cpuPerRequestMs).toFixed(2)} ms/request, errors ${runs.reduce((n, l) => n + l.errors, 0)}`;
  };
  const n = size.instances.toLocaleString('en-US');
  const common = { unit: 'req/s', goal: { maxRatio: 1.15, text: '≤ 1.15×' }, reproduce: 'npm run bench -- --only http' };
  return [
    throughputRow({
      ...common,
      id: '5a',
      title: `TODO list page (20 todos, signed in) over ${n} instances at random, 50 connections`,
      silo: rps('pageMany'),
      baseline: rps('pageOne'),
      baselineLabel: 'the same build pinned to one instance',
      details: { 'across instances': describe('pageMany'), 'pinned to one': describe('pageOne'), 'react-router-serve (same build, pinned server stack of the framework)': describe('serve') },
    }),
    throughputRow({
      ...common,
      id: '5b',
      title: `Add a todo (form POST, no JavaScript) over ${n} instances at random, 50 connections`,
      silo: rps('addMany'),
      baseline: rps('addOne'),
      baselineLabel: 'the same build pinned to one instance',
      details: { 'across instances': describe('addMany'), 'pinned to one': describe('addOne') },
    }),
    {
      id: '5c',
      title: 'TODO list page on react-router-serve (default server) over the same instances',
      unit: 'req/s',
      silo: rps('serve'),
      details: { figures: describe('serve'), why: 'the framework\'s own server (express, compression, morgan logging) on the same build shows the cost of the HTTP stack' },
      reproduce: common.reproduce,
    },
  ];
}
