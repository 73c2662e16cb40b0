import type { Client } from '@libsql/client';
import { describe, expect, it } from 'vitest';
import { StandinForFile, failure } from './standin-fixture';

/**
 * sqld's parser, classifier and error reporting as its source has them (tursodatabase/libsql
 * at f8fb14f): libsql-server/src/query_analysis.rs, hrana/stmt.rs, hrana/batch.rs,
 * connection/program.rs `check_program_auth`, vendored/sqlite3-parser (its lexer and grammar),
 * vendored/rusqlite/src/error.rs `error_with_offset`, libsql-ffi/build.rs. Every test here
 * failed on the stand-in before, which was stricter or more lenient than sqld in each case.
 */

const file = new StandinForFile('parity');
const database = (): ReturnType<StandinForFile['database']> => file.database();

type Result = { type: 'ok'; response: Record<string, unknown> } | { type: 'error'; error: { message: string; code?: string } };

async function pipeline(hostname: string, requests: unknown[], token = file.fullToken): Promise<{ status: number; text: string; results: Result[] }> {
  const response = await fetch(`http://${hostname}v3/pipeline`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ baton: null, requests: [...requests, { type: 'close' }] }),
  });
  const text = await response.text();
  const results = response.status === 200 ? (JSON.parse(text) as { results: Result[] }).results : [];
  return { status: response.status, text, results };
}

const execute = (sql: string) => ({ type: 'execute', stmt: { sql } });

async function errorOf(hostname: string, sql: string): Promise<{ message: string; code?: string } | undefined> {
  const [result] = (await pipeline(hostname, [execute(sql)])).results;
  return result?.type === 'error' ? result.error : undefined;
}

async function count(client: Client, table: string): Promise<unknown> {
  return (await client.execute(`SELECT count(*) AS n FROM ${table}`)).rows[0]?.['n'];
}

