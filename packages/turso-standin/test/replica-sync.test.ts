/**
 * What embedded replicas pull from the stand-in (sync protocol v2, `v3/cursor`), driven by the
 * real `libsql` package. The stand-in runs in a child process: a replica's sync blocks this one.
 */
import { closeSync, mkdtempSync, openSync, readdirSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient, type Client } from '@libsql/client';
import Libsql from 'libsql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCatalogDatabase, startStandinProcess, type TursoStandin } from '../src/index';

let dir: string;
let standin: TursoStandin;
let primary: Client;
let syncUrl: string;
let authToken: string;

type ReplicaOptions = Libsql.Options & { authToken: string; readYourWrites?: boolean };

function replica(name: string): Libsql.Database {
  const options: ReplicaOptions = { syncUrl, authToken };
  return new Libsql(path.join(dir, name), options);
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'standin-replica-'));
  standin = await startStandinProcess({ dataDir: path.join(dir, 'standin'), notReadyMs: 0, groups: [{ name: 'silo-eu', location: 'aws-eu-west-1' }] });
  const env = await createCatalogDatabase(standin, { name: 'replicated' });
  // The replica wants the URL without the trailing slash; the client needs it.
  syncUrl = env.SILO_CATALOG_URL.replace(/\/+$/, '');
  authToken = env.SILO_CATALOG_AUTH_TOKEN;
  primary = createClient({ url: `${syncUrl}/`, authToken });
  await primary.execute('CREATE TABLE items (id INTEGER PRIMARY KEY, body BLOB NOT NULL)');
  await primary.execute("INSERT INTO items (body) VALUES (zeroblob(100))");
});

afterAll(async () => {
  primary?.close();
  await standin?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The salts in the header of the stand-in's WAL for the database: new ones mean the WAL was started over. */
function walSalts(): string {
  const folder = path.join(dir, 'standin', 'databases');
  const wal = readdirSync(folder).find((entry) => entry.endsWith('.db-wal'));
  if (!wal) throw new Error('the stand-in database has no WAL');
  const fd = openSync(path.join(folder, wal), 'r');
  try {
    const header = Buffer.alloc(32);
    readSync(fd, header, 0, 32, 0);
    return header.subarray(16, 24).toString('hex');
  } finally {
    closeSync(fd);
  }
}

const summary = (db: Libsql.Database): unknown => db.prepare('SELECT count(*) AS n, sum(length(body)) AS bytes FROM items').get();

describe('embedded replicas of a stand-in database', () => {
  it('start from the primary, follow its commits, and send their own writes to it', async () => {
    const db = replica('follow.db');
    try {
      db.sync();
      expect(summary(db)).toMatchObject({ n: 1, bytes: 100 });
      await primary.batch(['INSERT INTO items (body) VALUES (zeroblob(10))', 'INSERT INTO items (body) VALUES (zeroblob(20))'], 'write');
      db.sync();
      expect(summary(db)).toMatchObject({ n: 3, bytes: 130 });
      db.prepare('INSERT INTO items (body) VALUES (zeroblob(5))').run();
      db.sync();
      expect(summary(db)).toMatchObject({ n: 4, bytes: 135 });
      expect(Number((await primary.execute('SELECT count(*) FROM items')).rows[0]?.[0])).toBe(4);
    } finally {
      db.close();
    }
  });

  it('stay identical to the primary across a checkpoint that rewinds its WAL', async () => {
    const db = replica('rewind.db');
    try {
      db.sync();
      const saltsBefore = walSalts();
      // Past SQLite's 1,000-page autocheckpoint: the WAL is checkpointed, and a later write starts it over.
      for (let batch = 0; batch < 30; batch++) {
        await primary.batch(Array.from({ length: 20 }, () => 'INSERT INTO items (body) VALUES (randomblob(8000))'), 'write');
      }
      await primary.execute('INSERT INTO items (body) VALUES (zeroblob(1))');
      expect(walSalts()).not.toBe(saltsBefore);
      db.sync();
      const expected = (await primary.execute('SELECT count(*) AS n, sum(length(body)) AS bytes, hex(max(body)) AS top FROM items')).rows[0];
      const actual = db.prepare('SELECT count(*) AS n, sum(length(body)) AS bytes, hex(max(body)) AS top FROM items').get() as Record<string, unknown>;
      expect({ n: actual['n'], bytes: actual['bytes'], top: actual['top'] }).toEqual({ n: expected?.['n'], bytes: expected?.['bytes'], top: expected?.['top'] });
      expect(db.prepare('PRAGMA integrity_check').get()).toMatchObject({ integrity_check: 'ok' });
    } finally {
      db.close();
    }
  });

  it('run reads inside a transaction on the primary (v3/cursor), seeing the transaction’s own writes', () => {
    const db = replica('transaction.db');
    try {
      db.sync();
      const before = Number((summary(db) as { n: number }).n);
      const counted = db.transaction(() => {
        db.prepare('INSERT INTO items (body) VALUES (zeroblob(1))').run();
        return Number((db.prepare('SELECT count(*) AS n FROM items').get() as { n: number }).n);
      })();
      expect(counted).toBe(before + 1);
    } finally {
      db.close();
    }
  });

  it('refuse a replica without a valid token', () => {
    const options: ReplicaOptions = { syncUrl, authToken: 'not-a-token' };
    expect(() => {
      const db = new Libsql(path.join(dir, 'refused.db'), options);
      try {
        db.sync();
      } finally {
        db.close();
      }
    }).toThrow(/401|[Uu]nauthori[sz]ed/);
  });
});
