import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient, type Client } from '@libsql/client';
import { defineTenantSchema, type Fleet } from '@silo/fleet';
import { createCatalogDatabase, startJurisdictionStandin } from '@silo/turso-standin';
import { createInstanceToken } from '../../packages/server/src/instance-tokens';
import { libsqlHandler } from '../../packages/server/src/libsql/index';
import { createServer as startSiloServe } from '../../packages/server/src/server';
import { benchFleet, log, scratch } from '../setup';
import type { BenchRow } from '../report';
import { figure } from '../stats';

const NOTES_SQL = 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)';
const schema = defineTenantSchema({ id: 'bench-libsql', migrations: [{ version: 1, name: 'notes', sql: `${NOTES_SQL};` }] });
const ROWS = 1_000;

/**
 * Per-operation latency in ms of each named path, one figure per run. The paths take turns
 * within every run, so a run's figures share the machine's state and their ratio is a fair
 * pair (the row reports the median of the per-run ratios, not a ratio of medians).
 */
async function interleaved<K extends string>(runs: number, operations: number, paths: Record<K, (i: number) => Promise<unknown>>): Promise<Record<K, number[]>> {
  const names = Object.keys(paths) as K[];
  const results = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<K, number[]>;
  for (const name of names) for (let i = 0; i < Math.min(200, operations); i++) await paths[name](i);
  for (let run = 0; run < runs; run++) {
    for (const name of names) {
      const started = performance.now();
      for (let i = 0; i < operations; i++) await paths[name](i);
      results[name].push((performance.now() - started) / operations);
    }
  }
  return results;
}

/** `a[run] / b[run]` for every run: paired ratios. */
function paired(a: readonly number[], b: readonly number[]): number[] {
  return a.map((value, run) => value / (b[run] ?? NaN));
}

/**
 * The round trip @libsql/client makes to a server that answers at once: a node:http server
 * that returns a fixed, valid pipeline response (one row, then the stream's close). What any
 * Hrana server costs a client before it does any work of its own.
 */