describe('syntax errors are sqld parser errors (SQL_PARSE_ERROR), found before anything runs', () => {
  it('in an execute, with sqld’s parser’s words and positions', async () => {
    const { hostname, full } = await database();
    await full.execute('CREATE TABLE t (x)');
    const cases: [string, string][] = [
      // A token with text: its text and the line and byte column just after it.
      ['SELECT * FRM t', 'syntax error around L1:13: `FRM`'],
      ['SELECT 1,\n  2 3', 'syntax error around L2:6: `3`'],
      ["SELECT 'é' x y", 'syntax error around L1:16: `y`'],
      // A keyword or punctuation: its token name.
      ['SELECT * FROM WHERE x', 'near WHERE, "None": syntax error at (1, 20)'],
      ['SELECT (1', 'near SEMI, "None": syntax error at (1, 10)'],
      ['SELECT * FROM;', 'near SEMI, "None": syntax error at (1, 15)'],
      ['CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1;', 'unexpected end of input at (1, 52)'],
      // sqld's lexer, stricter than SQLite's.
      ["SELECT 'abc", 'non-terminated literal at (1, 8)'],
      ['SELECT 1 /* unclosed', 'non-terminated block comment at (1, 10)'],
      ['SELECT 1_000', 'bad number at (1, 8)'],
      ['SELECT 1 ! 2', 'expected = sign at (1, 10)'],
      // Grammar newer than sqld's parser: ORDER BY in an aggregate or before UNION, an expression in RAISE.
      ['SELECT group_concat(x ORDER BY x) FROM (SELECT 1 AS x)', 'near ORDER, "None": syntax error at (1, 28)'],
      ['SELECT 1 ORDER BY 1 UNION SELECT 2', 'near UNION, "None": syntax error at (1, 26)'],
      ["CREATE TRIGGER tr BEFORE INSERT ON t BEGIN SELECT RAISE(ABORT, 'a' || 'b'); END", 'near CONCAT, "None": syntax error at (1, 70)'],
      ['PRAGMA table_info(', 'near SEMI, "None": syntax error at (1, 19)'],
      ['PRAGMA foreign_keys = NULL', 'near NULL, "None": syntax error at (1, 27)'],
    ];
    for (const [sql, detail] of cases) {
      expect(await errorOf(hostname, sql), sql).toEqual({ code: 'SQL_PARSE_ERROR', message: `SQL string could not be parsed: ${detail}` });
    }
  });

  it('fails a whole batch, whatever the conditions, and no step runs', async () => {
    const { hostname, full } = await database();
    await full.execute('CREATE TABLE t (x)');
    const { results } = await pipeline(hostname, [
      {
        type: 'batch',
        batch: {
          steps: [
            { stmt: { sql: 'INSERT INTO t VALUES (1)' } },
            // Skipped at run time (its condition is false), still parsed first.
            { condition: { type: 'error', step: 0 }, stmt: { sql: 'INSERT INTO t VALUS (2)' } },
            { condition: { type: 'ok', step: 0 }, stmt: { sql: 'INSERT INTO t VALUES (3)' } },
          ],
        },
      },
    ]);
    expect(results[0]).toEqual({ type: 'error', error: { code: 'SQL_PARSE_ERROR', message: 'SQL string could not be parsed: syntax error around L1:20: `VALUS`' } });
    expect(await count(full, 't')).toBe(0);
    // @libsql/client's batch (BEGIN, steps with conditions, COMMIT) fails the same way.
    const { code } = await failure(full.batch(['INSERT INTO t VALUES (4)', 'SELEC 1'], 'write'));
    expect(code).toBe('SQL_PARSE_ERROR');
    expect(await count(full, 't')).toBe(0);
  });

  it('fails a whole sequence before its first statement runs, counting positions across the text', async () => {
    const { hostname, full } = await database();
    const [result] = (await pipeline(hostname, [{ type: 'sequence', sql: 'CREATE TABLE a (x);\nINSERT INTO a VALUES (1);\nINSERT INTO a VALUES (2' }])).results;
    expect(result).toEqual({ type: 'error', error: { code: 'SQL_PARSE_ERROR', message: 'SQL string could not be parsed: near SEMI, "None": syntax error at (3, 24)' } });
    expect((await full.execute("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'a'")).rows[0]?.['n']).toBe(0);
  });

  it('parses before it looks for more statements or refuses an unsupported one', async () => {
    const { hostname } = await database();
    expect(await errorOf(hostname, 'VACUUM; SELECT 1')).toMatchObject({ code: 'SQL_PARSE_ERROR', message: expect.stringContaining('not allowed') });
    expect(await errorOf(hostname, 'SELEC 1; SELECT 1')).toMatchObject({ code: 'SQL_PARSE_ERROR', message: expect.stringContaining('`SELEC`') });
    // A lexer error after the first statement is a second statement to sqld.
    expect(await errorOf(hostname, 'SELECT 1; /* unclosed')).toMatchObject({ code: 'SQL_MANY_STATEMENTS' });
    expect((await pipeline(hostname, [execute('SELECT 1;;  -- done')])).results[0]).toMatchObject({ type: 'ok' });
  });
});

