import { readFileSync } from 'node:fs';
import { request as httpRequest, type ClientRequest } from 'node:http';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkHasOpenIn, fileOf, filesUnder, tempDir, tempLeftovers } from '../../fleet/test/helpers';
import { busyQueryProcess, queryProcessGone, queryProcesses } from '../../fleet/test/query-process-probe';
import { startApi, type ApiHarness } from './api-harness';

/**
 * A client of `silo serve` that goes away stops the work it asked for: the request's signal,
 * which the server's listener aborts when the connection closes before the answer is sent,
 * reaches the fleet. Real HTTP on loopback, clients that destroy their sockets mid-request.
 *
 * One query process and one fleet-wide one, and a time limit of ten minutes: a statement left
 * running would hold its process far beyond these tests.
 */

const ENDLESS = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c';
/** Endless where `notes` has a row, one row where it is empty. */
const RUNAWAY_WHERE_NOTES = 'WITH RECURSIVE c(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM c WHERE (SELECT count(*) FROM notes) > 0) SELECT count(*) FROM c';

let api: ApiHarness;
/** The access log's lines: a request's line is written once the server has its answer, sent or not. */
const lines: Record<string, unknown>[] = [];

beforeAll(async () => {
  api = await startApi({ log: { info: (fields) => lines.push(fields) }, fleet: { queryWorkers: 1, fleetWorkers: 1, queryTimeoutMs: 600_000 } });
});
afterAll(async () => {
  await api?.close();
});

/** A POST whose socket the test destroys: its answer, if any, is never read. */
function post(route: string, token: string, type: string, body: string | Buffer): ClientRequest {
  const request = httpRequest(new URL(route, api.server.url), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': type, 'content-length': String(Buffer.byteLength(body)) },
  });
  request.on('error', () => undefined); // the socket is destroyed on purpose
  request.end(body);
  return request;
}

/** The access-log line of the first request to `route` logged after line `from`: the server is done with it. */
async function answered(route: string, from: number): Promise<Record<string, unknown>> {
  for (;;) {
    const line = lines.slice(from).find((candidate) => candidate['route'] === route);
    if (line) return line;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function query(name: string, sql: string): Promise<unknown> {
  const response = await fetch(`${api.server.url}/v1/instances/${name}/query`, {
    method: 'POST',
    headers: { authorization: `Bearer ${api.tokens.read}`, 'content-type': 'application/json' },
    body: JSON.stringify({ sql }),
  });
  return response.json();
}

describe('a client that goes away', () => {
  it('stops its query: the query process is killed, and the next query has it at once', async () => {
    await api.fleet.create('acme', { jurisdiction: 'eu' });
    const from = lines.length;
    const client = post('/v1/instances/acme/query', api.tokens.read, 'application/json', JSON.stringify({ sql: ENDLESS }));
    const pid = await busyQueryProcess();
    client.destroy();
    // Answered with a status nobody receives but the access log: the client closed the request.
    expect(await answered('/v1/instances/{name}/query', from)).toMatchObject({ status: 499 });
    await queryProcessGone(pid);
    // One query process: left to the runaway, this would wait for its ten-minute limit.
    expect(await query('acme', 'SELECT 41 + 1 AS answer')).toMatchObject({ rows: [[42]] });
  });

  it('stops its fleet-wide query: the queries under way are killed with their process', async () => {
    for (const name of ['fleet-0', 'fleet-1', 'fleet-2']) await api.fleet.create(name, { jurisdiction: 'eu' });
    await api.fleet.withInstance('fleet-1', (db) => db.execute("INSERT INTO notes (body) VALUES ('endless')"));
    // The console's query process (the test before) is not the one to watch.
    const before = queryProcesses();
    const client = post('/v1/query-all', api.tokens.read, 'application/json', JSON.stringify({ sql: RUNAWAY_WHERE_NOTES, filter: { search: 'fleet-' } }));
    const pid = await busyQueryProcess(before);
    client.destroy();
    await queryProcessGone(pid);
    // The run's audit entry is written as it ends: stopped early.
    const entry = (): unknown => api.fleet.audit({ operation: 'query (fleet)' }).items[0];
    while (entry() === undefined) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(entry()).toMatchObject({ detail: { stoppedEarly: true } });
  });

  it('stops its import while the file is checked: no instance, no file left, the name free', async () => {
    const file = await largeUpload('big-source', 40_000);
    const folder = path.dirname(fileOf(api.fleet.engine.locate('big', api.fleet.regions.place('eu')), api.dataDir));
    const from = lines.length;
    const client = post('/v1/instances/big/import?jurisdiction=eu', api.tokens.write, 'application/octet-stream', readFileSync(file));
    // The check process has the private copy open beside where the instance would go: the server is validating it.
    while (!checkHasOpenIn(folder)) await new Promise((resolve) => setTimeout(resolve, 2));
    client.destroy();
    expect(await answered('/v1/instances/{name}/import', from)).toMatchObject({ status: 422 });
    expect(api.fleet.find('big')).toBeUndefined();
    expect(api.fleet.list({ state: ['provisioning', 'ready', 'failed', 'deleted'] }).items.map((instance) => instance.name)).not.toContain('big');
    expect(tempLeftovers(api.dataDir)).toEqual([]);
    expect(filesUnder(api.dataDir).filter((found) => path.basename(found).startsWith('big.'))).toEqual([]);
    expect(api.fleet.audit({ instance: 'big', operation: 'import' }).items[0]).toMatchObject({ outcome: 'error', error: expect.stringContaining('stopped') });
    // The name is free at once.
    const again = await fetch(`${api.server.url}/v1/instances/big/import?jurisdiction=eu`, {
      method: 'POST',
      headers: { authorization: `Bearer ${api.tokens.write}`, 'content-type': 'application/octet-stream' },
      body: readFileSync(file),
    });
    expect(again.status).toBe(201);
  });
});

/** A valid upload of the sample schema with `rows` notes of about 1 KB each (40,000: some 40 MB, whose copy and check take a while). */
async function largeUpload(name: string, rows: number): Promise<string> {
  await api.fleet.create(name, { jurisdiction: 'eu' });
  const file = path.join(tempDir(), `${name}.sqlite`);
  await api.fleet.exportTo(name, file);
  await api.fleet.delete(name);
  await api.fleet.purge(name);
  const db = new Database(file);
  db.prepare('INSERT INTO notes (body) SELECT hex(zeroblob(500)) FROM (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) SELECT x FROM c)').run(rows);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return file;
}
