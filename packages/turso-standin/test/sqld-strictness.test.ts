import { createClient as createTursoApi } from '@tursodatabase/api';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { StandinForFile, failure } from './standin-fixture';

/**
 * The stand-in is as strict as sqld (libsql-server/src/query_analysis.rs, hrana/stmt.rs) and
 * Turso Cloud are documented or reported to be. Every test here failed on the stand-in before
 * it was made strict, which accepted these statements as plain SQLite does.
 */

const file = new StandinForFile('strict', { transactionTimeoutMs: 300, maxResponseBytes: 20_000, history: { intervalMs: 0 } });
const database = (): ReturnType<StandinForFile['database']> => file.database();

describe('statements Turso Cloud does not run', () => {
  it('refuses PRAGMA user_version and application_id, reading included, as "SQL not allowed statement"', async () => {
    const { full } = await database();
    for (const sql of ['PRAGMA user_version', 'PRAGMA user_version = 3', 'pragma main.user_version', 'PRAGMA application_id', 'PRAGMA application_id = 7']) {
      const { code, message } = await failure(full.execute(sql));
      expect(code, sql).toBe('SQL_PARSE_ERROR');
      expect(message, sql).toContain(`SQL not allowed statement: ${sql}`);
    }
    // Nor inside an interactive transaction, where Silo used to read and bump the version.
    const tx = await full.transaction('write');
    expect((await failure(tx.execute('PRAGMA user_version = 1'))).code).toBe('SQL_PARSE_ERROR');
    await tx.rollback();
    tx.close();
  });

  it('refuses CREATE TEMP TABLE/VIEW/TRIGGER, ANALYZE and pragmas sqld has no kind for or takes no value for', async () => {
    const { full } = await database();
    await full.execute('CREATE TABLE t (x)');
    for (const sql of [
      'CREATE TEMP TABLE kept AS SELECT * FROM t',
      'CREATE TEMPORARY TABLE kept (x)',
      'CREATE TABLE temp.kept (x)',
      'CREATE TEMP VIEW v AS SELECT 1',
      'ANALYZE',
      'PRAGMA optimize',
      'PRAGMA wal_checkpoint(TRUNCATE)',
      'PRAGMA page_size = 8192',
      'PRAGMA writable_schema = 1',
    ]) {
      expect((await failure(full.execute(sql))).code, sql).toBe('SQL_PARSE_ERROR');
    }
    // The ones sqld serves from the primary run with a full-access token.
    for (const sql of ['PRAGMA integrity_check', 'PRAGMA page_count', 'PRAGMA page_size', 'PRAGMA foreign_keys = ON', 'PRAGMA table_info(t)']) {
      await expect(full.execute(sql), sql).resolves.toBeDefined();
    }
  });

  it('takes exactly one statement per execute (SQL_MANY_STATEMENTS, SQL_NO_STATEMENT)', async () => {
    const { full } = await database();
    await full.execute('CREATE TABLE one (x)');
    expect((await failure(full.execute('INSERT INTO one VALUES (1); INSERT INTO one VALUES (2)'))).code).toBe('SQL_MANY_STATEMENTS');
    expect((await failure(full.execute(' -- nothing'))).code).toBe('SQL_NO_STATEMENT');
    expect((await full.execute('SELECT count(*) AS n FROM one; -- trailing comment')).rows[0]?.['n']).toBe(0);
  });

  it('checks every statement of a multi-statement text before running any (executeMultiple)', async () => {
    const { full } = await database();
    const { code } = await failure(
      full.executeMultiple(`CREATE TABLE a (x);
        CREATE TRIGGER a_t AFTER INSERT ON a BEGIN SELECT 1; SELECT 2; END;
        CREATE TEMP TABLE b AS SELECT * FROM a; ANALYZE;`),
    );
    expect(code).toBe('SQL_PARSE_ERROR');
    expect((await full.execute("SELECT count(*) AS n FROM sqlite_schema WHERE name IN ('a', 'a_t')")).rows[0]?.['n']).toBe(0);
    await full.executeMultiple('CREATE TABLE a (x); CREATE TRIGGER a_t AFTER INSERT ON a BEGIN SELECT 1; SELECT 2; END; INSERT INTO a VALUES (1);');
    expect((await full.execute('SELECT count(*) AS n FROM a')).rows[0]?.['n']).toBe(1);
  });
});

