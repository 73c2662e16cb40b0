/**
 * Fleet-wide migrations on worker threads (pool/migrate-pool.ts): the same results, sizes and
 * errors as a migration on the calling thread, whichever thread an instance lands on.
 */
import { existsSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { defineTenantSchema, openFleet, type Fleet, type Row, type TenantSchema } from '../src/index';
import { MigratePool, type MigrateTask } from '../src/pool/migrate-pool';
import { TENANT_PRAGMAS } from '../src/sqlite';
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

/** A migration that counts `rows` rows before it writes (3 million: half a second or so), so a test can look inside it. */
function slowSchema(rows: number): TenantSchema {
  return defineTenantSchema({
    id: 'sample',
    migrations: [
      ...SAMPLE_MIGRATIONS.slice(0, 1),
      { version: 2, name: 'slow', sql: `CREATE TABLE tally AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${rows}) SELECT count(*) AS c FROM n;` },
    ],
  });
}

const slow = slowSchema(3_000_000);

/** How many recent migrations the pool looks at before it lets a thread hold a file alone (migrate-pool.ts). */
const RECENT = 8;

/** Notes of 4,000 characters each: 1.2 MB of them, so a file is past 1 MiB. */
const PRIMER_ROWS = 300;
const PRIMER_ROWS_SQL = `SELECT hex(randomblob(2000)) FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${PRIMER_ROWS}) SELECT i FROM n)`;

/**
 * Quick migrations of `names` on the pool's threads: what lets the next ones hold small files
 * alone (ADR 41: only migrations expected to end within milliseconds do).
 */
async function quickMigrations(fleet: Fleet, names: readonly string[]): Promise<void> {
  await Promise.all(names.map((name) => fleet.engine.fleetWork?.migrate(fleet.require(name).dbUrl, slowSchema(1), { dryRun: false })));
}

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

  it('holds a small file nobody has open alone while it migrates, once recent migrations were quick (ADR 41): no -shm, and a reader that opens it meanwhile waits for the new schema', async () => {
    const dataDir = await fleetAtV1(1 + RECENT);
    const { fleet } = await tempFleet({ dataDir, schema: slow });
    const fileOfShop = (i: number): string => fileOf(fleet.require(`shop-${i}`).dbUrl, dataDir);
    // The pool itself, with room for any quick migration on a loaded machine: what is under
    // test is holding the file, not the estimate (the next test is about that).
    const pool = new MigratePool(1, { aloneMaxMs: 60_000 });
    const task = (file: string, schema: TenantSchema): MigrateTask => ({ path: file, migrations: schema.migrations, dryRun: false, maxBytes: undefined, pragmas: TENANT_PRAGMAS });
    try {
      for (let i = 1; i <= RECENT; i++) await pool.run(task(fileOfShop(i), slowSchema(1)));
      const file = fileOfShop(0);
      const migrating = pool.run(task(file, slow));
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
    } finally {
      await pool.close();
    }
  });

  it('shares small files while migrations are slow: a heavy migration of a tiny file never keeps its readers waiting', async () => {
    const dataDir = await fleetAtV1(2 + RECENT);
    const { fleet } = await tempFleet({ dataDir, schema: slow, fleetWorkers: 1 });
    // No history yet: shared.
    const first = fileOf(fleet.require('shop-0').dbUrl, dataDir);
    const firstRun = fleet.engine.fleetWork?.migrate(fleet.require('shop-0').dbUrl, slow, { dryRun: false });
    await expect.poll(() => existsSync(`${first}-shm`), { timeout: 10_000, interval: 5 }).toBe(true);
    expect(readsOldSchemaAtOnce(first)).toBe(true);
    await firstRun;
    // Quick ones, then one slow one among the recent: shared again.
    await quickMigrations(fleet, Array.from({ length: RECENT - 1 }, (_, i) => `shop-${i + 2}`));
    const second = fileOf(fleet.require('shop-1').dbUrl, dataDir);
    const secondRun = fleet.engine.fleetWork?.migrate(fleet.require('shop-1').dbUrl, slow, { dryRun: false });
    await expect.poll(() => existsSync(`${second}-shm`), { timeout: 10_000, interval: 5 }).toBe(true);
    expect(readsOldSchemaAtOnce(second)).toBe(true);
    await expect(secondRun).resolves.toMatchObject({ from: 1, to: 2 });
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

describe('requests while a fleet-wide migration runs (ADR 41)', () => {
  it('an app still serving the old schema opens small files the threads hold alone: it waits, gets no SQLITE_BUSY, and sees one schema or the other whole', async () => {
    const names = Array.from({ length: 6 }, (_, i) => `shop-${i}`);
    const dataDir = await fleetAtV1(names.length);
    // Primers over 1 MiB: the pool rates a migration per byte (at least 64 KiB's worth), so
    // their quick migrations leave room to hold the small files alone even if a loaded machine
    // stretches each to 400 ms; tiny primers would have to finish within 25 ms. Closing the
    // filler folds its WAL back, so the pool measures the bytes in the files themselves. Their
    // names come before the shops' in the run's (name) order.
    const primers = Array.from({ length: RECENT }, (_, i) => `primer-${i}`);
    const filler = await openFleet({ dataDir, schema: sampleSchema(1) });
    for (const name of primers) {
      await filler.create(name, { jurisdiction: 'eu' });
      await filler.withInstance(name, (db) => db.execute(`INSERT INTO notes (body) ${PRIMER_ROWS_SQL}`));
    }
    const primerFiles = primers.map((name) => fileOf(filler.require(name).dbUrl, dataDir));
    await filler.close();
    for (const file of primerFiles) expect(statSync(file).size, file).toBeGreaterThan(1024 * 1024);
    // Two releases in one process, as with a console-started migration beside a serving app:
    // the new one migrates on its threads while the old one serves requests on this thread.
    const { fleet: serving } = await tempFleet({ dataDir, schema: sampleSchema(1) });
    const { fleet } = await tempFleet({ dataDir, schema: slowSchema(1_000_000), fleetWorkers: 2 });
    // Recent quick migrations on the pool (of other instances), and the run's own quick ones of
    // the same files, up to date: the first shops handed to the threads are then held alone,
    // until the first slow migration comes back.
    await quickMigrations(fleet, primers);
    const files = new Map(names.map((name) => [name, fileOf(fleet.require(name).dbUrl, dataDir)]));
    const OLD = { version: 1, tally: 0 };
    const NEW = { version: 2, tally: 1 };

    // A request: which schema the file has (one statement, so one snapshot), then a write.
    const writes = new Map(names.map((name) => [name, 0]));
    const request = (name: string): Promise<Row | undefined> =>
      serving.withInstance(name, async (db) => {
        const { rows } = await db.execute("SELECT (SELECT user_version FROM pragma_user_version) AS version, (SELECT count(*) FROM sqlite_schema WHERE name = 'tally') AS tally");
        await db.execute('INSERT INTO notes (body) VALUES (?)', ['written during the migration']);
        writes.set(name, (writes.get(name) ?? 0) + 1);
        return rows[0];
      });

    // shop-5 is served throughout, its handle open from before the run, so its thread shares
    // the file: reads go on seeing the old schema, writes wait for the migration's commit. It
    // is the run's last, so while the first shops are held alone no request to it blocks this
    // thread (SQLite waits for a lock synchronously), and the loop looks at them. They are first
    // opened when a thread is seen holding them alone (heldAloneNow).
    const steady = 'shop-5';
    const held = names.filter((name) => name !== steady);
    expect(await request(steady)).toEqual(OLD);
    let running = true;
    const migrating = fleet.migrateAll().finally(() => {
      running = false;
    });
    const steadyViews: (Row | undefined)[] = [];
    const heldViews = new Map<string, Row | undefined>();
    while (running) {
      for (const name of held) {
        const file = files.get(name) ?? '';
        if (!heldViews.has(name) && heldAloneNow(file)) heldViews.set(name, await request(name));
      }
      steadyViews.push(await request(steady));
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const report = await migrating;
    // The primers were migrated already (their files are at version 2) and are recorded as such.
    expect(report).toMatchObject({ failed: 0 });
    expect(report.migrated).toBeGreaterThanOrEqual(names.length);

    // Opened while held alone, the file was seen only after the migration: the new schema. The
    // first shops on the threads are held alone, each for a whole slow migration, while
    // nothing holds up this thread's loop: it sees at least one.
    expect(heldViews.size, 'no file was seen held alone by its thread').toBeGreaterThan(0);
    for (const [name, view] of heldViews) expect(view, name).toEqual(NEW);
    // Served throughout: the old schema, then the new one, never a mix and never back.
    const firstNew = steadyViews.findIndex((view) => view?.['version'] === 2);
    for (const [index, view] of steadyViews.entries()) expect(view, `request ${index}`).toEqual(firstNew !== -1 && index >= firstNew ? NEW : OLD);

    // Afterwards every instance is at the new version, in the catalog and in its file, and no write was lost.
    for (const name of [...names, ...primers]) {
      expect(fleet.require(name).schemaVersion, name).toBe(2);
      expect(await request(name), name).toEqual(NEW);
      const seeded = primers.includes(name) ? PRIMER_ROWS : 1;
      expect((await fleet.query(name, 'SELECT count(*) FROM notes')).rows, name).toEqual([[seeded + (writes.get(name) ?? 0)]]);
    }
  });
});

/** A reader that does not wait at all (busy timeout 0) reads the file's old schema: nobody holds it alone. */
function readsOldSchemaAtOnce(file: string): boolean {
  const reader = new Database(file, { readonly: true, timeout: 0 });
  try {
    return reader.pragma('user_version', { simple: true }) === 1;
  } finally {
    reader.close();
  }
}

/**
 * Whether a thread holds the file alone now: it is in a migration (its -wal is there) without
 * the -shm every shared connection maps, and a reader that does not wait is refused. The
 * refusal alone would not tell: a shared file refuses such a reader too, for the moments its
 * WAL is recovered on open or checkpointed on close.
 */
function heldAloneNow(file: string): boolean {
  return existsSync(`${file}-wal`) && !existsSync(`${file}-shm`) && refusesReaders(file);
}

/** Whether another connection holds the file's lock now: a reader that does not wait is refused. */
function refusesReaders(file: string): boolean {
  let reader: Database.Database | undefined;
  try {
    reader = new Database(file, { readonly: true, timeout: 0 });
    reader.pragma('user_version', { simple: true });
    return false;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'SQLITE_BUSY') return true;
    throw error;
  } finally {
    reader?.close();
  }
}
