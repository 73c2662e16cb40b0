/**
 * TenantConnection.batchOffThread on local files: the statements run in the fleet's SQLite
 * worker thread, on a connection of their own, with what the main thread's connection would
 * give (one transaction, results, errors as SiloErrors, the size cap).
 */
import { describe, expect, it } from 'vitest';
import { isSiloError } from '../src/index';
import { tempFleet } from './helpers';

describe('batchOffThread (local engine)', () => {
  it('runs writes and reads in one transaction and returns what batch returns; the main connection sees the writes', async () => {
    const { fleet } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.withInstance('acme', async (db) => {
      const statements = [
        { sql: 'INSERT INTO notes (body) VALUES (?)', args: ['one'] },
        { sql: 'INSERT INTO notes (body) VALUES (?)', args: ['two'] },
        { sql: 'SELECT body, length(body) AS n FROM notes ORDER BY id' },
      ];
      const [first, second, read] = await db.batchOffThread(statements);
      expect(first).toMatchObject({ rowsAffected: 1, lastInsertRowid: 1 });
      expect(second).toMatchObject({ rowsAffected: 1, lastInsertRowid: 2 });
      expect(read?.rows).toEqual([
        { body: 'one', n: 3 },
        { body: 'two', n: 3 },
      ]);
      expect((await db.execute('SELECT count(*) AS n FROM notes')).rows[0]?.['n']).toBe(2);
      const blob = await db.batchOffThread([{ sql: "SELECT x'0102' AS b" }]);
      expect(Buffer.isBuffer(blob[0]?.rows[0]?.['b'])).toBe(true);
    });
  });

  it('rolls the whole batch back on an error, reported as QUERY_FAILED with the SQLite code', async () => {
    const { fleet } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.withInstance('acme', async (db) => {
      const failed = await db.batchOffThread([{ sql: "INSERT INTO notes (body) VALUES ('kept?')" }, { sql: 'INSERT INTO nowhere VALUES (1)' }]).catch((error: unknown) => error);
      expect(isSiloError(failed, 'QUERY_FAILED')).toBe(true);
      expect((await db.execute('SELECT count(*) AS n FROM notes')).rows[0]?.['n']).toBe(0);
    });
  });

  it('keeps the instance size cap on its own connection', async () => {
    const { fleet } = await tempFleet({ instanceMaxBytes: 256 * 1024 });
    await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.withInstance('acme', async (db) => {
      const big = 'x'.repeat(100_000);
      const failed = await db.batchOffThread(Array.from({ length: 5 }, () => ({ sql: 'INSERT INTO notes (body) VALUES (?)', args: [big] }))).catch((error: unknown) => error);
      expect(isSiloError(failed, 'SIZE_LIMIT_EXCEEDED')).toBe(true);
    });
  });
});
