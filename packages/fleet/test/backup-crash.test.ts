/**
 * Backups across a power-cut stand-in: a process writing continuously with the scheduler on
 * is killed with SIGKILL; a restore from its backups holds every write committed more than the
 * RPO before the kill. A backup killed half-way leaves no point a restore could pick up. An
 * in-place restore killed anywhere (at its failpoints, or at random moments closing in on its
 * swap) leaves the old content or the point's, whole, and a fleet `doctor` finds sound.
 *
 * SILO_RESTORE_KILL_ROUNDS raises the number of random kills (default 8).
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FailpointName } from '../src/failpoints';
import { openFleet, type Fleet } from '../src/index';
import { killAllChildren, runChild, startChild } from './fixtures/children';
import { randomBytes } from 'node:crypto';
import { expectSoundFleet, filesUnder, sampleSchema, tempDir, tempFleet } from './helpers';

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

/**
 * An instance of a few MB (so an in-place restore takes long enough to be killed inside each of
 * its steps) with one point, then more notes: its live content and the point's differ.
 */
async function restorable(): Promise<{ dataDir: string; at: number; old: number[]; live: number[] }> {
  const { fleet, dataDir } = await tempFleet();
  await fleet.create('acme', { jurisdiction: 'eu' });
  const note = (id: number): { sql: string; args: [number, string] } => ({ sql: 'INSERT INTO notes (id, body) VALUES (?, ?)', args: [id, randomBytes(1_500).toString('hex')] });
  await fleet.withInstance('acme', (db) => db.batch(Array.from({ length: 1_500 }, (_, index) => note(index + 1))));
  const point = await fleet.backups.now('acme');
  const old = await ids(fleet, 'acme');
  // Changes all over the file: new pages, and old ones rewritten.
  await fleet.withInstance('acme', (db) => db.batch([{ sql: 'DELETE FROM notes WHERE id % 3 = 0', args: [] }, ...Array.from({ length: 300 }, (_, index) => note(2_000 + index))]));
  const live = await ids(fleet, 'acme');
  await fleet.close();
  return { dataDir, at: point.takenAt, old, live };
}

/** After a killed restore: the old content or the point's, whole; a sound fleet; and the next restore works. */
async function expectWholeAndSound(dataDir: string, state: { at: number; old: number[]; live: number[] }, label: string): Promise<'old' | 'restored'> {
  const fleet = await openFleet({ dataDir, schema: sampleSchema() });
  try {
    const now = JSON.stringify(await ids(fleet, 'acme'));
    const outcome = now === JSON.stringify(state.live) ? 'old' : now === JSON.stringify(state.old) ? 'restored' : undefined;
    if (outcome === undefined) throw new Error(`${label}: the instance holds neither the old content nor the point's, whole`);
    // A killed undo point's chunks are swept by retention (the backup folder is not doctor's).
    await fleet.backups.applyRetention();
    await expectSoundFleet(fleet, dataDir);
    expect((await fleet.backups.verify({ instances: ['acme'] })).failed, label).toBe(0);
    // The dead restorer's lease does not stand in the way, and the content goes where it is asked.
    await fleet.backups.restore('acme', { at: state.at, inPlace: true });
    expect(await ids(fleet, 'acme')).toEqual(state.old);
    return outcome;
  } finally {
    await fleet.close();
  }
}

describe('an in-place restore killed while it stores its undo point', () => {
  it.each<FailpointName>(['backup:after-chunks', 'backup:before-manifest'])('at %s leaves the old content, a sound fleet, and no undo point', async (failpoint) => {
    const state = await restorable();
    const exit = await runChild({ command: 'restore-in-place', dataDir: state.dataDir, name: 'acme', at: state.at }, { failpoint });
    expect(exit.signal).toBe('SIGKILL');
    const points = filesUnder(path.join(state.dataDir, 'regions', 'eu-west', 'backups')).filter((file) => file.endsWith('.json'));
    expect(points.filter((file) => path.basename(file).includes('-undo-'))).toEqual([]);
    expect(await expectWholeAndSound(state.dataDir, state, failpoint)).toBe('old');
  });
});

describe('an in-place restore killed at a random moment', () => {
  const ROUNDS = Number(process.env['SILO_RESTORE_KILL_ROUNDS'] ?? 8);

  it(`leaves the old content or the point's, whole, and a sound fleet (${ROUNDS} rounds)`, { timeout: 60_000 + ROUNDS * 15_000 }, async () => {
    // How long a restore runs in the child once it is ready: the span the kills are spread over.
    const timing = await restorable();
    const timed = startChild({ command: 'restore-in-place', dataDir: timing.dataDir, name: 'acme', at: timing.at });
    await timed.waitFor('ready');
    const started = performance.now();
    await timed.waitFor('done');
    const span = performance.now() - started;
    expect((await timed.exited).code, timed.describe()).toBe(0);

    const seen: string[] = [];
    // Kills that left the old content were before the swap, the others after it: later rounds
    // close in on that moment (a child's run varies by tens of ms, so a fixed spread misses it).
    let before = 0;
    let after = span * 1.2;
    for (let round = 0; round < ROUNDS; round++) {
      const state = await restorable();
      const delay = round < Math.ceil(ROUNDS / 4) ? Math.random() * span : before + Math.random() * (after - before);
      const child = startChild({ command: 'restore-in-place', dataDir: state.dataDir, name: 'acme', at: state.at });
      await child.waitFor('ready');
      await new Promise((resolve) => setTimeout(resolve, delay));
      child.kill('SIGKILL');
      const exit = await child.exited;
      const label = `round ${round}: killed ${delay.toFixed(0)} ms into a ${span.toFixed(0)} ms restore (${exit.signal ?? `exit ${exit.code}`})`;
      if (exit.signal !== 'SIGKILL') expect(exit.code, `${label}: ${child.describe()}`).toBe(0);
      const outcome = await expectWholeAndSound(state.dataDir, state, label);
      if (outcome === 'old') before = Math.max(before, delay);
      else after = Math.min(after, delay);
      seen.push(`${label}: ${outcome}`);
    }
    console.log(seen.join('\n'));
  });
});
