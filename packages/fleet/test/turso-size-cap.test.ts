/**
 * Security finding 3 on Turso: the fleet gives every database it creates the instance size
 * cap as Turso's `size_limit`, and the stand-in enforces it as libsql-server does (SQLite's
 * max_page_count on each connection: SQLITE_FULL "database or disk is full"), which the
 * fleet reports as the same SIZE_LIMIT_EXCEEDED as on local files.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient as createPlatformClient } from '@tursodatabase/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFleet, type Fleet, type SiloError } from '../src/index';
import { sampleSchema } from './helpers';
import { STANDIN_GROUPS, startStandinProcess, type StandinProcess } from './turso-standin';

const CAP = 512 * 1024;
const FILL = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50) INSERT INTO notes (body) SELECT hex(randomblob(1000)) FROM n";

let standin: StandinProcess;
let standinDir: string;
let fleet: Fleet;

beforeAll(async () => {
  standinDir = mkdtempSync(path.join(tmpdir(), 'silo-turso-cap-'));
  standin = await startStandinProcess(standinDir);
  fleet = await openFleet({
    schema: sampleSchema(),
    dataDir: mkdtempSync(path.join(tmpdir(), 'silo-turso-cap-data-')),
    engineKind: 'turso',
    turso: { ...standin.settings, databasePrefix: 'cap-' },
    instanceMaxBytes: CAP,
  });
});

afterAll(async () => {
  await fleet.close();
  rmSync(fleet.settings.dataDir, { recursive: true, force: true });
  await standin.stop();
  rmSync(standinDir, { recursive: true, force: true });
});

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

describe('instance size cap on Turso', () => {
  it('a write past the size_limit fails with SIZE_LIMIT_EXCEEDED; deleting rows makes room again; clones and console writes are capped too', async () => {
    await fleet.create('acme', { jurisdiction: 'eu' });
    const viaHandle = await fillUntilRefused(() => fleet.withInstance('acme', (db) => db.execute(FILL)));
    expect(viaHandle.code).toBe('SIZE_LIMIT_EXCEEDED');
    expect(viaHandle.message).toContain('"acme"');
    expect(viaHandle.message).toContain('SILO_INSTANCE_MAX_BYTES');

    await fleet.withInstance('acme', async (db) => {
      expect(Number((await db.execute('SELECT count(*) AS n FROM notes')).rows[0]?.['n'])).toBeGreaterThan(0);
      await db.execute('DELETE FROM notes WHERE id % 2 = 0');
      await db.execute("INSERT INTO notes (body) VALUES ('room again')");
    });

    // A branch is created with the same size_limit.
    await fleet.clone('acme', 'acme-branch');
    const viaClone = await fillUntilRefused(() => fleet.withInstance('acme-branch', (db) => db.execute(FILL)));
    expect(viaClone.code).toBe('SIZE_LIMIT_EXCEEDED');

    const viaConsole = await fillUntilRefused(() => fleet.query('acme', FILL, undefined, { readOnly: false }));
    expect(viaConsole.code).toBe('SIZE_LIMIT_EXCEEDED');
  });

  it('the stand-in refuses a size_limit it cannot read, as a strict fake', async () => {
    const platform = createPlatformClient({ org: standin.platform.org, token: standin.platform.apiToken, baseUrl: standin.platform.url });
    await expect(platform.databases.create('cap-bad-limit', { group: STANDIN_GROUPS.eu, size_limit: 'lots' })).rejects.toThrow(/size_limit/);
    const created = await platform.databases.create('cap-good-limit', { group: STANDIN_GROUPS.eu, size_limit: '256mb' });
    expect(created.name).toBe('cap-good-limit');
  });
});
