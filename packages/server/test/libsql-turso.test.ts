import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient, type Client } from '@libsql/client';
import { openFleet, type Fleet } from '@silo/fleet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandinProcess, type StandinProcess } from '../../fleet/test/turso-standin';
import { createInstanceToken } from '../src/instance-tokens';
import { libsqlHandler, type LibsqlHandler } from '../src/libsql/index';
import { nodeListener } from './node-listener';
import { notesSchema } from './libsql-harness';

/**
 * The libSQL endpoint for instances on Turso (issue #15): with SILO_ENGINE=turso, stock
 * @libsql/client with a Silo token talks to silo serve, which forwards to the instance's
 * database at the stand-in with a group token of the token's access.
 */
let dir: string;
let standin: StandinProcess;
let fleet: Fleet;
let handler: LibsqlHandler;
let server: Server;
let origin: string;
const clients: Client[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'silo-libsql-turso-'));
  standin = await startStandinProcess(path.join(dir, 'standin'), { notReadyMs: 0 });
  const dataDir = path.join(dir, 'data');
  // An instance created in a local file before SILO_ENGINE=turso: still local under the routing engine.
  const local = await openFleet({ schema: notesSchema, dataDir });
  await local.create('still-local', { jurisdiction: 'eu' });
  await local.close();
  fleet = await openFleet({ schema: notesSchema, dataDir, engineKind: 'turso', turso: { ...standin.settings, databasePrefix: 'proxy-' } });
  await fleet.create('acme', { jurisdiction: 'eu' });
  await fleet.create('globex', { jurisdiction: 'us' });
  handler = libsqlHandler(fleet, { tokenSecretDir: dataDir, tokenRefreshMs: 0 });
  server = createServer(nodeListener(handler));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  for (const client of clients) client.close();
  handler.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await fleet.close();
  await standin.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function token(instance: string, readOnly = false): Promise<string> {
  return (await createInstanceToken(fleet, { tokenSecretDir: path.join(dir, 'data'), instance, readOnly })).token;
}

function client(instance: string, authToken: string): Client {
  const made = createClient({ url: `${origin}/db/${instance}/`, authToken, intMode: 'bigint' });
  clients.push(made);
  return made;
}

