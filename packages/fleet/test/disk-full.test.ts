/**
 * A full data disk (issue #21, item 3): writes fail with DISK_FULL naming the folder and its
 * free space and leave nothing half-made, reads keep working, and once space is freed the
 * same fleet creates again without a restart. The data folder is a small tmpfs.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { isSiloError, openFleet, type Fleet } from '../src/index';
import { mountSmallDisk, smallDiskUnavailable, type SmallDisk } from './fixtures/small-disk';
import { fileOf, sampleSchema, tempDir, tempFleet, tempLeftovers } from './helpers';

if (smallDiskUnavailable) console.warn(`Skipping the disk-full tests: ${smallDiskUnavailable}`);

const disks: SmallDisk[] = [];
afterEach(() => {
  for (const disk of disks.splice(0)) disk.unmount();
});

async function expectDiskFull(work: Promise<unknown>, dir: string): Promise<void> {
  const error = await work.then(() => undefined, (caught: unknown) => caught);
  expect(isSiloError(error, 'DISK_FULL'), String(error)).toBe(true);
  const message = (error as Error).message;
  expect(message).toContain(dir);
  expect(message).toMatch(/free of/);
  expect(message).toMatch(/then try again/);
}

/** Nothing half-made: no row (or a failed one), no file, no temp file, nothing staged. */
function expectNothingLeft(fleet: Fleet, dataDir: string, name: string): void {
  const row = fleet.find(name);
  expect(row === undefined || row.state === 'failed', `${name} is ${row?.state}`).toBe(true);
  if (row) expect(existsSync(fileOf(row.dbUrl, dataDir))).toBe(false);
  expect(tempLeftovers(dataDir)).toEqual([]);
  const staging = path.join(dataDir, 'regions', 'eu-west', 'staging');
  expect(existsSync(staging) ? readdirSync(staging) : []).toEqual([]);
}

