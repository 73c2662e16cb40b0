/**
 * Fleet.importFile with an abort signal on the Turso engine (the stand-in): stopped before the
 * upload begins, nothing reaches Turso, the staged copy is removed, and the name is free.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFleet, type TursoSettingsInput } from '../src/index';
import { checkHasOpenIn, sampleSchema, tempDir, tempFleet } from './helpers';
import { startStandinProcess, type StandinProcess } from './turso-standin';

let standin: StandinProcess;
let settings: TursoSettingsInput;
let standinDir: string;

beforeAll(async () => {
  standinDir = mkdtempSync(path.join(tmpdir(), 'silo-turso-standin-'));
  standin = await startStandinProcess(standinDir);
  settings = standin.settings;
});

afterAll(async () => {
  await standin.stop();
  rmSync(standinDir, { recursive: true, force: true });
});

/** A valid upload of the sample schema with 40,000 notes of about 1 KB (some 40 MB), made on local files. */
async function bigUpload(): Promise<string> {
  const { fleet } = await tempFleet();
  await fleet.create('src', { jurisdiction: 'eu' });
  const file = path.join(tempDir(), 'big.sqlite');
  await fleet.exportTo('src', file);
  const db = new Database(file);
  db.exec('INSERT INTO notes (body) SELECT hex(zeroblob(500)) FROM (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 40000) SELECT x FROM c)');
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return file;
}

describe('Fleet.importFile with an abort signal, on Turso', () => {
  it('stops during the check, before the upload: no database on Turso, no staged file, the name free', async () => {
    const file = await bigUpload();
    const dataDir = tempDir();
    const fleet = await openFleet({ schema: sampleSchema(), dataDir, engineKind: 'turso', turso: { ...settings, databasePrefix: 'abort-' } });
    try {
      const staging = path.join(fleet.regions.place('eu').dataDir, 'staging');
      mkdirSync(staging, { recursive: true, mode: 0o700 });
      const stop = new AbortController();
      const importing = fleet.importFile('big', file, { jurisdiction: 'eu', signal: stop.signal }).then(
        () => expect.fail('the import finished; it should have been stopped'),
        (error: unknown) => error,
      );
      let settled = false;
      void importing.finally(() => (settled = true)).catch(() => undefined);
      while (!settled && !checkHasOpenIn(staging)) await new Promise((resolve) => setTimeout(resolve, 2));
      expect(settled, 'the import ended before its check was seen').toBe(false);
      stop.abort();

      expect(await importing).toMatchObject({ code: 'IMPORT_REJECTED', details: { reason: 'aborted' } });
      expect(fleet.find('big')).toBeUndefined();
      expect(await fleet.engine.exists(fleet.engine.locate('big', fleet.regions.place('eu')))).toBe(false);
      expect(readdirSync(staging)).toEqual([]);
      // The name is free at once.
      expect(await fleet.importFile('big', file, { jurisdiction: 'eu' })).toMatchObject({ state: 'ready', metrics: { notes: 40_000 } });
    } finally {
      await fleet.close();
    }
  });
});
