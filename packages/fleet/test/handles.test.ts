import { afterEach, describe, expect, it, vi } from 'vitest';
import { statSync } from 'node:fs';
import { defaultHandleCap, openFileLimit } from '../src/handle-budget';
import { resolveSettings } from '../src/index';
import { HandleCache } from '../src/handle-cache';
import { fdsUnder, fileOf, tempFleet } from './helpers';

describe('handle cache', () => {
  it('keeps at most `cap` handles open and closes evicted ones at once', async () => {
    const { fleet, dataDir } = await tempFleet({ handleCap: 5 });
    for (let i = 0; i < 12; i++) await fleet.create(`shop-${i}`, { jurisdiction: i % 2 ? 'eu' : 'us' });
    // The catalog only: its file, WAL and shared memory, and the lookup cache's watch on the latter.
    expect(fdsUnder(dataDir)).toBeLessThanOrEqual(4);

    for (let i = 0; i < 12; i++) {
      const handle = await fleet.open(`shop-${i}`);
      await handle.db.execute("INSERT INTO notes (body) VALUES ('x')");
      handle.release();
    }
    expect(fleet.openHandles).toBe(5);
    const withFive = fdsUnder(dataDir);
    // Each open WAL database holds the file, its WAL and its shared memory.
    expect(withFive).toBeLessThanOrEqual(4 + 5 * 3);

    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 12; i++) (await fleet.open(`shop-${i}`)).release();
    }
    expect(fleet.openHandles).toBe(5);
    expect(fdsUnder(dataDir)).toBe(withFive);
  });

  it('never evicts a handle in use: the next caller waits for a release', async () => {
    const { fleet } = await tempFleet({ handleCap: 2, handleWaitMs: 5_000 });
    for (const name of ['one-1', 'two-2', 'three-3']) await fleet.create(name, { jurisdiction: 'eu' });
    const one = await fleet.open('one-1');
    const two = await fleet.open('two-2');
    let third: Awaited<ReturnType<typeof fleet.open>> | undefined;
    const waiting = fleet.open('three-3').then((handle) => (third = handle));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(third).toBeUndefined();
    // Both handles still work while the third caller waits.
    expect((await one.db.execute('SELECT count(*) AS n FROM notes')).rows).toEqual([{ n: 0 }]);
    expect((await two.db.execute('SELECT count(*) AS n FROM notes')).rows).toEqual([{ n: 0 }]);
    one.release();
    await waiting;
    expect(third?.instance.name).toBe('three-3');
    expect(fleet.openHandles).toBe(2);
    // The handle still in use survived; the released one was evicted.
    expect((await two.db.execute('SELECT count(*) AS n FROM notes')).rows).toEqual([{ n: 0 }]);
    two.release();
    third?.release();
  });

  it('gives up with HANDLES_EXHAUSTED when nothing is released in time', async () => {
    const { fleet } = await tempFleet({ handleCap: 1, handleWaitMs: 100 });
    await fleet.create('one-1', { jurisdiction: 'eu' });
    await fleet.create('two-2', { jurisdiction: 'eu' });
    const held = await fleet.open('one-1');
    await expect(fleet.open('two-2')).rejects.toMatchObject({ code: 'HANDLES_EXHAUSTED' });
    held.release();
    (await fleet.open('two-2')).release();
  });

  it('shares one handle between concurrent users of the same instance', async () => {
    const { fleet } = await tempFleet({ handleCap: 1 });
    await fleet.create('acme', { jurisdiction: 'eu' });
    const handles = await Promise.all([fleet.open('acme'), fleet.open('acme'), fleet.open('acme')]);
    expect(new Set(handles.map((h) => h.db)).size).toBe(1);
    for (const handle of handles) handle.release();
  });

  it('closes the handle of a deleted instance once its last user releases it', async () => {
    const { fleet, dataDir } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    const handle = await fleet.open('acme');
    await fleet.delete('acme');
    await expect(fleet.open('acme')).rejects.toMatchObject({ code: 'INSTANCE_NOT_FOUND' });
    // In-flight work finishes on the handle it holds.
    expect((await handle.db.execute('SELECT count(*) AS n FROM notes')).rows).toEqual([{ n: 0 }]);
    handle.release();
    expect(fleet.openHandles).toBe(0);
    expect(fdsUnder(`${dataDir}/regions`)).toBe(0);
  });

  it('defaults the cap to what the file-descriptor limit affords, within 50–2,000', () => {
    expect(defaultHandleCap(20_000)).toBe(2_000);
    expect(defaultHandleCap(1_024)).toBe(170); // (1,024 − 512 reserved) ÷ 3 fds per handle
    expect(defaultHandleCap(256)).toBe(50);
    expect(defaultHandleCap(undefined)).toBe(200);
    // This process's own limit is what an unconfigured fleet uses.
    expect(openFileLimit()).toBeGreaterThan(0);
    expect(resolveSettings({ dataDir: 'x' }).handleCap).toBe(defaultHandleCap(openFileLimit()));
    expect(resolveSettings({ dataDir: 'x', handleCap: 7 }).handleCap).toBe(7);
  });
});

