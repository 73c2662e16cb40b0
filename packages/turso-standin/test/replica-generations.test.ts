/**
 * Sync generations of embedded replicas, with the real `libsql` package: Turso's server starts
 * a new generation now and then; a replica reads 400 `{ generation }` at the end of its own,
 * checkpoints and continues with frame 1 of the next (libsql sync.rs, try_pull). The stand-in
 * used to keep generation 1 forever, so that path was never exercised.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient, type Client } from '@libsql/client';
import Libsql from 'libsql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCatalogDatabase, standinHooks, startStandinProcess, type TursoStandin } from '../src/index';

let dir: string;
let standin: TursoStandin;
let primary: Client;
let syncUrl: string;
let authToken: string;

type ReplicaOptions = Libsql.Options & { authToken: string };

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'standin-generations-'));
  // A new generation every 3 commits.
  standin = await startStandinProcess({ dataDir: path.join(dir, 'standin'), notReadyMs: 0, replicaGenerationCommits: 3, groups: [{ name: 'silo-eu', location: 'aws-eu-west-1' }] });
  const env = await createCatalogDatabase(standin, { name: 'generational' });
  syncUrl = env.SILO_CATALOG_URL.replace(/\/+$/, '');
  authToken = env.SILO_CATALOG_AUTH_TOKEN;
  primary = createClient({ url: `${syncUrl}/`, authToken });
  await primary.execute('CREATE TABLE items (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
});

afterAll(async () => {
  primary?.close();
  await standin?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function generation(): Promise<number> {
  const response = await fetch(`${syncUrl}/info`, { headers: { authorization: `Bearer ${authToken}` } });
  return ((await response.json()) as { current_generation: number }).current_generation;
}

const rows = (db: Libsql.Database): unknown => db.prepare('SELECT count(*) AS n, group_concat(body) AS bodies FROM items').get();

describe('embedded replicas across sync generations', () => {
  it('follow the primary through generation ends, also when several passed since their last sync', async () => {
    const db = new Libsql(path.join(dir, 'replica.db'), { syncUrl, authToken } as ReplicaOptions);
    try {
      db.sync();
      const first = await generation();
      for (let i = 1; i <= 4; i++) await primary.execute({ sql: 'INSERT INTO items (body) VALUES (?)', args: [`a${i}`] });
      expect(await generation()).toBeGreaterThan(first);
      db.sync();
      expect(rows(db)).toMatchObject({ n: 4, bodies: 'a1,a2,a3,a4' });

      // Behind by several generations: it walks through each one.
      const before = await generation();
      for (let i = 1; i <= 7; i++) await primary.execute({ sql: 'INSERT INTO items (body) VALUES (?)', args: [`b${i}`] });
      await standinHooks(standin).newGeneration('generational');
      expect(await generation()).toBeGreaterThanOrEqual(before + 3);
      db.sync();
      expect(rows(db)).toMatchObject({ n: 11 });
      expect(db.prepare('PRAGMA integrity_check').get()).toMatchObject({ integrity_check: 'ok' });
    } finally {
      db.close();
    }
  });

  it('start a new replica from the current generation’s image', async () => {
    const db = new Libsql(path.join(dir, 'late.db'), { syncUrl, authToken } as ReplicaOptions);
    try {
      db.sync();
      const expected = (await primary.execute('SELECT count(*) AS n FROM items')).rows[0]?.['n'];
      expect((rows(db) as { n: number }).n).toBe(Number(expected));
    } finally {
      db.close();
    }
  });
});
