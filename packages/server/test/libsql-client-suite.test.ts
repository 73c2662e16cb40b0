import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient, LibsqlError, type Client, type Config, type InValue, type IntMode, type Value } from '@libsql/client';
import { startStandinProcess } from '@silo/turso-standin';
import { createClient as createTursoApi } from '@tursodatabase/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEndpoint } from './libsql-harness';

/**
 * What @libsql/client's own test suite (tursodatabase/libsql-client-ts, client.test.ts, run
 * with SERVER=sqld and an http:// URL) expects of a Hrana server, asked of both servers here
 * that speak Hrana over HTTP: the Turso stand-in (which must behave as sqld does) and silo
 * serve's libSQL endpoint. The behaviours are restated in this repository's words; nothing of
 * that suite is copied. Left out, as that suite leaves them out for sqld over HTTP: the client's
 * own URL and config parsing, in-memory and `file:` databases (busy timeout, raw error codes),
 * WebSocket network errors, the mocked migration-job wait, and the Hrana 3 test server's
 * "ROLLBACK stops the batch/transaction" cases (hasHrana3 is false for sqld; skipped below).
 * Added beside it: migrate(), a read-only token's reads, and the error codes sqld gives.
 * The embedded-replica case runs against the stand-in only: silo serve has no sync protocol.
 */

/** A database on one of the servers: its http:// URL and a token of each access. */
interface Database {
  readonly url: string;
  readonly fullToken: string;
  readonly readToken: string;
}

interface HranaServer {
  /** A new, empty (of the suite's tables) database. */
  database(): Promise<Database>;
  close(): Promise<void>;
}

/** The stand-in, with its Platform API making databases and group tokens. */
async function startStandinServer(): Promise<HranaServer> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'silo-client-suite-turso-'));
  // In a child process: an embedded replica's sync blocks this one's event loop.
  const standin = await startStandinProcess({ dataDir, notReadyMs: 0 });
  const api = createTursoApi(standin.apiClientConfig);
  const fullToken = (await api.groups.createToken('default')).jwt;
  const readToken = (await api.groups.createToken('default', { authorization: 'read-only' })).jwt;
  let count = 0;
  return {
    database: async () => {
      const { hostname } = await api.databases.create(`suite-${++count}`, { group: 'default' });
      return { url: `http://${hostname}`, fullToken, readToken };
    },
    close: async () => {
      await standin.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** silo serve's endpoint, an instance of the fleet per database. */
async function startSiloServer(): Promise<HranaServer> {
  const endpoint = await startEndpoint({ transactionTimeoutMs: 5_000 });
  let count = 0;
  return {
    database: async () => {
      const name = `suite-${++count}`;
      await endpoint.fleet.create(name, { jurisdiction: 'eu' });
      return { url: `${endpoint.origin}/db/${name}/`, fullToken: await endpoint.token(name), readToken: await endpoint.token(name, { readOnly: true }) };
    },
    close: () => endpoint.close(),
  };
}

/** How a call failed (it must fail, with a LibsqlError). */
async function rejection(promise: Promise<unknown>): Promise<LibsqlError & { statementIndex?: number }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error === undefined) throw new Error('expected the call to fail');
  expect(error).toBeInstanceOf(LibsqlError);
  return error as LibsqlError & { statementIndex?: number };
}

/**
 * The servers, and whether each serves the sync protocol of embedded replicas, which the suite
 * asks of sqld: silo serve does not (its tenants' databases have no replication log).
 */
const SERVERS: [string, () => Promise<HranaServer>, { replicas: boolean }][] = [
  ['Turso stand-in', startStandinServer, { replicas: true }],
  ['silo serve', startSiloServer, { replicas: false }],
];

