/**
 * `npm run bench:floor-render`: the floor's document renderers in one process, without HTTP:
 * React Router's request handler over the floor's build, one request at a time, with each
 * renderer swapped in as the build's entry (FLOOR_RENDER in bench/floor-app/app/entry.server.tsx
 * picks the same ones for a server). CPU per request is this process's own user + system time,
 * so load elsewhere on the machine moves it far less than a figure over HTTP.
 * `-- --requests N --rounds N` (default 2,000 and 5).
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createRequestHandler, type ServerBuild } from 'react-router';
import { loadContextFor } from '@silo/web/react-router';
import { turnEventLoop } from './event-loop';
import { figure } from './stats';
import { FLOOR_DIR, buildFloor } from './suites/floor';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '2000' }, rounds: { type: 'string', default: '5' } } });
const requests = Number(values.requests);
const rounds = Number(values.rounds);

buildFloor();
const MODES = ['stream', 'buffered', 'string'] as const;
const handlers = new Map<string, ReturnType<typeof createRequestHandler>>();
for (const mode of MODES) {
  process.env['FLOOR_RENDER'] = mode;
  // A fresh module instance per mode: the entry reads FLOOR_RENDER when it loads.
  const build = (await import(`${pathToFileURL(path.join(FLOOR_DIR, 'build/server/index.js')).href}?mode=${mode}`)) as ServerBuild;
  handlers.set(mode, createRequestHandler(build, 'production'));
}

async function once(handle: ReturnType<typeof createRequestHandler>, url: string): Promise<number> {
  const response = await handle(new Request(url), loadContextFor({ nonce: 'bench-nonce-0123456789==', clientAddress: '127.0.0.1' }));
  const bytes = (await response.arrayBuffer()).byteLength;
  await turnEventLoop();
  return bytes;
}

const cpu = (): number => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};
const perRequest = new Map<string, number[]>(MODES.map((mode) => [mode, []]));
const sizes = new Map<string, number>();
const urls = [...MODES.map((mode) => ['page', mode] as const), ['data', 'buffered'] as const];
perRequest.set('data', []);
for (let round = -1; round < rounds; round++) {
  for (const [kind, mode] of urls) {
    const handle = handlers.get(mode) as ReturnType<typeof createRequestHandler>;
    const key = kind === 'data' ? 'data' : mode;
    const started = cpu();
    // Round -1 warms the JIT up and is not counted.
    const count = round < 0 ? 500 : requests;
    for (let i = 0; i < count; i++) sizes.set(key, await once(handle, `http://localhost/t/shop-${i % 100}${kind === 'data' ? '.data' : ''}`));
    if (round >= 0) perRequest.get(key)?.push((cpu() - started) / count);
  }
}
const base = perRequest.get('stream') ?? [];
console.log('| renderer | CPU ms per request (median, min–max) | ÷ stream, per round | bytes |');
console.log('| --- | --- | --- | --- |');
for (const [key, samples] of perRequest) {
  const f = figure(samples);
  const ratios = figure(samples.map((value, i) => value / (base[i] as number)));
  console.log(`| ${key} | ${f.median.toFixed(3)} (${f.min.toFixed(3)}–${f.max.toFixed(3)}) | ${ratios.median.toFixed(2)}× (${ratios.min.toFixed(2)}–${ratios.max.toFixed(2)}) | ${sizes.get(key)} |`);
}
