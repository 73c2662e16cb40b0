import type { Client, LibsqlError } from '@libsql/client';
import { describe, expect, it } from 'vitest';
import { StandinForFile } from './standin-fixture';

/**
 * Hrana over HTTP as sqld serves it (tursodatabase/libsql at f8fb14f, libsql-server/src/hrana:
 * mod.rs `ProtocolError`, http/mod.rs, http/request.rs, stmt.rs, batch.rs; query.rs
 * `Params::bind`) and as HRANA_3_SPEC.md / HTTP_V2_SPEC.md describe it. Every test here failed
 * on the stand-in before, which answered these requests more leniently than Turso does.
 */

const file = new StandinForFile('hrana');

/** A new database and a full-access client of it. */
async function database(): Promise<{ hostname: string; client: Client }> {
  const { hostname, full } = await file.database();
  return { hostname, client: full };
}

type Result = { type: 'ok'; response: Record<string, unknown> } | { type: 'error'; error: { message: string; code?: string } };

async function pipeline(
  hostname: string,
  requests: unknown[],
  baton: string | null = null,
  version: 'v2' | 'v3' = 'v3',
): Promise<{ status: number; contentType: string | null; text: string; baton: string | null; results: Result[] }> {
  const response = await fetch(`http://${hostname}${version}/pipeline`, {
    method: 'POST',
    headers: { authorization: `Bearer ${file.fullToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ baton, requests }),
  });
  const text = await response.text();
  const body = response.status === 200 ? (JSON.parse(text) as { baton: string | null; results: Result[] }) : { baton: null, results: [] };
  return { status: response.status, contentType: response.headers.get('content-type'), text, ...body };
}

const execute = (sql: string, extra: Record<string, unknown> = {}) => ({ type: 'execute', stmt: { sql, ...extra } });
const int = (value: number) => ({ type: 'integer', value: String(value) });

describe('protocol errors fail the whole HTTP request (400, text/plain) and drop the stream', () => {
  it('for a stored SQL id in use or unknown, both or neither of sql and sql_id, and a request after close', async () => {
    const { hostname, client } = await database();
    await client.execute('CREATE TABLE t (x)');
    const cases: [unknown[], string][] = [
      [[{ type: 'store_sql', sql_id: 1, sql: 'SELECT 1' }, { type: 'store_sql', sql_id: 1, sql: 'SELECT 2' }], 'SQL text 1 already exists'],
      [[{ type: 'execute', stmt: { sql_id: 5 } }], 'SQL text 5 not found'],
      [[{ type: 'sequence', sql_id: 5 }], 'SQL text 5 not found'],
      [[{ type: 'execute', stmt: { sql: 'SELECT 1', sql_id: 1 } }], 'Either `sql` or `sql_id` are required, but not both'],
      [[{ type: 'execute', stmt: {} }], 'Either `sql` or `sql_id` are required'],
      [[{ type: 'close' }, execute('SELECT 1')], 'Stream for this baton was closed'],
    ];
    for (const [requests, message] of cases) {
      // A write before the faulty request: it ran (autocommit) and stays, as in sqld.
      const answer = await pipeline(hostname, [execute('INSERT INTO t VALUES (1)'), ...requests]);
      expect(answer.status, message).toBe(400);
      expect(answer.contentType, message).toBe('text/plain');
      expect(answer.text, message).toBe(message);
    }
    expect((await client.execute('SELECT count(*) AS n FROM t')).rows[0]?.['n']).toBe(cases.length);
  });

  it('for a batch condition that names its own or a later step, before any step runs', async () => {
    const { hostname, client } = await database();
    await client.execute('CREATE TABLE t (x)');
    for (const condition of [
      { type: 'ok', step: 1 },
      { type: 'not', cond: { type: 'error', step: 2 } },
      { type: 'and', conds: [{ type: 'ok', step: 0 }, { type: 'ok', step: 5 }] },
    ]) {
      const answer = await pipeline(hostname, [
        { type: 'batch', batch: { steps: [{ stmt: { sql: 'INSERT INTO t VALUES (1)' } }, { condition, stmt: { sql: 'INSERT INTO t VALUES (2)' } }] } },
      ]);
      expect(answer.status).toBe(400);
      expect(answer.text).toBe('Invalid reference to step in a batch condition');
    }
    expect((await client.execute('SELECT count(*) AS n FROM t')).rows[0]?.['n']).toBe(0);
  });

  it('rolls back the open transaction of the stream it drops, and the stream’s baton is refused after', async () => {
    const { hostname, client } = await database();
    await client.execute('CREATE TABLE t (x)');
    const opened = await pipeline(hostname, [execute('BEGIN IMMEDIATE'), execute('INSERT INTO t VALUES (1)')]);
    expect(opened.status).toBe(200);
    const failed = await pipeline(hostname, [{ type: 'execute', stmt: { sql_id: 9 } }], opened.baton);
    expect(failed.status).toBe(400);
    // The write lock was freed with the stream, and its insert undone.
    await client.execute('INSERT INTO t VALUES (2)');
    expect((await client.execute('SELECT group_concat(x) AS xs FROM t')).rows[0]?.['xs']).toBe('2');
    const again = await pipeline(hostname, [execute('COMMIT')], opened.baton);
    expect([again.status, again.text]).toEqual([400, 'Received an invalid baton']);
  });
});

describe('stored SQL texts (sqld: at most 50 per stream, 5000 bytes each)', () => {
  it('refuses the 51st text and a text over 5000 bytes of UTF-8 in-band', async () => {
    const { hostname } = await database();
    const store = Array.from({ length: 51 }, (_, id) => ({ type: 'store_sql', sql_id: id, sql: `SELECT ${id}` }));
    const answer = await pipeline(hostname, [...store, { type: 'store_sql', sql_id: 100, sql: `SELECT '${'x'.repeat(4990)}'` }, { type: 'close' }]);
    expect(answer.status).toBe(200);
    expect(answer.results.slice(0, 50).every((result) => result.type === 'ok')).toBe(true);
    expect(answer.results[50]).toMatchObject({ type: 'error', error: { code: 'SQL_STORE_TOO_MANY' } });
    expect(answer.results[51]).toMatchObject({ type: 'error', error: { code: 'SQL_STORE_TOO_MANY' } });

    // 2,000 "é" are 2,000 UTF-16 code units but 4,000 bytes: the limit counts bytes.
    const accented = `SELECT '${'é'.repeat(2_500)}'`;
    expect(accented.length).toBeLessThan(5_000);
    const large = await pipeline(hostname, [
      { type: 'store_sql', sql_id: 1, sql: accented },
      { type: 'store_sql', sql_id: 2, sql: `SELECT '${'x'.repeat(4_980)}'` },
      { type: 'close' },
    ]);
    expect(large.results[0]).toMatchObject({ type: 'error', error: { code: 'SQL_STORE_TOO_LARGE' } });
    expect(large.results[1]).toMatchObject({ type: 'ok' });
  });

  it('so @libsql/client’s batch of a short non-ASCII statement over 5000 bytes fails, as on Turso; execute sends it inline', async () => {
    const { client } = await database();
    await client.execute('CREATE TABLE notes (body TEXT)');
    // @libsql/client stores every batch statement under 5000 UTF-16 code units (sql_cache.ts).
    const sql = `INSERT INTO notes VALUES ('${'ü'.repeat(2_600)}')`;
    const error = await client.batch([sql], 'write').then(
      () => undefined,
      (e: unknown) => e as LibsqlError,
    );
    expect(error?.message).toContain('SQL text');
    expect((await client.execute('SELECT count(*) AS n FROM notes')).rows[0]?.['n']).toBe(0);
    await client.execute(sql);
    expect((await client.execute('SELECT count(*) AS n FROM notes')).rows[0]?.['n']).toBe(1);
  });
});

describe('arguments as sqld binds them', () => {
  it('refuses args and named_args together, more values than parameters, and positional values for named parameters', async () => {
    const { hostname } = await database();
    const answer = await pipeline(hostname, [
      execute('SELECT ? AS a, :b AS b', { args: [int(1)], named_args: [{ name: 'b', value: int(2) }] }),
      execute('SELECT ? AS a', { args: [int(1), int(2)] }),
      execute('SELECT :a AS a', { args: [int(1)] }),
      execute('SELECT ?1 AS a', { named_args: [{ name: '?1', value: int(1) }] }),
      execute('SELECT :a AS a, $b AS b', { named_args: [{ name: 'a', value: int(1) }, { name: '$b', value: int(2) }] }),
      { type: 'close' },
    ]);
    expect(answer.results[0]).toMatchObject({ type: 'error', error: { code: 'ARGS_BOTH_POSITIONAL_AND_NAMED' } });
    expect(answer.results[1]).toMatchObject({ type: 'error', error: { code: 'ARGS_INVALID', message: expect.stringContaining('too many parameters') } });
    expect(answer.results[2]).toMatchObject({ type: 'error', error: { code: 'ARGS_INVALID', message: expect.stringContaining('value for parameter :a not found') } });
    expect(answer.results[3]).toMatchObject({ type: 'error', error: { code: 'ARGS_INVALID' } });
    expect(answer.results[4]).toMatchObject({ type: 'ok', response: { result: { rows: [[int(1), int(2)]] } } });
  });

  it('binds a ?NNN whose number a name already took as that name (SQLite keeps the first name of a number)', async () => {
    const { hostname } = await database();
    const answer = await pipeline(hostname, [
      execute('SELECT :b AS b, :a AS a, ?1 AS one', { named_args: [{ name: 'a', value: int(1) }, { name: ':b', value: int(2) }] }),
      { type: 'describe', sql: 'SELECT :b, ?1, ?, ?3' },
      { type: 'close' },
    ]);
    expect(answer.results[0]).toMatchObject({ type: 'ok', response: { result: { rows: [[int(2), int(1), int(2)]] } } });
    expect(answer.results[1]).toMatchObject({ type: 'ok', response: { result: { params: [{ name: ':b' }, { name: null }, { name: '?3' }] } } });
  });
});

describe('values as sqld reads and writes them (libsql-hrana proto.rs)', () => {
  it('refuses an integer outside 64 bits and a blob that is not base64 as protocol errors; writes blobs without padding', async () => {
    const { hostname } = await database();
    for (const value of [
      { type: 'integer', value: '9223372036854775808' },
      { type: 'blob', base64: 'not base64!' },
    ]) {
      const answer = await pipeline(hostname, [execute('SELECT ? AS v', { args: [value] })]);
      expect(answer.status, JSON.stringify(value)).toBe(400);
      expect(answer.text).toMatch(/^Cannot deserialize client message from JSON/);
    }
    const answer = await pipeline(hostname, [
      execute('SELECT ? AS big, ? AS b', { args: [{ type: 'integer', value: '-9223372036854775808' }, { type: 'blob', base64: 'AAEC' }] }),
      execute("SELECT x'0001' AS b"),
      { type: 'close' },
    ]);
    expect(answer.results[0]).toMatchObject({ type: 'ok', response: { result: { rows: [[{ type: 'integer', value: '-9223372036854775808' }, { type: 'blob', base64: 'AAEC' }]] } } });
    expect(answer.results[1]).toMatchObject({ type: 'ok', response: { result: { rows: [[{ type: 'blob', base64: 'AAE' }]] } } });
  });
});

describe('batches are parsed whole before any step runs', () => {
  it('a step sqld cannot take (none or several statements, one it has no kind for, both kinds of args) fails the batch, and nothing of it runs', async () => {
    const { hostname, client } = await database();
    await client.execute('CREATE TABLE t (x)');
    const insert = { stmt: { sql: 'INSERT INTO t VALUES (1)' } };
    for (const [bad, code] of [
      [{ sql: 'VACUUM' }, 'SQL_PARSE_ERROR'],
      [{ sql: 'SELECT 1; SELECT 2' }, 'SQL_MANY_STATEMENTS'],
      [{ sql: '-- nothing' }, 'SQL_NO_STATEMENT'],
      [{ sql: 'SELECT ?', args: [int(1)], named_args: [{ name: 'a', value: int(1) }] }, 'ARGS_BOTH_POSITIONAL_AND_NAMED'],
    ] as const) {
      const answer = await pipeline(hostname, [{ type: 'batch', batch: { steps: [insert, { stmt: bad }] } }, { type: 'close' }]);
      expect(answer.status).toBe(200);
      expect(answer.results[0], code).toMatchObject({ type: 'error', error: { code } });
    }
    expect((await client.execute('SELECT count(*) AS n FROM t')).rows[0]?.['n']).toBe(0);
  });
});

describe('statement results', () => {
  it('report last_insert_rowid for an INSERT only, and affected_row_count for INSERT, UPDATE and DELETE only', async () => {
    const { hostname } = await database();
    const answer = await pipeline(hostname, [
      execute('CREATE TABLE t (id INTEGER PRIMARY KEY, x)'),
      execute('INSERT INTO t (x) VALUES (1), (2)'),
      execute('UPDATE t SET x = x + 1'),
      execute('WITH n(v) AS (SELECT 10) INSERT INTO t (x) SELECT v FROM n'),
      execute('CREATE TABLE copy AS SELECT * FROM t'),
      execute("WITH gone AS (SELECT ')') DELETE FROM t WHERE x > 2"),
      { type: 'close' },
    ]);
    const shape = answer.results.slice(0, 6).map((result) => {
      if (result.type !== 'ok') return result.error;
      const stmt = result.response['result'] as { affected_row_count: number; last_insert_rowid: string | null };
      return [stmt.affected_row_count, stmt.last_insert_rowid];
    });
    expect(shape).toEqual([
      [0, null],
      [2, '2'],
      [2, null],
      [1, '3'],
      [0, null],
      [2, null],
    ]);
  });
});
