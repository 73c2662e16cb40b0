import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJurisdictionToken } from '../src/instance-tokens';
import { startEndpoint, type Endpoint } from './libsql-harness';

/**
 * An outside attack probe of `silo serve`'s libSQL endpoint (session 36): one instance's token
 * must reach that instance's database only, whatever the text of a `sequence` or `describe`.
 */
describe('libSQL endpoint: a token reaches its own instance only', () => {
  let endpoint: Endpoint;
  let token: string;

  beforeAll(async () => {
    endpoint = await startEndpoint();
    await endpoint.fleet.create('acme', { jurisdiction: 'eu' });
    await endpoint.fleet.create('globex', { jurisdiction: 'eu' });
    await endpoint.fleet.query('globex', "INSERT INTO notes (body) VALUES ('globex secret')", undefined, { readOnly: false });
    token = await endpoint.token('acme');
  });
  afterAll(() => endpoint?.close());

  async function pipeline(requests: unknown[]): Promise<{ status: number; results: { type: string; error?: { message: string; code: string } }[] }> {
    const response = await fetch(`${endpoint.origin}/db/acme/v2/pipeline`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ requests: [...requests, { type: 'close' }] }),
    });
    const body = (await response.json()) as { results: { type: string; error?: { message: string; code: string } }[] };
    return { status: response.status, results: body.results };
  }

  const globexFile = (): string => {
    const dir = path.join(endpoint.dataDir, 'regions');
    const found = readdirSync(dir, { recursive: true, encoding: 'utf8' }).find((file) => file.endsWith('.db') && file.includes('globex') && !file.includes('-'));
    return path.join(dir, found ?? 'missing');
  };

  it('a sequence whose trigger body hides "--" in a literal runs nothing it did not check: no ATTACH, no VACUUM INTO', async () => {
    const target = path.join(endpoint.dataDir, 'pwned.db');
    const sql = [
      "CREATE TRIGGER t AFTER INSERT ON notes BEGIN SELECT '--'; END;",
      `ATTACH DATABASE '${globexFile()}' AS other;`,
      "INSERT INTO other.notes (body) VALUES ('written from acme');",
      `VACUUM INTO '${target}';`,
    ].join('\n');
    const { results } = await pipeline([{ type: 'sequence', sql }]);
    expect(results[0]?.type).toBe('error');
    expect(results[0]?.error?.code).toBe('SQL_PARSE_ERROR');
    expect(existsSync(target)).toBe(false);
    const globex = await endpoint.fleet.query('globex', 'SELECT body FROM notes');
    expect(globex.rows).toEqual([['globex secret']]);
    // Refused as a whole, before anything ran: not even the trigger was made.
    expect((await endpoint.fleet.query('acme', "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'")).rows).toEqual([[0]]);
    // And nothing stays attached to a pooled connection for the next request.
    const { results: next } = await pipeline([{ type: 'execute', stmt: { sql: 'SELECT count(*) FROM notes' } }]);
    expect(next[0]?.type).toBe('ok');
  });

  it('a sequence still runs a trigger whose body holds "--" and ";" in literals, statement by statement', async () => {
    const sql = "CREATE TABLE log (msg TEXT); CREATE TRIGGER t2 AFTER INSERT ON notes BEGIN INSERT INTO log VALUES ('a -- b; c'); END; INSERT INTO notes (body) VALUES ('x');";
    const { results } = await pipeline([{ type: 'sequence', sql }]);
    expect(results[0]).toMatchObject({ type: 'ok' });
    expect((await endpoint.fleet.query('acme', 'SELECT msg FROM log')).rows).toEqual([['a -- b; c']]);
  });

  it('describe checks the statement as execute does: a refused pragma does not take effect by being prepared', async () => {
    const { results } = await pipeline([
      { type: 'execute', stmt: { sql: 'CREATE TABLE checked (n INTEGER CHECK (n > 0))' } },
      { type: 'describe', sql: 'PRAGMA ignore_check_constraints = 1' },
      { type: 'describe', sql: 'PRAGMA writable_schema = 1' },
      // Had the describe acted, this row would go in against its CHECK.
      { type: 'execute', stmt: { sql: 'INSERT INTO checked (n) VALUES (-1)' } },
    ]);
    expect(results[1]?.error?.code).toBe('SQL_PARSE_ERROR');
    expect(results[2]?.error?.code).toBe('SQL_PARSE_ERROR');
    expect(results[3]?.type).toBe('error');
    expect((await endpoint.fleet.query('acme', 'SELECT count(*) FROM checked')).rows).toEqual([[0]]);
  });

  it('a chunked body past the limit is refused while it arrives, not held whole', async () => {
    const chunk = new Uint8Array(1024 * 1024).fill(0x20);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        // 64 MiB at most, twice the limit: the server must answer before the end.
        if (sent >= 64) return controller.close();
        sent++;
        controller.enqueue(chunk);
      },
    });
    const response = await fetch(`${endpoint.origin}/db/acme/v2/pipeline`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(sent).toBeLessThan(64);
  });
});

