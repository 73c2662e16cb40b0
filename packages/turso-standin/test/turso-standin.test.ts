import { createClient as createLibsqlClient, type Client, type LibsqlError } from '@libsql/client';
import { createClient as createTursoApi } from '@tursodatabase/api';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { libsqlClientConfig, startTursoStandin, type TursoStandin, type TursoStandinOptions } from '../src/index';

const NOT_READY_MS = 300;
const cleanups: (() => Promise<void> | void)[] = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function standin(options: Partial<TursoStandinOptions> = {}): Promise<{ standin: TursoStandin; dataDir: string }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'turso-standin-'));
  const started = await startTursoStandin({ dataDir, notReadyMs: NOT_READY_MS, ...options });
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  cleanups.push(() => started.close());
  return { standin: started, dataDir };
}

function sqlClient(hostname: string, token: string, intMode: 'number' | 'bigint' = 'bigint'): Client {
  const client = createLibsqlClient({ ...libsqlClientConfig(hostname, token), intMode });
  cleanups.push(() => client.close());
  return client;
}

/** Waits through the 404-after-create window, as the engine must. */
async function waitUntilReady(client: Client, boundMs = 5_000): Promise<void> {
  const started = Date.now();
  for (;;) {
    try {
      await client.execute('SELECT 1');
      return;
    } catch (error) {
      const status = ((error as LibsqlError).cause as { status?: number } | undefined)?.status;
      if (status !== 404 || Date.now() - started > boundMs) throw error;
      await sleep(25);
    }
  }
}

function libsqlCode(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (error: LibsqlError) => error.code,
  );
}

let main: TursoStandin;
let mainDir: string;
let api: ReturnType<typeof createTursoApi>;
let groupToken: string;

beforeAll(async () => {
  ({ standin: main, dataDir: mainDir } = await standin({ history: { intervalMs: 0 } }));
  api = createTursoApi(main.apiClientConfig);
  await api.groups.create('tenants', 'aws-eu-west-1');
  groupToken = (await api.groups.createToken('tenants')).jwt;
});

/** A ready database in the `tenants` group and a client on it. */
async function readyDatabase(name: string): Promise<{ client: Client; hostname: string }> {
  const created = await api.databases.create(name, { group: 'tenants' });
  const client = sqlClient(created.hostname, groupToken);
  await waitUntilReady(client);
  return { client, hostname: created.hostname };
}

