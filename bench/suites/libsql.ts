import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient, type Client } from '@libsql/client';
import { defineTenantSchema, type Fleet } from '@silo/fleet';
import { createCatalogDatabase, startJurisdictionStandin } from '@silo/turso-standin';
import { createInstanceToken } from '../../packages/server/src/instance-tokens';
import { libsqlHandler } from '../../packages/server/src/libsql/index';
import { nodeListener } from '../../packages/server/src/libsql/node-listener';
import { benchFleet, log, scratch } from '../setup';
import type { BenchRow } from '../report';
import { figure } from '../stats';

const NOTES_SQL = 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)';
const schema = defineTenantSchema({ id: 'bench-libsql', migrations: [{ version: 1, name: 'notes', sql: `${NOTES_SQL};` }] });
const ROWS = 1_000;

/** Per-operation latency of `once`, in ms: the mean of each run, one figure per run. */
async function latency(runs: number, operations: number, once: (i: number) => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < Math.min(200, operations); i++) await once(i);
  const means: number[] = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    for (let i = 0; i < operations; i++) await once(i);
    means.push((performance.now() - started) / operations);
  }
  return means;
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

/**
 * 12. The libSQL endpoint of silo serve (issue #15): a point read and an insert with stock
 * @libsql/client, beside the same through the Turso stand-in (the same Hrana code, one
 * process, no fleet) and in-process through fleet.withInstance. Goal: an endpoint read within
 * 2× of an in-process read plus one loopback HTTP round trip (a bare node:http server).
 */
export async function libsqlBench(size: { operations: number; runs: number }): Promise<BenchRow[]> {
  const dataDir = scratch('libsql');
  const fleet: Fleet = await benchFleet(dataDir, {}, schema);
  await fleet.create('acme', { jurisdiction: 'eu' });
  await fleet.withInstance('acme', (db) => db.batch(Array.from({ length: ROWS }, (_, i) => ({ sql: 'INSERT INTO notes (body) VALUES (?)', args: [`note ${i}`] }))));

  const handler = libsqlHandler(fleet, { tokenSecretDir: dataDir });
  const server = createServer(nodeListener(handler));
  const origin = await listen(server);
  const { token } = await createInstanceToken(fleet, { tokenSecretDir: dataDir, instance: 'acme' });
  const endpoint: Client = createClient({ url: `${origin}/db/acme/`, authToken: token });

  const standin = await startJurisdictionStandin(scratch('libsql-standin'));
  const database = await createCatalogDatabase(standin, { name: 'bench-notes' });
  const viaStandin: Client = createClient({ url: database.SILO_CATALOG_URL, authToken: database.SILO_CATALOG_AUTH_TOKEN });
  await viaStandin.execute(NOTES_SQL);
  await viaStandin.batch(Array.from({ length: ROWS }, (_, i) => ({ sql: 'INSERT INTO notes (body) VALUES (?)', args: [`note ${i}`] })), 'write');

  const bare = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  const bareOrigin = await listen(bare);

  const read = { sql: 'SELECT id, body FROM notes WHERE id = ?' };
  const id = (i: number): number => (i % ROWS) + 1;
  const { runs, operations } = size;
  log('  libsql: point reads');
  const endpointRead = await latency(runs, operations, (i) => endpoint.execute({ ...read, args: [id(i)] }));
  const standinRead = await latency(runs, operations, (i) => viaStandin.execute({ ...read, args: [id(i)] }));
  const inProcessRead = await latency(runs, operations, (i) => fleet.withInstance('acme', (db) => db.execute(read.sql, [id(i)])));
  // The endpoint's own cost, without HTTP: the handler called with a Request.
  const pipeline = (i: number): string =>
    JSON.stringify({ requests: [{ type: 'execute', stmt: { sql: read.sql, args: [{ type: 'integer', value: String(id(i)) }] } }, { type: 'close' }] });
  const handlerRead = await latency(runs, operations, async (i) =>
    (await handler(new Request(`${origin}/db/acme/v2/pipeline`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: pipeline(i) })))?.arrayBuffer(),
  );
  const roundTrip = await latency(runs, operations, async () => (await fetch(`${bareOrigin}/v2/pipeline`, { method: 'POST', body: '{}' })).arrayBuffer());
  log('  libsql: inserts');
  const insert = 'INSERT INTO notes (body) VALUES (?)';
  const endpointInsert = await latency(runs, operations, (i) => endpoint.execute({ sql: insert, args: [`endpoint ${i}`] }));
  const standinInsert = await latency(runs, operations, (i) => viaStandin.execute({ sql: insert, args: [`standin ${i}`] }));
  const inProcessInsert = await latency(runs, operations, (i) => fleet.withInstance('acme', (db) => db.execute(insert, [`in-process ${i}`])));

  endpoint.close();
  viaStandin.close();
  handler.close();
  server.closeAllConnections();
  bare.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await new Promise((resolve) => bare.close(resolve));
  await standin.close();
  await fleet.close();

  const ms = (samples: number[]): string => `${figure(samples).median.toFixed(3)} ms`;
  const readBaseline = inProcessRead.map((value, run) => value + (roundTrip[run] ?? NaN));
  const reproduce = 'npm run bench -- --only libsql';
  return [
    {
      id: '13a',
      title: 'libSQL endpoint: a point read with @libsql/client',
      unit: 'ms',
      silo: figure(endpointRead),
      baseline: figure(readBaseline),
      baselineLabel: 'in-process fleet.withInstance read + one bare loopback HTTP round trip',
      ratio: figure(endpointRead).median / figure(readBaseline).median,
      goal: { maxRatio: 2, text: '≤ 2× in-process read + one loopback round trip' },
      details: {
        'through the Turso stand-in (same Hrana code, no fleet, no host process)': ms(standinRead),
        'in-process fleet.withInstance': ms(inProcessRead),
        'the endpoint without HTTP (handler called with a Request: token, fleet.open, one round trip to the stream host process)': ms(handlerRead),
        'bare loopback HTTP round trip (fetch, node:http)': ms(roundTrip),
        operations: `${operations.toLocaleString('en-US')} sequential reads per run, ${runs} runs, ${ROWS.toLocaleString('en-US')} rows`,
      },
      reproduce,
    },
    {
      id: '13b',
      title: 'libSQL endpoint: an insert with @libsql/client',
      unit: 'ms',
      silo: figure(endpointInsert),
      baseline: figure(standinInsert),
      baselineLabel: 'the same insert through the Turso stand-in',
      ratio: figure(endpointInsert).median / figure(standinInsert).median,
      details: {
        'in-process fleet.withInstance': ms(inProcessInsert),
        operations: `${operations.toLocaleString('en-US')} sequential inserts per run (autocommit, synchronous = NORMAL as every tenant connection), ${runs} runs`,
      },
      reproduce,
    },
  ];
}
