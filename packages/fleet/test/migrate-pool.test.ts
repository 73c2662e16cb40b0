/**
 * Fleet-wide migrations on worker threads (pool/migrate-pool.ts): the same results, sizes and
 * errors as a migration on the calling thread, whichever thread an instance lands on.
 */
import { existsSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { defineTenantSchema, openFleet } from '../src/index';
import { SAMPLE_MIGRATIONS, fileOf, sampleSchema, tempDir, tempFleet } from './helpers';

function fileSizeOr0(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

async function fleetAtV1(count: number, settings: { instanceMaxBytes?: number } = {}): Promise<string> {
  const dataDir = tempDir();
  const old = await openFleet({ dataDir, schema: sampleSchema(1), ...settings });
  for (let i = 0; i < count; i++) {
    await old.create(`shop-${i}`, { jurisdiction: i % 2 ? 'eu' : 'us' });
    await old.withInstance(`shop-${i}`, (db) => db.execute('INSERT INTO notes (body) VALUES (?)', [`note of ${i}`]));
  }
  await old.close();
  return dataDir;
}

/** A migration that computes for a while before it writes, so a test can look inside it. */
const slow = defineTenantSchema({
  id: 'sample',
  migrations: [
    ...SAMPLE_MIGRATIONS.slice(0, 1),
    { version: 2, name: 'slow', sql: 'CREATE TABLE tally AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000) SELECT count(*) AS c FROM n;' },
  ],
});

describe('migrateAll on the worker pool', () => {
  it('migrates every instance across threads and records the size each thread measured', async () => {
    const { fleet } = await tempFleet({ dataDir: await fleetAtV1(12), fleetWorkers: 3 });
    expect(fleet.engine.fleetWork?.parallelism).toBe(3);
    const report = await fleet.migrateAll();
    expect(report).toMatchObject({ migrated: 12, upToDate: 0, failed: 0 });
    expect(new Set(report.results.map((r) => r.instance)).size).toBe(12);
    for (const result of report.results) expect(result).toMatchObject({ status: 'migrated', from: 1, to: 2 });
    for (let i = 0; i < 12; i++) {
      const info = fleet.require(`shop-${i}`);
      expect(info.schemaVersion).toBe(2);
      expect(info.sizeBytes).toBe(await fleet.engine.sizeOf(info.dbUrl));
      const { rows } = await fleet.query(`shop-${i}`, 'SELECT body, tag FROM notes');
      expect(rows).toEqual([[`note of ${i}`, null]]);
    }
  });

  it('migrates files other connections have open (a serving app, a reader in a transaction) as it migrates the others', async () => {
    const dataDir = await fleetAtV1(4);
    const { fleet } = await tempFleet({ dataDir, fleetWorkers: 2 });
    // An app server's connection, open and idle on shop-1, and one in a read transaction on shop-2.
    const serving = new Database(fileOf(fleet.require('shop-1').dbUrl, dataDir));
    serving.prepare('SELECT count(*) FROM notes').get();
    const reading = new Database(fileOf(fleet.require('shop-2').dbUrl, dataDir));
    reading.exec('BEGIN');
    reading.prepare('SELECT count(*) FROM notes').get();
    try {
      const report = await fleet.migrateAll();
      expect(report).toMatchObject({ migrated: 4, failed: 0 });
      // Those nobody else had open leave nothing behind: their WAL checkpointed and gone at close.
      for (const name of ['shop-0', 'shop-3']) expect(fileSizeOr0(`${fileOf(fleet.require(name).dbUrl, dataDir)}-wal`), name).toBe(0);
      // The open connections see the new schema on their next statement.
      reading.exec('COMMIT');
      expect(reading.prepare('SELECT body, tag FROM notes').all()).toEqual([{ body: 'note of 2', tag: null }]);
      expect(serving.prepare('SELECT body, tag FROM notes').all()).toEqual([{ body: 'note of 1', tag: null }]);
    } finally {
      serving.close();
      reading.close();
    }
    for (let i = 0; i < 4; i++) {
      expect((await fleet.query(`shop-${i}`, 'SELECT body, tag FROM notes')).rows).toEqual([[`note of ${i}`, null]]);
      expect(fleet.require(`shop-${i}`).schemaVersion).toBe(2);
    }
  });

  it('holds a small file nobody has open alone while it migrates (ADR 41): no -shm, and a reader that opens it meanwhile waits for the new schema', async () => {
    const dataDir = await fleetAtV1(1);
    const { fleet } = await tempFleet({ dataDir, schema: slow, fleetWorkers: 1 });
    const info = fleet.require('shop-0');
    const file = fileOf(info.dbUrl, dataDir);
    const migrating = fleet.engine.fleetWork?.migrate(info.dbUrl, slow, { dryRun: false });
    // The WAL file appears when the thread first reads the file.
    await expect.poll(() => existsSync(`${file}-wal`), { timeout: 10_000, interval: 5 }).toBe(true);
    expect(existsSync(`${file}-shm`)).toBe(false);
    const reader = new Database(file, { readonly: true, timeout: 30_000 });
    try {
      expect(reader.pragma('user_version', { simple: true })).toBe(2);
      expect(reader.prepare('SELECT c FROM tally').pluck().get()).toBe(3_000_000);
    } finally {
      reader.close();
    }
    await expect(migrating).resolves.toMatchObject({ from: 1, to: 2 });
  });

  it('shares a file larger than 1 MiB as before: its readers keep reading the old schema while it migrates', async () => {
    const dataDir = await fleetAtV1(1);
    const { fleet: filler } = await tempFleet({ dataDir, schema: sampleSchema(1) });
    await filler.withInstance('shop-0', (db) =>
      db.execute("INSERT INTO notes (body) SELECT hex(randomblob(4000)) FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400) SELECT i FROM n)"),
    );
    await filler.close();
    const { fleet } = await tempFleet({ dataDir, schema: slow, fleetWorkers: 1 });
    const info = fleet.require('shop-0');
    const file = fileOf(info.dbUrl, dataDir);
    expect(statSync(file).size).toBeGreaterThan(1024 * 1024);
    const migrating = fleet.engine.fleetWork?.migrate(info.dbUrl, slow, { dryRun: false });
    await expect.poll(() => existsSync(`${file}-shm`), { timeout: 10_000, interval: 5 }).toBe(true);
    const reader = new Database(file, { readonly: true, timeout: 0 });
    try {
      expect(reader.pragma('user_version', { simple: true })).toBe(1);
    } finally {
      reader.close();
    }
    await expect(migrating).resolves.toMatchObject({ from: 1, to: 2 });
  });

  it('dry-runs on the threads without changing a file', async () => {
    const { fleet } = await tempFleet({ dataDir: await fleetAtV1(6), fleetWorkers: 2 });
    const dry = await fleet.migrateAll({ dryRun: true });
    expect(dry).toMatchObject({ migrated: 6, failed: 0 });
    expect(dry.results.every((r) => r.status === 'would-migrate' && r.to === 2)).toBe(true);
    for (let i = 0; i < 6; i++) expect((await fleet.query(`shop-${i}`, 'PRAGMA user_version')).rows).toEqual([[1]]);
    expect(fleet.migrationStatus().behind).toBe(6);
  });

  it('maps a thread\'s SQLITE_FULL under the size cap to SIZE_LIMIT_EXCEEDED, per instance', async () => {
    const cap = 512 * 1024;
    const dataDir = await fleetAtV1(4, { instanceMaxBytes: cap });
    const growing = defineTenantSchema({
      id: 'sample',
      migrations: [
        ...SAMPLE_MIGRATIONS.slice(0, 1),
        {
          version: 2,
          name: 'backfill',
          sql: 'WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) INSERT INTO notes (body) SELECT hex(randomblob(1000)) FROM n;',
        },
      ],
    });
    const { fleet } = await tempFleet({ dataDir, schema: growing, instanceMaxBytes: cap, fleetWorkers: 2 });
    const report = await fleet.migrateAll();
    expect(report.failed).toBe(4);
    for (const result of report.results) expect(result).toMatchObject({ status: 'failed', from: 1, error: expect.stringContaining('SILO_INSTANCE_MAX_BYTES') });
    for (let i = 0; i < 4; i++) expect(fleet.require(`shop-${i}`).schemaVersion).toBe(1);
  });

  it('rejects work after close, and a closed fleet leaves no thread running', async () => {
    const { fleet } = await tempFleet({ dataDir: await fleetAtV1(3), fleetWorkers: 2 });
    await fleet.migrateAll();
    const work = fleet.engine.fleetWork;
    await fleet.close();
    await expect(work?.migrate('local:eu-west/00/shop-0.db', sampleSchema(2), { dryRun: true })).rejects.toMatchObject({ code: 'FLEET_CLOSED' });
  });
});

describe('migrateAll stopped part-way (Ctrl+C in silo migrate)', () => {
  it('starts no instance after the signal, records every one it migrated, and says it was interrupted; a second run finishes', async () => {
    const { fleet } = await tempFleet({ dataDir: await fleetAtV1(20), fleetWorkers: 2 });
    const stop = new AbortController();
    const report = await fleet.migrateAll({
      signal: stop.signal,
      concurrency: 1,
      onProgress: (progress) => {
        if (progress.done === 3) stop.abort();
      },
    });
    expect(report.interrupted).toBe(true);
    // The three, and at most the one already handed out when the signal came.
    expect(report.results.length).toBeGreaterThanOrEqual(3);
    expect(report.results.length).toBeLessThanOrEqual(4);
    // The catalog holds what the files hold: every migrated instance at 2, the others at 1.
    const migrated = new Set(report.results.filter((r) => r.status === 'migrated').map((r) => r.instance));
    for (let i = 0; i < 20; i++) {
      const name = `shop-${i}`;
      const info = fleet.require(name);
      expect(info.schemaVersion, name).toBe(migrated.has(name) ? 2 : 1);
      const db = new Database(fileOf(info.dbUrl, fleet.settings.dataDir), { readonly: true });
      expect(db.pragma('user_version', { simple: true }), name).toBe(info.schemaVersion);
      db.close();
    }
    const entry = fleet.audit({ operation: 'migrate-all' }).items[0];
    expect(entry).toMatchObject({ outcome: 'error', detail: { interrupted: true, migrated: migrated.size } });

    const rest = await fleet.migrateAll();
    expect(rest).toMatchObject({ migrated: 20 - migrated.size, failed: 0, interrupted: false });
  });
});