describe('Platform API', () => {
  it('lists locations and groups, creates and gets groups', async () => {
    expect((await api.locations.list()).map((l) => l.code)).toContain('aws-eu-west-1');
    const names = (await api.groups.list()).map((g) => g.name).sort();
    expect(names).toEqual(['default', 'tenants']);
    // The OpenAPI Group carries a uuid the client's typings leave out.
    const group = (await api.groups.get('tenants')) as Awaited<ReturnType<typeof api.groups.get>> & { uuid: string };
    expect(group).toMatchObject({ name: 'tenants', primary: 'aws-eu-west-1', locations: ['aws-eu-west-1'] });
    expect(group.uuid).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers bad group requests with the spec statuses and { error } bodies', async () => {
    await expect(api.groups.create('tenants', 'aws-eu-west-1')).rejects.toMatchObject({ status: 409, message: 'group already exists' });
    await expect(api.groups.get('nope')).rejects.toMatchObject({ status: 404, message: 'group not found' });
    await expect(api.groups.create('Bad_Name', 'aws-eu-west-1')).rejects.toMatchObject({ status: 400 });
    await expect(api.groups.create('elsewhere', 'mars-1')).rejects.toMatchObject({ status: 400 });
    await expect(api.groups.createToken('nope')).rejects.toMatchObject({ status: 404 });
    await expect(api.groups.createToken('tenants', { expiration: 'soon' })).rejects.toMatchObject({
      status: 400,
      message: 'Invalid expiration format',
    });
  });

  it('refuses bad token options, unsupported seeds and bad stand-in options with clear errors', async () => {
    await api.databases.create('options-target', { group: 'tenants' });
    await expect(
      api.databases.createToken('options-target', { authorization: 'admin' as 'read-only' }),
    ).rejects.toMatchObject({ status: 400, message: expect.stringContaining('full-access or read-only') });
    await expect(
      // database_upload is served (upload-export.test.ts); dump seeds are not.
      api.databases.create('dumped', { group: 'tenants', seed: { type: 'dump', url: 'https://example.invalid/dump.sql' } }),
    ).rejects.toMatchObject({ status: 400, message: expect.stringContaining('not supported') });
    await expect(startTursoStandin({ dataDir: '' })).rejects.toThrow();
    await expect(startTursoStandin({ dataDir: mainDir, org: 'Not An Org' })).rejects.toThrow();
  });

  it('refuses a wrong or missing API token with 401', async () => {
    const wrong = createTursoApi({ ...main.apiClientConfig, token: 'not-the-token' });
    await expect(wrong.databases.list()).rejects.toMatchObject({ status: 401 });
    const response = await fetch(new URL(`organizations/${main.org}/databases`, main.platformUrl));
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: expect.stringContaining('Unauthorized') });
  });

  it('answers unknown routes, other organizations and malformed paths with { error }', async () => {
    const get = (pathname: string) =>
      fetch(new URL(pathname, main.platformUrl), { headers: { authorization: `Bearer ${main.apiToken}` } });
    const unknown = await get('organizations/silo-standin/nothing-here');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: 'not found' });
    expect((await get('organizations/someone-else/databases')).status).toBe(404);
    const malformed = await get('organizations/silo-standin/databases/%E0%A4%A');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toEqual({ error: expect.any(String) });
  });

  it('creates, gets, lists databases; 409 on a taken name, 400 on a bad name or group, 404 when unknown', async () => {
    const created = await api.databases.create('alpha', { group: 'tenants' });
    expect(created).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), name: 'alpha', hostname: expect.any(String) });
    // The Hostname is served as is: libsql://<Hostname> (plus tls: false) is the database's URL.
    expect(created.hostname).toMatch(/^127\.0\.0\.1:\d+\/databases\/alpha-silo-standin\/$/);
    const got = await api.databases.get('alpha');
    expect(got).toMatchObject({ name: 'alpha', id: created.id, hostname: created.hostname, group: 'tenants', primaryRegion: 'aws-eu-west-1' });
    expect((await api.databases.list({ group: 'tenants' })).map((d) => d.name)).toContain('alpha');
    expect(await api.databases.list({ group: 'default' })).toEqual([]);
    const instances = await api.databases.listInstances('alpha');
    expect(instances).toEqual([{ uuid: expect.any(String), name: 'aws-eu-west-1', type: 'primary', region: 'aws-eu-west-1', hostname: created.hostname }]);
    expect(await api.databases.getInstance('alpha', 'aws-eu-west-1')).toEqual(instances[0]);
    await expect(api.databases.getInstance('alpha', 'aws-us-west-2')).rejects.toMatchObject({ status: 404 });

    await expect(api.databases.create('alpha', { group: 'tenants' })).rejects.toMatchObject({
      status: 409,
      message: 'database with name alpha already exists',
    });
    await expect(api.databases.create('Alpha!', { group: 'tenants' })).rejects.toMatchObject({ status: 400 });
    await expect(api.databases.create('x'.repeat(65), { group: 'tenants' })).rejects.toMatchObject({ status: 400 });
    await expect(api.databases.create('beta', { group: 'nope' })).rejects.toMatchObject({ status: 400, message: 'group not found' });
    await expect(api.databases.get('nope')).rejects.toMatchObject({ status: 404 });
    await expect(api.databases.delete('nope')).rejects.toMatchObject({ status: 404 });
  });
});

