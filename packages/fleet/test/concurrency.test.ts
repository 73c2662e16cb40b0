/**
 * Many creates, clones and queries at once: in one process (Promise.all), across processes
 * racing on the same data dir, and clones taken while another process keeps writing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { isSiloError, type DoctorReport, type Fleet, type QueryAllEvent } from '../src/index';
import { killAllChildren, startChild } from './fixtures/children';
import Database from 'better-sqlite3';
import { expectSoundFleet, fileOf, tempDir, tempFleet } from './helpers';

afterEach(killAllChildren);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A race must not even look like a crash: nothing interrupted, nothing left over, nothing failed. */
async function expectCleanRun(fleet: Fleet, dataDir: string): Promise<DoctorReport> {
  const report = await expectSoundFleet(fleet, dataDir);
  expect(report.interrupted).toEqual([]);
  expect(report.leftoversRemoved).toEqual([]);
  expect(fleet.list({ state: 'failed' }).total).toBe(0);
  return report;
}

function errorCode(result: PromiseSettledResult<unknown>): string {
  if (result.status === 'fulfilled') return 'ok';
  return isSiloError(result.reason) ? result.reason.code : String(result.reason);
}

async function addNotes(fleet: Fleet, name: string, count: number): Promise<void> {
  await fleet.withInstance(name, (db) =>
    db.batch(Array.from({ length: count }, (_, index) => ({ sql: 'INSERT INTO notes (body) VALUES (?)', args: [`${name} #${index + 1}`] }))),
  );
}

async function firstValue(fleet: Fleet, name: string, sql: string): Promise<number> {
  const { rows } = await fleet.query(name, sql);
  return Number(rows[0]?.[0]);
}

