/**
 * Defects found while splitting the backup core: concurrent in-place restores in one process,
 * and retention failures that left no record. Real files, real fleet; no mocks.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isSiloError, type Fleet } from '../src/index';
import { filesUnder, tempDir, tempFleet } from './helpers';

async function addNotes(fleet: Fleet, name: string, bodies: readonly string[]): Promise<void> {
  await fleet.withInstance(name, (db) => db.batch(bodies.map((body) => ({ sql: 'INSERT INTO notes (body) VALUES (?)', args: [body] }))));
}

async function notes(fleet: Fleet, name: string): Promise<string[]> {
  return fleet.withInstance(name, async (db) => (await db.execute('SELECT body FROM notes ORDER BY id')).rows.map((row) => String(row['body'])));
}

describe('backup races and failures', () => {
  it('lets only one in-place restore of an instance run at a time, also within one process', async () => {
    const { fleet } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    await addNotes(fleet, 'acme', ['kept']);
    await fleet.backups.runCycle();
    const good = Date.now();
    await addNotes(fleet, 'acme', ['later']);

    // A double-submitted form: both restores start before either finishes.
    const outcomes = await Promise.allSettled([
      fleet.backups.restore('acme', { at: good, inPlace: true }),
      fleet.backups.restore('acme', { at: good, inPlace: true }),
    ]);
    const refused = outcomes.filter((outcome) => outcome.status === 'rejected');
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(isSiloError(refused[0]?.status === 'rejected' ? refused[0].reason : undefined, 'INVALID_STATE')).toBe(true);
    expect(await notes(fleet, 'acme')).toEqual(['kept']);

    // The lease went back when the first finished: a later restore (the undo) runs.
    await fleet.backups.undoRestore('acme');
    expect(await notes(fleet, 'acme')).toEqual(['kept', 'later']);
  });

  it('records a retention run that fails in the audit log, also when the scheduler runs it', async () => {
    let now = Date.UTC(2026, 0, 10, 12);
    const { fleet, dataDir } = await tempFleet({ clock: () => now, backups: { purgeAfterDays: 1 } });
    await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.create('erased', { jurisdiction: 'eu' });
    await fleet.backups.runCycle();
    const erasedId = fleet.require('erased').id;
    await fleet.delete('erased');
    await fleet.purge('erased');
    now += 2 * 24 * 60 * 60 * 1_000;
    // A storage error: the purge marker's name is taken by a folder, so reading it fails
    // (EISDIR), in a folder the walk reaches before any instance's.
    const instances = path.join(dataDir, 'regions', 'eu-west', 'backups', 'instances');
    mkdirSync(path.join(instances, '00000000-unreadable', 'purged.json'), { recursive: true });

    const caught = await fleet.backups.applyRetention().catch((error: unknown) => error);
    expect(isSiloError(caught, 'BACKUP_FAILED')).toBe(true);
    const failures = fleet.audit({ operation: 'backup-retention' }).items;
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ outcome: 'error', actor: 'retention', detail: { instancesRemoved: ['erased'] } });
    expect(failures[0]?.error).toMatch(/EISDIR/);
    // The unreadable folder did not stop the walk: the purged instance's backups are gone.
    expect(readdirSync(instances).sort()).toEqual(['00000000-unreadable', fleet.require('acme').id].sort());
    expect(existsSync(path.join(instances, erasedId))).toBe(false);

    // The scheduler keeps going (the cycle is reported) and the failure is on record.
    expect(await fleet.backups.tick()).toBeDefined();
    expect(fleet.audit({ operation: 'backup-retention' }).items).toHaveLength(2);
  });
});

describe('the scheduler restarted while its last tick still runs', () => {
  it('keeps one loop, so the next stop really stops it and hands the lease back', async () => {
    const { fleet } = await tempFleet({ backups: { intervalMs: 100 } });
    await fleet.create('acme', { jurisdiction: 'eu' });
    let cycles = 0;
    let stopping: Promise<void> | undefined;
    await new Promise<void>((resolve) => {
      fleet.backups.start({
        onCycle: () => {
          // Inside the first tick: stop, and start again before that tick has finished.
          stopping = fleet.backups.stop();
          fleet.backups.start({ onCycle: () => (cycles++, cycles >= 4 && resolve()) });
        },
      });
    });
    await stopping;
    await fleet.backups.stop();
    const atStop = cycles;
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(cycles).toBe(atStop);
    expect(fleet.backups.running).toBe(false);
    expect(fleet.backups.overview().scheduler).toBeNull();
  });
});

describe('a scheduler tick that throws', () => {
  it('is recorded in the audit log, and the loop goes on', async () => {
    const { fleet } = await tempFleet({ backups: { intervalMs: 100 } });
    await fleet.create('acme', { jurisdiction: 'eu' });
    let cycles = 0;
    await new Promise<void>((resolve) => {
      fleet.backups.start({
        onCycle: () => {
          cycles++;
          if (cycles === 1) throw new Error('the report could not be printed');
          if (cycles >= 3) resolve();
        },
      });
    });
    await fleet.backups.stop();
    const failures = fleet.audit({ operation: 'backup-scheduler' }).items;
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ actor: 'scheduler', outcome: 'error', error: 'the report could not be printed' });
  });
});

describe('a backup location that cannot be written', () => {
  it('makes `backup now` fail with BACKUP_FAILED naming the location, recorded on the instance', async () => {
    const { fleet, dataDir } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    // A storage error: where the instances' folder should be there is a file.
    const location = path.join(dataDir, 'regions', 'eu-west', 'backups');
    mkdirSync(location, { recursive: true });
    writeFileSync(path.join(location, 'instances'), 'not a folder');

    const error = await fleet.backups.now('acme').catch((caught: unknown) => caught);
    expect(isSiloError(error, 'BACKUP_FAILED'), String(error)).toBe(true);
    expect((error as Error).message).toContain('Backing up "acme" failed');
    expect((error as Error).message).toContain(location);
    const status = await fleet.backups.status('acme');
    expect(status).toMatchObject({ failures: 1, points: 0 });
    expect(status.lastError).toContain(location);
    expect(fleet.audit({ operation: 'backup' }).items[0]).toMatchObject({ outcome: 'error' });
  });
});

describe('restoring the catalog to a file', () => {
  it('refuses a time that is not a date, and a damaged point leaves no file behind', async () => {
    const { fleet, dataDir } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.backups.runCycle();
    const folder = tempDir();
    const dest = path.join(folder, 'catalog.db');
    const invalid = await fleet.backups.restoreCatalog(Number.NaN, dest).catch((caught: unknown) => caught);
    expect(isSiloError(invalid, 'INVALID_INPUT'), String(invalid)).toBe(true);

    const chunks = filesUnder(path.join(dataDir, 'backups', 'catalog')).filter((file) => file.includes(`${path.sep}chunks${path.sep}`));
    expect(chunks.length).toBeGreaterThan(0);
    for (const chunk of chunks) writeFileSync(chunk, 'damaged');
    const damaged = await fleet.backups.restoreCatalog(Date.now(), dest).catch((caught: unknown) => caught);
    expect(isSiloError(damaged, 'BACKUP_CORRUPT'), String(damaged)).toBe(true);
    expect(readdirSync(folder)).toEqual([]);
  });
});