describe('SQL over HTTP (v2 pipeline through @libsql/client)', () => {
  it('answers 404 for a new database until it is ready', async () => {
    const created = await api.databases.create('fresh', { group: 'tenants' });
    const client = sqlClient(created.hostname, groupToken);
    const early = await client.execute('SELECT 1').catch((error: LibsqlError) => error);
    expect(early).toMatchObject({ code: 'SERVER_ERROR', cause: { status: 404 } });
    await waitUntilReady(client);
    expect((await client.execute('SELECT 41 + 1 AS answer')).rows[0]?.['answer']).toBe(42n);
  });

  it('round-trips every value type: bigint, float, text, blob, null', async () => {
    const { client } = await readyDatabase('types');
    await client.execute('CREATE TABLE v (i INTEGER, f REAL, t TEXT, b BLOB, n)');
    const big = 9_007_199_254_740_993n;
    const inserted = await client.execute({
      sql: 'INSERT INTO v VALUES (?, ?, ?, ?, ?)',
      args: [big, 2.5, 'héllo', new Uint8Array([0, 1, 255]), null],
    });
    expect(inserted.rowsAffected).toBe(1);
    expect(inserted.lastInsertRowid).toBe(1n);
    const row = (await client.execute('SELECT i, f, t, b, n, typeof(i) AS ti FROM v')).rows[0];
    expect(row?.['i']).toBe(big);
    expect(row?.['f']).toBe(2.5);
    expect(row?.['t']).toBe('héllo');
    expect(new Uint8Array(row?.['b'] as ArrayBuffer)).toEqual(new Uint8Array([0, 1, 255]));
    expect(row?.['n']).toBeNull();
    expect(row?.['ti']).toBe('integer');
    const named = await client.execute({ sql: 'SELECT :a + $b AS s', args: { a: 1n, $b: 2n } });
    expect(named.rows[0]?.['s']).toBe(3n);
    // `args` go to `?` and `?NNN` by position; `:a`, `@a`, `$a` take only `named_args`
    // (sqld, libsql-server/src/query.rs `Params::bind`).
    const byIndex = await client.execute({ sql: 'SELECT ?2 AS two, ?1 AS one', args: [1n, 2n] });
    expect(byIndex.rows[0]).toMatchObject({ two: 2n, one: 1n });
    expect(await libsqlCode(client.execute({ sql: 'SELECT :a AS a, ? AS b', args: [10n, 20n] }))).toBe('ARGS_INVALID');
    const cols = await client.execute('SELECT i, t FROM v');
    expect(cols.columns).toEqual(['i', 't']);
    expect(cols.columnTypes).toEqual(['INTEGER', 'TEXT']);
  });

  it('runs batches atomically and transactions across requests (commit and rollback)', async () => {
    const { client } = await readyDatabase('tx');
    await client.executeMultiple('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE); INSERT INTO t (v) VALUES (\'seed\');');
    const results = await client.batch(['INSERT INTO t (v) VALUES (\'a\')', { sql: 'INSERT INTO t (v) VALUES (?)', args: ['b'] }], 'write');
    expect(results.map((r) => r.rowsAffected)).toEqual([1, 1]);
    // A failing statement rolls the whole batch back.
    await expect(client.batch(['INSERT INTO t (v) VALUES (\'c\')', 'INSERT INTO t (v) VALUES (\'a\')'], 'write')).rejects.toMatchObject({
      code: 'SQLITE_CONSTRAINT',
    });
    const committed = await client.transaction('write');
    await committed.execute("INSERT INTO t (v) VALUES ('d')");
    expect((await committed.execute('SELECT count(*) AS n FROM t')).rows[0]?.['n']).toBe(4n);
    await committed.commit();
    const rolledBack = await client.transaction('write');
    await rolledBack.execute("INSERT INTO t (v) VALUES ('e')");
    await rolledBack.execute("UPDATE t SET v = 'changed' WHERE v = 'seed'");
    await rolledBack.rollback();
    const rows = (await client.execute('SELECT v FROM t ORDER BY id')).rows.map((r) => r['v']);
    expect(rows).toEqual(['seed', 'a', 'b', 'd']);
  });

  it('lets a second writer wait for the first transaction instead of failing', async () => {
    const { client } = await readyDatabase('locks');
    await client.execute('CREATE TABLE c (n INTEGER)');
    const first = await client.transaction('write');
    await first.execute('INSERT INTO c VALUES (1)');
    const second = client.execute('INSERT INTO c VALUES (2)');
    await sleep(50);
    await first.commit();
    await second;
    expect((await client.execute('SELECT group_concat(n) AS all_n FROM c')).rows[0]?.['all_n']).toBe('1,2');
  });

  it('reports SQL errors as { message, code } the client maps to LibsqlError', async () => {
    const { client } = await readyDatabase('errors');
    await client.execute('CREATE TABLE u (email TEXT UNIQUE)');
    await client.execute("INSERT INTO u VALUES ('a@x')");
    const error = (await client.execute("INSERT INTO u VALUES ('a@x')").catch((e: unknown) => e)) as LibsqlError;
    expect(error.code).toBe('SQLITE_CONSTRAINT');
    expect(error.message).toBe('SQLITE_CONSTRAINT: SQLite error: UNIQUE constraint failed: u.email');
    // sqld's own parser refuses a syntax error before SQLite sees it (sqld-parity.test.ts).
    expect(await libsqlCode(client.execute('SELEC nonsense'))).toBe('SQL_PARSE_ERROR');
    expect(await libsqlCode(client.execute('SELECT * FROM missing_table'))).toBe('SQLITE_UNKNOWN');
    expect(await libsqlCode(client.execute({ sql: 'SELECT ?', args: [] }))).toBe('ARGS_INVALID');
    expect(await libsqlCode(client.execute({ sql: 'SELECT :a', args: { b: 1 } }))).toBe('ARGS_INVALID');
    expect(await libsqlCode(client.execute({ sql: 'SELECT :a', args: [1, 2] }))).toBe('ARGS_INVALID');
  });

  it('refuses what sqld cannot classify (VACUUM INTO, ATTACH of a file, ANALYZE) as an unsupported statement, with any token', async () => {
    const { client } = await readyDatabase('unsupported');
    await client.execute('CREATE TABLE s (x)');
    const outside = mkdtempSync(path.join(tmpdir(), 'standin-outside-'));
    for (const sql of [`VACUUM INTO '${path.join(outside, 'copy.db')}'`, ` /* c */ vacuum`, `ATTACH '${path.join(outside, 'a.db')}' AS a`, 'ANALYZE']) {
      expect(await libsqlCode(client.execute(sql)), sql).toBe('SQL_PARSE_ERROR');
    }
    expect(readdirSync(outside)).toEqual([]);
    rmSync(outside, { recursive: true, force: true });
    expect((await client.execute('SELECT count(*) AS n FROM s')).rows[0]?.['n']).toBe(0n);
  });
});

