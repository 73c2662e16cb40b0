import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Fleet, QueryAllEvent } from '../src/index';
import { tempDir, tempFleet } from './helpers';

/**
 * The query processes of the local engine (query/query-pool.ts, query-host.mjs).
 *
 * Fleet-wide queries on local files go to the query processes several instances per message
 * (query-pool.ts, ADR 33). What must not change: every instance is answered on its own, and the
 * time limit holds per instance, so a runaway among others is stopped and reported for its
 * instance alone, and slow queries within the limit are never stopped for sharing a message.
 */

/** Endless where `notes` has a row, one row where it is empty. */
const RUNAWAY_WHERE_NOTES = 'WITH RECURSIVE c(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM c WHERE (SELECT count(*) FROM notes) > 0) SELECT count(*) FROM c';

async function fleetOf(instances: number): Promise<Fleet> {
  // One process, so every message holds several instances.
  const { fleet } = await tempFleet({ fleetWorkers: 1 });
  for (let i = 0; i < instances; i++) await fleet.create(`shop-${i}`, { jurisdiction: 'eu' });
  return fleet;
}

async function collect(events: AsyncIterable<QueryAllEvent>): Promise<Map<string, QueryAllEvent>> {
  const byInstance = new Map<string, QueryAllEvent>();
  for await (const event of events) {
    expect(byInstance.has(event.instance)).toBe(false);
    byInstance.set(event.instance, event);
  }
  return byInstance;
}

describe('fleet-wide queries sent several per message', () => {
  it('stops the one runaway among many at its limit and answers every other instance', async () => {
    const fleet = await fleetOf(20);
    await fleet.withInstance('shop-7', (db) => db.execute("INSERT INTO notes (body) VALUES ('endless')"));
    const kills = fleet.stats().queryPoolKills;
    const events = await collect(fleet.queryAll(RUNAWAY_WHERE_NOTES, { limits: { timeoutMs: 1_000 } }));
    expect(events.size).toBe(20);
    // The process running shop-7's message, then shop-7's own when it ran again alone.
    expect(fleet.stats().queryPoolKills - kills).toBe(2);
    expect(events.get('shop-7')).toMatchObject({ status: 'error', code: 'QUERY_TIMEOUT' });
    const others = [...events.values()].filter((event) => event.instance !== 'shop-7');
    expect(others.map((event) => (event.status === 'ok' ? event.rows : event.error))).toEqual(Array.from({ length: 19 }, () => [[1]]));
    // The processes are usable afterwards.
    const after = await collect(fleet.queryAll('SELECT count(*) FROM notes'));
    expect([...after.values()].filter((event) => event.status === 'ok')).toHaveLength(20);
  });

  it('answers slow queries within the limit, however many share a message', async () => {
    const fleet = await fleetOf(8);
    // A statement that takes a while everywhere, and a limit several times its duration (measured
    // here, so a slow machine gets a longer one): the message of all eight takes longer than the limit.
    const slow = 'WITH RECURSIVE c(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000) SELECT count(*) FROM c';
    const once = await fleet.query('shop-0', slow, [], { limits: { timeoutMs: 30_000 } });
    const timeoutMs = Math.max(300, Math.round(once.durationMs * 6));
    const kills = fleet.stats().queryPoolKills;
    const events = await collect(fleet.queryAll(slow, { limits: { timeoutMs } }));
    expect([...events.values()].map((event) => (event.status === 'ok' ? event.rows : `${event.code}: ${event.error}`))).toEqual(Array.from({ length: 8 }, () => [[2000001]]));
    // None of them was stopped and run again alone.
    expect(fleet.stats().queryPoolKills).toBe(kills);
  });

  it('keeps each instance its own rows and errors within a shared message', async () => {
    const fleet = await fleetOf(12);
    for (let i = 0; i < 12; i++) {
      await fleet.withInstance(`shop-${i}`, (db) => db.batch(Array.from({ length: i }, () => ({ sql: "INSERT INTO notes (body) VALUES ('n')" }))));
    }
    await fleet.query('shop-5', 'DROP TABLE notes', [], { readOnly: false });
    const events = await collect(fleet.queryAll('SELECT count(*) FROM notes'));
    for (let i = 0; i < 12; i++) {
      if (i === 5) expect(events.get('shop-5')).toMatchObject({ status: 'error', code: 'QUERY_FAILED', error: expect.stringContaining('no such table') });
      else expect(events.get(`shop-${i}`)).toMatchObject({ status: 'ok', rows: [[i]] });
    }
  });
});

describe('time limits of queries in processes', () => {
  it('count from when the process can run the query, not from its start-up', async () => {
    // Query processes that take 1.5 s to start, as on a busy machine: a preload that waits,
    // given to the processes the fleet forks from here on (they inherit the environment).
    const preload = path.join(tempDir(), 'slow-start.cjs');
    writeFileSync(preload, 'Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1500);\n');
    const before = process.env['NODE_OPTIONS'];
    process.env['NODE_OPTIONS'] = `${before ?? ''} --require ${preload}`.trim();
    try {
      const { fleet } = await tempFleet();
      await fleet.create('acme', { jurisdiction: 'eu' });
      const kills = fleet.stats().queryPoolKills;
      // Each pool starts its process for its first query; the limit is a third of that start.
      await expect(fleet.query('acme', 'SELECT 1 AS one', [], { limits: { timeoutMs: 500 } })).resolves.toMatchObject({ rows: [[1]] });
      const events = await collect(fleet.queryAll('SELECT 2 AS two', { limits: { timeoutMs: 500 } }));
      expect(events.get('acme')).toMatchObject({ status: 'ok', rows: [[2]] });
      expect(fleet.stats().queryPoolKills).toBe(kills);
    } finally {
      if (before === undefined) delete process.env['NODE_OPTIONS'];
      else process.env['NODE_OPTIONS'] = before;
    }
  });
});

