import { request as httpRequest, type ClientRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFleet } from '@silo/fleet';
import { busyQueryProcess as busyQueryProcessOf, queryProcesses } from '../../../packages/fleet/test/query-process-probe';
import { removeDir, signedInAdmin, tempDataDir, text, todoSchema, type AdminServer, type Client } from './helpers';

/**
 * A browser that goes away (a closed tab, a cancelled request) stops the query it asked for,
 * as with `silo serve` (packages/server/test/client-gone.test.ts): the request's signal, which
 * the console's listener aborts when the connection closes before the answer is sent, reaches
 * the fleet. Real HTTP on loopback, clients that destroy their sockets mid-request.
 *
 * One query process and one fleet-wide one, and a time limit of ten minutes: a statement left
 * running would hold its process far beyond these tests, and the next query would wait for it.
 */

const ENDLESS = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c';
const PASSWORD = 'client-gone-password-1';
/** Generous: a killed query process is gone within milliseconds; only code that never stops it waits this out. */
const WAIT_MS = 30_000;

let server: AdminServer;
let dataDir: string;
let admin: Client;

beforeAll(async () => {
  dataDir = tempDataDir();
  const fleet = await openFleet({ schema: await todoSchema(), dataDir });
  await fleet.create('acme', { jurisdiction: 'eu', actor: 'seed' });
  await fleet.close();
  ({ server, admin } = await signedInAdmin({
    dataDir,
    password: PASSWORD,
    env: { SILO_QUERY_WORKERS: '1', SILO_FLEET_WORKERS: '1', SILO_QUERY_TIMEOUT_MS: '600000' },
  }));
});

afterAll(async () => {
  await server?.stop();
  if (dataDir) removeDir(dataDir);
});

/** The query process running the endless statement: one of the admin server's (a process of its own). */
const busyQueryProcess = (): Promise<number> => busyQueryProcessOf([], { parent: server.pid, timeoutMs: WAIT_MS });

/** Waits until the query process `pid` is gone; fails if it still runs after WAIT_MS. */
async function queryProcessGone(pid: number): Promise<void> {
  await expect
    .poll(() => queryProcesses(server.pid).includes(pid), { timeout: WAIT_MS, interval: 20, message: `query process ${pid} still runs the statement after its client went away` })
    .toBe(false);
}

/** A signed-in form POST whose socket the test destroys: its answer, if any, is never read. */
function post(pathname: string, fields: Record<string, string>): ClientRequest {
  const body = new URLSearchParams(fields).toString();
  const request = httpRequest(new URL(pathname, server.url), {
    method: 'POST',
    headers: {
      cookie: admin.cookie,
      origin: server.url,
      'x-csrf-token': admin.csrf,
      'content-type': 'application/x-www-form-urlencoded',
      'content-length': String(Buffer.byteLength(body)),
    },
  });
  request.on('error', () => undefined); // the socket is destroyed on purpose
  request.end(body);
  return request;
}

/** A fleet query of acme through the stream, read to its end: its NDJSON events. */
async function fleetQuery(sql: string): Promise<{ type: string; rows?: unknown[][] }[]> {
  const response = await admin.request('/query/stream', { method: 'POST', body: new URLSearchParams({ sql, q: 'acme' }), headers: { 'x-csrf-token': admin.csrf } });
  expect(response.status).toBe(200);
  return (await response.text())
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { type: string; rows?: unknown[][] });
}

/** Nothing the server wrote on stderr since `from` reports the stop as a failure or a crash. */
function expectNothingLogged(from: number): void {
  expect(server.errors().slice(from)).not.toMatch(/QUERY_ABORTED|stopped|Error|Unexpected|^\s+at /m);
}

describe('a browser that goes away', () => {
  it('stops its console query: the query process is killed, and the next query has it at once', async () => {
    const from = server.errors().length;
    const client = post('/instances/acme/console', { sql: ENDLESS });
    const pid = await busyQueryProcess();
    client.destroy();
    await queryProcessGone(pid);
    // One query process: left to the runaway, this would wait for its ten-minute limit.
    const answer = await admin.post('/instances/acme/console', { sql: 'SELECT 41 + 1 AS answer' });
    expect(answer.status).toBe(200);
    expect(text(await answer.text())).toMatch(/answer\s+42\b/);
    expectNothingLogged(from);
  });

  it('stops its fleet query stream: the fleet-wide query process is killed, nothing is logged, the next run has it', async () => {
    const from = server.errors().length;
    const client = post('/query/stream', { sql: ENDLESS, q: 'acme' });
    const pid = await busyQueryProcess();
    client.destroy();
    await queryProcessGone(pid);
    // One fleet-wide query process: left to the runaway, this run would wait for its limit.
    const events = await fleetQuery('SELECT 41 + 1 AS answer');
    expect(events.find((event) => event.type === 'ok')).toMatchObject({ rows: [[42]] });
    expect(events.at(-1)).toMatchObject({ type: 'done', ok: 1, failed: 0 });
    expectNothingLogged(from);
  });

  it('stops its CSV export of a fleet query: the fleet-wide query process is killed, nothing is logged', async () => {
    const from = server.errors().length;
    const client = post('/query/csv', { sql: ENDLESS, q: 'acme' });
    const pid = await busyQueryProcess();
    client.destroy();
    await queryProcessGone(pid);
    const csv = await admin.post('/query/csv', { sql: 'SELECT 41 + 1 AS answer', q: 'acme' });
    expect((await csv.text()).trim().split('\r\n')).toEqual(['instance,answer', 'acme,42']);
    expectNothingLogged(from);
  });
});
