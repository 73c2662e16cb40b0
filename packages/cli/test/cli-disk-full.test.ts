/**
 * `silo` on a full data disk (issue #21, item 3): writes exit 1 with the DISK_FULL message
 * (no stack, no "unexpected error"), reads (`instances list`, `query`) keep working while an
 * app server has the fleet open, and after freeing space `create` works again.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { mountSmallDisk, smallDiskUnavailable, type SmallDisk } from '../../fleet/test/fixtures/small-disk';
import { silo } from './helpers';

if (smallDiskUnavailable) console.warn(`Skipping the CLI disk-full tests: ${smallDiskUnavailable}`);

const disks: SmallDisk[] = [];
const held: Database.Database[] = [];
afterEach(() => {
  for (const db of held.splice(0)) db.close();
  for (const disk of disks.splice(0)) disk.unmount();
});

describe.skipIf(smallDiskUnavailable !== undefined)('silo on a full data disk', () => {
  it('create and clone exit 1 with DISK_FULL and leave nothing, list and query keep working, and create works once space is freed', async () => {
    const disk = mountSmallDisk(8);
    disks.push(disk);
    const dataDir = path.join(disk.dir, 'data');
    expect((await silo(dataDir, ['create', 'acme', '--jurisdiction', 'eu'], { cwd: disk.dir })).code).toBe(0);
    const instance = JSON.parse((await silo(dataDir, ['instances', 'show', 'acme', '--json'], { cwd: disk.dir })).stdout) as { dbUrl: string };
    const [, region, shard, file] = /^local:([^/]+)\/([^/]+)\/(.+)$/.exec(instance.dbUrl) ?? [];
    // An app server has the catalog and the tenant open, as in production.
    for (const file_ of [path.join(dataDir, 'catalog.db'), path.join(dataDir, 'regions', region ?? '', 'tenants', shard ?? '', file ?? '')]) {
      const db = new Database(file_, { fileMustExist: true });
      db.prepare('SELECT 1').get();
      held.push(db);
    }

    disk.fill();
    for (const args of [['create', 'beta', '--jurisdiction', 'eu'], ['clone', 'acme', 'acme-copy']]) {
      const run = await silo(dataDir, args, { cwd: disk.dir });
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr).toMatch(/The disk holding .* is full \(.* free of .*\)/);
      expect(run.stderr).not.toMatch(/unexpected error|SqliteError|ENOSPC/);
    }
    const list = await silo(dataDir, ['instances', 'list', '--json'], { cwd: disk.dir });
    expect(list.code, list.stderr).toBe(0);
    const names = (JSON.parse(list.stdout) as { items: { name: string; state: string }[] }).items.map((i) => `${i.name}:${i.state}`);
    expect(names.filter((n) => !n.endsWith(':failed'))).toEqual(['acme:ready']);
    const query = await silo(dataDir, ['query', 'acme', 'SELECT count(*) AS n FROM todos', '--json'], { cwd: disk.dir });
    expect(query.code, query.stderr).toBe(0);

    disk.free();
    const again = await silo(dataDir, ['create', 'beta', '--jurisdiction', 'eu'], { cwd: disk.dir });
    expect(again.code, again.stderr).toBe(0);
  });

  it('with nothing holding the fleet open and no byte free, opening it says the disk is full and how much room SQLite needs', async () => {
    const disk = mountSmallDisk(8);
    disks.push(disk);
    const dataDir = path.join(disk.dir, 'data');
    expect((await silo(dataDir, ['create', 'acme', '--jurisdiction', 'eu'], { cwd: disk.dir })).code).toBe(0);
    disk.fill();
    const run = await silo(dataDir, ['instances', 'list'], { cwd: disk.dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/The disk holding .* is full .*SQLite needs about 32 KB free to open a database/);
    expect(run.stderr).not.toMatch(/unexpected error|disk I\/O error/);
    disk.free();
    expect((await silo(dataDir, ['instances', 'list'], { cwd: disk.dir })).code).toBe(0);
  });
});
