import { LibsqlError } from '@libsql/client';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { revokeInstanceTokens } from '../src/instance-tokens';
import { startEndpoint, type Endpoint } from './libsql-harness';

/** @libsql/client against the endpoint over real HTTP on loopback (issue #15). */
describe('libSQL endpoint', () => {
  let endpoint: Endpoint;

  beforeEach(async () => {
    // Turso's 5 s: a second stream may start a host process of its own while a transaction
    // waits, which takes over a second from sources on a loaded machine. The time limit's own
    // test shortens it.
    endpoint = await startEndpoint({ transactionTimeoutMs: 5_000 });
    await endpoint.fleet.create('acme', { jurisdiction: 'eu' });
    await endpoint.fleet.create('globex', { jurisdiction: 'eu' });
  });

  afterEach(async () => {
    await endpoint.close();
  });

  it('executes statements and batches, with positional and named arguments', async () => {
    const db = endpoint.client('acme', await endpoint.token('acme'));
    const inserted = await db.execute({ sql: 'INSERT INTO notes (body, tag) VALUES (?, ?)', args: ['first', 'a'] });
    expect(inserted.rowsAffected).toBe(1);
    expect(inserted.lastInsertRowid).toBe(1n);
    const results = await db.batch(
      [
        { sql: 'INSERT INTO notes (body, tag) VALUES (:body, :tag)', args: { body: 'second', tag: 'b' } },
        { sql: 'INSERT INTO notes (body) VALUES (?)', args: ['third'] },
      ],
      'write',
    );
    expect(results.map((r) => r.rowsAffected)).toEqual([1, 1]);
    const rows = await db.execute('SELECT id, body, tag FROM notes ORDER BY id');
    expect(rows.columns).toEqual(['id', 'body', 'tag']);
    expect(rows.rows.map((row) => [row['id'], row['body'], row['tag']])).toEqual([
      [1n, 'first', 'a'],
      [2n, 'second', 'b'],
      [3n, 'third', null],
    ]);
  });

  it('answers a statement it ran before by the schema of now, after the table changed under it', async () => {
    // Statements are kept per pooled connection across one-shot streams (connection-pool.ts).
    const db = endpoint.client('acme', await endpoint.token('acme'));
    await db.execute('CREATE TABLE shapes (id INTEGER PRIMARY KEY, name TEXT)');
    await db.execute("INSERT INTO shapes (name) VALUES ('square')");
    expect((await db.execute('SELECT * FROM shapes')).columns).toEqual(['id', 'name']);
    await db.batch(['DROP TABLE shapes', 'CREATE TABLE shapes (id INTEGER PRIMARY KEY, name TEXT, sides INTEGER)', "INSERT INTO shapes (name, sides) VALUES ('triangle', 3)"], 'write');
    const again = await db.execute('SELECT * FROM shapes');
    expect(again.columns).toEqual(['id', 'name', 'sides']);
    expect(again.rows.map((row) => [row['name'], row['sides']])).toEqual([['triangle', 3n]]);
    await db.execute('DROP TABLE shapes');
    await expect(db.execute('SELECT * FROM shapes')).rejects.toThrow(/no such table: shapes/);
  });

  it('leaves no temporary view or trigger of one stream to the next stream of the instance', async () => {
    // Pooled connections outlive their streams (connection-pool.ts); temp objects live as long as a connection.
    const writer = endpoint.client('acme', await endpoint.token('acme'));
    await writer.execute('CREATE VIEW temp.mine AS SELECT 42 AS answer');
    await writer.execute("CREATE TRIGGER temp.spy AFTER INSERT ON main.notes BEGIN SELECT 1; END");
    // Each execute is a stream of its own, on the connection the last one handed back.
    for (let stream = 0; stream < 4; stream++) await expect(writer.execute('SELECT answer FROM temp.mine')).rejects.toThrow(/no such table: temp.mine/);
    await writer.execute("INSERT INTO notes (body) VALUES ('after')");
  });

  it('rolls a failing batch back whole', async () => {
    const db = endpoint.client('acme', await endpoint.token('acme'));
    await expect(
      db.batch([{ sql: "INSERT INTO notes (body) VALUES ('one')" }, { sql: 'INSERT INTO notes (body) VALUES (?)', args: [null] }], 'write'),
    ).rejects.toMatchObject({ code: expect.stringMatching(/^SQLITE_CONSTRAINT/) });
    expect((await db.execute('SELECT count(*) AS n FROM notes')).rows[0]?.['n']).toBe(0n);
  });

  it('keeps blobs and 64-bit integers exact', async () => {
    const db = endpoint.client('acme', await endpoint.token('acme'));
    const blob = new Uint8Array([0, 1, 2, 250, 255]);
    const big = 9_007_199_254_740_993n;
    await db.execute({ sql: 'INSERT INTO notes (body, data, big) VALUES (?, ?, ?)', args: ['bytes', blob, big] });
    const row = (await db.execute('SELECT data, big, big + 1 AS next FROM notes')).rows[0];
    expect(new Uint8Array(row?.['data'] as ArrayBuffer)).toEqual(blob);
    expect(row?.['big']).toBe(big);
    expect(row?.['next']).toBe(big + 1n);
  });

  it('runs interactive transactions, isolated from other streams until commit', async () => {
    const token = await endpoint.token('acme');
    const db = endpoint.client('acme', token);
    const other = endpoint.client('acme', token);
    const tx = await db.transaction('write');
    await tx.execute("INSERT INTO notes (body) VALUES ('in tx')");
    expect((await tx.execute('SELECT count(*) AS n FROM notes')).rows[0]?.['n']).toBe(1n);
    expect((await other.execute('SELECT count(*) AS n FROM notes')).rows[0]?.['n']).toBe(0n);
    await tx.commit();
    expect((await other.execute('SELECT count(*) AS n FROM notes')).rows[0]?.['n']).toBe(1n);

    const rolledBack = await db.transaction('write');
    await rolledBack.execute("INSERT INTO notes (body) VALUES ('undone')");
    await rolledBack.rollback();
    expect((await other.execute('SELECT count(*) AS n FROM notes')).rows[0]?.['n']).toBe(1n);
  });

  it('bounds a transaction in time, like Turso: past it the write lock is taken back', async () => {
    await endpoint.close();
    endpoint = await startEndpoint({ transactionTimeoutMs: 1_000 });
    await endpoint.fleet.create('acme', { jurisdiction: 'eu' });
    const db = endpoint.client('acme', await endpoint.token('acme'));
    const tx = await db.transaction('write');
    await tx.execute("INSERT INTO notes (body) VALUES ('slow')");
    await new Promise((resolve) => setTimeout(resolve, 1_300));
    await expect(tx.commit()).rejects.toMatchObject({ code: 'TRANSACTION_TIMEOUT' });
    tx.close();
    // The lock is free again and nothing of the transaction remains.
    await db.execute("INSERT INTO notes (body) VALUES ('after')");
    expect((await db.execute('SELECT body FROM notes')).rows.map((r) => r['body'])).toEqual(['after']);
  });

  it('stops a runaway statement at the time limit and keeps serving', async () => {
    await endpoint.close();
    endpoint = await startEndpoint({ statementTimeoutMs: 500, busyTimeoutMs: 200 });
    await endpoint.fleet.create('acme', { jurisdiction: 'eu' });
    const db = endpoint.client('acme', await endpoint.token('acme'));
    await db.execute("INSERT INTO notes (body) VALUES ('before')");
    const started = Date.now();
    await expect(db.execute('WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c')).rejects.toMatchObject({
      code: 'STATEMENT_TIMEOUT',
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    // The server was never blocked, and the next statements run on a fresh host process.
    await db.execute("INSERT INTO notes (body) VALUES ('after')");
    expect((await db.execute('SELECT body FROM notes ORDER BY id')).rows.map((r) => r['body'])).toEqual(['before', 'after']);
  });

  it('stops a pipeline of runaways at one statement’s limit, not at the sum of its statements’ limits', async () => {
    await endpoint.close();
    endpoint = await startEndpoint({ statementTimeoutMs: 500, busyTimeoutMs: 200 });
    await endpoint.fleet.create('acme', { jurisdiction: 'eu' });
    const runaway = { type: 'execute', stmt: { sql: 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c' } };
    const response = await fetch(`${endpoint.origin}/db/acme/v2/pipeline`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await endpoint.token('acme', { readOnly: true })}`, 'content-type': 'application/json' },
      body: JSON.stringify({ requests: [runaway, runaway, runaway, runaway] }),
    });
    const body = (await response.json()) as { results: { type: string; error?: { code: string; message: string } }[] };
    expect(body.results.map((result) => result.error?.code)).toEqual(Array(4).fill('STATEMENT_TIMEOUT'));
    // One statement's limit (the statement's 500 ms and the lock wait's 200 ms), where it was four times that.
    expect(body.results[0]?.error?.message).toContain('(700 ms)');
  });

  it('runs a pipeline of slow statements to its end though together they take twice one statement’s limit', async () => {
    await endpoint.close();
    // Each statement a fifth of the limit, so a busy machine (a load average of 13 once took
    // one past 500 ms) does not stop one; twelve of them still outlast the limit twice over.
    endpoint = await startEndpoint({ statementTimeoutMs: 1_500, busyTimeoutMs: 200, hostProcesses: 1 });
    await endpoint.fleet.create('acme', { jurisdiction: 'eu' });
    const slow = { type: 'execute', stmt: { sql: `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${rowsTakingAbout(300)}) SELECT count(*) AS n FROM c` } };
    const response = await fetch(`${endpoint.origin}/db/acme/v2/pipeline`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await endpoint.token('acme')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ requests: Array(12).fill(slow) }),
    });
    const body = (await response.json()) as { results: { type: string }[] };
    expect(body.results.map((result) => result.type)).toEqual(Array(12).fill('ok'));
  });

  it('stops a statement that needs more memory than its host may take, and keeps serving', async () => {
    await endpoint.close();
    endpoint = await startEndpoint({ hostMaxMemoryBytes: 256 * 1024 * 1024, hostProcesses: 1 });
    await endpoint.fleet.create('acme', { jurisdiction: 'eu' });
    const db = endpoint.client('acme', await endpoint.token('acme'));
    await db.execute("INSERT INTO notes (body) VALUES ('before')");
    // 400 MB in one value: within SQLite's length limit, past the host's memory limit. A read, so
    // the endpoint could run it again elsewhere: it must not (it would take every host down).
    await expect(db.execute('SELECT length(randomblob(400000000)) AS n')).rejects.toMatchObject({
      code: 'STATEMENT_MEMORY_LIMIT',
      message: expect.stringContaining('more than 256 MiB'),
    });
    await expect(db.execute("INSERT INTO notes (body) SELECT hex(randomblob(200000000))")).rejects.toMatchObject({ code: 'STATEMENT_MEMORY_LIMIT' });
    // The next statements run on a fresh host process; the stopped write left nothing.
    await db.execute("INSERT INTO notes (body) VALUES ('after')");
    expect((await db.execute('SELECT body FROM notes ORDER BY id')).rows.map((r) => r['body'])).toEqual(['before', 'after']);
  });

  it('does not count a statement’s wait behind others on its host against its time limit', async () => {
    await endpoint.close();
    // One host process, so every statement of the burst waits for the ones before it there.
    endpoint = await startEndpoint({ statementTimeoutMs: 1_000, busyTimeoutMs: 200, hostProcesses: 1 });
    await endpoint.fleet.create('acme', { jurisdiction: 'eu' });
    const db = endpoint.client('acme', await endpoint.token('acme'));
    const sql = `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${rowsTakingAbout(150)}) SELECT count(*) AS n FROM c`;
    await db.execute('SELECT 1'); // the host process is up
    // Sixteen statements of ~150 ms each: the last ones wait twice the limit (1.2 s) in all.
    const started = Date.now();
    const results = await Promise.allSettled(Array.from({ length: 16 }, () => db.execute(sql)));
    expect(results.filter((result) => result.status === 'rejected').map((result) => String(result.reason))).toEqual([]);
    expect(Date.now() - started).toBeGreaterThan(1_200);
  });

  it('refuses writes with a read-only token, enforced by a read-only SQLite connection', async () => {
    const writer = endpoint.client('acme', await endpoint.token('acme'));
    await writer.execute("INSERT INTO notes (body) VALUES ('kept')");
    const reader = endpoint.client('acme', await endpoint.token('acme', { readOnly: true }));
    expect((await reader.execute('SELECT count(*) AS n FROM notes')).rows[0]?.['n']).toBe(1n);
    for (const sql of ["INSERT INTO notes (body) VALUES ('x')", 'DELETE FROM notes', 'DROP TABLE notes', 'PRAGMA query_only = OFF']) {
      await expect(reader.execute(sql), sql).rejects.toBeInstanceOf(LibsqlError);
    }
    // A write the statement check lets through as a read still meets SQLite's own refusal.
    const tx = await reader.transaction('read');
    await expect(tx.execute("WITH x AS (SELECT 1) INSERT INTO notes (body) SELECT 'sneaky' FROM x")).rejects.toBeInstanceOf(LibsqlError);
    tx.close();
    expect((await writer.execute('SELECT body FROM notes')).rows.map((r) => r['body'])).toEqual(['kept']);
  });

  it('refuses a missing, forged, expired or revoked token', async () => {
    const url = `${endpoint.origin}/db/acme/`;
    await expect(endpoint.client('acme', '', url).execute('SELECT 1')).rejects.toMatchObject({ code: 'SERVER_ERROR', message: expect.stringContaining('401') });
    const token = await endpoint.token('acme');
    const forged = `${token.slice(0, -4)}AAAA`;
    await expect(endpoint.client('acme', forged).execute('SELECT 1')).rejects.toMatchObject({ message: expect.stringContaining('401') });

    const shortLived = await endpoint.token('acme', { expiresInSeconds: 2 });
    expect((await endpoint.client('acme', shortLived).execute('SELECT 1 AS one')).rows[0]?.['one']).toBe(1n);
    await new Promise((resolve) => setTimeout(resolve, 3_100));
    await expect(endpoint.client('acme', shortLived).execute('SELECT 1')).rejects.toMatchObject({ message: expect.stringContaining('401') });

    expect((await endpoint.client('acme', token).execute('SELECT 1 AS one')).rows[0]?.['one']).toBe(1n);
    revokeInstanceTokens(endpoint.fleet, { instance: 'acme' });
    await expect(endpoint.client('acme', token).execute('SELECT 1')).rejects.toMatchObject({ message: expect.stringContaining('401') });
    // Tokens issued after the revocation work.
    const fresh = await endpoint.token('acme');
    expect((await endpoint.client('acme', fresh).execute('SELECT 1 AS one')).rows[0]?.['one']).toBe(1n);
  });

  it('refuses a token for one instance on another, and one that outlived its instance', async () => {
    const acmeToken = await endpoint.token('acme');
    await expect(endpoint.client('globex', acmeToken).execute('SELECT 1')).rejects.toMatchObject({ message: expect.stringContaining('401') });
    // Purged and created again under the same name: another database, the old token is void.
    await endpoint.fleet.delete('acme');
    await endpoint.fleet.purge('acme');
    await endpoint.fleet.create('acme', { jurisdiction: 'eu' });
    await expect(endpoint.client('acme', acmeToken).execute('SELECT 1')).rejects.toMatchObject({ message: expect.stringContaining('401') });
  });

  it('finds the instance from the token when the URL does not name it (no trailing slash)', async () => {
    const token = await endpoint.token('acme');
    const db = endpoint.client('acme', token, `${endpoint.origin}/db/acme`);
    await db.execute("INSERT INTO notes (body) VALUES ('via token')");
    const viaPath = endpoint.client('acme', token);
    expect((await viaPath.execute('SELECT body FROM notes')).rows[0]?.['body']).toBe('via token');
  });

  it('answers 404 for a deleted instance and leaves other paths to the caller', async () => {
    const token = await endpoint.token('acme');
    await endpoint.fleet.delete('acme');
    await expect(endpoint.client('acme', token).execute('SELECT 1')).rejects.toMatchObject({ message: expect.stringContaining('404') });
    expect(await endpoint.handler(new Request(`${endpoint.origin}/api/instances`))).toBeUndefined();
  });

  it('serves Hrana 3 over JSON: pipeline with get_autocommit, and the cursor', async () => {
    const token = await endpoint.token('acme');
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const pipeline = await fetch(`${endpoint.origin}/db/acme/v3/pipeline`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ requests: [{ type: 'execute', stmt: { sql: "INSERT INTO notes (body) VALUES ('v3')" } }, { type: 'get_autocommit' }, { type: 'close' }] }),
    });
    expect(pipeline.status).toBe(200);
    const body = (await pipeline.json()) as { results: { type: string; response?: { type: string; is_autocommit?: boolean } }[] };
    expect(body.results.map((r) => r.type)).toEqual(['ok', 'ok', 'ok']);
    expect(body.results[1]?.response?.is_autocommit).toBe(true);
    const cursor = await fetch(`${endpoint.origin}/db/acme/v3/cursor`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ batch: { steps: [{ stmt: { sql: 'SELECT body FROM notes', want_rows: true } }] } }),
    });
    const lines = (await cursor.text()).trim().split('\n').map((line) => JSON.parse(line) as { type?: string; row?: unknown });
    expect(lines.map((line) => line.type)).toEqual([undefined, 'step_begin', 'row', 'step_end']);
    expect(lines[2]?.row).toEqual([{ type: 'text', value: 'v3' }]);
  });

  it('routes by host name under the configured suffix', async () => {
    await endpoint.close();
    endpoint = await startEndpoint({ hostSuffix: 'db.example.test' });
    await endpoint.fleet.create('acme', { jurisdiction: 'eu' });
    const token = await endpoint.token('acme');
    const response = await endpoint.handler(
      new Request('http://acme.db.example.test/v2/pipeline', {
        method: 'POST',
        headers: { host: 'acme.db.example.test', authorization: `Bearer ${token}` },
        body: JSON.stringify({ requests: [{ type: 'execute', stmt: { sql: 'SELECT count(*) FROM notes' } }, { type: 'close' }] }),
      }),
    );
    expect(response?.status).toBe(200);
    // Another instance's host with this token: refused.
    await endpoint.fleet.create('globex', { jurisdiction: 'eu' });
    const other = await endpoint.handler(
      new Request('http://globex.db.example.test/v2/pipeline', {
        method: 'POST',
        headers: { host: 'globex.db.example.test', authorization: `Bearer ${token}` },
        body: JSON.stringify({ requests: [{ type: 'close' }] }),
      }),
    );
    expect(other?.status).toBe(401);
    expect(await endpoint.handler(new Request('http://www.example.test/v2/pipeline', { method: 'POST', headers: { host: 'www.example.test' } }))).toBeUndefined();
  });

  it('counts the requests as activity of the instance', async () => {
    const db = endpoint.client('acme', await endpoint.token('acme'));
    await db.execute("INSERT INTO notes (body) VALUES ('x')");
    await endpoint.fleet.flushActivity();
    expect(endpoint.fleet.require('acme').lastActiveAt).not.toBeNull();
  });

  it('reads the metrics again after commits and counts each commit as a write of the day', async () => {
    const db = endpoint.client('acme', await endpoint.token('acme'));
    await db.execute("INSERT INTO notes (body) VALUES ('x')");
    await db.batch(["INSERT INTO notes (body) VALUES ('y')", "INSERT INTO notes (body) VALUES ('z')"], 'write');
    await db.execute('SELECT count(*) FROM notes');
    // The refresh runs once, metricsDelayMs after the first commit.
    await expect.poll(() => endpoint.fleet.require('acme').metrics, { timeout: 30_000 }).toEqual({ notes: 3 });
    await endpoint.fleet.flushActivity();
    expect(endpoint.fleet.usage('acme', 1)).toEqual([expect.objectContaining({ active: true, writes: 2, reads: expect.any(Number) })]);
    expect(endpoint.fleet.usage('acme', 1)[0]?.reads).toBeGreaterThanOrEqual(3);
  });
});

/** How many rows a counting recursive CTE runs through in about `ms` on this machine now. */
function rowsTakingAbout(ms: number): number {
  const db = new Database(':memory:');
  try {
    const rows = 200_000;
    const started = performance.now();
    db.prepare(`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${rows}) SELECT count(*) FROM c`).get();
    return Math.max(1_000, Math.round((rows * ms) / Math.max(1, performance.now() - started)));
  } finally {
    db.close();
  }
}
