import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { EXPORTS_PER_INSTANCE } from '../src/export-gate';
import type { ExportedFile, Fleet } from '../src/index';
import { PerKeyLimit, SharedRuns } from '../src/per-key-gate';
import { filesUnder, tempDir, tempFleet } from './helpers';

const CALLS = 10;

/** Lets other work (snapshots, file system callbacks) run: never asserted as a time. */
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function fleetWithNotes(...names: string[]): Promise<{ fleet: Fleet; dataDir: string }> {
  const made = await tempFleet();
  for (const name of names) {
    await made.fleet.create(name, { jurisdiction: 'eu' });
    await made.fleet.withInstance(name, (db) => db.batch(Array.from({ length: 200 }, (_, i) => ({ sql: 'INSERT INTO notes (body) VALUES (?)', args: [`${name}-${i}-${'x'.repeat(500)}`] }))));
  }
  return made;
}

/** Export copies staged in the region's folder now (one file per export; sidecars not counted). */
function stagedExports(dataDir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(path.join(dataDir, 'regions', 'eu-west', 'staging'));
  } catch {
    return [];
  }
  return entries.filter((entry) => entry.includes('.export.db.tmp-') && !/-(wal|shm|journal)$/.test(entry));
}

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The rows of an exported file, after SQLite checked it whole. */
function notesIn(bytes: Buffer): number {
  const file = path.join(tempDir(), 'export.sqlite');
  writeFileSync(file, bytes);
  const db = new Database(file, { readonly: true });
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    return (db.prepare('SELECT count(*) AS n FROM notes').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('backup now of one instance, called concurrently', () => {
  it('takes one point that every caller gets; the callers that shared it are audited as joined', async () => {
    const { fleet, dataDir } = await fleetWithNotes('acme');
    const points = await Promise.all(Array.from({ length: CALLS }, (_, i) => fleet.backups.now('acme', { actor: `caller-${i}` })));

    expect(new Set(points.map((point) => point.id)).size).toBe(1);
    const listed = await fleet.backups.list('acme');
    expect(listed.map((point) => point.id)).toEqual([points[0]?.id]);
    const id = fleet.require('acme').id;
    const manifests = filesUnder(path.join(dataDir, 'regions', 'eu-west', 'backups')).filter((file) => file.includes(id) && file.includes(`${path.sep}points${path.sep}`));
    expect(manifests).toHaveLength(1);

    const entries = fleet.audit({ instance: 'acme', operation: 'backup' }).items;
    expect(entries).toHaveLength(CALLS);
    expect(entries.every((entry) => entry.outcome === 'ok')).toBe(true);
    expect(entries.filter((entry) => entry.detail?.['joined'] === true)).toHaveLength(CALLS - 1);
    expect(new Set(entries.map((entry) => entry.actor)).size).toBe(CALLS);

    // Once it is done, the next call takes a point of its own.
    const later = await fleet.backups.now('acme');
    expect(later.id).not.toBe(points[0]?.id);
    expect(await fleet.backups.list('acme')).toHaveLength(2);
  });

  it('shares a failure the same way', async () => {
    const { fleet } = await fleetWithNotes('acme');
    await fleet.delete('acme');
    const results = await Promise.allSettled(Array.from({ length: 3 }, () => fleet.backups.now('acme')));
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected', 'rejected']);
    const entries = fleet.audit({ instance: 'acme', operation: 'backup' }).items;
    expect(entries.map((entry) => [entry.outcome, entry.detail?.['joined'] ?? false])).toEqual(expect.arrayContaining([['error', false], ['error', true], ['error', true]]));
    expect(entries).toHaveLength(3);
  });

  it('does not hold other instances back: each gets a point of its own', async () => {
    const { fleet } = await fleetWithNotes('one', 'two');
    const [one, two] = await Promise.all([fleet.backups.now('one'), fleet.backups.now('two')]);
    expect(one.id).not.toBe(two.id);
    expect((await fleet.backups.list('one')).map((point) => point.id)).toEqual([one.id]);
    expect((await fleet.backups.list('two')).map((point) => point.id)).toEqual([two.id]);
  });
});

describe('exports of one instance, called concurrently', () => {
  it(`stage at most ${EXPORTS_PER_INSTANCE} copies at a time; the others wait their turn, and every one is delivered whole`, async () => {
    const { fleet, dataDir } = await fleetWithNotes('acme');
    let maxStaged = 0;
    const sampler = setInterval(() => (maxStaged = Math.max(maxStaged, stagedExports(dataDir).length)), 1);
    try {
      const ready: ExportedFile[] = [];
      const pending = Array.from({ length: CALLS }, () => fleet.exportStream('acme').then((file) => void ready.push(file)));
      void Promise.allSettled(pending);
      let delivered = 0;
      while (delivered < CALLS) {
        const outstanding = Math.min(EXPORTS_PER_INSTANCE, CALLS - delivered);
        await expect.poll(() => ready.length, { timeout: 20_000 }).toBeGreaterThanOrEqual(outstanding);
        // The streams are held unread: exports beyond the limit must not stage a copy meanwhile.
        await pause(30);
        expect(ready.length).toBeLessThanOrEqual(EXPORTS_PER_INSTANCE);
        expect(stagedExports(dataDir).length).toBeLessThanOrEqual(EXPORTS_PER_INSTANCE);
        const next = ready.shift() as ExportedFile;
        const bytes = await bytesOf(next.stream);
        expect(bytes.length).toBe(next.sizeBytes);
        expect(notesIn(bytes)).toBe(200);
        delivered++;
      }
      await Promise.all(pending);
      expect(maxStaged).toBeGreaterThan(0);
      expect(maxStaged).toBeLessThanOrEqual(EXPORTS_PER_INSTANCE);
      await expect.poll(() => stagedExports(dataDir), { timeout: 10_000 }).toEqual([]);
      await expect.poll(() => fleet.audit({ instance: 'acme', operation: 'export' }).items.filter((entry) => entry.outcome === 'ok').length).toBe(CALLS);
    } finally {
      clearInterval(sampler);
    }
  });

  it('hands the turn on when a stream is closed unread, and does not hold other instances back', async () => {
    const { fleet, dataDir } = await fleetWithNotes('acme', 'other');
    const held = [await fleet.exportStream('acme'), await fleet.exportStream('acme')];
    let thirdReady: ExportedFile | undefined;
    const third = fleet.exportStream('acme').then((file) => (thirdReady = file));

    // Another instance's export is not behind acme's.
    const other = await fleet.exportStream('other');
    expect(notesIn(await bytesOf(other.stream))).toBe(200);
    await pause(30);
    expect(thirdReady).toBeUndefined();
    expect(stagedExports(dataDir)).toHaveLength(EXPORTS_PER_INSTANCE);

    // A client that went away: its stream closes unread, its copy goes, the next export runs.
    held[0]?.stream.destroy();
    const file = await third;
    expect(notesIn(await bytesOf(file.stream))).toBe(200);
    expect(notesIn(await bytesOf(held[1]?.stream as Readable))).toBe(200);
    await expect.poll(() => stagedExports(dataDir), { timeout: 10_000 }).toEqual([]);
  });

  it('exportTo of one instance, called concurrently, writes every file', async () => {
    const { fleet } = await fleetWithNotes('acme');
    const dir = tempDir();
    const sizes = await Promise.all(Array.from({ length: 5 }, (_, i) => fleet.exportTo('acme', path.join(dir, `acme-${i}.sqlite`))));
    expect(sizes.every((size) => size.sizeBytes > 0)).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(Array.from({ length: 5 }, (_, i) => `acme-${i}.sqlite`));
  });
});

describe('PerKeyLimit', () => {
  it('lets `limit` holders per key in, the rest in the order they asked, and keys apart', async () => {
    const limit = new PerKeyLimit<string>(2);
    const order: number[] = [];
    const releases = await Promise.all([limit.acquire('a'), limit.acquire('a')]);
    const waiting = [3, 4, 5].map((n) => limit.acquire('a').then((release) => (order.push(n), release)));
    const other = await limit.acquire('b');
    expect(limit.usage('a')).toEqual({ holders: 2, waiting: 3 });
    releases[0]?.();
    releases[0]?.(); // twice: still one permit handed on
    const third = await waiting[0];
    expect(order).toEqual([3]);
    releases[1]?.();
    const fourth = await waiting[1];
    third?.();
    fourth?.();
    const fifth = await waiting[2];
    expect(order).toEqual([3, 4, 5]);
    fifth?.();
    other();
    expect(limit.usage('a')).toEqual({ holders: 0, waiting: 0 });
  });
});

describe('SharedRuns', () => {
  it('shares a run until it closes to joiners; a later caller gets the next run, after it', async () => {
    const runs = new SharedRuns<string, number>();
    let started = 0;
    let close: () => void = () => undefined;
    let finish: (value: number) => void = () => undefined;
    const task = (closeToJoiners: () => void): Promise<number> => {
      started++;
      close = closeToJoiners;
      return new Promise((resolve) => (finish = resolve));
    };
    const first = runs.run('k', task);
    const joiner = runs.run('k', task);
    expect([first.joined, joiner.joined]).toEqual([false, true]);
    await pause(0);
    expect(started).toBe(1);
    close();
    const next = runs.run('k', task);
    const nextJoiner = runs.run('k', task);
    expect([next.joined, nextJoiner.joined]).toEqual([false, true]);
    await pause(0);
    expect(started).toBe(1); // waits for the running one
    finish(1);
    expect([await first.result, await joiner.result]).toEqual([1, 1]);
    await expect.poll(() => started).toBe(2);
    finish(2);
    expect([await next.result, await nextJoiner.result]).toEqual([2, 2]);
  });
});
