/**
 * `npm run bench:page-vs-floor`: the TODO list page against the floor (row 5d) in one process,
 * through each build's React Router request handler, no HTTP. The two alternate request by
 * request over the same random instances, and each request's CPU time (this process's user +
 * system) is added to its side: whatever the machine does meanwhile falls on both alike, which
 * two separate servers loaded in turn cannot promise on a shared VM. Prints the ratio per
 * round. `-- --instances N --requests N --rounds N` (default 300, 600 and 6); `--json` ends
 * with one line of the rounds' CPU per page on each side (row 5e runs it so). `--profile`
 * samples the rounds with V8's profiler and prints where Silo's page spends beyond the floor's,
 * by package and by function, each sample going to the side whose request it fell in
 * (profile-split.ts); the profile itself is kept in the temporary directory.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createRequestHandler, type ServerBuild } from 'react-router';
import { loadContextFor } from '@silo/web/react-router';
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { turnEventLoop } from './event-loop';
import { differenceTable, functionOf, nowUs, packageOf, splitBySide, type CpuProfile, type Window } from './profile-split';
import { cleanScratch, log, scratch } from './setup';
import { figure } from './stats';
import { FLOOR_DIR, buildFloor } from './suites/floor';
import { ROOT, SECRET, buildTodos, seed, type Tenant } from './suites/http';

// React picks its development or production build when first imported (above), from
// NODE_ENV: set later, it left both sides on React's development build (validation, stack
// tasks), ~30% more CPU a page than either server serves with.
if (process.env['NODE_ENV'] !== 'production') throw new Error('Run with NODE_ENV=production (npm run bench:page-vs-floor does).');

const { values } = parseArgs({
  options: {
    instances: { type: 'string', default: '300' },
    requests: { type: 'string', default: '600' },
    rounds: { type: 'string', default: '6' },
    json: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
  },
});
const [instances, requests, rounds] = [Number(values.instances), Number(values.requests), Number(values.rounds)];

buildTodos();
buildFloor();
const dataDir = scratch('page-vs-floor');
const tenants = await seed(dataDir, instances);
// The TODO app reads its settings from the environment when its fleet opens (first request).
Object.assign(process.env, { SILO_DATA_DIR: dataDir, SILO_SECRET: SECRET });
const handlerOf = async (file: string) => createRequestHandler((await import(pathToFileURL(file).href)) as ServerBuild, 'production');
const sides = {
  silo: await handlerOf(path.join(ROOT, 'apps/todos/build/server/index.js')),
  floor: await handlerOf(path.join(FLOOR_DIR, 'build/server/index.js')),
};

async function page(side: keyof typeof sides, tenant: Tenant): Promise<void> {
  const request = new Request(`http://127.0.0.1:3000/t/${tenant.name}`, { headers: { cookie: tenant.cookie, host: '127.0.0.1:3000' } });
  const response = await sides[side](request, loadContextFor({ nonce: 'bench-nonce-0123456789==', clientAddress: '127.0.0.1' }));
  if (response.status !== 200) throw new Error(`${side}: status ${response.status}`);
  await response.arrayBuffer();
  await turnEventLoop();
}

const cpuMs = (): number => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};

// Every instance opened once, and both sides' code warmed up, before anything counts.
for (const tenant of tenants) await page('silo', tenant);
for (let i = 0; i < 500; i++) await page('floor', tenants[i % tenants.length] as Tenant);

const profiler = values.profile ? new Session() : undefined;
if (profiler) {
  profiler.connect();
  await profiler.post('Profiler.enable');
  await profiler.post('Profiler.setSamplingInterval', { interval: 50 });
  await profiler.post('Profiler.start');
}
const windows: Window[] = [];

const perPage = { silo: [] as number[], floor: [] as number[] };
for (let round = 0; round < rounds; round++) {
  const spent = { silo: 0, floor: 0 };
  for (let i = 0; i < requests; i++) {
    const tenant = tenants[Math.floor(Math.random() * tenants.length)] as Tenant;
    for (const side of i % 2 === 0 ? (['silo', 'floor'] as const) : (['floor', 'silo'] as const)) {
      const [started, startUs] = [cpuMs(), nowUs()];
      await page(side, tenant);
      spent[side] += cpuMs() - started;
      if (profiler) windows.push({ side, startUs, endUs: nowUs() });
    }
  }
  perPage.silo.push(spent.silo / requests);
  perPage.floor.push(spent.floor / requests);
  log(`round ${round + 1}: Silo ${(spent.silo / requests).toFixed(3)} ms CPU/page, floor ${(spent.floor / requests).toFixed(3)} ms: ${(spent.silo / spent.floor).toFixed(3)}×`);
}
const f = figure(perPage.silo.map((silo, i) => silo / (perPage.floor[i] as number)));
log(`Silo ÷ floor, CPU per page: ${f.median.toFixed(2)}× (${f.min.toFixed(2)}–${f.max.toFixed(2)} over ${rounds} rounds of ${requests} pages each, ${instances} instances)`);
if (profiler) {
  const { profile } = (await profiler.post('Profiler.stop')) as unknown as { profile: CpuProfile };
  const file = path.join(path.dirname(dataDir), `page-vs-floor-${Date.now()}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  log(`Where Silo's page spends beyond the floor's, µs of self time per page (profiler on):\n${differenceTable(splitBySide(profile, windows, packageOf), 'silo', 'floor', 20)}`);
  log(`By function:\n${differenceTable(splitBySide(profile, windows, functionOf), 'silo', 'floor', 30)}`);
  log(`profile: ${file}`);
}
if (values.json) console.log(JSON.stringify(perPage));
cleanScratch();
process.exit(0);
