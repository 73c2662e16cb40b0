import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionPool, pooledConnection } from '../src/libsql/connection-pool';
import { openStreamConnection } from '../src/libsql/stream-connection';
import { startEndpoint, type Endpoint } from './libsql-harness';

interface Result {
  type: 'ok' | 'error';
  response?: { type: string; result?: { rows?: { type: string; value?: string }[][] }; is_autocommit?: boolean };
  error?: { message: string; code: string };
}

/**
 * A stream's connection goes on to the next stream of its instance (connection-pool.ts), which
 * must find it as a fresh one, as on sqld, which opens one per stream (connection-state.ts).
 *
 * Each case runs one stream that changes something, then one that looks. The second gets the
 * first one's connection: there is one host process (`hostProcesses: 1`), the streams run one
 * after the other, each instance is the case's own, and the pool hands out the connection
 * handed back last (the first stream's), unless it was closed.
 */
describe('libSQL endpoint: the next stream finds its pooled connection as a fresh one', () => {
  let endpoint: Endpoint;

  beforeAll(async () => {
    endpoint = await startEndpoint({ hostProcesses: 1 });
  });
  afterAll(() => endpoint?.close());

  /** A fresh instance with a parent and a child table, and a token for it. */
  async function instance(name: string, options: { readOnly?: boolean } = {}): Promise<{ stream: (requests: unknown[]) => Promise<Result[]> }> {
    await endpoint.fleet.create(name, { jurisdiction: 'eu' });
    for (const sql of ['CREATE TABLE parent (id INTEGER PRIMARY KEY)', 'CREATE TABLE child (parent INTEGER REFERENCES parent (id))']) {
      await endpoint.fleet.query(name, sql, undefined, { readOnly: false });
    }
    const token = await endpoint.token(name, options);
    /** One stream: the requests, then close, in one HTTP request. */
    const stream = async (requests: unknown[]): Promise<Result[]> => {
      const response = await fetch(`${endpoint.origin}/db/${name}/v3/pipeline`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ baton: null, requests: [...requests, { type: 'close' }] }),
      });
      expect(response.status).toBe(200);
      return ((await response.json()) as { results: Result[] }).results;
    };
    return { stream };
  }

  const execute = (sql: string) => ({ type: 'execute', stmt: { sql } });
  const describeSql = (sql: string) => ({ type: 'describe', sql });
  /** The first column of the first row. */
  const value = (result: Result | undefined): string | undefined => result?.response?.result?.rows?.[0]?.[0]?.value;
  const errorCode = (result: Result | undefined): string | undefined => result?.error?.code;
  const ORPHAN = 'INSERT INTO child (parent) VALUES (404)';

  it('rolls back a transaction or savepoint a stream left open: the next stream is in autocommit and sees none of it', async () => {
    const { stream } = await instance('open-transaction');
    for (const begin of ['BEGIN', 'SAVEPOINT left_open']) {
      const first = await stream([execute(begin), execute('INSERT INTO parent (id) VALUES (1)')]);
      expect(first.slice(0, 2).map((result) => result.type)).toEqual(['ok', 'ok']);
      const next = await stream([{ type: 'get_autocommit' }, execute('SELECT count(*) FROM parent')]);
      expect(next[0]?.response?.is_autocommit).toBe(true);
      expect(value(next[1])).toBe('0');
    }
    // Nor does the write lock outlive the stream.
    const write = await stream([execute('INSERT INTO parent (id) VALUES (2)')]);
    expect(write[0]?.type).toBe('ok');
  });

  it('sets foreign_keys back on after a stream turned it off', async () => {
    const { stream } = await instance('foreign-keys');
    expect((await stream([execute('PRAGMA foreign_keys = OFF'), execute('PRAGMA foreign_keys')])).map(value)).toEqual([undefined, '0', undefined]);
    const next = await stream([execute('PRAGMA foreign_keys'), execute(ORPHAN)]);
    expect(value(next[0])).toBe('1');
    expect(errorCode(next[1])).toBe('SQLITE_CONSTRAINT');
  });

  it('leaves no statement compiled while a describe had turned foreign_keys off', async () => {
    // SQLite acts on a flag pragma while preparing it; statements prepared meanwhile (here by a
    // describe, and kept for the connection's later streams) have no foreign key checks.
    const { stream } = await instance('describe-flag');
    const first = await stream([describeSql('PRAGMA foreign_keys = OFF'), describeSql(ORPHAN), describeSql('PRAGMA foreign_keys = ON')]);
    expect(first.map((result) => result.type)).toEqual(['ok', 'ok', 'ok', 'ok']);
    const next = await stream([execute('PRAGMA foreign_keys'), execute(ORPHAN)]);
    expect(value(next[0])).toBe('1');
    expect(errorCode(next[1])).toBe('SQLITE_CONSTRAINT');
  });

  it('leaves no temporary table, view or trigger to the next stream, nor the temp schema open', async () => {
    const { stream } = await instance('temp-objects');
    const first = await stream([
      execute('CREATE TABLE "temp".scratch (x)'),
      execute('INSERT INTO "temp".scratch VALUES (1)'),
      execute('CREATE VIEW temp.answer AS SELECT 42 AS n'),
      execute('CREATE TRIGGER temp.spy AFTER INSERT ON main.parent BEGIN INSERT INTO "temp".scratch VALUES (new.id); END'),
    ]);
    expect(first.map((result) => result.type)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    const next = await stream([execute('SELECT x FROM "temp".scratch'), execute('SELECT n FROM temp.answer'), execute('INSERT INTO parent (id) VALUES (1)'), execute('PRAGMA database_list')]);
    expect(next[0]?.error?.message).toMatch(/no such table: temp.scratch/);
    expect(next[1]?.error?.message).toMatch(/no such table: temp.answer/);
    expect(next[2]?.type).toBe('ok');
    expect(next[3]?.response?.result?.rows?.map((row) => row[1]?.value)).toEqual(['main']);
  });

  it('does not hand on a connection whose temp schema a stream merely opened (by reading sqlite_temp_schema)', async () => {
    const { stream } = await instance('temp-opened');
    expect(value((await stream([execute('SELECT count(*) FROM sqlite_temp_schema')]))[0])).toBe('0');
    // A fresh connection lists main alone; one whose temp schema is open lists temp too.
    const next = await stream([execute('PRAGMA database_list')]);
    expect(next[0]?.response?.result?.rows?.map((row) => row[1]?.value)).toEqual(['main']);
  });

  it('lets no statement set any other connection setting, nor attach a database (what connection-state.ts relies on)', async () => {
    const { stream } = await instance('settings-refused');
    // Every pragma that sets something per connection, foreign_keys and defer_foreign_keys aside.
    const settings = [
      'analysis_limit = 1',
      'automatic_index = OFF',
      'busy_timeout = 1000',
      'cache_size = 10',
      'cache_spill = OFF',
      'case_sensitive_like = ON',
      'cell_size_check = ON',
      'checkpoint_fullfsync = ON',
      'count_changes = ON',
      'empty_result_callbacks = ON',
      'full_column_names = ON',
      'fullfsync = ON',
      'hard_heap_limit = 1000000',
      'ignore_check_constraints = ON',
      'journal_mode = DELETE',
      'journal_size_limit = 1',
      'legacy_alter_table = ON',
      'locking_mode = EXCLUSIVE',
      'main.max_page_count = 1',
      'mmap_size = 4096',
      'query_only = ON',
      'read_uncommitted = ON',
      'recursive_triggers = ON',
      'reverse_unordered_selects = ON',
      'secure_delete = ON',
      'short_column_names = OFF',
      'soft_heap_limit = 1000000',
      'synchronous = OFF',
      'temp_store = MEMORY',
      'threads = 2',
      'trusted_schema = OFF',
      'wal_autocheckpoint = 1',
      'writable_schema = ON',
      'recursive_triggers(1)',
    ];
    const results = await stream(settings.flatMap((setting) => [execute(`PRAGMA ${setting}`), describeSql(`PRAGMA ${setting}`)]));
    expect(results.slice(0, -1).map(errorCode)).toEqual(settings.flatMap(() => ['SQL_PARSE_ERROR', 'SQL_PARSE_ERROR']));
    const response = await fetch(`${endpoint.origin}/db/settings-refused/v3/pipeline`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await endpoint.token('settings-refused')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ baton: null, requests: [execute('ATTACH acme AS other'), { type: 'close' }] }),
    });
    expect(response.status).toBe(403);
  });

  it('gives a stream that reads last_insert_rowid(), changes() or total_changes() first the zeros of a new connection, as sqld does', async () => {
    const { stream } = await instance('counters');
    const COUNTERS = 'SELECT last_insert_rowid(), changes(), total_changes()';
    const wrote = await stream([execute('INSERT INTO parent (id) VALUES (7)'), execute(COUNTERS)]);
    expect(wrote[1]?.response?.result?.rows?.[0]?.map((cell) => cell.value)).toEqual(['7', '1', '1']);
    const next = await stream([execute(COUNTERS)]);
    expect(next[0]?.response?.result?.rows?.[0]?.map((cell) => cell.value)).toEqual(['0', '0', '0']);
    // A stream that writes first reads its own write's figures.
    const own = await stream([execute('INSERT INTO parent (id) VALUES (8)'), execute('SELECT last_insert_rowid(), changes()')]);
    expect(own[1]?.response?.result?.rows?.[0]?.map((cell) => cell.value)).toEqual(['8', '1']);
  });

  it('keeps a read-only token’s connection read-only and with foreign_keys on, stream after stream', async () => {
    const { stream } = await instance('read-only', { readOnly: true });
    const probe = [execute('SELECT * FROM pragma_query_only'), execute('SELECT * FROM pragma_foreign_keys')];
    expect((await stream([...probe, describeSql('PRAGMA foreign_keys = OFF')])).slice(0, 2).map(value)).toEqual(['1', '1']);
    expect((await stream(probe)).slice(0, 2).map(value)).toEqual(['1', '1']);
  });
});

