/**
 * Backups written while something else works on the same location: retention collecting
 * chunks, a purge, another process's scheduler. The S3 stand-in (fixtures/fake-s3.ts) holds one
 * upload, as a slow network would, so the other operation runs exactly inside that window.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { isSiloError, type Fleet, type FleetOptions } from '../src/index';
import { startFakeS3, type FakeS3 } from './fixtures/fake-s3';
import { fileOf, tempDir, tempFleet } from './helpers';

const HOUR = 60 * 60 * 1_000;
const DAY = 24 * HOUR;

const servers: FakeS3[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function fakeS3(): Promise<FakeS3> {
  const server = await startFakeS3({ buckets: ['silo-eu'] });
  servers.push(server);
  return server;
}

function s3Backups(s3: FakeS3, extra: NonNullable<FleetOptions['backups']> = {}): NonNullable<FleetOptions['backups']> {
  return {
    ...extra,
    locations: {
      'eu-west': {
        kind: 's3',
        bucket: 'silo-eu',
        endpoint: s3.endpoint,
        forcePathStyle: true,
        jurisdiction: 'eu',
        accessKeyId: 'test-key',
        secretAccessKey: 'test-secret',
      },
    },
  };
}

/** Keys of the bucket under an instance's backups. */
function keysOf(s3: FakeS3, instanceId: string): string[] {
  return [...(s3.buckets.get('silo-eu')?.keys() ?? [])].filter((key) => key.startsWith(`instances/${instanceId}/`));
}

/** Makes every object look written long ago (chunks younger than an hour are never collected). */
function ageObjects(s3: FakeS3): void {
  const bucket = s3.buckets.get('silo-eu');
  for (const [key, object] of bucket ?? []) bucket?.set(key, { ...object, modified: new Date(Date.now() - 2 * HOUR) });
}

async function notes(fleet: Fleet, name: string): Promise<string[]> {
  return fleet.withInstance(name, async (db) => (await db.execute('SELECT body FROM notes ORDER BY id')).rows.map((row) => String(row['body'])));
}

describe('chunk collection while a point is being written', () => {
  it('keeps the chunks a point in flight relies on, although the point they came from was just dropped', async () => {
    const s3 = await fakeS3();
    let now = Date.UTC(2026, 2, 1, 9);
    const clock = (): number => now;
    const dataDir = tempDir();
    const backups = s3Backups(s3, { fullHistoryHours: 1, dailyDays: 0 });
    // Two processes of one fleet: a server taking a manual backup, and the scheduler's retention.
    const { fleet: server } = await tempFleet({ dataDir, clock, backups });
    const { fleet: scheduler } = await tempFleet({ dataDir, clock, backups });
    await server.create('acme', { jurisdiction: 'eu' });
    // Several 64 KiB chunks, so a later change leaves most of them shared.
    const bodies = Array.from({ length: 100 }, () => randomBytes(1_500).toString('hex'));
    await server.withInstance('acme', (db) => db.batch(bodies.map((body) => ({ sql: 'INSERT INTO notes (body) VALUES (?)', args: [body] }))));
    await server.backups.now('acme');
    const id = server.require('acme').id;

    // A manual backup of the unchanged state: every chunk is known from the first point, so it
    // only writes its manifest, which the network holds.
    now += 2 * HOUR;
    const manifestHeld = s3.holdNextPut((key) => key.startsWith(`instances/${id}/points/`));
    const inFlight = server.backups.now('acme');
    await manifestHeld.reached;

    // Meanwhile the first note changes and the scheduler's process stores a newer point...
    now += 1_000;
    await scheduler.withInstance('acme', (db) => db.execute('UPDATE notes SET body = ? WHERE id = 1', ['changed']));
    await scheduler.backups.now('acme');
    // ...then its retention drops the first point (older than the full history, not the newest).
    ageObjects(s3);
    now += 1_000;
    const retention = await scheduler.backups.applyRetention();
    expect(retention.pointsRemoved).toBeGreaterThanOrEqual(1);

    manifestHeld.release();
    const held = await inFlight;
    // The point written in that window is whole: restoring it gives the state it was taken of.
    await server.backups.restore('acme', { at: held.takenAt, as: 'acme-then' });
    expect(await notes(server, 'acme-then')).toEqual(bodies);
    expect(keysOf(s3, id).length).toBeGreaterThan(0);
  });

  it('collects a chunk once it has stayed unreferenced for the grace period', async () => {
    const s3 = await fakeS3();
    let now = Date.UTC(2026, 2, 1, 9);
    const { fleet } = await tempFleet({ clock: () => now, backups: s3Backups(s3, { fullHistoryHours: 1, dailyDays: 0 }) });
    await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.withInstance('acme', (db) => db.execute('INSERT INTO notes (body) VALUES (?)', ['first']));
    await fleet.backups.now('acme');
    now += 2 * HOUR;
    await fleet.withInstance('acme', (db) => db.execute('UPDATE notes SET body = ? WHERE id = 1', ['second']));
    await fleet.backups.now('acme');
    ageObjects(s3);
    const chunks = (): number => keysOf(s3, fleet.require('acme').id).filter((key) => key.includes('/chunks/')).length;
    const before = chunks();

    const first = await fleet.backups.applyRetention();
    expect(first).toMatchObject({ pointsRemoved: 1, chunksRemoved: 0 });
    now += HOUR - 1;
    expect((await fleet.backups.applyRetention()).chunksRemoved).toBe(0);
    now += 1;
    const second = await fleet.backups.applyRetention();
    expect(second.chunksRemoved).toBeGreaterThan(0);
    expect(chunks()).toBe(before - second.chunksRemoved);
    expect(await notes(fleet, 'acme')).toEqual(['second']);
    await fleet.backups.restore('acme', { at: now, as: 'acme-copy' });
    expect(await notes(fleet, 'acme-copy')).toEqual(['second']);
  });
});

