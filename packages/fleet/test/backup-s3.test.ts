/**
 * The S3 store through the real AWS SDK against a small S3-compatible server on loopback
 * (fixtures/fake-s3.ts): a backup, list, restore, verification, retention and purge round
 * trip with the EU region's backups in an EU bucket.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { S3Store } from '../src/internal';
import { startFakeS3, type FakeS3 } from './fixtures/fake-s3';
import { tempFleet } from './helpers';

const servers: FakeS3[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function fakeS3(pageSize?: number): Promise<FakeS3> {
  const server = await startFakeS3({ buckets: ['silo-eu'], pageSize });
  servers.push(server);
  return server;
}

const credentials = { accessKeyId: 'test-key', secretAccessKey: 'test-secret' };

describe('the S3 store', () => {
  it('writes, lists (paged, with common prefixes), reads and deletes objects', async () => {
    const s3 = await fakeS3(2);
    const store = new S3Store({ kind: 's3', bucket: 'silo-eu', prefix: 'silo/eu', endpoint: s3.endpoint, region: 'eu-central-1', forcePathStyle: true, jurisdiction: 'eu', ...credentials });
    await store.putAll([
      { key: 'instances/a/points/1.json', data: Buffer.from('one') },
      { key: 'instances/a/chunks/x', data: Buffer.from('chunk') },
      { key: 'instances/b/points/2.json', data: Buffer.from('two') },
      { key: 'instances/c/points/3.json', data: Buffer.from('three') },
    ]);
    expect([...(s3.buckets.get('silo-eu')?.keys() ?? [])].every((key) => key.startsWith('silo/eu/'))).toBe(true);
    expect((await store.get('instances/a/points/1.json'))?.toString()).toBe('one');
    expect(await store.get('instances/a/points/missing.json')).toBeUndefined();
    expect((await store.list('instances/')).map((object) => object.key)).toEqual([
      'instances/a/chunks/x',
      'instances/a/points/1.json',
      'instances/b/points/2.json',
      'instances/c/points/3.json',
    ]);
    expect(await store.children('instances/')).toEqual(['a', 'b', 'c']);
    await store.delete(['instances/a/chunks/x', 'instances/b/points/2.json']);
    expect((await store.list('instances/')).map((object) => object.key)).toEqual(['instances/a/points/1.json', 'instances/c/points/3.json']);
    expect(s3.requests).toContain('POST DeleteObjects');
  });

  it('round-trips a fleet’s backups: back up, restore, verify, thin and purge', async () => {
    const s3 = await fakeS3();
    let now = Date.UTC(2026, 2, 1, 9);
    const { fleet } = await tempFleet({
      clock: () => now,
      backups: {
        purgeAfterDays: 0,
        locations: { 'eu-west': { kind: 's3', bucket: 'silo-eu', prefix: 'backups', endpoint: s3.endpoint, region: 'eu-central-1', forcePathStyle: true, jurisdiction: 'eu', ...credentials } },
      },
    });
    await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.withInstance('acme', (db) => db.execute("INSERT INTO notes (body) VALUES ('in the bucket')"));
    expect(await fleet.backups.runCycle()).toMatchObject({ backedUp: 1, failed: 0 });
    const status = await fleet.backups.status('acme');
    expect(status.location).toBe(`s3://silo-eu/backups at ${s3.endpoint}`);
    expect(status.points).toBe(1);
    expect([...(s3.buckets.get('silo-eu')?.keys() ?? [])].some((key) => key.startsWith(`backups/instances/${fleet.require('acme').id}/points/`))).toBe(true);

    now += 60_000;
    const restored = await fleet.backups.restore('acme', { at: now, as: 'acme-from-s3' });
    const rows = await fleet.withInstance('acme-from-s3', async (db) => (await db.execute('SELECT body FROM notes')).rows);
    expect(rows).toEqual([{ body: 'in the bucket' }]);
    expect(restored.instance.region).toBe('eu-west');
    expect(await fleet.backups.verify({ instances: ['acme'] })).toMatchObject({ checked: 1, failed: 0 });

    await fleet.delete('acme');
    await fleet.purge('acme');
    now += 1;
    const retention = await fleet.backups.applyRetention();
    expect(retention.instancesRemoved).toEqual(['acme']);
    const left = [...(s3.buckets.get('silo-eu')?.keys() ?? [])].filter((key) => key.includes(restored.instance.clonedFrom?.id ?? '-'));
    expect(left).toEqual([]);
  });

  it('lists points with their sizes reading each manifest once, however often the list is shown', async () => {
    const s3 = await fakeS3();
    let now = Date.UTC(2026, 2, 1, 9);
    const { fleet } = await tempFleet({
      clock: () => now,
      backups: { locations: { 'eu-west': { kind: 's3', bucket: 'silo-eu', endpoint: s3.endpoint, forcePathStyle: true, jurisdiction: 'eu', ...credentials } } },
    });
    await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.create('acme-2', { jurisdiction: 'eu' });
    for (let n = 0; n < 3; n++) {
      await fleet.backups.now('acme');
      now += 1_000;
    }
    await fleet.backups.now('acme-2');
    const reads = (): number => s3.requests.filter((request) => request === 'GET GetObject').length;
    const before = reads();
    const first = await fleet.backups.list('acme', { details: true });
    expect(first).toHaveLength(3);
    expect(first.every((point) => (point.sizeBytes ?? 0) > 0)).toBe(true);
    expect(reads() - before).toBe(3);
    // A page refresh: the same points, no manifest read again.
    expect(await fleet.backups.list('acme', { details: true })).toEqual(first);
    expect(reads() - before).toBe(3);
    // Another instance whose name starts the same has its own points only.
    expect(await fleet.backups.list('acme-2')).toHaveLength(1);
  });

  it('a purge whose backup location cannot be written fails and leaves the instance restorable', async () => {
    const s3 = await fakeS3();
    const { fleet } = await tempFleet({
      backups: { locations: { 'eu-west': { kind: 's3', bucket: 'silo-eu', endpoint: s3.endpoint, forcePathStyle: true, jurisdiction: 'eu', ...credentials } } },
    });
    await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.backups.now('acme');
    await fleet.delete('acme');
    await s3.close();
    servers.splice(servers.indexOf(s3), 1);
    await expect(fleet.purge('acme')).rejects.toThrow();
    expect(fleet.require('acme').state).toBe('deleted');
    // Not left leased: it can still be restored (or purged once the bucket is back).
    expect((await fleet.undelete('acme')).state).toBe('ready');
  });

  it('a verification that cannot reach the bucket is a finding, and takes no new point of an unchanged instance', async () => {
    const s3 = await fakeS3();
    const { fleet } = await tempFleet({
      backups: { locations: { 'eu-west': { kind: 's3', bucket: 'silo-eu', endpoint: s3.endpoint, forcePathStyle: true, jurisdiction: 'eu', ...credentials } } },
    });
    await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.backups.runCycle();
    await s3.close();
    servers.splice(servers.indexOf(s3), 1);
    const report = await fleet.backups.verify({ instances: ['acme'] });
    expect(report).toMatchObject({ checked: 1, failed: 1 });
    // Unreachable is no evidence of damage: the instance's last point stays its last point.
    expect(await fleet.backups.runCycle()).toMatchObject({ changed: 0 });
  });

  it('an in-place restore whose restored point cannot be stored stands, says so on the instance, and the next cycle stores it', async () => {
    const s3 = await fakeS3();
    let now = Date.UTC(2026, 2, 1, 9);
    const { fleet } = await tempFleet({
      clock: () => now,
      backups: { locations: { 'eu-west': { kind: 's3', bucket: 'silo-eu', endpoint: s3.endpoint, forcePathStyle: true, jurisdiction: 'eu', ...credentials } } },
    });
    const notes = (name: string) => fleet.withInstance(name, async (db) => (await db.execute('SELECT body FROM notes ORDER BY id')).rows.map((row) => row['body']));
    await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.withInstance('acme', (db) => db.execute("INSERT INTO notes (body) VALUES ('kept')"));
    await fleet.backups.runCycle();
    const good = now;
    now += 60_000;
    await fleet.withInstance('acme', (db) => db.execute("INSERT INTO notes (body) VALUES ('mistake')"));

    // The bucket refuses the restored point's manifest, nothing else.
    s3.failPuts((key) => key.includes('-restored-'));
    now += 60_000;
    const restored = await fleet.backups.restore('acme', { at: good, inPlace: true });
    expect(restored.mode).toBe('in-place');
    expect(await notes('acme')).toEqual(['kept']);
    const meanwhile = await fleet.backups.status('acme');
    expect(meanwhile.lastError).toMatch(/^The restored state could not be stored as a backup point yet \(the next cycle takes it\): /);
    expect(fleet.backups.overview().failing.map((failure) => failure.instance)).toEqual(['acme']);

    s3.failPuts(undefined);
    now += 60_000;
    expect(await fleet.backups.runCycle()).toMatchObject({ backedUp: 1, failed: 0 });
    expect((await fleet.backups.status('acme')).lastError).toBeNull();
    // The newest point now holds the restored state, not the data the restore replaced.
    await fleet.backups.restore('acme', { at: now, as: 'acme-now' });
    expect(await notes('acme-now')).toEqual(['kept']);
  });
});
