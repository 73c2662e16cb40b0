import path from 'node:path';
import autocannon from 'autocannon';
import { benchFleet, log, scratch } from '../setup';
import { costRow, type BenchRow } from '../report';
import { figure, repeat } from '../stats';
import { ROOT, SECRET, buildTodos, seed, start, type Server, type Tenant } from './http';

export interface NoisySize {
  /** Todos in the noisy tenant's list: the per-list limit the server runs with. */
  readonly limit: number;
  readonly victims: number;
  readonly seconds: number;
  readonly runs: number;
}

/** Fills one tenant's list to the limit with 1,000-character titles (the longest allowed). */
async function fillToLimit(dataDir: string, name: string, limit: number): Promise<void> {
  const fleet = await benchFleet(dataDir);
  const now = Date.now();
  await fleet.withInstance(name, async (db) => {
    for (let from = 0; from < limit; from += 1_000) {
      const count = Math.min(1_000, limit - from);
      await db.batch(
        Array.from({ length: count }, (_, i) => ({
          sql: 'INSERT INTO todos (title, completed, created_at, updated_at) VALUES (?, ?, ?, ?)',
          args: [`${String(from + i).padStart(6, '0')} ${'x'.repeat(993)}`, (from + i) % 2, now, now],
        })),
      );
    }
  });
  await fleet.close();
}

/**
 * Other tenants' list pages at a steady 100 req/s over 10 connections: what a neighbour of the
 * noisy tenant sees. (50 connections made autocannon send each second's requests in one burst,
 * which measured its own queue.) A stalled server is sent fewer requests, so the share of the
 * 100 req/s actually served is reported beside the p99.
 */
async function victimLoad(server: Server, victims: readonly Tenant[], seconds: number): Promise<{ p50: number; p99: number; errors: number; requests: number }> {
  const origin = new URL(server.url).origin;
  const result = await autocannon({
    url: origin,
    connections: 10,
    overallRate: 100,
    duration: seconds,
    requests: [
      {
        setupRequest: (request) => {
          const tenant = victims[Math.floor(Math.random() * victims.length)] as Tenant;
          return { ...request, method: 'GET', path: `/t/${tenant.name}`, headers: { cookie: tenant.cookie } };
        },
      },
    ],
  });
  return { p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.timeouts + result.non2xx, requests: result.requests.total };
}

/**
 * The noisy tenant's heaviest allowed requests, as fast as 5 connections go: its list pages
 * (every filter, first and later pages: 100 titles of 1,000 characters each), adds to the full
 * list (refused with the page re-rendered), "toggle all" over every todo, and downloads of the
 * whole list (.json and .sqlite; refused with 429 past the hourly budget, as in production).
 */