describe('idle handles (an outside soak probe, session 37)', () => {
  it('tidies handles idle for long enough, least recently used first, once per idle spell', () => {
    const tidied: string[] = [];
    const cache = new HandleCache<string, string>({ cap: 10, waitMs: 0, close: () => undefined });
    for (const key of ['a', 'b', 'c']) cache.tryAcquire(key, () => key)?.release();
    const later = Date.now() + 60_000;
    const inUse = cache.tryAcquire('b', () => 'b');
    expect(cache.tidyIdle(30_000, 10, (value) => tidied.push(value), later)).toBe(2);
    expect(tidied).toEqual(['a', 'c']);
    // Tidied once per idle spell; a use makes it due again, once idle long enough.
    expect(cache.tidyIdle(30_000, 10, (value) => tidied.push(value), later)).toBe(0);
    inUse?.release();
    cache.tryAcquire('a', () => 'a')?.release();
    expect(cache.tidyIdle(30_000, 10, (value) => tidied.push(value), Date.now())).toBe(0);
    expect(cache.tidyIdle(30_000, 1, (value) => tidied.push(value), Date.now() + 60_000)).toBe(1);
    expect(tidied).toEqual(['a', 'c', 'b']);
  });

  it('gives back the disk an idle handle’s write-ahead log holds, and the data stays', async () => {
    const { fleet, dataDir } = await tempFleet();
    const instance = await fleet.create('acme', { jurisdiction: 'eu' });
    const connection = fleet.engine.connect(instance.dbUrl);
    try {
      for (let i = 0; i < 200; i++) await connection.execute('INSERT INTO notes (body) VALUES (?)', ['x'.repeat(2_000)]);
      const wal = `${fileOf(instance.dbUrl, dataDir)}-wal`;
      expect(statSync(wal).size).toBeGreaterThan(256 * 1024);
      connection.trimIdle?.();
      expect(statSync(wal).size).toBe(0);
      expect((await connection.execute('SELECT count(*) AS n FROM notes')).rows[0]?.['n']).toBe(200);
    } finally {
      connection.close();
    }
  });

  describe('with the clock moved on', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('records the smaller size in the catalog once an idle handle’s log is given back', async () => {
      // Only the fleet's interval timers and its clock: SQLite's and the catalog's own waits stay real.
      vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
      const { fleet, dataDir } = await tempFleet();
      await fleet.create('acme', { jurisdiction: 'eu' });
      await fleet.withInstance('acme', async (db) => {
        for (let i = 0; i < 200; i++) await db.execute('INSERT INTO notes (body) VALUES (?)', ['x'.repeat(2_000)]);
      });
      fleet.touch('acme', {});
      await fleet.flushActivity();
      const instance = fleet.find('acme');
      const wal = `${fileOf(instance?.dbUrl ?? '', dataDir)}-wal`;
      expect(statSync(wal).size).toBeGreaterThan(256 * 1024);
      const before = instance?.sizeBytes ?? 0;
      expect(before).toBeGreaterThan(statSync(wal).size);

      await vi.advanceTimersByTimeAsync(31_000);
      await vi.waitFor(() => expect(fleet.find('acme')?.sizeBytes).toBeLessThan(before));
      expect(statSync(wal).size).toBe(0);
      expect(fleet.find('acme')?.sizeBytes).toBe(statSync(fileOf(instance?.dbUrl ?? '', dataDir)).size);
      expect(fleet.find('acme')?.lastActiveAt).toBe(instance?.lastActiveAt);
    });
  });
});