describe('SQL endpoint auth', () => {
  it('refuses missing, foreign, rotated and expired tokens with 401; database and read-only tokens work', async () => {
    const { client, hostname } = await readyDatabase('guarded');
    await client.execute('CREATE TABLE g (x)');
    const status = (c: Client) => c.execute('SELECT 1').then(() => 200, (e: LibsqlError) => (e.cause as { status?: number }).status);

    expect(await status(createLibsqlClient({ url: `libsql://${hostname}`, tls: false }))).toBe(401);
    const otherGroupToken = (await api.groups.createToken('default')).jwt;
    expect(await status(sqlClient(hostname, otherGroupToken))).toBe(401);
    expect(await status(sqlClient(hostname, 'not.a.jwt'))).toBe(401);

    const dbToken = (await api.databases.createToken('guarded')).jwt;
    expect(await status(sqlClient(hostname, dbToken))).toBe(200);
    // A database token is for that database only.
    const { hostname: otherHost } = await readyDatabase('guarded-other');
    expect(await status(sqlClient(otherHost, dbToken))).toBe(401);

    const readOnly = sqlClient(hostname, (await api.groups.createToken('tenants', { authorization: 'read-only' })).jwt);
    expect((await readOnly.execute('SELECT count(*) AS n FROM g')).rows[0]?.['n']).toBe(0n);
    // sqld refuses the whole request with 403 (sqld-strictness.test.ts has the details).
    const refused = (await readOnly.execute('INSERT INTO g VALUES (1)').catch((e: unknown) => e)) as LibsqlError;
    expect((refused.cause as { status?: number }).status).toBe(403);

    const shortLived = sqlClient(hostname, (await api.groups.createToken('tenants', { expiration: '1s' })).jwt);
    await sleep(1_100);
    expect(await status(shortLived)).toBe(401);

    await api.databases.rotateTokens('guarded');
    expect(await status(sqlClient(hostname, dbToken))).toBe(401);
    expect(await status(client)).toBe(200);
  });

  it('group rotation invalidates every token of the group; new tokens work, also for databases created later', async () => {
    const { standin: own } = await standin({ notReadyMs: 0 });
    const ownApi = createTursoApi(own.apiClientConfig);
    const before = (await ownApi.groups.createToken('default')).jwt;
    const first = await ownApi.databases.create('one', { group: 'default' });
    expect((await sqlClient(first.hostname, before).execute('SELECT 1 AS x')).rows[0]?.['x']).toBe(1n);
    await ownApi.groups.rotateTokens('default');
    expect(await libsqlCode(sqlClient(first.hostname, before).execute('SELECT 1'))).toBe('SERVER_ERROR');
    const after = (await ownApi.groups.createToken('default')).jwt;
    const later = await ownApi.databases.create('two', { group: 'default' });
    expect((await sqlClient(later.hostname, after).execute('SELECT 2 AS x')).rows[0]?.['x']).toBe(2n);
  });
});