describe('an instance on Turso through the endpoint', () => {
  it('executes and batches', async () => {
    expect(fleet.find('acme')?.dbUrl).toMatch(/^turso:/);
    const db = client('acme', await token('acme'));
    await db.execute({ sql: 'INSERT INTO notes (body, tag) VALUES (?, ?)', args: ['first', 'a'] });
    await db.batch(
      [
        { sql: 'INSERT INTO notes (body, tag) VALUES (?, ?)', args: ['second', 'b'] },
        { sql: 'INSERT INTO notes (body, tag) VALUES (?, ?)', args: ['third', 'b'] },
      ],
      'write',
    );
    const rows = await db.execute('SELECT body FROM notes ORDER BY id');
    expect(rows.rows.map((row) => row['body'])).toEqual(['first', 'second', 'third']);
    // The rows are in the instance's database at Turso, as the fleet sees it.
    const viaFleet = await fleet.open('acme');
    try {
      expect((await viaFleet.db.execute('SELECT count(*) AS n FROM notes')).rows).toEqual([{ n: 3 }]);
    } finally {
      viaFleet.release();
    }
  });

  it('runs an interactive transaction across requests, and rolls one back', async () => {
    const db = client('acme', await token('acme'));
    const tx = await db.transaction('write');
    await tx.execute({ sql: 'INSERT INTO notes (body, tag) VALUES (?, ?)', args: ['in-tx', 'tx'] });
    expect((await tx.execute("SELECT count(*) AS n FROM notes WHERE tag = 'tx'")).rows[0]?.['n']).toBe(1n);
    await tx.commit();
    const rolledBack = await db.transaction('write');
    await rolledBack.execute({ sql: 'INSERT INTO notes (body, tag) VALUES (?, ?)', args: ['gone', 'tx'] });
    await rolledBack.rollback();
    expect((await db.execute("SELECT body FROM notes WHERE tag = 'tx'")).rows.map((row) => row['body'])).toEqual(['in-tx']);
  });

  it('reads with a read-only token, and Turso refuses its writes', async () => {
    const db = client('acme', await token('acme', true));
    expect((await db.execute('SELECT count(*) AS n FROM notes')).rows[0]?.['n']).toBeGreaterThan(0n);
    const refused = await fetch(`${origin}/db/acme/v2/pipeline`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await token('acme', true)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ baton: null, requests: [{ type: 'execute', stmt: { sql: "INSERT INTO notes (body) VALUES ('nope')" } }] }),
    });
    // Turso's own refusal (the stand-in's, as strict): the forwarded request carried a read-only group token.
    expect(refused.status).toBe(403);
    await expect(db.execute({ sql: 'INSERT INTO notes (body) VALUES (?)', args: ['nope'] })).rejects.toThrow();
    await expect(db.batch([{ sql: 'DELETE FROM notes', args: [] }], 'write')).rejects.toThrow();
    const full = client('acme', await token('acme'));
    expect((await full.execute("SELECT count(*) AS n FROM notes WHERE body = 'nope'")).rows[0]?.['n']).toBe(0n);
  });

  it('refuses a token for another instance', async () => {
    const db = createClient({ url: `${origin}/db/globex/`, authToken: await token('acme'), intMode: 'bigint' });
    clients.push(db);
    await expect(db.execute('SELECT 1')).rejects.toThrow(/401|Unauthorized|token/i);
    const response = await fetch(`${origin}/db/globex/v3/pipeline`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await token('acme')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ baton: null, requests: [{ type: 'execute', stmt: { sql: 'SELECT 1' } }] }),
    });
    expect(response.status).toBe(401);
  });

  it('hands the client a baton of its own and no base_url that leads to Turso', async () => {
    const response = await fetch(`${origin}/db/globex/v3/pipeline`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await token('globex')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ baton: null, requests: [{ type: 'execute', stmt: { sql: 'SELECT 1' } }] }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { baton: unknown; base_url: unknown; results: unknown[] };
    expect(body.base_url).toBeNull();
    expect(typeof body.baton).toBe('string');
    expect(body.results).toHaveLength(1);
  });

  it('runs a v3 cursor, answering in JSON lines with a baton of its own', async () => {
    const response = await fetch(`${origin}/db/acme/v3/cursor`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await token('acme')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ baton: null, batch: { steps: [{ stmt: { sql: 'SELECT 1 AS one', want_rows: true } }] } }),
    });
    expect(response.status).toBe(200);
    const lines = (await response.text()).trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ base_url: null });
    expect(lines.map((line) => line['type'])).toContain('row');
  });

  // The statement ends by itself (a second or so): the stand-in, like Turso, keeps running what was
  // sent, and one that never ended would hold it until its own limits stop it.
  it('stops a forwarded statement at the time limit', async () => {
    const limited = libsqlHandler(fleet, { tokenSecretDir: path.join(dir, 'data'), tokenRefreshMs: 0, statementTimeoutMs: 100 });
    try {
      const started = Date.now();
      const response = await limited(
        new Request('http://silo.test/db/acme/v2/pipeline', {
          method: 'POST',
          headers: { authorization: `Bearer ${await token('acme')}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            baton: null,
            requests: [{ type: 'execute', stmt: { sql: 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10000000) SELECT count(*) FROM c' } }],
          }),
        }),
      );
      expect(Date.now() - started).toBeLessThan(5_000);
      const body = (await response?.json()) as { baton: unknown; results: { type: string; error?: { code: string } }[] };
      expect(body.baton).toBeNull();
      expect(body.results[0]).toMatchObject({ type: 'error', error: { code: 'STATEMENT_TIMEOUT' } });
    } finally {
      limited.close();
    }
  });

  it('serves an instance still in a local file under SILO_ENGINE=turso', async () => {
    expect(fleet.find('still-local')?.dbUrl).toMatch(/^local:/);
    const db = client('still-local', await token('still-local'));
    await db.execute({ sql: 'INSERT INTO notes (body) VALUES (?)', args: ['here'] });
    expect((await db.execute('SELECT body FROM notes')).rows.map((row) => row['body'])).toEqual(['here']);
  });
});