describe('SQLite errors as rusqlite hands them to sqld', () => {
  it('are SQL_INPUT_ERROR with the byte offset where SQLite records one, SQLite errors where it does not', async () => {
    const { hostname, full } = await database();
    await full.execute('CREATE TABLE t (x, y)');
    const cases: [string, { message: string; code?: string }][] = [
      ['SELECT nosuch FROM t', { code: 'SQL_INPUT_ERROR', message: 'SQL input error: no such column: nosuch (at offset 7)' }],
      ["SELECT 'é', t.nope FROM t", { code: 'SQL_INPUT_ERROR', message: 'SQL input error: no such column: t.nope (at offset 13)' }],
      ['SELECT x FROM t WHERE nofn(y)', { code: 'SQL_INPUT_ERROR', message: 'SQL input error: no such function: nofn (at offset 22)' }],
      ['CREATE TABLE t (z)', { code: 'SQL_INPUT_ERROR', message: 'SQL input error: table t already exists (at offset 13)' }],
      // update.c looks up a SET target itself and records no offset; no such table has none either.
      // Plain SQLITE_ERROR has no rusqlite ErrorCode of its own (libsql-ffi `Error::new`), so sqld names it SQLITE_UNKNOWN.
      ['UPDATE t SET nosuch = 1', { code: 'SQLITE_UNKNOWN', message: 'SQLite error: no such column: nosuch' }],
      ['SELECT * FROM missing', { code: 'SQLITE_UNKNOWN', message: 'SQLite error: no such table: missing' }],
    ];
    for (const [sql, error] of cases) expect(await errorOf(hostname, sql), sql).toEqual(error);
  });

  it('refuses ORDER BY and LIMIT on UPDATE and DELETE: sqld’s SQLite is built without them', async () => {
    const { hostname, full } = await database();
    await full.execute('CREATE TABLE t (x)');
    await full.execute('INSERT INTO t VALUES (1), (2)');
    expect(await errorOf(hostname, 'DELETE FROM t LIMIT 1')).toEqual({ code: 'SQLITE_UNKNOWN', message: 'SQLite error: syntax error near "LIMIT"' });
    expect(await errorOf(hostname, 'UPDATE t SET x = 0 ORDER BY x LIMIT 1')).toEqual({ code: 'SQLITE_UNKNOWN', message: 'SQLite error: syntax error near "ORDER BY"' });
    expect(await count(full, 't')).toBe(2);
    // In a subquery they stay allowed.
    await full.execute('DELETE FROM t WHERE x IN (SELECT x FROM t ORDER BY x LIMIT 1)');
    expect(await count(full, 't')).toBe(1);
  });
});

