/**
 * Security finding 3 (fleet part): a per-instance size cap. On local files it is SQLite's
 * `max_page_count`, which holds per connection, so every path that writes must set it: app
 * handles, a reopened fleet, console writes in the query process, migrations; imports over
 * the cap are refused before anything is created.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SiloError, defineTenantSchema, openFleet, resolveSettings, settingsFromEnv, type Fleet, type TenantConnection } from '../src/index';
import { SAMPLE_MIGRATIONS, sampleSchema, tempDir, tempFleet } from './helpers';

const CAP = 512 * 1024;
/** About 100 KB of incompressible text per statement. */
const FILL = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50) INSERT INTO notes (body) SELECT hex(randomblob(1000)) FROM n";

async function count(db: TenantConnection): Promise<number> {
  return Number((await db.execute('SELECT count(*) AS n FROM notes')).rows[0]?.['n']);
}

/** Writes until the cap stops it; returns the error (and fails the test if it never comes). */
async function fillUntilRefused(write: () => Promise<unknown>): Promise<SiloError> {
  for (let attempt = 0; attempt < 30; attempt++) {
    try {
      await write();
    } catch (error) {
      return error as SiloError;
    }
  }
  throw new Error('the cap never stopped a write');
}

async function cappedFleet(dataDir?: string): Promise<{ fleet: Fleet; dataDir: string }> {
  return tempFleet({ instanceMaxBytes: CAP, ...(dataDir ? { dataDir } : {}) });
}

describe('instance size cap', () => {
  it('a write past the cap fails with SIZE_LIMIT_EXCEEDED, changes nothing, and the instance stays readable and writable after deleting rows; clones are capped too', async () => {
    const { fleet } = await cappedFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.withInstance('acme', async (db) => {
      let before = 0;
      const error = await fillUntilRefused(async () => {
        before = await count(db);
        await db.execute(FILL);
      });
      expect(error).toBeInstanceOf(SiloError);
      expect(error.code).toBe('SIZE_LIMIT_EXCEEDED');
      expect(error.message).toContain('"acme"');
      expect(error.message).toContain('512 KB');
      expect(error.message).toContain('SILO_INSTANCE_MAX_BYTES');
      // The refused statement left nothing behind; reads still work.
      expect(await count(db)).toBe(before);
      expect(before).toBeGreaterThan(0);

      await db.execute('DELETE FROM notes WHERE id % 2 = 0');
      await db.execute("INSERT INTO notes (body) VALUES ('room again')");
      expect((await db.execute("SELECT count(*) AS n FROM notes WHERE body = 'room again'")).rows[0]?.['n']).toBe(1);
    });
    // A clone is a copy of the file; its connections get the cap like any other.
    await fleet.clone('acme', 'acme-copy');
    expect((await fillUntilRefused(() => fleet.withInstance('acme-copy', (db) => db.execute(FILL)))).code).toBe('SIZE_LIMIT_EXCEEDED');
    // Batches (one transaction) are capped the same way.
    await expect(fleet.withInstance('acme', (db) => db.batch(Array.from({ length: 10 }, () => ({ sql: FILL }))))).rejects.toMatchObject({
      code: 'SIZE_LIMIT_EXCEEDED',
    });
  });

  it('the cap holds after the fleet is reopened, and in the query process (console write mode)', async () => {
    const { fleet, dataDir } = await cappedFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.close();

    const reopened = await openFleet({ schema: sampleSchema(), dataDir, instanceMaxBytes: CAP });
    try {
      const viaHandle = await fillUntilRefused(() => reopened.withInstance('acme', (db) => db.execute(FILL)));
      expect(viaHandle.code).toBe('SIZE_LIMIT_EXCEEDED');
      await reopened.withInstance('acme', (db) => db.execute('DELETE FROM notes'));

      // Another process: console writes run in the fleet's query process.
      const viaQueryProcess = await fillUntilRefused(() => reopened.query('acme', FILL, undefined, { readOnly: false }));
      expect(viaQueryProcess.code).toBe('SIZE_LIMIT_EXCEEDED');
      expect(viaQueryProcess.message).toContain('"acme"');
      // Reads are never capped.
      expect((await reopened.query('acme', 'SELECT count(*) AS n FROM notes')).rows[0]?.[0]).toBeGreaterThan(0);
    } finally {
      await reopened.close();
    }
  });

  it('a migration that would grow an instance past the cap fails with SIZE_LIMIT_EXCEEDED and leaves it at its version', async () => {
    const { fleet, dataDir } = await cappedFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.close();
    const growing = defineTenantSchema({
      id: 'sample',
      migrations: [
        ...SAMPLE_MIGRATIONS,
        { version: 3, name: 'backfill', sql: `${FILL.replace('i < 50', 'i < 1000')};` },
      ],
    });
    const upgraded = await openFleet({ schema: growing, dataDir, instanceMaxBytes: CAP });
    try {
      const report = await upgraded.migrateAll();
      expect(report.failed).toBe(1);
      expect(JSON.stringify(report.results)).toContain('SILO_INSTANCE_MAX_BYTES');
      expect(upgraded.require('acme').schemaVersion).toBe(SAMPLE_MIGRATIONS.length);
    } finally {
      await upgraded.close();
    }
  });

  it('an import larger than the cap is refused up front, creating nothing', async () => {
    const { fleet: open } = await tempFleet({ instanceMaxBytes: 0 });
    await open.create('big', { jurisdiction: 'eu' });
    await open.withInstance('big', async (db) => {
      for (let i = 0; i < 8; i++) await db.execute(FILL);
    });
    const file = path.join(tempDir(), 'big.sqlite');
    await open.exportTo('big', file);

    const { fleet } = await cappedFleet();
    const refused = await fleet.importFile('big', file, { jurisdiction: 'eu' }).catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 'SIZE_LIMIT_EXCEEDED' });
    expect((refused as Error).message).toMatch(/over the size limit of 512 KB per instance \(SILO_INSTANCE_MAX_BYTES\)/);
    expect(fleet.find('big')).toBeUndefined();
  });

  it('SILO_INSTANCE_MAX_BYTES: 1 GiB by default, 0 turns it off, tiny values are refused', () => {
    const dataDir = tempDir();
    expect(resolveSettings(settingsFromEnv({ SILO_DATA_DIR: dataDir })).instanceMaxBytes).toBe(1024 * 1024 * 1024);
    expect(resolveSettings(settingsFromEnv({ SILO_DATA_DIR: dataDir, SILO_INSTANCE_MAX_BYTES: '0' })).instanceMaxBytes).toBeUndefined();
    expect(resolveSettings(settingsFromEnv({ SILO_DATA_DIR: dataDir, SILO_INSTANCE_MAX_BYTES: '2147483648' })).instanceMaxBytes).toBe(2 ** 31);
    expect(() => resolveSettings(settingsFromEnv({ SILO_DATA_DIR: dataDir, SILO_INSTANCE_MAX_BYTES: '1000' }))).toThrow(/SILO_INSTANCE_MAX_BYTES must be an integer, 0 \(no cap\) or ≥ 65536/);
    expect(() => settingsFromEnv({ SILO_INSTANCE_MAX_BYTES: 'lots' })).toThrow(/SILO_INSTANCE_MAX_BYTES must be an integer/);
  });
});
