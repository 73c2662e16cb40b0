/**
 * Backups across a power-cut stand-in: a process writing continuously with the scheduler on
 * is killed with SIGKILL; a restore from its backups holds every write committed more than the
 * RPO before the kill. And a backup killed half-way leaves no point a restore could pick up.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FailpointName } from '../src/failpoints';
import { openFleet, type Fleet } from '../src/index';
import { killAllChildren, runChild, startChild } from './fixtures/children';
import { filesUnder, sampleSchema, tempDir, tempFleet } from './helpers';

afterEach(killAllChildren);

/** The scheduler's interval in the child: short, so the test takes seconds, not minutes. */
const INTERVAL_MS = 500;
/** What the test promises: the interval plus a generous allowance for one cycle on a busy machine. */
const RPO_MS = INTERVAL_MS + 4_500;

async function ids(fleet: Fleet, name: string): Promise<number[]> {
  return fleet.withInstance(name, async (db) => (await db.execute('SELECT id FROM notes ORDER BY id')).rows.map((row) => Number(row['id'])));
}

describe('a writer killed with the scheduler on', () => {
  it('restores every write committed more than the RPO before the kill', async () => {
    const dataDir = tempDir();
    const setup = await openFleet({ dataDir, schema: sampleSchema() });
    await setup.create('busy', { jurisdiction: 'eu' });
    await setup.close();

    const child = startChild({ command: 'backup-writer', dataDir, name: 'busy', intervalMs: INTERVAL_MS });
    await child.waitFor('ready');
    // Let it write through several backup cycles.
    await new Promise((resolve) => setTimeout(resolve, 8 * INTERVAL_MS + 3_000));
    const killedAt = Date.now();
    child.kill('SIGKILL');
    const exit = await child.exited;
    expect(exit.signal, child.describe()).toBe('SIGKILL');

    const written = exit.events.flatMap((event) => (event.event === 'written' ? [event] : []));
    const safe = written.filter((event) => event.at <= killedAt - RPO_MS).at(-1);
    expect(safe, `the child wrote for long enough: ${child.describe()}`).toBeDefined();

    const { fleet } = await tempFleet({ dataDir });
    const points = await fleet.backups.list('busy');
    expect(points.length).toBeGreaterThan(2);
    const restored = await fleet.backups.restore('busy', { at: killedAt, as: 'busy-restored' });
    expect(restored.point.takenAt).toBeLessThanOrEqual(killedAt);
    const restoredIds = await ids(fleet, 'busy-restored');
    const last = restoredIds.at(-1) ?? 0;
    expect(last).toBeGreaterThanOrEqual(safe?.last ?? Number.POSITIVE_INFINITY);
    // Whole transactions only, in order, nothing missing below the last one.
    expect(restoredIds).toEqual(Array.from({ length: last }, (_, index) => index + 1));
    expect(await fleet.engine.integrityCheck(restored.instance.dbUrl)).toEqual([]);
    const lagBehindKill = killedAt - restored.point.takenAt;
    expect(lagBehindKill).toBeLessThanOrEqual(RPO_MS);
  });
});

describe('a backup killed half-way', () => {
  it.each<FailpointName>(['backup:after-chunks', 'backup:before-manifest'])('at %s leaves no visible point, and the previous one restores', async (failpoint) => {
    const { fleet: setup, dataDir } = await tempFleet();
    await setup.create('acme', { jurisdiction: 'us' });
    await setup.withInstance('acme', (db) => db.execute("INSERT INTO notes (body) VALUES ('before')"));
    const before = await setup.backups.now('acme');
    await setup.withInstance('acme', (db) => db.execute("INSERT INTO notes (body) VALUES ('after')"));
    await setup.close();

    const exit = await runChild({ command: 'backup-now', dataDir, name: 'acme' }, { failpoint });
    expect(exit.signal).toBe('SIGKILL');

    const fleet = await openFleet({ dataDir, schema: sampleSchema() });
    try {
      expect((await fleet.backups.list('acme')).map((point) => point.id)).toEqual([before.id]);
      const restored = await fleet.backups.restore('acme', { at: Date.now(), as: 'acme-back' });
      expect(restored.point.id).toBe(before.id);
      const bodies = await fleet.withInstance('acme-back', async (db) => (await db.execute('SELECT body FROM notes')).rows.map((row) => row['body']));
      expect(bodies).toEqual(['before']);
      // The dead process's half-written files are swept by retention; staging by doctor.
      await fleet.backups.applyRetention();
      await fleet.doctor({ scanFiles: true });
      expect(filesUnder(dataDir).filter((file) => path.basename(file).includes('.tmp-'))).toEqual([]);
    } finally {
      await fleet.close();
    }
  });
});

describe('an in-place restore killed before the swap', () => {
  it('leaves the instance as it was, and the next restore works', async () => {
    const { fleet: setup, dataDir } = await tempFleet();
    await setup.create('acme', { jurisdiction: 'eu' });
    await setup.withInstance('acme', (db) => db.execute("INSERT INTO notes (body) VALUES ('old')"));
    const old = await setup.backups.now('acme');
    await setup.withInstance('acme', (db) => db.execute("INSERT INTO notes (body) VALUES ('new')"));
    await setup.close();

    const exit = await runChild({ command: 'restore-in-place', dataDir, name: 'acme', at: old.takenAt }, { failpoint: 'restore:before-swap' });
    expect(exit.signal).toBe('SIGKILL');

    const fleet = await openFleet({ dataDir, schema: sampleSchema() });
    try {
      const bodies = async (): Promise<unknown[]> => fleet.withInstance('acme', async (db) => (await db.execute('SELECT body FROM notes ORDER BY id')).rows.map((row) => row['body']));
      expect(await bodies()).toEqual(['old', 'new']);
      expect(await fleet.engine.integrityCheck(fleet.require('acme').dbUrl)).toEqual([]);
      // The dead process's restore lease does not block the next one.
      const again = await fleet.backups.restore('acme', { at: old.takenAt, inPlace: true });
      expect(again.point.id).toBe(old.id);
      expect(await bodies()).toEqual(['old']);
      await fleet.doctor({ scanFiles: true });
      expect(filesUnder(dataDir).filter((file) => path.basename(file).includes('.tmp-'))).toEqual([]);
    } finally {
      await fleet.close();
    }
  });
});