function noisyLoad(server: Server, noisy: Tenant, seconds: number): Promise<autocannon.Result> {
  const origin = new URL(server.url).origin;
  const pages = ['', '/active', '/completed', '?after=1000', '/active?after=2000'];
  let flip = false;
  return autocannon({
    url: origin,
    connections: 5,
    duration: seconds,
    requests: [
      {
        setupRequest: (request) => {
          const roll = Math.random();
          if (roll < 0.1) return { ...request, method: 'GET', path: `/t/${noisy.name}/export.${roll < 0.05 ? 'json' : 'sqlite'}`, headers: { cookie: noisy.cookie } };
          if (roll < 0.55) return { ...request, method: 'GET', path: `/t/${noisy.name}${pages[Math.floor(Math.random() * pages.length)] ?? ''}`, headers: { cookie: noisy.cookie } };
          flip = !flip;
          const fields: Record<string, string> = roll < 0.8 ? { intent: 'add', title: 'y'.repeat(1_000), csrf: noisy.csrf } : { intent: 'toggle-all', completed: String(flip), csrf: noisy.csrf };
          return {
            ...request,
            method: 'POST',
            path: `/t/${noisy.name}?index`,
            headers: { cookie: noisy.cookie, origin, 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams(fields).toString(),
          };
        },
      },
    ],
  });
}

/**
 * 10. Noisy neighbour: the list page of other tenants (p99 at a steady 100 req/s) while one
 * tenant with a list at the per-list limit runs its heaviest requests, against the same
 * victims' p99 on the quiet server, alternating in each run.
 */
export async function noisyNeighbourBench(size: NoisySize): Promise<BenchRow> {
  buildTodos();
  const dataDir = scratch('noisy');
  const tenants = await seed(dataDir, size.victims + 1);
  const noisy = tenants[0] as Tenant;
  const victims = tenants.slice(1);
  await fillToLimit(dataDir, noisy.name, size.limit);
  const env = {
    SILO_DATA_DIR: dataDir,
    SILO_SECRET: SECRET,
    PORT: '0',
    HOST: '127.0.0.1',
    NODE_ENV: 'production',
    SILO_TODOS_MAX_PER_LIST: String(size.limit),
  };
  // SILO_BENCH_CPU_PROF=<dir>: the server writes a .cpuprofile there when it stops (both phases).
  const profileDir = process.env['SILO_BENCH_CPU_PROF'];
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const server = await start([...profile, '--conditions=@silo/source', '--import', 'tsx', path.join(ROOT, 'apps/todos/server.ts')], env, /listening on (http:\/\/\S+)/);
  const quiet: { p50: number; p99: number; errors: number; requests: number }[] = [];
  const loud: typeof quiet = [];
  const noisyFigures: { rps: number; p99: number; refused: number; errors: number }[] = [];
  try {
    await victimLoad(server, victims, 2); // warm-up: handles, JIT
    await Promise.all([victimLoad(server, victims, 2), noisyLoad(server, noisy, 2)]);
    await repeat(size.runs, async (run) => {
      quiet.push(await victimLoad(server, victims, size.seconds));
      const [victim, heavy] = await Promise.all([victimLoad(server, victims, size.seconds), noisyLoad(server, noisy, size.seconds)]);
      loud.push(victim);
      noisyFigures.push({ rps: heavy.requests.total / size.seconds, p99: heavy.latency.p99, refused: heavy['4xx'], errors: heavy.errors + heavy.timeouts + heavy['5xx'] });
      log(`  noisy run ${run + 1}: victims' p99 ${quiet.at(-1)?.p99} ms quiet, ${victim.p99} ms beside the noisy tenant (${Math.round(heavy.requests.total / size.seconds)} heavy req/s)`);
    });
  } finally {
    await server.stop();
  }
  type VictimRun = (typeof quiet)[number];
  const describe = (runs: readonly VictimRun[]): string =>
    `p50 ${figure(runs.map((r) => r.p50)).median.toFixed(1)} ms, p99 ${figure(runs.map((r) => r.p99)).median.toFixed(1)} ms, ${Math.round(runs.reduce((n, r) => n + r.requests, 0) / (runs.length * size.seconds))} of 100 req/s served, errors ${runs.reduce((n, r) => n + r.errors, 0)}`;
  const ratios = loud.map((run, i) => run.p99 / (quiet[i]?.p99 ?? NaN)).sort((a, b) => a - b);
  const limit = size.limit.toLocaleString('en-US');
  return {
    ...costRow({
      id: '10',
      title: `Noisy neighbour: other tenants' list page p99 (100 req/s) while one tenant at the limit (${limit} todos of 1,000 characters) runs its heaviest requests`,
      unit: 'ms',
      silo: figure(loud.map((run) => run.p99)),
      baseline: figure(quiet.map((run) => run.p99)),
      baselineLabel: 'the same victims on the quiet server, same run',
      goal: { maxRatio: 2, text: '≤ 2×' },
      details: {
        'victims (quiet)': describe(quiet),
        'victims (beside the noisy tenant)': describe(loud),
        'paired ratios per run': ratios.map((ratio) => `${ratio.toFixed(2)}×`).join(', '),
        'noisy tenant': `${Math.round(figure(noisyFigures.map((r) => r.rps)).median)} req/s over 5 connections (45% pages of 100 × 1,000-character titles, 25% adds refused at the limit, 20% toggle all over ${limit} todos, 10% whole-list downloads within the hourly budget of 10), p99 ${figure(noisyFigures.map((r) => r.p99)).median.toFixed(1)} ms, ${noisyFigures.reduce((n, r) => n + r.refused, 0)} refused (409 full, 429 download budget), errors ${noisyFigures.reduce((n, r) => n + r.errors, 0)}`,
        setup: `${size.victims} victim tenants with 20 todos each; one app server (one main thread); ${size.runs} runs of ${size.seconds} s per phase`,
      },
      reproduce: 'npm run bench -- --only noisy',
    }),
  };
}