describe.skipIf(smallDiskUnavailable !== undefined)('a full data disk', () => {
  it('create, clone, import, export and backup answer DISK_FULL, leave nothing half-made, reads go on, and after freeing space the same fleet creates again', async () => {
    const disk = mountSmallDisk(6);
    disks.push(disk);
    const dataDir = path.join(disk.dir, 'data');
    const { fleet } = await tempFleet({ dataDir });
    await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.withInstance('acme', async (db) => {
      await db.batch(Array.from({ length: 300 }, (_, i) => ({ sql: 'INSERT INTO notes (body) VALUES (?)', args: [`${'n'.repeat(1_000)} ${i}`] })));
    });
    // An upload to import, on another disk.
    const upload = path.join(tempDir(), 'upload.db');
    await fleet.exportTo('acme', upload);

    disk.fill();
    await expectDiskFull(fleet.create('beta', { jurisdiction: 'eu' }), dataDir);
    expectNothingLeft(fleet, dataDir, 'beta');
    await expectDiskFull(fleet.clone('acme', 'acme-copy'), dataDir);
    expectNothingLeft(fleet, dataDir, 'acme-copy');
    await expectDiskFull(fleet.importFile('gamma', upload, { jurisdiction: 'eu' }), dataDir);
    expectNothingLeft(fleet, dataDir, 'gamma');
    await expectDiskFull(fleet.exportStream('acme'), dataDir);
    await expectDiskFull(fleet.exportTo('acme', path.join(dataDir, 'acme-export.db')), dataDir);
    expect(existsSync(path.join(dataDir, 'acme-export.db'))).toBe(false);
    await expectDiskFull(fleet.backups.now('acme'), dataDir);
    expectNothingLeft(fleet, dataDir, 'acme-copy');

    // Reads need no space: the catalog, the tenant through its handle, a read-only query, and
    // a second fleet opened on the same folder (as `silo query` does).
    expect(fleet.list().items.map((i) => i.name)).toEqual(['acme']);
    expect(await fleet.withInstance('acme', async (db) => (await db.execute('SELECT count(*) AS n FROM notes')).rows[0])).toEqual({ n: 300 });
    expect((await fleet.query('acme', 'SELECT count(*) AS n FROM notes')).rows).toEqual([[300]]);
    const reader = await openFleet({ schema: sampleSchema(), dataDir });
    try {
      expect(reader.list().items.map((i) => i.name)).toEqual(['acme']);
      expect((await reader.query('acme', 'SELECT count(*) AS n FROM notes')).rows).toEqual([[300]]);
    } finally {
      await reader.close();
    }

    // Space is back: the same fleet, not restarted, creates, clones and exports again.
    disk.free();
    expect((await fleet.create('beta', { jurisdiction: 'eu' })).state).toBe('ready');
    expect((await fleet.clone('acme', 'acme-copy')).state).toBe('ready');
    expect((await fleet.importFile('gamma', upload, { jurisdiction: 'eu' })).state).toBe('ready');
    expect((await fleet.exportTo('acme', path.join(dataDir, 'acme-export.db'))).sizeBytes).toBeGreaterThan(0);
    await fleet.backups.now('acme');
  });

  it('a write larger than the disk’s free space but far under the size cap is DISK_FULL, not the cap', async () => {
    const disk = mountSmallDisk(6);
    disks.push(disk);
    const dataDir = path.join(disk.dir, 'data');
    const { fleet } = await tempFleet({ dataDir, instanceMaxBytes: 1024 * 1024 * 1024 });
    await fleet.create('acme', { jurisdiction: 'eu' });
    // About 12 MB in one statement, on a 6 MB disk: the cap (1 GB) is nowhere near.
    const write = fleet.query('acme', "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12000) INSERT INTO notes (body) SELECT printf('%.1000c', 'x') FROM n", undefined, { readOnly: false });
    await expectDiskFull(write, path.join(dataDir, 'regions', 'eu-west', 'tenants'));
    expect((await fleet.query('acme', 'SELECT count(*) FROM notes')).rows).toEqual([[0]]);
  });

  it('a backup cycle that cannot stage for a full data disk is reported as failing like a full backup location, storage and readiness say so, and all of it clears once space is freed', async () => {
    const disk = mountSmallDisk(6);
    disks.push(disk);
    const dataDir = path.join(disk.dir, 'data');
    const backupsDir = tempDir();
    const { fleet } = await tempFleet({ dataDir, backups: { locations: { 'eu-west': { kind: 'folder', path: backupsDir, jurisdiction: 'eu' } } } });
    await fleet.create('acme', { jurisdiction: 'eu' });
    expect(await fleet.backups.runCycle()).toMatchObject({ backedUp: 1, failed: 0 });
    await fleet.withInstance('acme', (db) => db.execute('INSERT INTO notes (body) VALUES (?)', ['changed']));
    expect(fleet.readiness(5)).toMatchObject({ ready: true, catalog: 'ok' });

    // The catalog's WAL emptied to 0 bytes: its next write needs new space, which there is none of.
    const catalog = new Database(path.join(dataDir, 'catalog.db'), { fileMustExist: true });
    catalog.pragma('wal_checkpoint(TRUNCATE)');
    catalog.close();
    disk.fill();
    expect(await fleet.backups.runCycle()).toMatchObject({ backedUp: 0, failed: 1 });
    const failing = fleet.backups.overview().failing;
    expect(failing).toHaveLength(1);
    expect(failing[0]).toMatchObject({ instance: 'acme' });
    expect(failing[0]?.error).toMatch(/The disk holding .* is full/);
    expect(fleet.storage(5)).toContainEqual(expect.objectContaining({ kind: 'data', level: 'full', message: expect.stringMatching(/is full/) }));
    const readiness = fleet.readiness(5);
    expect(readiness.ready).toBe(false);
    expect(readiness.warnings.join(' ')).toMatch(/full/);
    expect(JSON.stringify(readiness)).not.toContain(dataDir);

    disk.free();
    expect(await fleet.backups.runCycle()).toMatchObject({ backedUp: 1, failed: 0 });
    expect(fleet.backups.overview().failing).toEqual([]);
    expect(fleet.readiness(5).ready).toBe(true);
  });
});