describe('libSQL endpoint: open streams per database', () => {
  let endpoint: Endpoint;
  afterAll(() => endpoint?.close());

  it('refuses a new stream past the cap with 429 and a reason; a closed stream makes room, and other databases are not counted', async () => {
    endpoint = await startEndpoint({ maxOpenStreams: 3 });
    await endpoint.fleet.create('acme', { jurisdiction: 'eu' });
    await endpoint.fleet.create('globex', { jurisdiction: 'eu' });
    const send = async (instance: string, requests: unknown[], baton?: string): Promise<{ status: number; baton: string | null; error?: string }> => {
      const response = await fetch(`${endpoint.origin}/db/${instance}/v2/pipeline`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await endpoint.token(instance)}`, 'content-type': 'application/json' },
        body: JSON.stringify({ baton: baton ?? null, requests }),
      });
      const body = (await response.json()) as { baton?: string | null; error?: string };
      return { status: response.status, baton: body.baton ?? null, ...(body.error ? { error: body.error } : {}) };
    };
    const open = (instance: string) => send(instance, [{ type: 'execute', stmt: { sql: 'SELECT 1' } }]);
    const batons: string[] = [];
    for (let i = 0; i < 3; i++) {
      const stream = await open('acme');
      expect(stream.status).toBe(200);
      batons.push(stream.baton ?? '');
    }
    const refused = await open('acme');
    expect(refused.status).toBe(429);
    expect(refused.error).toContain('Too many open streams on this database (3)');
    expect((await open('globex')).status).toBe(200);
    // A request on an open stream goes on; closing one lets a new one open.
    const next = await send('acme', [{ type: 'execute', stmt: { sql: 'SELECT 2' } }], batons[0]);
    expect(next.status).toBe(200);
    expect((await send('acme', [{ type: 'close' }], next.baton ?? '')).status).toBe(200);
    expect((await open('acme')).status).toBe(200);
    // A jurisdiction token reaches the same database: its streams count against the same cap.
    const { token: eu } = await createJurisdictionToken(endpoint.fleet, { tokenSecretDir: endpoint.dataDir, jurisdiction: 'eu' });
    const viaJurisdiction = await fetch(`${endpoint.origin}/db/acme/v2/pipeline`, {
      method: 'POST',
      headers: { authorization: `Bearer ${eu}`, 'content-type': 'application/json' },
      body: JSON.stringify({ baton: null, requests: [{ type: 'execute', stmt: { sql: 'SELECT 1' } }] }),
    });
    expect(viaJurisdiction.status).toBe(429);
  });
});

/**
 * An outside probe of session 39: a baton is a stream's, not a key to it. A read-only token
 * must not run on a stream a read-write token opened, and no stream outlives its instance.
 */
describe('libSQL endpoint: a baton carries no more than its token and its instance', () => {
  let endpoint: Endpoint;

  beforeAll(async () => {
    endpoint = await startEndpoint();
  });
  afterAll(() => endpoint?.close());

  type Reply = { status: number; baton: string | null; results: { type: string; error?: { code: string } }[]; error?: string };
  async function pipeline(instance: string, token: string, baton: string | null, requests: unknown[]): Promise<Reply> {
    const response = await fetch(`${endpoint.origin}/db/${instance}/v2/pipeline`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ baton, requests }),
    });
    return { status: response.status, ...((await response.json()) as Omit<Reply, 'status'>) };
  }
  const insert = (body: string) => ({ type: 'execute', stmt: { sql: 'INSERT INTO notes (body) VALUES (?)', args: [{ type: 'text', value: body }] } });

  it('a read-only token holding a read-write stream’s baton cannot use it: no write, the stream untouched', async () => {
    await endpoint.fleet.create('baton-ro', { jurisdiction: 'eu' });
    const readWrite = await endpoint.token('baton-ro');
    const readOnly = await endpoint.token('baton-ro', { readOnly: true });
    const jurisdictionReadOnly = (await createJurisdictionToken(endpoint.fleet, { tokenSecretDir: endpoint.dataDir, jurisdiction: 'eu', readOnly: true })).token;
    const opened = await pipeline('baton-ro', readWrite, null, [{ type: 'execute', stmt: { sql: 'SELECT 1' } }]);
    expect(opened.status).toBe(200);
    for (const token of [readOnly, jurisdictionReadOnly]) {
      const refused = await pipeline('baton-ro', token, opened.baton, [insert('through a borrowed baton')]);
      expect(refused.status).toBe(400);
      expect(refused).toMatchObject({ code: 'INVALID_BATON' });
    }
    expect((await endpoint.fleet.query('baton-ro', 'SELECT count(*) FROM notes')).rows).toEqual([[0]]);
    // The owner's stream goes on.
    const owner = await pipeline('baton-ro', readWrite, opened.baton, [insert('by the owner'), { type: 'close' }]);
    expect(owner.results[0]?.type).toBe('ok');
  });

  it('a stream ends with its instance: after a delete (by anyone) its baton reads and writes nothing, and a purge leaves nothing to write into', async () => {
    await endpoint.fleet.create('baton-gone', { jurisdiction: 'eu' });
    const token = await endpoint.token('baton-gone');
    const opened = await pipeline('baton-gone', token, null, [insert('before the delete')]);
    expect(opened.results[0]?.type).toBe('ok');
    await endpoint.fleet.delete('baton-gone');
    const afterDelete = await pipeline('baton-gone', token, opened.baton, [insert('after the delete'), { type: 'execute', stmt: { sql: 'SELECT body FROM notes' } }]);
    expect(afterDelete.status).toBe(404);
    // The stream was closed: its baton names nothing any more.
    await endpoint.fleet.undelete('baton-gone');
    const again = await pipeline('baton-gone', token, opened.baton, [insert('after the undelete')]);
    expect(again.status).toBe(400);
    expect((await endpoint.fleet.query('baton-gone', 'SELECT body FROM notes')).rows).toEqual([['before the delete']]);
  });

  it('a stream opened in a transaction is rolled back when its instance is deleted, and a re-created name is another database', async () => {
    await endpoint.fleet.create('baton-new', { jurisdiction: 'eu' });
    const token = (await createJurisdictionToken(endpoint.fleet, { tokenSecretDir: endpoint.dataDir, jurisdiction: 'eu' })).token;
    const opened = await pipeline('baton-new', token, null, [{ type: 'execute', stmt: { sql: 'BEGIN' } }, insert('in the old database')]);
    expect(opened.results.map((result) => result.type)).toEqual(['ok', 'ok']);
    await endpoint.fleet.delete('baton-new');
    await endpoint.fleet.purge('baton-new');
    await endpoint.fleet.create('baton-new', { jurisdiction: 'eu' });
    const reused = await pipeline('baton-new', token, opened.baton, [{ type: 'execute', stmt: { sql: 'COMMIT' } }]);
    expect(reused.status).toBe(400);
    expect(reused).toMatchObject({ code: 'INVALID_BATON' });
    expect((await endpoint.fleet.query('baton-new', 'SELECT count(*) FROM notes')).rows).toEqual([[0]]);
  });
});
