import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LibsqlError, type Client } from '@libsql/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEndpoint, type Endpoint } from './libsql-harness';

/**
 * A Turso user's smoke test of the endpoint: the data-plane checks of the engine contract
 * (packages/fleet/test/engine-contract.test.ts: "connections", "isolated queries", tenants kept
 * apart), asked through stock @libsql/client as if the endpoint were a Turso database. The
 * contract itself drives an Engine (create, import, migrate…), which a Hrana endpoint is not,
 * so its data-plane cases are restated here with the client.
 */
describe('libSQL endpoint as a Turso database (engine contract, data plane)', () => {
  let endpoint: Endpoint;
  let db: Client;
  let reader: Client;
  const RUNAWAY = 'WITH RECURSIVE forever(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM forever) SELECT count(*) FROM forever';

  beforeAll(async () => {
    // Every statement runs under this limit, including the first on a host process that tsx is
    // still starting: 400 ms failed ordinary statements on a loaded 2-core machine.
    endpoint = await startEndpoint({ statementTimeoutMs: 2_000, busyTimeoutMs: 1_000 });
  });

  afterAll(async () => {
    await endpoint.close();
  });

  beforeEach(async () => {
    for (const name of ['acme', 'globex']) {
      if (endpoint.fleet.find(name)) {
        await endpoint.fleet.delete(name);
        await endpoint.fleet.purge(name);
      }
    }
    await endpoint.fleet.create('acme', { jurisdiction: 'eu' });
    db = endpoint.client('acme', await endpoint.token('acme'));
    reader = endpoint.client('acme', await endpoint.token('acme', { readOnly: true }));
    await db.batch(Array.from({ length: 50 }, (_, i) => ({ sql: 'INSERT INTO notes (body) VALUES (?)', args: [`note ${i}`] })), 'write');
  });

  it('keeps tenants apart: one database never sees another one\'s rows', async () => {
    await endpoint.fleet.create('globex', { jurisdiction: 'eu' });
    const globex = endpoint.client('globex', await endpoint.token('globex'));
    await db.execute("INSERT INTO notes (body) VALUES ('acme secret')");
    expect((await globex.execute('SELECT count(*) AS n FROM notes')).rows[0]?.['n']).toBe(0n);
  });

  it('runs a batch atomically: one failing statement rolls back all of them', async () => {
    await expect(db.batch([{ sql: "INSERT INTO notes (body) VALUES ('one')" }, { sql: 'INSERT INTO notes (body) VALUES (?)', args: [null] }], 'write')).rejects.toBeInstanceOf(LibsqlError);
    expect((await db.execute('SELECT count(*) AS n FROM notes')).rows[0]?.['n']).toBe(50n);
  });

  it('reports SQL errors with the database message', async () => {
    await expect(db.execute('SELECT * FROM missing_table')).rejects.toMatchObject({ code: 'SQLITE_UNKNOWN', message: expect.stringContaining('no such table') });
  });

  it('returns columns and rows, with the declared types', async () => {
    const result = await db.execute({ sql: 'SELECT id, body FROM notes WHERE id <= ? ORDER BY id', args: [2] });
    expect(result.columns).toEqual(['id', 'body']);
    expect(result.columnTypes).toEqual(['INTEGER', 'TEXT']);
    expect(result.rows.map((row) => [row['id'], row['body']])).toEqual([
      [1n, 'note 0'],
      [2n, 'note 1'],
    ]);
  });

  it('is read-only for a read-only token, whatever the statement', async () => {
    for (const sql of ["INSERT INTO notes (body) VALUES ('x')", 'DELETE FROM notes', 'DROP TABLE notes', '/* select */ UPDATE notes SET body = 1']) {
      await expect(reader.execute(sql), sql).rejects.toBeInstanceOf(LibsqlError);
    }
    expect((await reader.execute('SELECT count(*) AS n FROM notes')).rows[0]?.['n']).toBe(50n);
  });

  it('refuses, with either token, statements that reach files other than the database (issue #13)', async () => {
    const outside = mkdtempSync(path.join(tmpdir(), 'silo-outside-'));
    try {
      const refused = [
        `VACUUM INTO '${path.join(outside, 'copy.db')}'`,
        `ATTACH '${path.join(outside, 'new.db')}' AS other`,
        'PRAGMA writable_schema = 1',
        'PRAGMA user_version = 7',
        `SELECT load_extension('${path.join(outside, 'x.so')}')`,
      ];
      for (const client of [db, reader]) {
        for (const sql of refused) await expect(client.execute(sql), sql).rejects.toBeInstanceOf(LibsqlError);
      }
      expect(readdirSync(outside)).toEqual([]);
      expect((await reader.execute('PRAGMA table_info(notes)')).rows.length).toBe(5);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('reads a table made by a write right after it', async () => {
    await db.execute('CREATE TABLE later (x INTEGER)');
    expect((await reader.execute('SELECT count(*) AS n FROM later')).rows[0]?.['n']).toBe(0n);
  });

  it('writes and says how many rows changed', async () => {
    expect((await db.execute("UPDATE notes SET tag = 'x' WHERE id <= 5")).rowsAffected).toBe(5);
  });

  it('stops a runaway statement at the time limit without blocking the server, then keeps serving', async () => {
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 10);
    await expect(reader.execute(RUNAWAY)).rejects.toMatchObject({ code: 'STATEMENT_TIMEOUT' });
    clearInterval(ticker);
    // The event loop kept turning while SQLite spun in another process.
    expect(ticks).toBeGreaterThan(10);
    expect((await reader.execute('SELECT count(*) AS n FROM notes')).rows[0]?.['n']).toBe(50n);
  });

  it('keeps answering the statements sent beside one that is stopped', async () => {
    const runaway = reader.execute(RUNAWAY);
    const quick = Array.from({ length: 20 }, (_, i) => reader.execute({ sql: 'SELECT ? + 1 AS n', args: [BigInt(i)] }));
    await expect(runaway).rejects.toMatchObject({ code: 'STATEMENT_TIMEOUT' });
    expect((await Promise.all(quick)).map((r) => r.rows[0]?.['n'])).toEqual(Array.from({ length: 20 }, (_, i) => BigInt(i + 1)));
  });

  it('answers many statements at once', async () => {
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => reader.execute({ sql: 'SELECT count(*) AS n FROM notes WHERE id > ?', args: [i] })));
    expect(results.map((r) => r.rows[0]?.['n'])).toEqual(Array.from({ length: 40 }, (_, i) => BigInt(50 - i)));
  });
});