describe.each(SERVERS)('@libsql/client over HTTP against the %s', (_name, start, { replicas }) => {
  let server: HranaServer;
  /** One database for the tests that make no tables. */
  let shared: Database;
  const clients: Client[] = [];

  beforeAll(async () => {
    server = await start();
    shared = await server.database();
  });

  afterAll(async () => {
    for (const client of clients.splice(0)) client.close();
    await server.close();
  });

  function connect(db: Database, config: Partial<Config> = {}): Client {
    const client = createClient({ url: db.url, authToken: db.fullToken, ...config });
    clients.push(client);
    return client;
  }

  /** A client of a new database, for a test that makes tables. */
  async function fresh(config: Partial<Config> = {}): Promise<Client> {
    return connect(await server.database(), config);
  }

  async function scalar(client: Client, sql: string): Promise<Value | undefined> {
    return (await client.execute(sql)).rows[0]?.[0];
  }

  describe('execute()', () => {
    it('answers one value with one column, one column type and one row', async () => {
      const rs = await connect(shared).execute('SELECT 42');
      expect([rs.columns.length, rs.columnTypes.length, rs.rows.length, rs.rows[0]?.length]).toEqual([1, 1, 1, 1]);
      expect(rs.rows[0]?.[0]).toBe(42);
    });

    it('names the columns of a row, gives expressions no declared type, and reads the row by index and by name', async () => {
      const rs = await connect(shared).execute("SELECT 1 AS one, 'two' AS two, 0.5 AS three");
      expect(rs.columns).toEqual(['one', 'two', 'three']);
      expect(rs.columnTypes).toEqual(['', '', '']);
      const row = rs.rows[0];
      expect(row?.length).toBe(3);
      expect(Array.from(row ?? [])).toStrictEqual([1, 'two', 0.5]);
      // Only the names are the row's own enumerable keys, in column order.
      expect(Object.entries(row ?? {})).toStrictEqual([
        ['one', 1],
        ['two', 'two'],
        ['three', 0.5],
      ]);
    });

    it('answers several rows of a VALUES statement', async () => {
      const rs = await connect(shared).execute("VALUES (1, 'one'), (2, 'two'), (3, 'three')");
      expect([rs.columns.length, rs.columnTypes.length]).toEqual([2, 2]);
      expect(rs.rows.map((row) => Array.from(row))).toStrictEqual([
        [1, 'one'],
        [2, 'two'],
        [3, 'three'],
      ]);
    });

    it('rejects a failing statement with a LibsqlError', async () => {
      await rejection(connect(shared).execute('SELECT foobar'));
    });

    it('counts the rows an INSERT and a DELETE affected', async () => {
      const db = await fresh();
      await db.batch(['CREATE TABLE t (a)'], 'write');
      expect((await db.execute('INSERT INTO t VALUES (1), (2)')).rowsAffected).toBe(2);
      await db.execute('INSERT INTO t VALUES (3), (4), (5)');
      expect((await db.execute('DELETE FROM t WHERE a >= 3')).rowsAffected).toBe(3);
    });

    it('answers an INSERT with the rowid it gave, which finds the row again', async () => {
      const db = await fresh();
      await db.batch(['CREATE TABLE t (a)', "INSERT INTO t VALUES ('one'), ('two')"], 'write');
      const inserted = await db.execute("INSERT INTO t VALUES ('three')");
      expect(inserted.lastInsertRowid).toBeDefined();
      const found = await db.execute({ sql: 'SELECT a FROM t WHERE rowid = ?', args: [inserted.lastInsertRowid ?? null] });
      expect(Array.from(found.rows[0] ?? [])).toStrictEqual(['three']);
    });

    it('returns the rows of INSERT … RETURNING, with their names and no declared types', async () => {
      const db = await fresh();
      await db.execute('CREATE TABLE t (a)');
      const rs = await db.execute("INSERT INTO t VALUES (1) RETURNING 42 AS x, 'foo' AS y");
      expect(rs.columns).toEqual(['x', 'y']);
      expect(rs.columnTypes).toEqual(['', '']);
      expect(rs.rows.map((row) => Array.from(row))).toStrictEqual([[42, 'foo']]);
    });

    it('counts the rows of an INSERT under a WITH clause', async () => {
      const db = await fresh();
      await db.batch(['CREATE TABLE t (a)', 'INSERT INTO t VALUES (1), (2), (3)'], 'write');
      const rs = await db.execute('WITH x(a) AS (SELECT 2 * a FROM t) INSERT INTO t SELECT a + 1 FROM x');
      expect(rs.rowsAffected).toBe(3);
    });
  });

  describe('values', () => {
    /** `SELECT ?` of `sent` answers `expected` in that intMode (the client's default: number). */
    async function roundTrip(sent: InValue, intMode?: IntMode): Promise<Value | undefined> {
      const rs = await connect(shared, intMode === undefined ? {} : { intMode }).execute({ sql: 'SELECT ?', args: [sent] });
      return rs.rows[0]?.[0];
    }

    it.each([
      ['a plain string', 'boomerang'],
      ['control characters and spaces', 'a\n\r\t '],
      ['non-ASCII text', 'žluťoučký kůň úpěl ďábelské ódy'],
    ])('gives back %s unchanged', async (_what, text) => {
      expect(await roundTrip(text)).toBe(text);
    });

    const FLOATS: [string, number][] = [
      ['zero', 0],
      ['a negative integer', -2023],
      ['a fraction', 12.345],
      ['1e18', 1e18],
      ['-1e18', -1e18],
      ['Number.MAX_VALUE', Number.MAX_VALUE],
      ['-Number.MAX_VALUE', -Number.MAX_VALUE],
      ['Number.MIN_VALUE', Number.MIN_VALUE],
    ];
    describe.each(['number', 'bigint', 'string'] as const)('a JavaScript number, intMode %s', (intMode) => {
      it.each(FLOATS)('gives back %s as the same number', async (_what, value) => {
        expect(await roundTrip(value, intMode)).toStrictEqual(value);
      });
    });

    const BIGINTS: [bigint, number | undefined][] = [
      [0n, 0],
      [-42n, -42],
      [9007199254740991n, 9007199254740991],
      [1152921504608088318n, undefined],
      [-1152921504594532842n, undefined],
      [9223372036854775807n, undefined],
      [-9223372036854775808n, undefined],
    ];
    it.each(BIGINTS)('gives back the bigint %s exactly in intMode bigint and string, and as a number where it is safe', async (value, asNumber) => {
      expect(await roundTrip(value, 'bigint')).toBe(value);
      expect(await roundTrip(value, 'string')).toBe(value.toString());
      if (asNumber !== undefined) expect(await roundTrip(value, 'number')).toBe(asNumber);
    });

    it.each([9007199254740992n, -1152921504594532842n])('refuses to answer the integer %s as a number in intMode number (RangeError)', async (value) => {
      await expect(roundTrip(value, 'number')).rejects.toBeInstanceOf(RangeError);
    });

    it('gives back an ArrayBuffer and a Uint8Array as an ArrayBuffer of the same bytes', async () => {
      const bytes = Uint8Array.from({ length: 256 }, (_, i) => i ^ 0xab);
      expect(await roundTrip(bytes.buffer)).toStrictEqual(bytes.buffer);
      expect(await roundTrip(bytes)).toStrictEqual(bytes.buffer);
    });

    it('gives back null', async () => {
      expect(await roundTrip(null)).toBeNull();
    });

    it.each([
      [undefined, 1, 0],
      ['number', 1, 0],
      ['bigint', 1n, 0n],
      ['string', '1', '0'],
    ] as const)('gives back true and false as integers (intMode %s)', async (intMode, yes, no) => {
      expect(await roundTrip(true, intMode)).toBe(yes);
      expect(await roundTrip(false, intMode)).toBe(no);
    });

    it('sends a Date as its milliseconds since the epoch', async () => {
      expect(await roundTrip(new Date('2023-01-02T12:34:56Z'), 'bigint')).toBe(1672662896000);
    });

    it('refuses undefined (TypeError), NaN, Infinity and an integer past 64 bits (RangeError)', async () => {
      await expect(roundTrip(undefined as unknown as InValue)).rejects.toBeInstanceOf(TypeError);
      await expect(roundTrip(Number.NaN)).rejects.toBeInstanceOf(RangeError);
      await expect(roundTrip(Number.POSITIVE_INFINITY)).rejects.toBeInstanceOf(RangeError);
      await expect(roundTrip(-1267650600228229401496703205376n)).rejects.toBeInstanceOf(RangeError);
    });

    it('binds the largest and smallest 64-bit integers exactly (as SQLite prints them)', async () => {
      const db = connect(shared);
      for (const value of [9223372036854775807n, -9223372036854775808n]) {
        const rs = await db.execute({ sql: "SELECT ? || ''", args: [value] });
        expect(rs.rows[0]?.[0]).toBe(value.toString());
      }
    });
  });

  describe('ResultSet.toJSON()', () => {
    it('has columns, types, rows, rowsAffected and a null or "0" lastInsertRowid for a SELECT', async () => {
      const rs = await connect(shared).execute('SELECT 1 AS a');
      const json = rs.toJSON() as Record<string, unknown>;
      expect(json).toMatchObject({ columns: ['a'], columnTypes: [''], rows: [[1]], rowsAffected: 0 });
      expect([null, '0']).toContain(json['lastInsertRowid']);
      expect([
        '{"columns":["a"],"columnTypes":[""],"rows":[[1]],"rowsAffected":0,"lastInsertRowid":null}',
        '{"columns":["a"],"columnTypes":[""],"rows":[[1]],"rowsAffected":0,"lastInsertRowid":"0"}',
      ]).toContain(JSON.stringify(rs));
    });

    it('gives an INSERT\'s rowid as a string', async () => {
      const db = await fresh();
      await db.execute('CREATE TABLE t (id INTEGER PRIMARY KEY NOT NULL)');
      const rs = await db.execute('INSERT INTO t VALUES (12345)');
      expect(rs.toJSON()).toStrictEqual({ columns: [], columnTypes: [], rows: [], rowsAffected: 1, lastInsertRowid: '12345' });
    });

    it('writes computed values as JSON, a blob in base64', async () => {
      const rs = await connect(shared).execute(`SELECT 42 AS integer, 0.5 AS float, NULL AS "null", 'foo' AS text, X'626172' AS blob`);
      const json = rs.toJSON() as Record<string, unknown>;
      expect(json['columns']).toStrictEqual(['integer', 'float', 'null', 'text', 'blob']);
      expect(json['columnTypes']).toStrictEqual(['', '', '', '', '']);
      expect(json['rows']).toStrictEqual([[42, 0.5, null, 'foo', 'YmFy']]);
    });

    it('gives a table\'s columns their declared types', async () => {
      const db = await fresh();
      await db.execute('CREATE TABLE t (i INTEGER, f FLOAT, t TEXT, b BLOB)');
      await db.execute("INSERT INTO t VALUES (42, 0.5, 'foo', X'626172')");
      const json = (await db.execute('SELECT i, f, t, b FROM t LIMIT 1')).toJSON() as Record<string, unknown>;
      expect(json['columns']).toStrictEqual(['i', 'f', 't', 'b']);
      expect(json['columnTypes']).toStrictEqual(['INTEGER', 'FLOAT', 'TEXT', 'BLOB']);
      expect(json['rows']).toStrictEqual([[42, 0.5, 'foo', 'YmFy']]);
    });

    it('writes a bigint value as a string', async () => {
      const rs = await connect(shared, { intMode: 'bigint' }).execute('SELECT 42');
      expect((rs.toJSON() as Record<string, unknown>)['rows']).toStrictEqual([['42']]);
    });
  });

  describe('arguments', () => {
    async function values(sql: string, args: InValue[] | Record<string, InValue>): Promise<Value[]> {
      return Array.from((await connect(shared).execute({ sql, args })).rows[0] ?? []);
    }

    it('binds ? in order', async () => {
      expect(await values('SELECT ?, ?', ['one', 'two'])).toStrictEqual(['one', 'two']);
    });

    it('binds ?NNN by number, with holes, and a bare ? after ?NNN as the next number', async () => {
      expect(await values('SELECT ?2, ?3, ?1', ['one', 'two', 'three'])).toStrictEqual(['two', 'three', 'one']);
      expect(await values('SELECT ?3, ?1', ['one', 'two', 'three'])).toStrictEqual(['three', 'one']);
      expect(await values('SELECT ?2, ?, ?3', ['one', 'two', 'three'])).toStrictEqual(['two', 'three', 'three']);
    });

    it.each([':', '@', '$'])('binds %sname arguments, named with or without the prefix, as often as they are used, and ?NNN beside them', async (sign) => {
      const args = { a: 'one', [`${sign}b`]: 'two' };
      expect(await values(`SELECT ${sign}b, ${sign}a`, args)).toStrictEqual(['two', 'one']);
      expect(await values(`SELECT ${sign}b, ${sign}a, ${sign}b || ${sign}a`, args)).toStrictEqual(['two', 'one', 'twoone']);
      expect(await values(`SELECT ${sign}b, ${sign}a, ?1`, args)).toStrictEqual(['two', 'one', 'two']);
    });
  });

  describe('batch()', () => {
    it('answers each statement of a read batch with its own result set', async () => {
      const rss = await connect(shared).batch(['SELECT 1+1', 'SELECT 1 AS one, 2 AS two', { sql: 'SELECT ?', args: ['boomerang'] }, { sql: 'VALUES (?), (?)', args: ['big', 'ben'] }], 'read');
      expect(rss.map((rs) => rs.rows.map((row) => Array.from(row)))).toStrictEqual([[[2]], [[1, 2]], [['boomerang']], [['big'], ['ben']]]);
    });

    it('runs the statements in order, each seeing the ones before it', async () => {
      const db = await fresh();
      const rss = await db.batch(
        ['CREATE TABLE t (a, b)', "INSERT INTO t VALUES (1, 'one')", 'SELECT * FROM t ORDER BY a', "INSERT INTO t VALUES (2, 'two')", 'SELECT * FROM t ORDER BY a', 'DROP TABLE t'],
        'write',
      );
      expect(rss).toHaveLength(6);
      expect(rss[2]?.rows).toEqual([{ a: 1, b: 'one' }]);
      expect(rss[4]?.rows).toEqual([
        { a: 1, b: 'one' },
        { a: 2, b: 'two' },
      ]);
    });

    it('runs each write batch in a transaction of its own, even 100 of them at once', async () => {
      const db = await fresh();
      await db.batch(['CREATE TABLE t1 (a)', 'CREATE TABLE t2 (a)'], 'write');
      const n = 100;
      await Promise.all(
        Array.from({ length: n }, async (_, i) => {
          const rss = await db.batch(
            [{ sql: 'INSERT INTO t1 VALUES (?)', args: [i] }, { sql: 'INSERT INTO t2 VALUES (?)', args: [i * 10] }, 'SELECT SUM(a) FROM t1', 'SELECT SUM(a) FROM t2'],
            'write',
          );
          expect(rss[3]?.rows[0]?.[0]).toBe((rss[2]?.rows[0]?.[0] as number) * 10);
        }),
      );
      expect(await scalar(db, 'SELECT SUM(a) FROM t1')).toBe((n * (n - 1)) / 2);
      expect(await scalar(db, 'SELECT SUM(a) FROM t2')).toBe(((n * (n - 1)) / 2) * 10);
    });

    it('fails as a whole when a statement fails, and a write batch leaves nothing behind', async () => {
      const db = await fresh();
      await rejection(db.batch(['SELECT 1+1', 'SELECT foobar'], 'read'));
      await db.execute('CREATE TABLE t (a)');
      await db.execute("INSERT INTO t VALUES ('one')");
      await rejection(db.batch(["INSERT INTO t VALUES ('two')", 'SELECT foobar', "INSERT INTO t VALUES ('three')"], 'write'));
      expect(await scalar(db, 'SELECT COUNT(*) FROM t')).toBe(1);
    });

    it.each([0, 1, 2])('names the failing statement (index %i) in a LibsqlBatchError with a code', async (index) => {
      const statements = ['SELECT 1', 'SELECT 2', 'SELECT 3'];
      statements[index] = 'SELECT invalid_column';
      const error = await rejection(connect(shared).batch(statements, 'read'));
      expect(error.name).toBe('LibsqlBatchError');
      expect(error.statementIndex).toBe(index);
      expect(error.code).toEqual(expect.any(String));
    });

    it('names the statement a constraint stopped in a write batch, and rolls the batch back', async () => {
      const db = await fresh();
      await db.execute('CREATE TABLE t (a UNIQUE)');
      await db.execute('INSERT INTO t VALUES (1)');
      const error = await rejection(db.batch(['INSERT INTO t VALUES (2)', 'INSERT INTO t VALUES (3)', 'INSERT INTO t VALUES (1)', 'INSERT INTO t VALUES (4)'], 'write'));
      expect(error.name).toBe('LibsqlBatchError');
      expect(error.statementIndex).toBe(2);
      expect(error.code).toBe('SQLITE_CONSTRAINT');
      expect(await scalar(db, 'SELECT COUNT(*) FROM t')).toBe(1);
    });

    it('runs a batch of 1000 different statements', async () => {
      const rss = await connect(shared).batch(
        Array.from({ length: 1000 }, (_, i) => `SELECT ${i}`),
        'read',
      );
      expect(rss.map((rs) => rs.rows[0]?.[0])).toStrictEqual(Array.from({ length: 1000 }, (_, i) => i));
    });

    it('runs a batch of 4000 statements from 200 texts, each with its arguments', async () => {
      const statements = Array.from({ length: 20 }, (_, i) => Array.from({ length: 200 }, (_, j) => ({ sql: `SELECT ?, ${j}`, args: [i] }))).flat();
      const rss = await connect(shared).batch(statements, 'read');
      expect(rss.map((rs) => Array.from(rs.rows[0] ?? []))).toStrictEqual(statements.map(({ args, sql }) => [args[0], Number(sql.split(', ')[1])]));
    });

    it('runs a deferred batch that reads, then writes', async () => {
      const db = await fresh();
      const rss = await db.batch(['SELECT 1+1', 'DROP TABLE IF EXISTS t', 'CREATE TABLE t (a)', 'INSERT INTO t VALUES (21) RETURNING 2*a'], 'deferred');
      expect(rss).toHaveLength(4);
      expect(rss[0]?.rows.map((row) => Array.from(row))).toStrictEqual([[2]]);
      expect(rss[3]?.rows.map((row) => Array.from(row))).toStrictEqual([[42]]);
    });

    // The suite runs this and the ROLLBACK / OR ROLLBACK cases of transaction() only against
    // its Hrana 3 test server (hasHrana3 leaves sqld out): over HTTP the client speaks Hrana 2
    // (hrana.openHttp's default version), with no `is_autocommit` condition, so it cannot see
    // that a statement ended the transaction. Kept here, skipped as there.
    it.skip('stops at a ROLLBACK statement: what follows is not run, nothing is kept, and the batch fails as TRANSACTION_CLOSED', async () => {
      const db = await fresh();
      await db.execute('CREATE TABLE t (a)');
      const error = await rejection(db.batch(['INSERT INTO t VALUES (1), (2), (3)', 'ROLLBACK', 'INSERT INTO t VALUES (4), (5)'], 'write'));
      expect(error.code).toBe('TRANSACTION_CLOSED');
      expect(await scalar(db, 'SELECT COUNT(*) FROM t')).toBe(0);
    });
  });

  describe('transaction()', () => {
    it('reads rows in a read transaction', async () => {
      const txn = await connect(shared).transaction('read');
      const rs = await txn.execute("VALUES (1, 'one'), (2, 'two'), (3, 'three')");
      expect([rs.columns.length, rs.columnTypes.length]).toEqual([2, 2]);
      expect(rs.rows.map((row) => Array.from(row))).toStrictEqual([
        [1, 'one'],
        [2, 'two'],
        [3, 'three'],
      ]);
      txn.close();
    });

    it.each(['commit', 'rollback', 'close'] as const)('ends with %s(): closed, its writes kept only on commit, and no statement after it', async (end) => {
      const db = await fresh();
      await db.batch(['CREATE TABLE t (a)'], 'write');
      const txn = await db.transaction('write');
      await txn.execute("INSERT INTO t VALUES ('one')");
      await txn.execute("INSERT INTO t VALUES ('two')");
      expect(txn.closed).toBe(false);
      if (end === 'close') txn.close();
      else await txn[end]();
      expect(txn.closed).toBe(true);
      expect(await scalar(db, 'SELECT COUNT(*) FROM t')).toBe(end === 'commit' ? 2 : 0);
      expect((await rejection(txn.execute('SELECT 1'))).code).toBe('TRANSACTION_CLOSED');
    });

    it('goes on after a failing statement, which rolls nothing back', async () => {
      const db = await fresh();
      await db.batch(['CREATE TABLE t (a)'], 'write');
      const txn = await db.transaction('write');
      await rejection(txn.execute('SELECT foo'));
      await txn.execute("INSERT INTO t VALUES ('one')");
      await rejection(txn.execute('SELECT bar'));
      await txn.commit();
      expect(await scalar(db, 'SELECT COUNT(*) FROM t')).toBe(1);
    });

    // Skipped as the suite skips them for sqld: see batch()'s ROLLBACK case.
    it.skip('ends at a ROLLBACK statement: later statements fail as TRANSACTION_CLOSED and commit() fails', async () => {
      const db = await fresh();
      await db.execute('CREATE TABLE t (a)');
      const txn = await db.transaction('write');
      // Sent together, as an app that does not await each one would.
      const sent = [txn.execute('INSERT INTO t VALUES (1), (2), (3)'), txn.execute('ROLLBACK'), txn.execute('INSERT INTO t VALUES (4), (5)')];
      await sent[0];
      await sent[1];
      expect((await rejection(sent[2] as Promise<unknown>)).code).toBe('TRANSACTION_CLOSED');
      await rejection(txn.commit());
      txn.close();
      expect(await scalar(db, 'SELECT COUNT(*) FROM t')).toBe(0);
    });

    it.skip.each([
      ['a later statement', 1, 0],
      ['its first statement', 0, 3],
    ])('ends when an INSERT OR ROLLBACK fails as %s, keeping only what was there before it', async (_what, before, left) => {
      const db = await fresh();
      await db.execute('CREATE TABLE t (a UNIQUE)');
      if (before === 0) await db.execute('INSERT INTO t VALUES (1), (2), (3)');
      const txn = await db.transaction('write');
      const sent = [
        ...(before === 1 ? [txn.execute('INSERT INTO t VALUES (1), (2), (3)')] : []),
        txn.execute('INSERT OR ROLLBACK INTO t VALUES (1)'),
        txn.execute('INSERT INTO t VALUES (4), (5)'),
      ];
      if (before === 1) await sent[0];
      await rejection(sent[before] as Promise<unknown>);
      expect((await rejection(sent[before + 1] as Promise<unknown>)).code).toBe('TRANSACTION_CLOSED');
      await rejection(txn.commit());
      txn.close();
      expect(await scalar(db, 'SELECT COUNT(*) FROM t')).toBe(left);
    });

    it('starts and commits after a batch and a transaction of the same client failed', async () => {
      const db = await fresh();
      await db.execute('CREATE TABLE t (a UNIQUE)');
      await rejection(db.batch(['INSERT INTO t VALUES (1)', 'INSERT INTO t VALUES (1)'], 'write'));
      const failed = await db.transaction('write');
      await rejection(failed.execute('INSERT INTO nowhere VALUES (1)'));
      await failed.rollback();
      const txn = await db.transaction('write');
      await txn.execute('INSERT INTO t VALUES (1)');
      await txn.commit();
      expect(await scalar(db, 'SELECT COUNT(*) FROM t')).toBe(1);
    });

    it('commits and rolls back a transaction that ran nothing', async () => {
      await (await connect(shared).transaction('read')).commit();
      await (await connect(shared).transaction('read')).rollback();
    });

    it('runs a batch as its first and as a later operation', async () => {
      const db = await fresh();
      const inserts = [1, 2, 4].map((a) => ({ sql: 'INSERT INTO t VALUES (?)', args: [a] }));
      const first = await db.transaction('write');
      await first.batch(['DROP TABLE IF EXISTS t', 'CREATE TABLE t (a)', ...inserts]);
      expect(await scalar(first as unknown as Client, 'SELECT SUM(a) FROM t')).toBe(7);
      first.close();
      const later = await db.transaction('write');
      await later.execute('DROP TABLE IF EXISTS t');
      await later.batch(['CREATE TABLE t (a)', ...inserts]);
      expect(await scalar(later as unknown as Client, 'SELECT SUM(a) FROM t')).toBe(7);
      later.close();
    });

    it('stops a batch at its failing statement, names it, and keeps what ran before it', async () => {
      const db = await fresh();
      const txn = await db.transaction('write');
      const error = await rejection(txn.batch(['DROP TABLE IF EXISTS t', 'CREATE TABLE t (a UNIQUE)', 'INSERT INTO t VALUES (1), (2), (4)', 'INSERT INTO t VALUES (1)', 'INSERT INTO t VALUES (8), (16)']));
      expect(error.name).toBe('LibsqlBatchError');
      expect(error.statementIndex).toBe(3);
      expect(error.code).toEqual(expect.any(String));
      expect(await scalar(txn as unknown as Client, 'SELECT SUM(a) FROM t')).toBe(7);
      await txn.commit();
      expect(await scalar(db, 'SELECT SUM(a) FROM t')).toBe(7);
    });

    it.each([0, 2])('names the failing statement (index %i) of a batch in a read transaction', async (index) => {
      const statements = ['SELECT 1', 'SELECT 2', 'SELECT 3', 'SELECT 4'];
      statements[index] = 'SELECT invalid_column';
      const txn = await connect(shared).transaction('read');
      const error = await rejection(txn.batch(statements));
      expect(error.name).toBe('LibsqlBatchError');
      expect(error.statementIndex).toBe(index);
      expect(error.code).toEqual(expect.any(String));
      txn.close();
    });

    it('runs executeMultiple() as its first and as a later operation', async () => {
      const db = await fresh();
      const first = await db.transaction('write');
      await first.executeMultiple('DROP TABLE IF EXISTS t; CREATE TABLE t (a); INSERT INTO t VALUES (1), (2), (4), (8);');
      expect(await scalar(first as unknown as Client, 'SELECT SUM(a) FROM t')).toBe(15);
      first.close();
      const later = await db.transaction('write');
      await later.execute('DROP TABLE IF EXISTS t');
      await later.executeMultiple('CREATE TABLE t (a); INSERT INTO t VALUES (1), (2), (4), (8);');
      expect(await scalar(later as unknown as Client, 'SELECT SUM(a) FROM t')).toBe(15);
      later.close();
    });

    it('stops executeMultiple() at its failing statement and keeps what ran before it', async () => {
      const db = await fresh();
      const txn = await db.transaction('write');
      await rejection(txn.executeMultiple('CREATE TABLE t (a UNIQUE); INSERT INTO t VALUES (1), (2), (4); INSERT INTO t VALUES (1); INSERT INTO t VALUES (8), (16);'));
      expect(await scalar(txn as unknown as Client, 'SELECT SUM(a) FROM t')).toBe(7);
      await txn.commit();
      expect(await scalar(db, 'SELECT SUM(a) FROM t')).toBe(7);
    });
  });

  describe('executeMultiple()', () => {
    it('runs several statements', async () => {
      const db = await fresh();
      await db.executeMultiple('CREATE TABLE t (a); INSERT INTO t VALUES (1), (2), (4), (8);');
      expect(await scalar(db, 'SELECT SUM(a) FROM t')).toBe(15);
    });

    it('runs none after a failing one (and undoes none before it)', async () => {
      const db = await fresh();
      await rejection(db.executeMultiple('CREATE TABLE t (a); INSERT INTO t VALUES (1), (2), (4); INSERT INTO t VALUES (foo()); INSERT INTO t VALUES (8), (16);'));
      expect(await scalar(db, 'SELECT SUM(a) FROM t')).toBe(7);
    });

    it('takes BEGIN and COMMIT of its own', async () => {
      const db = await fresh();
      await db.executeMultiple('CREATE TABLE t (a); BEGIN; INSERT INTO t VALUES (1), (2), (4); INSERT INTO t VALUES (8), (16); COMMIT;');
      expect(await scalar(db, 'SELECT SUM(a) FROM t')).toBe(31);
    });

    it('rolls back its own transaction when a statement in it fails', async () => {
      const db = await fresh();
      await rejection(db.executeMultiple('CREATE TABLE t (a); INSERT INTO t VALUES (0); BEGIN; INSERT INTO t VALUES (1), (2), (4); INSERT INTO t VALUES (foo()); INSERT INTO t VALUES (8), (16); COMMIT;'));
      expect(await scalar(db, 'SELECT SUM(a) FROM t')).toBe(0);
    });
  });

  it('sends its requests through a custom fetch', async () => {
    let calls = 0;
    const db = connect(shared, {
      fetch: (request: Request) => {
        calls++;
        return fetch(request);
      },
    });
    expect(await scalar(db, 'SELECT 42')).toBe(42);
    expect(calls).toBeGreaterThan(0);
  });

  describe('migrate()', () => {
    it('runs the statements in one batch with foreign keys off, then turns them on again', async () => {
      const db = await fresh();
      await db.execute('CREATE TABLE parent (id INTEGER PRIMARY KEY)');
      const rss = await db.migrate(['CREATE TABLE child (parent INTEGER REFERENCES parent (id))', 'INSERT INTO child VALUES (7)', 'SELECT count(*) FROM child']);
      expect(rss).toHaveLength(3);
      expect(rss[1]?.rowsAffected).toBe(1);
      expect(rss[2]?.rows[0]?.[0]).toBe(1);
      // Every stream starts with foreign keys on, as sqld's connections do.
      expect(await scalar(db, 'PRAGMA foreign_keys')).toBe(1);
      expect((await rejection(db.execute('INSERT INTO child VALUES (8)'))).code).toBe('SQLITE_CONSTRAINT');
    });

    it('rolls all of it back when a statement fails', async () => {
      const db = await fresh();
      const error = await rejection(db.migrate(['CREATE TABLE t (a UNIQUE)', 'INSERT INTO t VALUES (1)', 'INSERT INTO t VALUES (1)']));
      expect(error.code).toBe('SQLITE_CONSTRAINT');
      expect(await scalar(db, "SELECT count(*) FROM sqlite_schema WHERE name = 't'")).toBe(0);
    });
  });

  describe('a read-only token', () => {
    it('reads, in every way the client reads, and is refused every write', async () => {
      const database = await server.database();
      await connect(database).batch(['CREATE TABLE t (a)', 'INSERT INTO t VALUES (1), (2)'], 'write');
      const reader = connect(database, { authToken: database.readToken });
      expect(await scalar(reader, 'SELECT SUM(a) FROM t')).toBe(3);
      expect((await reader.batch(['SELECT count(*) FROM t', 'SELECT max(a) FROM t'], 'read')).map((rs) => rs.rows[0]?.[0])).toEqual([2, 2]);
      const txn = await reader.transaction('read');
      expect(await scalar(txn as unknown as Client, 'SELECT min(a) FROM t')).toBe(1);
      await txn.commit();
      await rejection(reader.execute('INSERT INTO t VALUES (3)'));
      await rejection(reader.batch(['INSERT INTO t VALUES (3)'], 'write'));
      expect(await scalar(reader, 'SELECT count(*) FROM t')).toBe(2);
    });
  });

  describe('SQLite error codes', () => {
    // sqld names a SQLite failure by rusqlite's ErrorCode of its primary code (hrana/stmt.rs
    // `sqlite_error_code`); SQLITE_ERROR itself has none there (libsql-ffi `Error::new` maps
    // it to ErrorCode::Unknown), so a failure SQLite records no offset for is SQLITE_UNKNOWN.
    it.each([
      ['SELECT * FROM missing', 'SQLITE_UNKNOWN', 'SQLite error: no such table: missing'],
      ['DELETE FROM notes_missing LIMIT 1', 'SQLITE_UNKNOWN', 'SQLite error: syntax error near "LIMIT"'],
    ])('reports %s with code %s', async (sql, code, message) => {
      const error = await rejection(connect(shared).execute(sql));
      expect(error.code).toBe(code);
      expect(error.message).toContain(message);
    });

    it('reports a failure with an offset as SQL_INPUT_ERROR, with a code the client gives no raw number for', async () => {
      const error = await rejection(connect(shared).execute('SELECT nosuch'));
      expect(error.code).toBe('SQL_INPUT_ERROR');
      expect(error.rawCode).toBeUndefined();
    });
  });

  // silo serve serves no sync protocol: an embedded replica cannot sync from it (see SERVERS).
  it.skipIf(!replicas)('lets an embedded replica sync what the database has, only when it syncs', async () => {
    const database = await server.database();
    const remote = connect(database);
    const folder = mkdtempSync(path.join(tmpdir(), 'silo-client-suite-replica-'));
    try {
      const embedded = connect(database, { url: `file:${path.join(folder, 'local.db')}`, syncUrl: database.url.replace(/\/+$/, '') });
      await remote.execute('CREATE TABLE embedded (a)');
      await embedded.sync();
      const synced = await embedded.execute('SELECT * FROM embedded');
      expect([synced.columns, synced.rows.length]).toEqual([['a'], 0]);
      await remote.execute('INSERT INTO embedded VALUES (1), (2), (3)');
      expect((await embedded.execute('SELECT * FROM embedded')).rows).toHaveLength(0);
      expect((await remote.execute('SELECT * FROM embedded')).rows).toHaveLength(3);
      await embedded.sync();
      const again = await embedded.execute('SELECT * FROM embedded');
      expect([again.columns, again.rows.length]).toEqual([['a'], 3]);
      embedded.close();
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  describe('constraint error codes', () => {
    it.each([
      ['PRIMARY KEY', 'CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)', "INSERT INTO t VALUES (1, 'first')", "INSERT INTO t VALUES (1, 'again')", 'SQLITE_CONSTRAINT_PRIMARYKEY'],
      ['UNIQUE', 'CREATE TABLE t (id INTEGER, name TEXT UNIQUE)', "INSERT INTO t VALUES (1, 'name')", "INSERT INTO t VALUES (2, 'name')", 'SQLITE_CONSTRAINT_UNIQUE'],
    ])('reports a %s violation with the primary code SQLITE_CONSTRAINT', async (_what, create, first, again, extended) => {
      const db = await fresh();
      await db.execute(create);
      await db.execute(first);
      const error = await rejection(db.execute(again));
      expect(error.code).toBe('SQLITE_CONSTRAINT');
      // Over HTTP the client has no extended code to give; were it given one, it would be this.
      if (error.extendedCode !== undefined) expect(error.extendedCode).toBe(extended);
    });
  });
});