describe('a purge while the instance’s first backup is being written', () => {
  it('still removes that backup after the stated retention', async () => {
    const s3 = await fakeS3();
    let now = Date.UTC(2026, 2, 1, 9);
    const { fleet } = await tempFleet({ clock: () => now, backups: s3Backups(s3, { purgeAfterDays: 1 }) });
    await fleet.create('gone', { jurisdiction: 'eu' });
    const id = fleet.require('gone').id;
    // The first backup's chunks are on their way (held by the network): nothing is stored yet.
    const chunkHeld = s3.holdNextPut((key) => key.startsWith(`instances/${id}/chunks/`));
    const inFlight = fleet.backups.now('gone');
    await chunkHeld.reached;
    await fleet.delete('gone');
    await fleet.purge('gone');
    chunkHeld.release();
    await inFlight;
    expect(keysOf(s3, id).some((key) => key.includes('/points/'))).toBe(true);

    now += DAY - 1;
    expect((await fleet.backups.applyRetention()).instancesRemoved).toEqual([]);
    now += 1;
    expect((await fleet.backups.applyRetention()).instancesRemoved).toEqual(['gone']);
    expect(keysOf(s3, id)).toEqual([]);
    // A new instance of the same name has backups of its own, untouched by the old purge.
    await fleet.create('gone', { jurisdiction: 'eu' });
    await fleet.backups.now('gone');
    now += 2 * DAY;
    await fleet.backups.applyRetention();
    expect(await fleet.backups.list('gone')).toHaveLength(1);
    expect(isSiloError(await fleet.backups.list('nobody').catch((error: unknown) => error), 'INSTANCE_NOT_FOUND')).toBe(true);
  });
});

describe('a scheduler tick that outlasts its lease', () => {
  it('keeps the lease while it works, so another process does not run a cycle beside it', async () => {
    const s3 = await fakeS3();
    let now = Date.UTC(2026, 2, 1, 9);
    const clock = (): number => now;
    const dataDir = tempDir();
    // The lease lasts 30 s at this interval; the held upload makes the cycle last longer.
    const backups = s3Backups(s3, { intervalMs: 100 });
    const { fleet: first } = await tempFleet({ dataDir, clock, backups });
    const { fleet: second } = await tempFleet({ dataDir, clock, backups });
    await first.create('acme', { jurisdiction: 'eu' });
    const held = s3.holdNextPut((key) => key.startsWith('instances/'));
    const working = first.backups.tick();
    await held.reached;
    for (let step = 0; step < 4; step++) {
      now += 15_000;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(first.backups.overview().scheduler?.owner).toBeDefined();
    expect(await second.backups.tick()).toBeUndefined();
    held.release();
    expect(await working).toMatchObject({ backedUp: 1, failed: 0 });
    expect(await first.backups.list('acme')).toHaveLength(1);
  });
});

/**
 * Another process writes: it takes the write lock, inserts, holds the lock `holdMs`, then
 * commits. Resolves once the lock is held, with the commit's time to come.
 */
async function writerHoldingTheLock(file: string, holdMs: number): Promise<{ committedAt: Promise<number> }> {
  const script = `
    const Database = require('better-sqlite3');
    const db = new Database(${JSON.stringify(file)});
    db.exec('BEGIN IMMEDIATE');
    db.prepare('INSERT INTO notes (body) VALUES (?)').run('late');
    console.log('locked');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ${holdMs});
    const at = Date.now();
    db.exec('COMMIT');
    console.log('committed ' + at);
    db.close();
  `;
  const child = spawn(process.execPath, ['-e', script], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  let locked: () => void = () => undefined;
  let committed: (at: number) => void = () => undefined;
  const lockedNow = new Promise<void>((resolve) => (locked = resolve));
  const committedAt = new Promise<number>((resolve) => (committed = resolve));
  lines.on('line', (line) => {
    if (line === 'locked') locked();
    const match = /^committed (\d+)$/.exec(line);
    if (match) committed(Number(match[1]));
  });
  await lockedNow;
  return { committedAt };
}

describe('the time of a backup point', () => {
  it('is read once the snapshot holds the lock: a point never holds a commit made after its time', async () => {
    const { fleet, dataDir } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.withInstance('acme', (db) => db.execute('INSERT INTO notes (body) VALUES (?)', ['early']));
    const { committedAt } = await writerHoldingTheLock(fileOf(fleet.require('acme').dbUrl, dataDir), 300);
    // The backup starts while the other process holds the lock, and waits for its commit.
    const point = await fleet.backups.now('acme');
    const commit = await committedAt;
    await fleet.backups.restore('acme', { at: point.takenAt, as: 'acme-then' });
    expect(await notes(fleet, 'acme-then')).toEqual(['early', 'late']);
    // Restoring "as it was at takenAt" must not bring back a write made after that moment.
    expect(point.takenAt).toBeGreaterThanOrEqual(commit);
  });
});
