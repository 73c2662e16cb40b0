import path from 'node:path';
import { createCatalogDatabase, standinHooks, startStandinProcess, type TursoStandin } from '@silo/turso-standin';
import type { Fleet } from '@silo/fleet';
import { benchFleet, log, scratch } from '../setup';
import { pairedRow, type BenchRow } from '../report';
import { figure } from '../stats';

/**
 * 9. The catalog on Turso (ADR 0015): every app server reads it through an embedded replica.
 * Lookups (what every request does) are local reads either way; writes go to the primary.
 * The primary is the Turso stand-in on loopback, in a process of its own, so network latency
 * to a real Turso region is not in these figures: add one round trip per write.
 */
export async function catalogBench(size: { instances: number; lookups: number; runs: number; rttCreates: number }): Promise<BenchRow[]> {
  const dataDir = scratch('catalog');
  const standin = await startStandinProcess({ dataDir: path.join(dataDir, 'standin'), notReadyMs: 0, groups: [{ name: 'silo-eu', location: 'aws-eu-west-1' }] });
  try {
    const catalog = await createCatalogDatabase(standin);
    const replicated = await benchFleet(path.join(dataDir, 'replicated'), {
      catalog: { url: catalog.SILO_CATALOG_URL, authToken: catalog.SILO_CATALOG_AUTH_TOKEN },
    });
    const local = await benchFleet(path.join(dataDir, 'local'));
    const creates = { local: [] as number[], replicated: [] as number[] };
    for (let i = 0; i < size.instances; i++) {
      for (const [label, fleet] of [['local', local], ['replicated', replicated]] as const) {
        const started = performance.now();
        await fleet.create(`tenant-${i}`, { jurisdiction: 'eu' });
        creates[label].push(performance.now() - started);
      }
      if (i % 200 === 199) log(`  catalog: created ${i + 1} / ${size.instances} on each`);
    }
    const trips = await createRoundTrips(standin, replicated, size.rttCreates);
    log(`  catalog: per create ${trips.writes} write + ${trips.syncs} sync requests; ${trips.msAtRtt.toFixed(0)} ms at ${SIMULATED_RTT_MS} ms RTT`);
    const lookups = { local: [] as number[], replicated: [] as number[] };
    for (let run = 0; run < size.runs; run++) {
      for (const [label, fleet] of [['local', local], ['replicated', replicated]] as const) lookups[label].push(lookupMicros(fleet, size.instances, size.lookups));
    }
    log(`  catalog: lookup ${figure(lookups.replicated).median.toFixed(1)} µs on the replica vs ${figure(lookups.local).median.toFixed(1)} µs local`);
    await replicated.close();
    await local.close();

    const n = size.instances.toLocaleString('en-US');
    const reproduce = 'npm run bench -- --only catalog';
    return [
      pairedRow({
        id: '9a',
        title: `Catalog lookup of an instance's details by name (fleet.find, what a signed-in request does) with the catalog on Turso, ${n} instances`,
        unit: 'µs',
        baselineLabel: 'the same lookup on the local catalog file',
        goal: { maxRatio: 1.5, text: '≤ 1.5× the local catalog (both read a local file)' },
        details: {
          lookups: `${size.lookups.toLocaleString('en-US')} random names per run, ${size.runs} runs`,
          cache: 'both sides answer a repeated name from the catalog lookup cache (lookup-cache.ts) until the catalog changes: a file watch on the local side, the replica\'s sync count on Turso',
        },
        reproduce,
      }, { silo: lookups.replicated, baseline: lookups.local, kind: 'cost' }),
      pairedRow({
        id: '9b',
        title: 'Create an instance (local tenant file) with the catalog on Turso',
        unit: 'ms',
        baselineLabel: 'the same create with the local catalog file',
        details: {
          why: `a create writes the catalog twice: the provisioning row (one batch, durable before the file exists), then the ready row with the audit entry (one batch); per create ${trips.writes} write and ${trips.syncs} sync requests to the primary`,
          'primary': 'the Turso stand-in on loopback (no network latency: row 9c adds it)',
          pairs: 'each create on Turso beside the create of the same name on the local catalog',
        },
        reproduce,
      }, { silo: creates.replicated, baseline: creates.local, kind: 'cost' }),
      {
        id: '9c',
        title: `Catalog write requests per create with the catalog on Turso (${size.rttCreates} creates)`,
        unit: 'requests',
        silo: figure(trips.writesPerCreate),
        goal: { max: 2, text: 'as few as correctness allows: the provisioning row (durable before the file exists), then one write' },
        details: {
          'sync requests': `${trips.syncs} per create (the replica pulling the primary's new frames)`,
          [`at ${SIMULATED_RTT_MS} ms RTT`]: `${trips.msAtRtt.toFixed(0)} ms per create (median), the stand-in answering every request ${SIMULATED_RTT_MS} ms late (roundTripMs)`,
          counted: "the stand-in's own request log (GET /_standin/requests): POSTs to the catalog's pipeline and cursor endpoints are writes, GETs of its sync paths are syncs",
        },
        reproduce,
      },
    ];
  } finally {
    await standin.close();
  }
}