/** The pool itself: a connection its stream changed nothing on goes to the next stream as it is. */
describe('libSQL connection pool', () => {
  let dir: string;
  let file: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'silo-libsql-pool-'));
    file = path.join(dir, 'instance.db');
    const db = new Database(file);
    db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)');
    db.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs `use` as one stream on a connection from the pool; answers the raw connection it got. */
  function streamOn(pool: ConnectionPool, use: (conn: Database.Database) => void): Database.Database {
    const raw = pool.take('instance', () => openStreamConnection(file, false, undefined));
    const conn = pooledConnection(raw, () => pool.give('instance', raw));
    use(conn);
    conn.close();
    return raw;
  }

  it('hands on the same connection after reads and writes, after a reset, and a new one after a temp table', () => {
    const pool = new ConnectionPool(4, 60_000);
    const first = streamOn(pool, (conn) => conn.prepare("INSERT INTO notes (body) VALUES ('x')").run());
    expect(streamOn(pool, (conn) => conn.prepare('SELECT temperature FROM (SELECT 1 AS temperature)').get())).toBe(first);
    expect(streamOn(pool, (conn) => conn.prepare('PRAGMA foreign_keys = OFF').run())).toBe(first);
    expect(first.pragma('foreign_keys', { simple: true })).toBe(1n);
    expect(streamOn(pool, (conn) => conn.prepare('BEGIN').run())).toBe(first);
    expect(first.inTransaction).toBe(false);
    expect(streamOn(pool, (conn) => conn.prepare('CREATE TABLE "temp".t (x)').run())).toBe(first);
    expect(first.open).toBe(false);
    expect(streamOn(pool, () => undefined)).not.toBe(first);
  });
});
