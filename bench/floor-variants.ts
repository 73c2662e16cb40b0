/**
 * `npm run bench:floor-variants`: takes the floor (bench/floor-app) apart, to see what the list
 * page's CPU goes to below our code and which document renderer to use. Each round starts the
 * floor once per variant and loads it with 50 connections; ratios are against the default
 * (startAppServer, streamed render) of the same round. Variants:
 * - node:http writing the page from memory (the HTTP floor);
 * - our request listener answering that page as a fetch Response (listener + Request/Response);
 * - React Router on @remix-run/node-fetch-server, none of our server (streamed render);
 * - startAppServer with the streamed render (@silo/web's handleDocumentRequest, both apps'),
 *   the whole document sent at once (onAllReady, one body with its length), renderToString (cannot hydrate: React Router's data suspends), and the page's
 *   single-fetch request (`.data`, turbo-stream only, no HTML).
 * `-- --seconds N --rounds N --variants a,b` (default 5 s, 2 rounds, all variants).
 */
import { parseArgs } from 'node:util';
import { log } from './setup';
import { buildFloor, describeLoads, startFloor } from './suites/floor';
import { load, type Load, type Tenant } from './suites/http';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '5' }, rounds: { type: 'string', default: '2' }, variants: { type: 'string' } } });
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);

const ALL: ReadonlyArray<{ key: string; name: string; env: NodeJS.ProcessEnv; kind?: 'page' | 'data' }> = [
  { key: 'static', name: 'node:http, page from memory', env: { FLOOR_SERVER: 'static' } },
  { key: 'fetch', name: 'our listener + fetch Request/Response, page from memory', env: { FLOOR_SERVER: 'fetch' } },
  { key: 'plain', name: 'React Router on node-fetch-server (streamed render)', env: { FLOOR_SERVER: 'plain', FLOOR_RENDER: 'stream' } },
  { key: 'stream', name: 'startAppServer, streamed render (onShellReady, @silo/web: both apps)', env: { FLOOR_RENDER: 'stream' } },
  { key: 'buffered', name: 'startAppServer, whole document (onAllReady, one body)', env: { FLOOR_RENDER: 'buffered' } },
  { key: 'string', name: 'startAppServer, renderToString (no hydration data)', env: { FLOOR_RENDER: 'string' } },
  { key: 'data', name: 'startAppServer, single fetch (.data, turbo-stream)', env: {}, kind: 'data' },
];
// `--variants stream,buffered` measures some of them (the streamed render always, as the base).
const picked = values.variants?.split(',');
const VARIANTS = ALL.filter((v) => !picked || v.key === 'stream' || picked.includes(v.key));
const BASE = 'startAppServer, streamed render (onShellReady, @silo/web: both apps)';

// The floor ignores sessions: tenants are names only.
const tenants: Tenant[] = Array.from({ length: 100 }, (_, i) => ({ name: `shop-${i}`, cookie: '', csrf: '' }));
buildFloor();
const results = new Map<string, Load[]>(VARIANTS.map((v) => [v.name, []]));
for (let round = 0; round < rounds; round++) {
  for (const variant of VARIANTS) {
    const server = await startFloor(variant.env);
    try {
      await load(server, tenants, variant.kind ?? 'page', 2);
      const result = await load(server, tenants, variant.kind ?? 'page', seconds);
      results.get(variant.name)?.push(result);
      log(`round ${round + 1}: ${variant.name}: ${result.cpuPerRequestMs.toFixed(3)} ms CPU/request, ${Math.round(result.rps)} req/s`);
    } finally {
      await server.stop();
    }
  }
}
const base = results.get(BASE) ?? [];
console.log('| variant | figures (median of rounds) | CPU/request ÷ streamed render, per round |');
console.log('| --- | --- | --- |');
for (const variant of VARIANTS) {
  const runs = results.get(variant.name) ?? [];
  const ratios = runs.map((r, i) => `${(r.cpuPerRequestMs / (base[i] as Load).cpuPerRequestMs).toFixed(2)}×`).join(', ');
  console.log(`| ${variant.name} | ${describeLoads(runs)} | ${ratios} |`);
}