describe('read-only tokens', () => {
  it('refuse writes, and the pragmas sqld classes as writes, with HTTP 403 { error } for the whole request', async () => {
    const { hostname, full, read } = await database();
    await full.execute('CREATE TABLE g (x)');
    for (const sql of [
      'INSERT INTO g VALUES (1)',
      'WITH v AS (SELECT 1) INSERT INTO g SELECT * FROM v',
      'PRAGMA integrity_check',
      'PRAGMA quick_check',
      'PRAGMA page_count',
      'PRAGMA page_size',
      'PRAGMA foreign_keys',
      'PRAGMA foreign_key_check',
      'PRAGMA freelist_count',
      'REINDEX',
    ]) {
      const { status, code } = await failure(read.execute(sql));
      expect(status, sql).toBe(403);
      expect(code, sql).not.toBe('SQLITE_READONLY');
    }
    // The raw answer: 403 with sqld's { "error": … }, not a Hrana result with SQLITE_READONLY.
    const response = await fetch(`http://${hostname}v2/pipeline`, {
      method: 'POST',
      headers: { authorization: `Bearer ${file.readToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ baton: null, requests: [{ type: 'execute', stmt: { sql: 'SELECT 1' } }, { type: 'execute', stmt: { sql: 'PRAGMA integrity_check' } }] }),
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ error: expect.stringContaining("Authorization forbidden: Current session doesn't not have Write permission") });
    // A batch is judged as a whole: its read runs no more than its write.
    expect((await failure(read.batch(['SELECT count(*) FROM g', 'INSERT INTO g VALUES (2)'], 'deferred'))).status).toBe(403);
    expect((await full.execute('SELECT count(*) AS n FROM g')).rows[0]?.['n']).toBe(0);
    // Reads, pure-read pragmas and transactions that only read still work.
    expect((await read.execute('SELECT count(*) AS n FROM g')).rows[0]?.['n']).toBe(0);
    await expect(read.execute('PRAGMA table_info(g)')).resolves.toBeDefined();
    await expect(read.batch(['SELECT 1', 'SELECT 2'], 'read')).resolves.toHaveLength(2);
  });
});

describe('limits', () => {
  it('rolls back a transaction that holds the write lock past the transaction time limit; the stream answers TRANSACTION_TIMEOUT', async () => {
    const { full } = await database();
    await full.execute('CREATE TABLE t (x)');
    const tx = await full.transaction('write');
    await tx.execute('INSERT INTO t VALUES (1)');
    await sleep(500);
    const { code, message } = await failure(tx.execute('INSERT INTO t VALUES (2)'));
    expect(code).toBe('TRANSACTION_TIMEOUT');
    expect(message).toContain('Transaction timed out');
    await tx.rollback();
    tx.close();
    // The lock was freed and nothing of the transaction stayed.
    await full.execute('INSERT INTO t VALUES (3)');
    expect((await full.execute('SELECT group_concat(x) AS v FROM t')).rows[0]?.['v']).toBe('3');
    // A read transaction holds no write lock and has no such limit.
    const reading = await full.transaction('read');
    await sleep(400);
    expect((await reading.execute('SELECT count(*) AS n FROM t')).rows[0]?.['n']).toBe(1);
    reading.close();
  });

  it('caps a statement result at the response size limit with RESPONSE_TOO_LARGE', async () => {
    const { full } = await database();
    await full.execute("CREATE TABLE big AS WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 500) SELECT n, printf('%.100c', 'x') AS pad FROM s");
    const { code, message } = await failure(full.execute('SELECT * FROM big'));
    expect(code).toBe('RESPONSE_TOO_LARGE');
    expect(message).toContain('Response is too large');
    expect((await full.execute('SELECT * FROM big LIMIT 10')).rows).toHaveLength(10);
  });

  it('defaults to the 10 MB response limit of sqld', async () => {
    const own = await file.startOwn();
    const ownApi = createTursoApi(own.apiClientConfig);
    const { hostname } = await ownApi.databases.create('defaults', { group: 'default' });
    const client = file.client(hostname, (await ownApi.groups.createToken('default')).jwt);
    await client.execute("CREATE TABLE big AS WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 9000) SELECT printf('%.1000c', 'x') AS pad FROM s");
    expect((await client.execute('SELECT * FROM big')).rows).toHaveLength(9000);
    await client.execute('INSERT INTO big SELECT * FROM big LIMIT 2000');
    expect((await failure(client.execute('SELECT * FROM big'))).code).toBe('RESPONSE_TOO_LARGE');
  });
});
