/**
 * `npm run bench`: Silo beside its raw baselines, on this machine, in one run. Writes
 * docs/benchmarks.md and docs/benchmarks.json. `--quick` runs everything small (a smoke test,
 * under a minute); `--only <name>` re-measures some suites (create, clone, clone-load, migrate, query-all, http, floor,
 * shared, scale, backups, catalog, noisy, startup, api, libsql) and keeps the other rows; `--rewrite` re-renders the markdown from the JSON.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { cleanScratch, log } from './setup';
import { markdown, met, type BenchRow, type MeasuredRow } from './report';
import { apiCreateBench } from './suites/api';
import { backupsBench } from './suites/backups';
import { catalogBench } from './suites/catalog';
import { cloneBench, cloneUnderLoadBench } from './suites/clone';
import { createBench } from './suites/create';
import { fleetFixture, migrateBench, queryAllBench } from './suites/fleet-wide';
import { floorBench, pageVsFloorBench } from './suites/floor';
import { httpBench } from './suites/http';
import { libsqlBench } from './suites/libsql';
import { noisyNeighbourBench } from './suites/noisy-neighbour';
import { scaleBench } from './suites/scale';
import { sharedVsSiloBench } from './suites/shared-vs-silo';
import { startupBench } from './suites/startup';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string', multiple: true },
    out: { type: 'string', default: 'docs/benchmarks' },
    // Re-renders the markdown from the JSON and bench/analysis.md without measuring anything.
    rewrite: { type: 'boolean', default: false },
  },
});

const quick = values.quick ?? false;
const size = quick
  ? { create: { instances: 50, runs: 3 }, clone: { megabytes: 5, runs: 3 }, cloneLoad: { megabytes: 5, clones: 20, writers: 2 }, fleet: 300, fleetRuns: 2, shared: { tenants: 300, operations: 3_000, runs: 2 }, scale: { instances: 2_000, listSamples: 100, accessSamples: 1_000 }, backups: { instances: 500, changed: 50, runs: 2 }, http: { instances: 100, seconds: 3, runs: 2 }, floor: { instances: 100, seconds: 3, runs: 2 }, pageVsFloor: { instances: 100, requests: 200, rounds: 2 }, catalog: { instances: 100, lookups: 5_000, runs: 2, rttCreates: 5 }, noisy: { limit: 1_000, victims: 20, seconds: 3, runs: 2 }, startup: { runs: 5 }, api: { instances: 50, runs: 2 }, libsql: { operations: 500, runs: 2 } }
  : { create: { instances: 500, runs: 5 }, clone: { megabytes: 50, runs: 5 }, cloneLoad: { megabytes: 50, clones: 30, writers: 2 }, fleet: 10_000, fleetRuns: 3, shared: { tenants: 1_000, operations: 20_000, runs: 5 }, scale: { instances: 100_000, listSamples: 400, accessSamples: 20_000 }, backups: { instances: 10_000, changed: 1_000, runs: 3 }, http: { instances: 1_000, seconds: 10, runs: 3 }, floor: { instances: 1_000, seconds: 10, runs: 3 }, pageVsFloor: { instances: 1_000, requests: 1_000, rounds: 6 }, catalog: { instances: 1_000, lookups: 50_000, runs: 5, rttCreates: 20 }, noisy: { limit: 5_000, victims: 100, seconds: 10, runs: 3 }, startup: { runs: 20 }, api: { instances: 300, runs: 3 }, libsql: { operations: 5_000, runs: 5 } };

const wanted = (name: string): boolean => !values.rewrite && (!values.only || values.only.includes(name));
const rows: BenchRow[] = [];
const started = Date.now();

try {
  if (wanted('create')) {
    log('1. create');
    rows.push(await createBench(size.create));
  }
  if (wanted('clone')) {
    log('2. clone');
    rows.push(await cloneBench(size.clone));
  }
  if (wanted('clone-load')) {
    log('2b. clone under write load');
    rows.push(await cloneUnderLoadBench(size.cloneLoad));
  }
  if (wanted('migrate') || wanted('query-all')) {
    log(`3–4. building a fleet of ${size.fleet} instances`);
    const fixture = await fleetFixture(size.fleet);
    if (wanted('migrate')) rows.push(await migrateBench(fixture, size.fleetRuns));
    if (wanted('query-all')) rows.push(await queryAllBench(fixture, size.fleetRuns));
  }
  if (wanted('http')) {
    log('5. the TODO app over HTTP');
    rows.push(...(await httpBench(size.http)));
  }
  if (wanted('floor')) {
    log('5d. the TODO list page against the framework\'s floor');
    rows.push(await floorBench(size.floor));
    log('5e. the same page against the floor in one process, request by request');
    rows.push(pageVsFloorBench(size.pageVsFloor));
  }
  if (wanted('shared')) {
    log('6. shared database vs a database per tenant');
    rows.push(...(await sharedVsSiloBench(size.shared)));
  }
  if (wanted('backups')) {
    log(`8. backups over ${size.backups.instances} instances`);
    rows.push(...(await backupsBench(size.backups)));
  }
  if (wanted('catalog')) {
    log(`9. the catalog on Turso (embedded replica), ${size.catalog.instances} instances`);
    rows.push(...(await catalogBench(size.catalog)));
  }
  if (wanted('noisy')) {
    log(`10. noisy neighbour: one tenant at the limit (${size.noisy.limit} todos) beside ${size.noisy.victims} others`);
    rows.push(await noisyNeighbourBench(size.noisy));
  }
  if (wanted('startup')) {
    log('11. start-up of the built `silo` command');
    rows.push(startupBench(size.startup));
  }
  if (wanted('api')) {
    log('12. create through the HTTP API (silo serve)');
    rows.push(await apiCreateBench(size.api));
  }
  if (wanted('libsql')) {
    log('13. the libSQL endpoint with @libsql/client');
    rows.push(...(await libsqlBench(size.libsql)));
  }
  if (wanted('scale')) {
    log(`7. ${size.scale.instances} instances on one node`);
    rows.push(...(await scaleBench(size.scale)));
  }
} finally {
  cleanScratch();
}

const now = new Date().toISOString();
const measured = rows.map((row) => ({ ...row, measured: now, node: process.version }));
// `--only` re-measures some suites: their rows replace the same suites' rows of the last run
// (matched by id: a suite re-measures all of its rows), and the other rows keep their figures and dates.
const rerun = new Set(measured.map((row) => row.id));
const kept = (values.only || values.rewrite) && !quick ? previousRows(`${values.out}.json`).filter((row) => !rerun.has(row.id)) : [];
const all = [...kept, ...measured].sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));

const meta = {
  mode: quick ? 'quick (small sizes; figures are not comparable with a full run)' : 'full',
  // A rewrite measured nothing here: the machine is the one that measured the figures.
  machine: (values.rewrite ? previousMachine(`${values.out}.json`) : undefined) ?? `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}`,
  // Rows kept from an earlier run (`--only`) may come from another Node version: name each one.
  node: ((versions) => (values.rewrite || (versions.length === 1 && versions[0] === process.version) ? versions.join(', ') : `${versions.join(', ')} (this run: ${process.version})`))([
    ...new Set(all.map((row) => row.node)),
  ]),
  measured: [...new Set(all.map((row) => row.measured.slice(0, 16).replace('T', ' ')))].join(', ') + ' (UTC; each row says when)',
  duration: values.rewrite ? 'rewritten from the JSON, nothing measured' : `${Math.round((Date.now() - started) / 1000)} s for ${values.only ? values.only.join(', ') : 'everything'}`,
};
// The hand-written analysis of missed goals (with its evidence) travels with the figures.
const analysis = readFileSync(new URL('./analysis.md', import.meta.url), 'utf8');
writeFileSync(`${values.out}.md`, `${markdown(all, meta)}\n${analysis}`);
writeFileSync(`${values.out}.json`, `${JSON.stringify({ meta, rows: all.map((row) => ({ ...row, met: met(row) })) }, null, 2)}\n`);
log(`wrote ${values.out}.md and ${values.out}.json`);
for (const row of measured) {
  const ok = met(row);
  log(`${row.id.padEnd(3)} ${row.title}: ${row.silo.median.toFixed(2)} ${row.unit}${row.ratio === undefined ? '' : ` (${row.ratio.toFixed(2)}× baseline)`}${ok === false ? '  GOAL MISSED' : ''}`);
}

function previousRows(file: string): MeasuredRow[] {
  if (!existsSync(file)) return [];
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { meta?: { date?: string; node?: string }; rows?: MeasuredRow[] };
  // Files written before rows carried their own date and Node version fall back to the run's.
  return (parsed.rows ?? []).map((row) => ({ ...row, measured: row.measured ?? parsed.meta?.date ?? 'unknown', node: row.node ?? parsed.meta?.node ?? 'unknown' }));
}

function previousMachine(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  return (JSON.parse(readFileSync(file, 'utf8')) as { meta?: { machine?: string } }).meta?.machine;
}