describe('statement kinds as query_analysis.rs gives them', () => {
  it('EXPLAIN and EXPLAIN QUERY PLAN are reads: a read-only token may run them', async () => {
    const { full, read } = await database();
    await full.execute('CREATE TABLE t (x)');
    expect((await read.execute('EXPLAIN QUERY PLAN SELECT * FROM t')).rows.length).toBeGreaterThan(0);
    expect((await read.execute('EXPLAIN INSERT INTO t VALUES (1)')).columns).toContain('opcode');
    // EXPLAIN PRAGMA keeps the pragma's kind.
    expect((await failure(read.execute('EXPLAIN PRAGMA integrity_check'))).status).toBe(403);
    expect(await count(full, 't')).toBe(0);
  });

  it('REINDEX is a write; DETACH and savepoints need read access only', async () => {
    const { full, read } = await database();
    await full.execute('CREATE TABLE t (x)');
    await full.execute('CREATE INDEX t_x ON t (x)');
    await expect(full.execute('REINDEX t_x')).resolves.toBeDefined();
    expect((await failure(read.execute('REINDEX'))).status).toBe(403);
    // DETACH reaches SQLite, which has nothing attached to detach.
    for (const client of [full, read]) {
      expect(await failure(client.execute('DETACH other'))).toMatchObject({ code: 'SQLITE_UNKNOWN', message: expect.stringContaining('no such database: other') });
    }
    await expect(read.batch(['SAVEPOINT s', 'SELECT count(*) FROM t', 'RELEASE s'], 'deferred')).resolves.toHaveLength(3);
  });

  it('ATTACH of a database by name needs the attach right no stand-in token has (403); ATTACH of a file is unsupported', async () => {
    const { hostname, full } = await database();
    const response = await pipeline(hostname, [execute('ATTACH other_db AS o')]);
    expect(response.status).toBe(403);
    expect(JSON.parse(response.text)).toEqual({ error: "Authorization forbidden: Current session doesn't not have AttachRead permission to namespace other_db" });
    expect((await failure(full.execute('ATTACH "quoted" AS q'))).status).toBe(403);
    expect((await failure(full.execute("ATTACH 'file.db' AS f"))).code).toBe('SQL_PARSE_ERROR');
  });

  it('names the missing Write right and the database ID in a read-only token’s 403', async () => {
    const { hostname, id } = await database();
    const response = await pipeline(hostname, [execute('CREATE TABLE t (x)')], file.readToken);
    expect(response.status).toBe(403);
    expect(JSON.parse(response.text)).toEqual({ error: `Authorization forbidden: Current session doesn't not have Write permission to namespace ${id}` });
  });

  it('reads PRAGMA schema_version and index_info; refuses a quoted pragma name, which sqld does not know', async () => {
    const { full, read } = await database();
    await full.execute('CREATE TABLE t (x)');
    await full.execute('CREATE INDEX t_x ON t (x)');
    expect((await read.execute('PRAGMA schema_version')).rows.length).toBe(1);
    expect((await read.execute('PRAGMA index_info(t_x)')).rows.length).toBe(1);
    expect((await failure(full.execute('PRAGMA schema_version = 5'))).code).toBe('SQL_PARSE_ERROR');
    expect((await failure(full.execute('PRAGMA "table_info"(t)'))).code).toBe('SQL_PARSE_ERROR');
  });

  it('refuses TEMP only where sqld looks for it, and writes to its reserved tables', async () => {
    const { full } = await database();
    await full.execute('CREATE TABLE t (x)');
    // sqld checks the TEMP keyword on CREATE TABLE and VIRTUAL TABLE, the TEMP flag on views and triggers.
    for (const sql of ['CREATE TABLE TEMP.a (x)', 'CREATE TABLE temp.a (x)', 'CREATE TEMP VIEW v AS SELECT 1', 'CREATE VIRTUAL TABLE temp.f USING fts5(body)']) {
      expect((await failure(full.execute(sql))).code, sql).toBe('SQL_PARSE_ERROR');
    }
    for (const sql of ['CREATE VIEW temp.v AS SELECT 1', 'CREATE TRIGGER temp.tr AFTER INSERT ON t BEGIN SELECT 1; END', 'CREATE TABLE "temp".q (x)']) {
      await expect(full.execute(sql), sql).resolves.toBeDefined();
    }
    await full.execute('CREATE TABLE _litestream_seq (id INTEGER)');
    for (const sql of ['INSERT INTO _litestream_seq VALUES (1)', 'UPDATE main._litestream_seq SET id = 2', 'DELETE FROM _LITESTREAM_SEQ', 'DROP TABLE _litestream_seq']) {
      expect((await failure(full.execute(sql))).code, sql).toBe('SQL_PARSE_ERROR');
    }
    await expect(full.execute('SELECT * FROM _litestream_seq')).resolves.toBeDefined();
  });
});

describe('describe, which sqld only prepares', () => {
  it('describes what execute refuses, the first statement only, and reports SQLite’s errors with offsets', async () => {
    const { hostname } = await database();
    const { results } = await pipeline(hostname, [
      { type: 'describe', sql: 'VACUUM' },
      { type: 'describe', sql: 'SELECT ?1 AS a; SELECT 2' },
      { type: 'describe', sql: '-- nothing' },
      { type: 'describe', sql: 'SELECT * FRM t' },
      { type: 'describe', sql: 'SELECT (1' },
    ]);
    expect(results[0]).toMatchObject({ type: 'ok', response: { result: { is_readonly: false } } });
    expect(results[1]).toMatchObject({ type: 'ok', response: { result: { params: [{ name: '?1' }], cols: [{ name: 'a' }] } } });
    expect(results[2]).toMatchObject({ type: 'ok', response: { result: { params: [], cols: [], is_explain: false, is_readonly: true } } });
    expect(results[3]).toEqual({ type: 'error', error: { code: 'SQL_INPUT_ERROR', message: 'SQL input error: near "FRM": syntax error (at offset 9)' } });
    expect(results[4]).toEqual({ type: 'error', error: { code: 'SQLITE_UNKNOWN', message: 'SQLite error: incomplete input' } });
  });
});