/** The query processes this test process has forked (Linux /proc), killed as by the OOM killer. */
function killQueryProcesses(): number {
  let killed = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const parent = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[1]);
      if (parent !== process.pid || !readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('query-host')) continue;
      process.kill(Number(entry), 'SIGKILL');
      killed++;
    } catch {
      // Gone meanwhile.
    }
  }
  return killed;
}

describe('a query process that dies under its queries', () => {
  it('fails the one query it ran alone, and the next query runs on a new process', async () => {
    const { fleet } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.withInstance('acme', (db) => db.execute("INSERT INTO notes (body) VALUES ('endless')"));
    const running = fleet.query('acme', RUNAWAY_WHERE_NOTES, [], { limits: { timeoutMs: 30_000 } });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(killQueryProcesses()).toBe(1);
    await expect(running).rejects.toMatchObject({ code: 'ENGINE_FAILURE', message: expect.stringContaining('query process exited (SIGKILL)') });
    await expect(fleet.query('acme', 'SELECT count(*) FROM notes')).resolves.toMatchObject({ rows: [[1]] });
  });

  it('runs the queries of a shared message again alone, so only the culprit fails', async () => {
    const fleet = await fleetOf(10);
    await fleet.withInstance('shop-3', (db) => db.execute("INSERT INTO notes (body) VALUES ('endless')"));
    const events = collect(fleet.queryAll(RUNAWAY_WHERE_NOTES, { limits: { timeoutMs: 3_000 } }));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(killQueryProcesses()).toBe(1);
    const byInstance = await events;
    // Run again alone on a new process, shop-3 ran away again and met its limit there.
    expect(byInstance.get('shop-3')).toMatchObject({ status: 'error', code: 'QUERY_TIMEOUT' });
    const others = [...byInstance.values()].filter((event) => event.instance !== 'shop-3');
    expect(others.map((event) => (event.status === 'ok' ? event.rows : event.error))).toEqual(Array.from({ length: 9 }, () => [[1]]));
  });
});

describe('the memory limit of query processes', () => {
  /** 400 MB in one value, within SQLite's own length limit (1 GB). */
  const HUGE = 'SELECT length(randomblob(400000000)) AS n';
  const LIMIT = 256 * 1024 * 1024;

  it('stops a statement that needs more, says so, and the next query runs on a new process', async () => {
    const { fleet } = await tempFleet({ queryMaxMemoryBytes: LIMIT });
    await fleet.create('acme', { jurisdiction: 'eu' });
    const kills = fleet.stats().queryPoolMemoryKills;
    const error = await fleet.query('acme', HUGE).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'QUERY_MEMORY_EXCEEDED', details: { maxMemoryBytes: LIMIT }, message: expect.stringContaining('more than 256 MiB') });
    expect(fleet.stats().queryPoolMemoryKills - kills).toBe(1);
    await expect(fleet.query('acme', 'SELECT count(*) FROM notes')).resolves.toMatchObject({ rows: [[0]] });
    // A write connection is under the same limit, and a stopped write leaves nothing behind.
    await expect(fleet.query('acme', `INSERT INTO notes (body) SELECT hex(randomblob(200000000))`, [], { readOnly: false })).rejects.toMatchObject({ code: 'QUERY_MEMORY_EXCEEDED' });
    await expect(fleet.query('acme', 'SELECT count(*) FROM notes')).resolves.toMatchObject({ rows: [[0]] });
  });

  it('fails only the instance whose statement needed more, in a fleet-wide query', async () => {
    const { fleet } = await tempFleet({ fleetWorkers: 1, queryMaxMemoryBytes: LIMIT });
    for (let i = 0; i < 6; i++) await fleet.create(`shop-${i}`, { jurisdiction: 'eu' });
    await fleet.withInstance('shop-2', (db) => db.execute("INSERT INTO notes (body) VALUES ('big')"));
    // 400 MB where `notes` has a row, a few bytes elsewhere.
    const sql = 'SELECT length(randomblob(CASE WHEN (SELECT count(*) FROM notes) > 0 THEN 400000000 ELSE 8 END)) AS n';
    const events = await collect(fleet.queryAll(sql));
    expect(events.get('shop-2')).toMatchObject({ status: 'error', code: 'QUERY_MEMORY_EXCEEDED' });
    const others = [...events.values()].filter((event) => event.instance !== 'shop-2');
    expect(others.map((event) => (event.status === 'ok' ? event.rows : event.error))).toEqual(Array.from({ length: 5 }, () => [[8]]));
  });

  it('is read from SILO_QUERY_MAX_MEMORY_BYTES and refused below what a process needs to start', async () => {
    const { settingsFromEnv } = await import('../src/index');
    expect(settingsFromEnv({ SILO_DATA_DIR: tempDir(), SILO_QUERY_MAX_MEMORY_BYTES: String(LIMIT) }).queryMaxMemoryBytes).toBe(LIMIT);
    expect(() => settingsFromEnv({ SILO_DATA_DIR: tempDir(), SILO_QUERY_MAX_MEMORY_BYTES: '1000000' })).toThrow(/SILO_QUERY_MAX_MEMORY_BYTES/);
  });
});