describe('in one process', () => {
  it('50 creates at once succeed; of 10 creates of one name exactly one does, the rest are NAME_TAKEN', async () => {
    const { fleet, dataDir } = await tempFleet();
    const names = Array.from({ length: 50 }, (_, index) => `burst-${index}`);
    const results = await Promise.allSettled([
      ...names.map((name, index) => fleet.create(name, { jurisdiction: index % 2 === 0 ? 'eu' : 'us' })),
      ...Array.from({ length: 10 }, () => fleet.create('contested', { jurisdiction: 'eu' })),
    ]);
    expect(results.slice(0, 50).map(errorCode)).toEqual(names.map(() => 'ok'));
    const contested = results.slice(50).map(errorCode);
    expect(contested.filter((code) => code === 'ok')).toHaveLength(1);
    expect(contested.filter((code) => code === 'NAME_TAKEN')).toHaveLength(9);

    expect(fleet.list({ state: 'ready' }).total).toBe(51);
    expect(fleet.list({ jurisdiction: 'eu' }).total).toBe(26);
    // One audit entry per attempt, the refused ones recorded as errors.
    expect(fleet.audit({ instance: 'contested', operation: 'create', outcome: 'error' }).total).toBe(9);
    await expectCleanRun(fleet, dataDir);
  });

  it('20 clones of one source at once, while it is queried, are all complete copies; a contested clone name goes to exactly one', async () => {
    const { fleet, dataDir } = await tempFleet();
    await fleet.create('origin', { jurisdiction: 'eu' });
    await addNotes(fleet, 'origin', 25);
    const clones = Array.from({ length: 20 }, (_, index) => `origin-clone-${index}`);
    const results = await Promise.allSettled([
      ...clones.map((name) => fleet.clone('origin', name)),
      ...Array.from({ length: 5 }, () => fleet.clone('origin', 'origin-twin')),
      ...Array.from({ length: 20 }, () => firstValue(fleet, 'origin', 'SELECT count(*) FROM notes')),
    ]);
    expect(results.slice(0, 20).map(errorCode)).toEqual(clones.map(() => 'ok'));
    const twins = results.slice(20, 25).map(errorCode);
    expect(twins.filter((code) => code === 'ok')).toHaveLength(1);
    expect(twins.filter((code) => code === 'NAME_TAKEN')).toHaveLength(4);
    for (const result of results.slice(25)) expect(result).toEqual({ status: 'fulfilled', value: 25 });

    for (const name of [...clones, 'origin-twin']) {
      const instance = fleet.require(name);
      expect(instance.state).toBe('ready');
      expect(instance.clonedFrom?.name).toBe('origin');
      expect(await firstValue(fleet, name, 'SELECT count(*) FROM notes')).toBe(25);
    }
    expect(fleet.require('origin').clones).toHaveLength(21);
    await expectCleanRun(fleet, dataDir);
  });

  it('many query, queryAll and handle users in parallel all get correct answers', async () => {
    const { fleet, dataDir } = await tempFleet({ queryWorkers: 3, handleCap: 4 });
    const instances = Array.from({ length: 12 }, (_, index) => ({ name: `q-${index}`, notes: index + 1, jurisdiction: index % 2 === 0 ? 'eu' : 'us' }));
    for (const instance of instances) {
      await fleet.create(instance.name, { jurisdiction: instance.jurisdiction });
      await addNotes(fleet, instance.name, instance.notes);
    }
    const expected = new Map(instances.map((instance) => [instance.name, instance.notes]));

    const collect = async (events: AsyncIterable<QueryAllEvent>): Promise<Map<string, number>> => {
      const counts = new Map<string, number>();
      for await (const event of events) {
        if (event.status !== 'ok') throw new Error(`${event.instance}: ${event.code} ${event.error}`);
        expect(counts.has(event.instance)).toBe(false);
        counts.set(event.instance, Number(event.rows[0]?.[0]));
      }
      return counts;
    };

    let maxHandles = 0;
    const work: Promise<void>[] = [];
    for (let round = 0; round < 10; round++) {
      for (const { name, notes } of instances) {
        work.push(
          fleet.query(name, 'SELECT count(*) FROM notes').then((result) => {
            expect(result.columns).toEqual(['count(*)']);
            expect(result.rows).toEqual([[notes]]);
          }),
          fleet.query(name, 'SELECT body FROM notes WHERE id = ?', [notes]).then((result) => {
            expect(result.rows).toEqual([[`${name} #${notes}`]]);
          }),
          // More users than handles (cap 4): callers queue for a free handle instead of failing.
          fleet.withInstance(name, async (db) => {
            maxHandles = Math.max(maxHandles, fleet.openHandles);
            const { rows } = await db.execute('SELECT count(*) AS n FROM notes');
            await sleep(2);
            expect(rows).toEqual([{ n: notes }]);
          }),
        );
      }
    }
    for (let run = 0; run < 5; run++) {
      work.push(collect(fleet.queryAll('SELECT count(*) FROM notes', { concurrency: 1 + run })).then((counts) => expect(counts).toEqual(expected)));
      work.push(
        collect(fleet.queryAll('SELECT count(*) FROM notes', { filter: { jurisdiction: 'us' } })).then((counts) =>
          expect(counts).toEqual(new Map(instances.filter((i) => i.jurisdiction === 'us').map((i) => [i.name, i.notes]))),
        ),
      );
    }
    await Promise.all(work);
    expect(maxHandles).toBeLessThanOrEqual(4);
    expect(fleet.openHandles).toBeLessThanOrEqual(4);
    await expectCleanRun(fleet, dataDir);
  });
});

