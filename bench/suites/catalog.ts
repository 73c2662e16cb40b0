import path from 'node:path';
import { createCatalogDatabase, startStandinProcess } from '@silo/turso-standin';
import type { Fleet } from '@silo/fleet';
import { benchFleet, log, scratch } from '../setup';
import { costRow, type BenchRow } from '../report';
import { figure } from '../stats';

/**
 * 9. The catalog on Turso (ADR 0015): every app server reads it through an embedded replica.
 * Lookups (what every request does) are local reads either way; writes go to the primary.
 * The primary is the Turso stand-in on loopback, in a process of its own, so network latency
 * to a real Turso region is not in these figures: add one round trip per write.
 */
export async function catalogBench(size: { instances: number; lookups: number; runs: number }): Promise<BenchRow[]> {
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
      costRow({
        id: '9a',
        title: `Catalog lookup of an instance's details by name (fleet.find, what a signed-in request does) with the catalog on Turso, ${n} instances`,
        unit: 'µs',
        silo: figure(lookups.replicated),
        baseline: figure(lookups.local),
        baselineLabel: 'the same lookup on the local catalog file',
        goal: { maxRatio: 1.5, text: '≤ 1.5× the local catalog (both read a local file)' },
        details: {
          lookups: `${size.lookups.toLocaleString('en-US')} random names per run, ${size.runs} runs`,
          why: 'until 2026-12-03 the local lookup paid 22 µs for a LEFT JOIN (now a scalar subquery, 3 µs), which hid the replica\'s own cost: libsql-js per statement call, not yet profiled (issue #20)',
        },
        reproduce,
      }),
      costRow({
        id: '9b',
        title: 'Create an instance (local tenant file) with the catalog on Turso',
        unit: 'ms',
        silo: figure(creates.replicated),
        baseline: figure(creates.local),
        baselineLabel: 'the same create with the local catalog file',
        details: {
          why: 'a create writes the catalog three times (provisioning row, ready, audit entry); each write is a transaction on the primary followed by a sync of the replica',
          'primary': 'the Turso stand-in on loopback (no network latency; against Turso add a round trip to the primary region per write)',
        },
        reproduce,
      }),
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
