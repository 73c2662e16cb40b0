import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openFleet, type Fleet } from '../src/index';
import { sampleSchema, tempDir, tempFleet } from './helpers';

const DAY = 24 * 60 * 60 * 1000;
const today = (): number => Math.floor(Date.now() / DAY);
const label = (day: number): string => new Date(day * DAY).toISOString().slice(0, 10);

async function addNotes(fleet: Fleet, name: string, bodies: readonly string[]): Promise<void> {
  await fleet.withInstance(name, (db) => db.batch(bodies.map((body) => ({ sql: 'INSERT INTO notes (body) VALUES (?)', args: [body] }))));
}

/** What an operator sees of an instance: its metrics, last active, and today's usage. */
function seen(fleet: Fleet, name: string): { notes: number | undefined; active: boolean; writes: number; activeToday: boolean } {
  const instance = fleet.require(name);
  const day = fleet.usage(name, 1).at(-1);
  return { notes: instance.metrics['notes'], active: instance.lastActiveAt !== null, writes: day?.writes ?? 0, activeToday: day?.active ?? false };
}

function catalogDb(fleet: Fleet): Database.Database {
  return new Database(path.join(fleet.settings.dataDir, 'catalog.db'));
}

describe('numbers after every write path', () => {
  it("the app's own: requests and writes counted per day through touch", async () => {
    const { fleet } = await tempFleet({ touchFlushMs: 60_000 });
    await fleet.create('acme', { jurisdiction: 'eu' });
    for (let i = 0; i < 3; i++) fleet.touch('acme');
    fleet.touch('acme', { notes: 1 });
    await fleet.flushActivity();
    expect(seen(fleet, 'acme')).toEqual({ notes: 1, active: true, writes: 1, activeToday: true });
    expect(fleet.usage('acme', 1)).toEqual([{ day: label(today()), active: true, reads: 3, writes: 1, sizeBytes: expect.any(Number) }]);
    expect(fleet.overview(30).activeTenants.perDay).toEqual([{ day: label(today()), count: 1 }]);
  });

  it('a write through fleet.query (the console and silo query --write)', async () => {
    const { fleet } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    expect(seen(fleet, 'acme')).toEqual({ notes: undefined, active: false, writes: 0, activeToday: false });
    await fleet.query('acme', "INSERT INTO notes (body) VALUES ('by hand')", undefined, { readOnly: false, actor: 'cli' });
    expect(seen(fleet, 'acme')).toEqual({ notes: 1, active: true, writes: 1, activeToday: true });
    // A read is no write.
    await fleet.query('acme', 'SELECT * FROM notes');
    expect(seen(fleet, 'acme').writes).toBe(1);
  });

  it('import and clone', async () => {
    const { fleet } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    await addNotes(fleet, 'acme', ['a', 'b']);
    const file = path.join(tempDir(), 'acme.sqlite');
    await fleet.exportTo('acme', file);
    await fleet.importFile('imported', file, { jurisdiction: 'eu' });
    expect(seen(fleet, 'imported')).toEqual({ notes: 2, active: true, writes: 1, activeToday: true });
    await fleet.clone('acme', 'acme-copy');
    expect(seen(fleet, 'acme-copy')).toEqual({ notes: 2, active: true, writes: 1, activeToday: true });
  });

  it('restore as new, in place, and undo', async () => {
    let now = Date.UTC(2026, 0, 10, 12);
    const { fleet } = await tempFleet({ clock: () => now });
    await fleet.create('acme', { jurisdiction: 'eu' });
    await addNotes(fleet, 'acme', ['kept']);
    await fleet.backups.runCycle();
    const good = now;
    now += 60_000;
    await addNotes(fleet, 'acme', ['mistake']);
    await fleet.backups.restore('acme', { at: good, as: 'acme-then' });
    expect(seen(fleet, 'acme-then')).toEqual({ notes: 1, active: true, writes: 1, activeToday: true });
    await fleet.backups.restore('acme', { at: good, inPlace: true });
    expect(seen(fleet, 'acme')).toEqual({ notes: 1, active: true, writes: 1, activeToday: true });
    now += 60_000;
    await fleet.backups.undoRestore('acme');
    expect(seen(fleet, 'acme')).toEqual({ notes: 2, active: true, writes: 2, activeToday: true });
  });

  it('migrate: metrics read again and a write counted, but not as the tenant being active', async () => {
    const dataDir = tempDir();
    const old = await openFleet({ dataDir, schema: sampleSchema(1) });
    await old.create('acme', { jurisdiction: 'eu' });
    await old.withInstance('acme', (db) => db.execute("INSERT INTO notes (body) VALUES ('old')"));
    await old.close();
    const { fleet } = await tempFleet({ dataDir, schema: sampleSchema(2) });
    expect(fleet.require('acme').metrics).toEqual({});
    const report = await fleet.migrateAll();
    expect(report.migrated).toBe(1);
    expect(seen(fleet, 'acme')).toEqual({ notes: 1, active: false, writes: 1, activeToday: false });
    expect(fleet.overview(30).activeTenants.perDay).toEqual([]);
  });
});

describe('daily activity', () => {
  it('counts distinct tenants per day and per week (Monday to Sunday, UTC)', async () => {
    const { fleet } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.create('globex', { jurisdiction: 'eu' });
    const [acme, globex] = [fleet.require('acme').id, fleet.require('globex').id];
    const monday = today() - ((today() + 3) % 7);
    const db = catalogDb(fleet);
    const insert = db.prepare('INSERT INTO instance_daily (instance_id, day, active, reads, writes) VALUES (?, ?, ?, 1, 0)');
    insert.run(acme, monday - 7, 1);
    insert.run(acme, monday - 6, 1);
    insert.run(globex, monday - 1, 1);
    insert.run(acme, monday, 1);
    // Usage that was not activity (a migration) counts for neither.
    insert.run(globex, monday, 0);
    db.close();
    const { activeTenants } = fleet.overview(30);
    expect(activeTenants.perDay).toEqual([
      { day: label(monday - 7), count: 1 },
      { day: label(monday - 6), count: 1 },
      { day: label(monday - 1), count: 1 },
      { day: label(monday), count: 1 },
    ]);
    expect(activeTenants.perWeek).toEqual([
      { week: label(monday - 7), count: 2 },
      { week: label(monday), count: 1 },
    ]);
    expect(new Date(`${label(monday)}T00:00:00Z`).getUTCDay()).toBe(1);
  });

  it('prunes days older than 90 on the first flush of the day', async () => {
    const { fleet } = await tempFleet({ touchFlushMs: 60_000 });
    await fleet.create('acme', { jurisdiction: 'eu' });
    const id = fleet.require('acme').id;
    const db = catalogDb(fleet);
    const insert = db.prepare('INSERT INTO instance_daily (instance_id, day, active) VALUES (?, ?, 1)');
    insert.run(id, today() - 91);
    insert.run(id, today() - 90);
    fleet.touch('acme');
    await fleet.flushActivity();
    const days = db.prepare('SELECT day FROM instance_daily WHERE instance_id = ? ORDER BY day').all(id);
    db.close();
    expect(days).toEqual([{ day: today() - 90 }, { day: today() }]);
  });
});