function cannedHranaServer(): Server {
  const answer = JSON.stringify({
    baton: null,
    base_url: null,
    results: [
      {
        type: 'ok',
        response: {
          type: 'execute',
          result: {
            cols: [{ name: 'id', decltype: 'INTEGER' }, { name: 'body', decltype: 'TEXT' }],
            rows: [[{ type: 'integer', value: '1' }, { type: 'text', value: 'note 0' }]],
            affected_row_count: 0,
            last_insert_rowid: null,
            rows_read: 1,
            rows_written: 0,
          },
        },
      },
      { type: 'ok', response: { type: 'close' } },
    ],
  });
  return createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.method === 'POST' && req.url?.endsWith('/pipeline')) res.writeHead(200, { 'content-type': 'application/json' }).end(answer);
      else res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
    });
  });
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

  // The real `silo serve` (REST API and libSQL endpoint on @hono/node-server), as operators run it.
  const serve = await startSiloServe({ fleet, port: 0, tokenSecretDir: dataDir });
  const { token } = await createInstanceToken(fleet, { tokenSecretDir: dataDir, instance: 'acme' });
  const endpoint: Client = createClient({ url: `${serve.url}/db/acme/`, authToken: token });
  // The endpoint's own cost, without HTTP: its handler called with a Request.
  const handler = libsqlHandler(fleet, { tokenSecretDir: dataDir });

  const standin = await startJurisdictionStandin(scratch('libsql-standin'));
  const database = await createCatalogDatabase(standin, { name: 'bench-notes' });
  const viaStandin: Client = createClient({ url: database.SILO_CATALOG_URL, authToken: database.SILO_CATALOG_AUTH_TOKEN });
  await viaStandin.execute(NOTES_SQL);
  await viaStandin.batch(Array.from({ length: ROWS }, (_, i) => ({ sql: 'INSERT INTO notes (body) VALUES (?)', args: [`note ${i}`] })), 'write');

  const bare = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  const bareOrigin = await listen(bare);
  const canned = cannedHranaServer();
  const cannedClient: Client = createClient({ url: await listen(canned) });

  const read = { sql: 'SELECT id, body FROM notes WHERE id = ?' };
  const id = (i: number): number => (i % ROWS) + 1;
  const pipeline = (i: number): string =>
    JSON.stringify({ requests: [{ type: 'execute', stmt: { sql: read.sql, args: [{ type: 'integer', value: String(id(i)) }] } }, { type: 'close' }] });
  const { runs, operations } = size;
  log('  libsql: point reads');
  const reads = await interleaved(runs, operations, {
    endpoint: (i) => endpoint.execute({ ...read, args: [id(i)] }),
    standin: (i) => viaStandin.execute({ ...read, args: [id(i)] }),
    inProcess: (i) => fleet.withInstance('acme', (db) => db.execute(read.sql, [id(i)])),
    handler: async (i) =>
      (await handler(new Request(`${serve.url}/db/acme/v2/pipeline`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: pipeline(i) })))?.arrayBuffer(),
    bareRoundTrip: async () => (await fetch(`${bareOrigin}/v2/pipeline`, { method: 'POST', body: '{}' })).arrayBuffer(),
    clientRoundTrip: (i) => cannedClient.execute({ ...read, args: [id(i)] }),
  });
  log('  libsql: inserts');
  const insert = 'INSERT INTO notes (body) VALUES (?)';
  const inserts = await interleaved(runs, operations, {
    endpoint: (i) => endpoint.execute({ sql: insert, args: [`endpoint ${i}`] }),
    standin: (i) => viaStandin.execute({ sql: insert, args: [`standin ${i}`] }),
    inProcess: (i) => fleet.withInstance('acme', (db) => db.execute(insert, [`in-process ${i}`])),
  });

  endpoint.close();
  viaStandin.close();
  cannedClient.close();
  handler.close();
  await serve.close();
  for (const server of [bare, canned]) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  await standin.close();
  await fleet.close();

  const ms = (samples: number[]): string => `${figure(samples).median.toFixed(3)} ms`;
  const times = (ratios: number[]): string => {
    const f = figure(ratios);
    return `${f.median.toFixed(2)}× (runs ${f.min.toFixed(2)}–${f.max.toFixed(2)})`;
  };
  // The goal's baseline: an in-process read plus the round trip a client makes. Stock
  // @libsql/client's round trip to a server that answers at once is the floor any Hrana server
  // shares; a bare fetch to node:http is shown beside it.
  const clientBaseline = reads.inProcess.map((value, run) => value + (reads.clientRoundTrip[run] ?? NaN));
  const bareBaseline = reads.inProcess.map((value, run) => value + (reads.bareRoundTrip[run] ?? NaN));
  const readRatios = paired(reads.endpoint, clientBaseline);
  const reproduce = 'npm run bench -- --only libsql';
  return [
    {
      id: '13a',
      title: 'libSQL endpoint: a point read with @libsql/client',
      unit: 'ms',
      silo: figure(reads.endpoint),
      baseline: figure(clientBaseline),
      baselineLabel: 'in-process fleet.withInstance read + one @libsql/client loopback round trip (to a server that answers at once)',
      ratio: figure(readRatios).median,
      goal: { maxRatio: 2, text: '≤ 2× in-process read + one loopback round trip' },
      details: {
        'ratio, per run (paired)': times(readRatios),
        'against a bare fetch round trip instead (in-process read + fetch to node:http, paired per run)': times(paired(reads.endpoint, bareBaseline)),
        'server: `silo serve` (createServer: REST API and libSQL endpoint on @hono/node-server), client and server in one process': 'yes',
        'through the Turso stand-in (same Hrana code, no fleet, no host process)': ms(reads.standin),
        'in-process fleet.withInstance': ms(reads.inProcess),
        'the endpoint without HTTP (handler called with a Request: token, fleet.open, one round trip to the stream host process)': ms(reads.handler),
        '@libsql/client round trip to a server that answers at once': ms(reads.clientRoundTrip),
        'bare loopback HTTP round trip (fetch, node:http)': ms(reads.bareRoundTrip),
        operations: `${operations.toLocaleString('en-US')} sequential reads per path per run, paths interleaved, ${runs} runs, ${ROWS.toLocaleString('en-US')} rows`,
      },
      reproduce,
    },
    {
      id: '13b',
      title: 'libSQL endpoint: an insert with @libsql/client',
      unit: 'ms',
      silo: figure(inserts.endpoint),
      baseline: figure(inserts.standin),
      baselineLabel: 'the same insert through the Turso stand-in',
      ratio: figure(paired(inserts.endpoint, inserts.standin)).median,
      details: {
        'ratio, per run (paired)': times(paired(inserts.endpoint, inserts.standin)),
        'in-process fleet.withInstance': ms(inserts.inProcess),
        operations: `${operations.toLocaleString('en-US')} sequential inserts per path per run (autocommit, synchronous = NORMAL as every tenant connection), ${runs} runs`,
      },
      reproduce,
    },
  ];
}