describe('across processes', () => {
  it('a request for an instance another process holds locked past the busy timeout gets ENGINE_FAILURE with a retry hint, not a raw SQLite error', async () => {
    const dataDir = tempDir();
    const { fleet: creator } = await tempFleet({ dataDir });
    await creator.create('acme', { jurisdiction: 'eu' });
    const file = fileOf(creator.require('acme').dbUrl, dataDir);
    await creator.close();
    // As a migration thread holding a small file alone does (ADR 41), or any process's EXCLUSIVE lock.
    const holder = new Database(file);
    holder.pragma('locking_mode = EXCLUSIVE');
    holder.prepare('SELECT count(*) FROM notes').get();
    try {
      const { fleet } = await tempFleet({ dataDir });
      const error = await fleet.withInstance('acme', (db) => db.execute('SELECT 1')).catch((caught: unknown) => caught);
      expect(isSiloError(error, 'ENGINE_FAILURE') && error.details).toMatchObject({ code: 'SQLITE_BUSY', retryAfterMs: 1_000 });
      expect((error as Error).message).toMatch(/stayed locked for 5 s/);
      holder.close();
      expect((await fleet.withInstance('acme', (db) => db.execute('SELECT count(*) AS n FROM notes'))).rows).toEqual([{ n: 0 }]);
    } finally {
      if (holder.open) holder.close();
    }
  });


  it('two processes creating the same 30 names at once create each exactly once', async () => {
    // A fresh data dir: the two processes also race to create the catalog and the template.
    const dataDir = tempDir();
    const names = Array.from({ length: 30 }, (_, index) => `shared-${index}`);
    const children = [0, 1].map(() => startChild({ command: 'create-names', dataDir, names }));
    await Promise.all(children.map((child) => child.waitFor('ready')));
    for (const child of children) child.send('go');
    const exits = await Promise.all(children.map((child) => child.exited));
    for (const [index, exit] of exits.entries()) {
      expect(exit.code, children[index]?.describe()).toBe(0);
    }

    const outcomes = new Map<string, string[]>(names.map((name) => [name, []]));
    for (const exit of exits) {
      for (const event of exit.events) if (event.event === 'outcome') outcomes.get(event.name)?.push(event.outcome);
    }
    for (const [name, seen] of outcomes) {
      expect(seen.sort(), name).toEqual(['NAME_TAKEN', 'created']);
    }
    const wins = exits.map((exit) => exit.events.filter((event) => event.event === 'outcome' && event.outcome === 'created').length);
    console.log(`creates won per process: ${wins.join(' / ')}`);

    const { fleet } = await tempFleet({ dataDir });
    expect(fleet.list({ state: 'ready', limit: 100 }).items.map((instance) => instance.name).sort()).toEqual([...names].sort());
    expect(fleet.list().total).toBe(30);
    expect(fleet.audit({ operation: 'create', outcome: 'ok' }).total).toBe(30);
    expect(fleet.audit({ operation: 'create', outcome: 'error' }).total).toBe(30);
    await expectCleanRun(fleet, dataDir);
    for (const name of names) await fleet.withInstance(name, (db) => db.execute('SELECT count(*) FROM notes'));
  });

  it('clones taken while another process writes continuously are consistent, gap-free prefixes', async () => {
    const BATCH = 5;
    const { fleet, dataDir } = await tempFleet();
    await fleet.create('busy', { jurisdiction: 'eu' });
    const writer = startChild({ command: 'writer', dataDir, name: 'busy', batch: BATCH });
    await writer.waitFor('ready');

    const seen: number[] = [];
    for (let index = 0; index < 12; index++) {
      const name = `busy-snap-${index}`;
      await fleet.clone('busy', name);
      const { rows } = await fleet.query(
        name,
        `SELECT count(*), coalesce(min(id), 0), coalesce(max(id), 0), count(*) FILTER (WHERE body <> 'note ' || id) FROM notes`,
      );
      const [count, min, max, wrongBodies] = (rows[0] ?? []).map(Number) as [number, number, number, number];
      // Rows 1..k with no gaps, whole transactions only, every row intact.
      expect(min, name).toBe(1);
      expect(max, name).toBe(count);
      expect(count % BATCH, name).toBe(0);
      expect(wrongBodies, name).toBe(0);
      seen.push(count);
      // The source, read meanwhile, shows whole transactions too.
      expect((await firstValue(fleet, 'busy', 'SELECT count(*) FROM notes')) % BATCH).toBe(0);
      await sleep(15);
    }

    writer.send('stop');
    const stopped = await writer.waitFor('stopped');
    const exit = await writer.exited;
    expect(exit.code, writer.describe()).toBe(0);
    console.log(`clone row counts while writing: ${seen.join(', ')}; writer stopped at ${stopped.last}`);

    // Later clones never see less, and the writer kept writing past the last clone.
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(new Set(seen).size).toBeGreaterThan(1);
    expect(stopped.last).toBeGreaterThan(seen.at(-1) ?? 0);
    expect(await firstValue(fleet, 'busy', 'SELECT count(*) FROM notes')).toBe(stopped.last);
    expect(await firstValue(fleet, 'busy', 'SELECT max(id) FROM notes')).toBe(stopped.last);
    await expectCleanRun(fleet, dataDir);
  });
});