describe('streams and batons', () => {
  it('expires idle streams: a transaction left idle fails with STREAM_EXPIRED and its lock is freed', async () => {
    const { standin: own } = await standin({ notReadyMs: 0, streamIdleMs: 150 });
    const ownApi = createTursoApi(own.apiClientConfig);
    const db = await ownApi.databases.create('idle', { group: 'default' });
    const client = sqlClient(db.hostname, (await ownApi.groups.createToken('default')).jwt);
    await client.execute('CREATE TABLE i (x)');
    const tx = await client.transaction('write');
    await tx.execute('INSERT INTO i VALUES (1)');
    await sleep(400);
    expect(await libsqlCode(tx.execute('INSERT INTO i VALUES (2)'))).toBe('STREAM_EXPIRED');
    tx.close();
    await client.execute('INSERT INTO i VALUES (3)');
    expect((await client.execute('SELECT group_concat(x) AS xs FROM i')).rows[0]?.['xs']).toBe('3');
  });

  it('refuses a forged or replayed baton, and a malformed body, with 400 and a text/plain reason (sqld ProtocolError)', async () => {
    const { hostname } = await readyDatabase('batons');
    const pipeline = (baton: string | null) =>
      fetch(`http://${hostname}v2/pipeline`, {
        method: 'POST',
        headers: { authorization: `Bearer ${groupToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ baton, requests: [{ type: 'execute', stmt: { sql: 'SELECT 1' } }] }),
      });
    const opened = await pipeline(null);
    const { baton } = (await opened.json()) as { baton: string };
    expect(baton).toEqual(expect.any(String));
    expect((await pipeline(baton)).status).toBe(200);
    const replayed = await pipeline(baton);
    expect(replayed.status).toBe(400);
    expect(replayed.headers.get('content-type')).toBe('text/plain');
    expect(await replayed.text()).toBe('Received an invalid baton');
    const forged = await pipeline(`${baton.split('.')[0]}.99.forged`);
    expect(forged.status).toBe(400);
    const malformed = await fetch(`http://${hostname}v2/pipeline`, {
      method: 'POST',
      headers: { authorization: `Bearer ${groupToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ baton: null, requests: [{ type: 'execute' }] }),
    });
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('content-type')).toBe('text/plain');
    expect(await malformed.text()).toMatch(/^Cannot deserialize client message from JSON/);
  });
});

describe('Hrana 3 JSON (POST v3/pipeline)', () => {
  type Result = { type: string; response?: Record<string, unknown>; error?: { message: string; code?: string } };

  async function v3(hostname: string, baton: string | null, requests: unknown[], version = 'v3') {
    const response = await fetch(`http://${hostname}${version}/pipeline`, {
      method: 'POST',
      headers: { authorization: `Bearer ${groupToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ baton, requests }),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as { baton: string | null; base_url: string | null; results: Result[] };
  }

  it('answers the version probes: v2 and v3 yes, v3-protobuf no (the client then falls back to v2)', async () => {
    const { hostname } = await readyDatabase('probes');
    expect((await fetch(`http://${hostname}v2`)).status).toBe(200);
    expect((await fetch(`http://${hostname}v3`)).status).toBe(200);
    expect((await fetch(`http://${hostname}v3-protobuf`)).status).toBe(404);
  });

  it('runs batch conditions (ok/not/and/or/is_autocommit), get_autocommit, store_sql, describe, sequence', async () => {
    const { hostname } = await readyDatabase('hrana3');
    const first = await v3(hostname, null, [
      { type: 'sequence', sql: 'CREATE TABLE h (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO h (v) VALUES (\'x\');' },
      { type: 'store_sql', sql_id: 7, sql: 'SELECT count(*) FROM h' },
      { type: 'get_autocommit' },
      {
        type: 'batch',
        batch: {
          steps: [
            { stmt: { sql: 'BEGIN' } },
            { condition: { type: 'and', conds: [{ type: 'ok', step: 0 }, { type: 'not', cond: { type: 'is_autocommit' } }] }, stmt: { sql: "INSERT INTO h (v) VALUES ('y')" } },
            { stmt: { sql: 'INSERT INTO nope VALUES (1)' } },
            { condition: { type: 'or', conds: [{ type: 'error', step: 2 }, { type: 'ok', step: 2 }] }, stmt: { sql_id: 7 } },
            { condition: { type: 'ok', step: 2 }, stmt: { sql: 'SELECT 1' } },
          ],
        },
      },
      { type: 'get_autocommit' },
      { type: 'describe', sql: 'SELECT id, v FROM h WHERE id = :id OR v = ?2' },
      { type: 'close_sql', sql_id: 7 },
    ]);
    const [sequence, stored, auto1, batch, auto2, described, closed] = first.results;
    expect(sequence).toEqual({ type: 'ok', response: { type: 'sequence' } });
    expect(stored?.type).toBe('ok');
    expect(auto1?.response).toEqual({ type: 'get_autocommit', is_autocommit: true });
    const batchResult = batch?.response?.['result'] as { step_results: unknown[]; step_errors: unknown[] };
    expect(batchResult.step_results.map((r) => r !== null)).toEqual([true, true, false, true, false]);
    expect(batchResult.step_errors.map((e) => e !== null)).toEqual([false, false, true, false, false]);
    expect((batchResult.step_results[3] as { rows: unknown[][] }).rows).toEqual([[{ type: 'integer', value: '2' }]]);
    expect(auto2?.response).toEqual({ type: 'get_autocommit', is_autocommit: false });
    expect(described?.response?.['result']).toEqual({
      params: [{ name: ':id' }, { name: '?2' }],
      cols: [
        { name: 'id', decltype: 'INTEGER' },
        { name: 'v', decltype: 'TEXT' },
      ],
      is_explain: false,
      is_readonly: true,
    });
    expect(closed?.type).toBe('ok');

    // The transaction is still open on this stream; the next request continues it.
    const second = await v3(hostname, first.baton, [{ type: 'execute', stmt: { sql: 'COMMIT' } }, { type: 'get_autocommit' }, { type: 'close' }]);
    expect(second.results.map((r) => r.type)).toEqual(['ok', 'ok', 'ok']);
    expect(second.results[1]?.response).toEqual({ type: 'get_autocommit', is_autocommit: true });
    expect(second.baton).toBeNull();
  });

  it('keeps get_autocommit and is_autocommit to v3: on v2 they fail the whole request (sqld ProtocolError::NotSupported)', async () => {
    const { hostname } = await readyDatabase('v2only');
    const send = (requests: unknown[]) =>
      fetch(`http://${hostname}v2/pipeline`, {
        method: 'POST',
        headers: { authorization: `Bearer ${groupToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ baton: null, requests }),
      });
    const plain = await send([{ type: 'get_autocommit' }, { type: 'close' }]);
    expect(plain.status).toBe(400);
    expect(await plain.text()).toBe('The `get_autocommit` request is only supported in protocol version hrana3 and higher');
    const cond = await send([{ type: 'batch', batch: { steps: [{ condition: { type: 'is_autocommit' }, stmt: { sql: 'SELECT 1' } }] } }]);
    expect(cond.status).toBe(400);
    expect(await cond.text()).toBe('BatchCond of type `is_autocommit` is only supported in protocol version hrana3 and higher');
  });
});

describe('branching', () => {
  it('branches a consistent copy that then lives on its own', async () => {
    const { client } = await readyDatabase('source');
    await client.batch(['CREATE TABLE b (v TEXT)', "INSERT INTO b VALUES ('before')"], 'write');
    const branch = await api.databases.create('branch', { group: 'tenants', seed: { type: 'database', name: 'source' } });
    await client.execute("INSERT INTO b VALUES ('after')");
    const branchClient = sqlClient(branch.hostname, groupToken);
    await waitUntilReady(branchClient);
    expect((await branchClient.execute('SELECT v FROM b')).rows.map((r) => r['v'])).toEqual(['before']);
    await branchClient.execute("INSERT INTO b VALUES ('only in branch')");
    expect((await client.execute('SELECT count(*) AS n FROM b')).rows[0]?.['n']).toBe(2n);
    // listDatabases filters branches "by using their parent database ID", not by name.
    const sourceId = (await api.databases.get('source')).id;
    const byName = await fetch(new URL(`organizations/${main.org}/databases?parent=source`, main.platformUrl), {
      headers: { authorization: `Bearer ${main.apiToken}` },
    });
    expect(((await byName.json()) as { databases: unknown[] }).databases).toEqual([]);
    const children = await fetch(new URL(`organizations/${main.org}/databases?parent=${sourceId}`, main.platformUrl), {
      headers: { authorization: `Bearer ${main.apiToken}` },
    });
    const listed = (await children.json()) as { databases: { Name: string; parent: { name: string } | null }[] };
    expect(listed.databases.map((d) => [d.Name, d.parent?.name])).toEqual([['branch', 'source']]);
    await expect(
      api.databases.create('orphan', { group: 'tenants', seed: { type: 'database', name: 'no-such-db' } }),
    ).rejects.toMatchObject({ status: 400 });
  });

  it('branches at a timestamp to the state the source had then', async () => {
    const { client } = await readyDatabase('timeline');
    await client.batch(['CREATE TABLE e (v TEXT)', "INSERT INTO e VALUES ('one')"], 'write');
    await sleep(20);
    const afterOne = new Date();
    await sleep(20);
    await client.execute("INSERT INTO e VALUES ('two')");
    await sleep(20);
    const afterTwo = new Date();
    await sleep(20);
    await client.execute("INSERT INTO e VALUES ('three')");

    const rowsOf = async (name: string, at: Date) => {
      const created = await api.databases.create(name, { group: 'tenants', seed: { type: 'database', name: 'timeline', timestamp: at } });
      const c = sqlClient(created.hostname, groupToken);
      await waitUntilReady(c);
      return (await c.execute('SELECT v FROM e')).rows.map((r) => r['v']);
    };
    expect(await rowsOf('at-one', afterOne)).toEqual(['one']);
    expect(await rowsOf('at-two', afterTwo)).toEqual(['one', 'two']);
    expect(await rowsOf('at-now', new Date())).toEqual(['one', 'two', 'three']);

    const inFuture = new Date(Date.now() + 60_000);
    await expect(api.databases.create('future', { group: 'tenants', seed: { type: 'database', name: 'timeline', timestamp: inFuture } })).rejects.toMatchObject({ status: 400 });
    await expect(
      api.databases.create('too-early', { group: 'tenants', seed: { type: 'database', name: 'timeline', timestamp: '2020-01-01T00:00:00Z' } }),
    ).rejects.toMatchObject({ status: 400 });
  });

  it('refuses a timestamp it kept no copy point for, instead of approximating', async () => {
    const { standin: own } = await standin({ notReadyMs: 0, history: { intervalMs: 60_000 } });
    const ownApi = createTursoApi(own.apiClientConfig);
    const db = await ownApi.databases.create('sparse', { group: 'default' });
    const client = sqlClient(db.hostname, (await ownApi.groups.createToken('default')).jwt);
    await client.execute('CREATE TABLE s (x)');
    await sleep(20);
    const between = new Date();
    await sleep(20);
    await client.execute('INSERT INTO s VALUES (1)');
    await expect(
      ownApi.databases.create('sparse-branch', { group: 'default', seed: { type: 'database', name: 'sparse', timestamp: between } }),
    ).rejects.toMatchObject({ status: 400, message: expect.stringContaining('no recovery point') });
  });
});

describe('restarts', () => {
  it('serves the same databases, Hostnames and tokens after a restart on the same data dir and port', async () => {
    const { standin: first, dataDir } = await standin({ notReadyMs: 0, apiToken: 'fixed-api-token' });
    const firstApi = createTursoApi(first.apiClientConfig);
    const created = await firstApi.databases.create('kept', { group: 'default' });
    const token = (await firstApi.groups.createToken('default')).jwt;
    const before = sqlClient(created.hostname, token);
    await before.batch(['CREATE TABLE k (v)', "INSERT INTO k VALUES ('survives')"], 'write');
    const beforeRestart = new Date();
    await first.close();
    // fetch keeps idle sockets to the old server; let them see it went away before reusing the port.
    await sleep(100);

    const port = Number(new URL(first.platformUrl).port);
    const second = await startTursoStandin({ dataDir, port, notReadyMs: 0 });
    cleanups.push(() => second.close());
    expect(second.apiToken).toBe('fixed-api-token');
    const secondApi = createTursoApi(second.apiClientConfig);
    expect((await secondApi.databases.get('kept')).hostname).toBe(created.hostname);
    const after = sqlClient(created.hostname, token);
    expect((await after.execute('SELECT v FROM k')).rows[0]?.['v']).toBe('survives');
    // States before the restart were not recorded, so they are refused, not guessed.
    await expect(
      secondApi.databases.create('kept-earlier', { group: 'default', seed: { type: 'database', name: 'kept', timestamp: beforeRestart } }),
    ).rejects.toMatchObject({ status: 400 });
    await expect(startTursoStandin({ dataDir, org: 'another-org' })).rejects.toThrow(/belongs to organization/);
  });
});

describe('usage and deletion', () => {
  it('counts rows read and written and reports storage in the spec usage shape', async () => {
    const { client } = await readyDatabase('metered');
    await client.execute('CREATE TABLE m (x)');
    await client.batch(['INSERT INTO m VALUES (1)', 'INSERT INTO m VALUES (2)', 'INSERT INTO m VALUES (3)'], 'write');
    await client.execute('SELECT * FROM m');
    // `total` is the OpenAPI field; the client's typings call it `usage`, so both are sent.
    type SpecUsage = Awaited<ReturnType<typeof api.databases.usage>> & { total: { rows_read: number; rows_written: number; storage_bytes: number } };
    const usage = (await api.databases.usage('metered')) as SpecUsage;
    expect(usage.usage).toEqual(usage.total);
    expect(usage.total.rows_written).toBe(3);
    // Readiness probes (SELECT 1) count too: every statement that returns rows reads at least one.
    expect(usage.total.rows_read).toBeGreaterThanOrEqual(3);
    expect(usage.total.storage_bytes).toBeGreaterThan(0);
    expect(usage.instances).toHaveLength(1);
    expect(usage.instances[0]?.usage).toEqual(usage.total);
    const empty = (await api.databases.usage('metered', { from: new Date(Date.now() + 3_600_000) })) as SpecUsage;
    expect(empty.total.rows_written).toBe(0);
    await expect(api.databases.usage('metered', { from: 'yesterday' })).rejects.toMatchObject({ status: 400 });
    await expect(api.databases.usage('nope')).rejects.toMatchObject({ status: 404 });
  });

  it('deletes a database: 404 afterwards on the API and the SQL endpoint, files gone', async () => {
    const { client } = await readyDatabase('doomed');
    await client.execute('CREATE TABLE d (x)');
    const filesBefore = readdirSync(path.join(mainDir, 'databases')).filter((f) => f.startsWith('doomed-'));
    expect(filesBefore.length).toBeGreaterThan(0);
    expect(await api.databases.delete('doomed')).toEqual({ database: 'doomed' });
    await expect(api.databases.get('doomed')).rejects.toMatchObject({ status: 404 });
    const error = (await client.execute('SELECT 1').catch((e: unknown) => e)) as LibsqlError;
    expect(error).toMatchObject({ code: 'SERVER_ERROR', cause: { status: 404 } });
    for (const file of filesBefore) expect(existsSync(path.join(mainDir, 'databases', file))).toBe(false);
    // The name is free again.
    await api.databases.create('doomed', { group: 'tenants' });
  });

  it('deleting a group deletes its databases', async () => {
    await api.groups.create('short-lived', 'aws-us-east-1');
    await api.databases.create('in-short-lived', { group: 'short-lived' });
    await api.groups.delete('short-lived');
    await expect(api.databases.get('in-short-lived')).rejects.toMatchObject({ status: 404 });
    await expect(api.groups.get('short-lived')).rejects.toMatchObject({ status: 404 });
  });
});