function lookupMicros(fleet: Fleet, instances: number, lookups: number): number {
  const names = Array.from({ length: lookups }, () => `tenant-${Math.floor(Math.random() * instances)}`);
  const started = performance.now();
  for (const name of names) if (!fleet.find(name)) throw new Error(`${name} is missing`);
  return ((performance.now() - started) * 1_000) / lookups;
}

/** The round trip row 9c simulates: a server and its Turso region a little apart. */
const SIMULATED_RTT_MS = 20;

/**
 * Requests to the catalog's primary per create, from the stand-in's own log (the fleet on
 * loopback), and the time of a create when every request costs SIMULATED_RTT_MS (a second
 * stand-in, so the loopback figures above stay as they are).
 */
async function createRoundTrips(standin: TursoStandin, fleet: Fleet, creates: number): Promise<{ writes: number; syncs: number; writesPerCreate: number[]; msAtRtt: number }> {
  const hooks = standinHooks(standin);
  const writesPerCreate: number[] = [];
  const syncsPerCreate: number[] = [];
  for (let i = 0; i < creates; i++) {
    const before = await hooks.requests();
    await fleet.create(`round-trips-${i}`, { jurisdiction: 'eu' });
    const counts = requestKinds(before, await hooks.requests());
    writesPerCreate.push(counts.writes);
    syncsPerCreate.push(counts.syncs);
  }
  const dataDir = scratch('catalog-rtt');
  const distant = await startStandinProcess({ dataDir: path.join(dataDir, 'standin'), notReadyMs: 0, roundTripMs: SIMULATED_RTT_MS, groups: [{ name: 'silo-eu', location: 'aws-eu-west-1' }] });
  try {
    const catalog = await createCatalogDatabase(distant);
    const far = await benchFleet(path.join(dataDir, 'replicated'), { catalog: { url: catalog.SILO_CATALOG_URL, authToken: catalog.SILO_CATALOG_AUTH_TOKEN } });
    const times: number[] = [];
    try {
      for (let i = 0; i < creates; i++) {
        const started = performance.now();
        await far.create(`far-${i}`, { jurisdiction: 'eu' });
        times.push(performance.now() - started);
      }
    } finally {
      await far.close();
    }
    return { writes: figure(writesPerCreate).median, syncs: figure(syncsPerCreate).median, writesPerCreate, msAtRtt: figure(times).median };
  } finally {
    await distant.close();
  }
}

/** Requests between two snapshots of the stand-in's log: writes to a database, and replica syncs. */
function requestKinds(before: Record<string, number>, after: Record<string, number>): { writes: number; syncs: number } {
  let writes = 0;
  let syncs = 0;
  for (const [key, count] of Object.entries(after)) {
    const added = count - (before[key] ?? 0);
    if (/^POST \/databases\/[^/]+\/v\d\/(pipeline|cursor)$/.test(key)) writes += added;
    else if (/^GET \/databases\/[^/]+\/sync\//.test(key)) syncs += added;
  }
  return { writes, syncs };
}
