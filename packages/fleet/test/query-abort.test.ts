import { describe, expect, it } from 'vitest';
import type { Fleet, QueryAllEvent } from '../src/index';
import { tempFleet } from './helpers';
import { busyQueryProcess, queryProcessGone } from './query-process-probe';

/**
 * Fleet.query and Fleet.queryAll with an abort signal (Ctrl+C in `silo shell`, a client of
 * `silo serve` that went away), on local files: the query is rejected at once with
 * QUERY_ABORTED, and its work stops where it is (the pool's queue, or its process, killed as at
 * the time limit). The time limits here are ten minutes: only an abort ends these statements.
 */

const LONG = { timeoutMs: 600_000 };
const ENDLESS = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c';
/** A row pending every 100,000 steps of an endless count: a write that runs until stopped. */
const ENDLESS_WRITE = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) INSERT INTO notes (body) SELECT 'bulk ' || x FROM c WHERE x % 100000 = 0";
/** A read of a second or more, that ends by itself. */
const SLOW = 'WITH RECURSIVE c(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM c WHERE x < 10000000) SELECT count(*) AS n FROM c';
/** Endless where `notes` has a row, one row where it is empty. */
const RUNAWAY_WHERE_NOTES = 'WITH RECURSIVE c(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM c WHERE (SELECT count(*) FROM notes) > 0) SELECT count(*) FROM c';

async function noteCount(fleet: Fleet, name: string, where = '1'): Promise<unknown> {
  return (await fleet.query(name, `SELECT count(*) FROM notes WHERE ${where}`)).rows[0]?.[0];
}

async function fleetWith(name: string, options: Parameters<typeof tempFleet>[0] = {}): Promise<Fleet> {
  const { fleet } = await tempFleet(options);
  await fleet.create(name, { jurisdiction: 'eu' });
  return fleet;
}

describe('a query whose abort signal fires', () => {
  it('is refused at once, unrun, when the signal fired before it was asked for', async () => {
    const fleet = await fleetWith('acme');
    const fired = new AbortController();
    fired.abort();
    const write = fleet.query('acme', "INSERT INTO notes (body) VALUES ('never')", [], { readOnly: false, signal: fired.signal });
    await expect(write).rejects.toMatchObject({ code: 'QUERY_ABORTED', message: expect.stringContaining('It did not run.') });
    expect(await noteCount(fleet, 'acme')).toBe(0);
    // The attempt is in the audit log, as stopped.
    expect(fleet.audit({ instance: 'acme', operation: 'query (write)' }).items[0]).toMatchObject({ outcome: 'error', error: expect.stringContaining('abort signal') });
    await expect(fleet.queryAll('SELECT 1', { signal: fired.signal }).next()).rejects.toMatchObject({ code: 'QUERY_ABORTED' });
  });

  it('running, has its process killed: rejected at once, and the next query runs on a fresh process', async () => {
    const fleet = await fleetWith('acme', { queryWorkers: 1 });
    const kills = fleet.stats().queryPoolKills;
    const stop = new AbortController();
    const running = fleet.query('acme', ENDLESS, [], { limits: LONG, signal: stop.signal });
    const pid = await busyQueryProcess();
    stop.abort();
    await expect(running).rejects.toMatchObject({ code: 'QUERY_ABORTED' });
    await queryProcessGone(pid);
    // Not queued behind the runaway on a pool of one: it had its process to itself.
    expect((await fleet.query('acme', 'SELECT 41 + 1')).rows).toEqual([[42]]);
    // Not a runaway met at the time limit: the metric that alerts on those is unchanged.
    expect(fleet.stats().queryPoolKills).toBe(kills);
  });

  it('running a write, changes nothing, and the next write is applied', async () => {
    const fleet = await fleetWith('acme');
    await fleet.query('acme', "INSERT INTO notes (body) VALUES ('kept')", [], { readOnly: false });
    const stop = new AbortController();
    const writing = fleet.query('acme', ENDLESS_WRITE, [], { readOnly: false, limits: LONG, signal: stop.signal });
    // A fifth of a second of CPU: rows are pending by then.
    await busyQueryProcess();
    stop.abort();
    await expect(writing).rejects.toMatchObject({ code: 'QUERY_ABORTED', message: expect.stringContaining('changed nothing') });
    expect(await noteCount(fleet, 'acme', "body LIKE 'bulk %'")).toBe(0);
    expect(await noteCount(fleet, 'acme')).toBe(1);
    await fleet.query('acme', "INSERT INTO notes (body) VALUES ('after')", [], { readOnly: false });
    expect(await noteCount(fleet, 'acme')).toBe(2);
    expect(fleet.audit({ instance: 'acme', operation: 'query (write)' }).items.map((entry) => entry.outcome)).toEqual(['ok', 'error', 'ok']);
  });

  it('waiting in the queue, leaves it: rejected at once, the queries around it unaffected', async () => {
    const fleet = await fleetWith('acme', { queryWorkers: 1 });
    const stopRunaway = new AbortController();
    const runaway = fleet.query('acme', ENDLESS, [], { limits: LONG, signal: stopRunaway.signal });
    await busyQueryProcess();
    // The process takes three more behind the runaway; the next one waits in the pool's queue.
    const behind = [1, 2, 3].map((i) => fleet.query('acme', `SELECT ${i}`));
    const stop = new AbortController();
    const queued = fleet.query('acme', 'SELECT 4', [], { signal: stop.signal });
    const after = fleet.query('acme', 'SELECT 5');
    stop.abort();
    await expect(queued).rejects.toMatchObject({ code: 'QUERY_ABORTED', message: expect.stringContaining('It did not run.') });
    // The runaway was not touched by that; stopped now, the queries behind it go to a new process.
    stopRunaway.abort();
    await expect(runaway).rejects.toMatchObject({ code: 'QUERY_ABORTED' });
    expect((await Promise.all([...behind, after])).map((result) => result.rows)).toEqual([[[1]], [[2]], [[3]], [[5]]]);
  });

  it('sent to a process behind another query, is rejected at once, and that process is stopped when it comes to it', async () => {
    const fleet = await fleetWith('acme', { queryWorkers: 1 });
    const slow = fleet.query('acme', SLOW, [], { limits: LONG });
    const pid = await busyQueryProcess();
    const stop = new AbortController();
    const behind = fleet.query('acme', ENDLESS, [], { limits: LONG, signal: stop.signal });
    stop.abort();
    await expect(behind).rejects.toMatchObject({ code: 'QUERY_ABORTED' });
    // The query ahead of it is answered; the endless one, sent already, is not left running.
    expect((await slow).rows).toEqual([[10_000_001]]);
    await queryProcessGone(pid);
    expect((await fleet.query('acme', 'SELECT 41 + 1')).rows).toEqual([[42]]);
  });

  it('a write that may be stopped waits for an idle process: stopped while a query runs ahead of it, it never runs', async () => {
    const fleet = await fleetWith('acme', { queryWorkers: 1 });
    const slow = fleet.query('acme', SLOW, [], { limits: LONG });
    const stop = new AbortController();
    // Sent behind the slow read, it could run and commit between that read's answer and the kill
    // its abort asks for: so it is not sent until a process is free.
    const write = fleet.query('acme', "INSERT INTO notes (body) VALUES ('never')", [], { readOnly: false, signal: stop.signal });
    await busyQueryProcess();
    stop.abort();
    // This process then busy for a while, as under load: the read ends meanwhile, and a write
    // sent behind it would have run before this process heard of that and could stop it.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 4_000);
    await expect(write).rejects.toMatchObject({ code: 'QUERY_ABORTED', message: expect.stringContaining('It did not run.') });
    expect((await slow).rows).toEqual([[10_000_001]]);
    expect(await noteCount(fleet, 'acme')).toBe(0);
  });

  it('a write is never sent behind another query: a process stopped for an abort does not run it twice', async () => {
    const fleet = await fleetWith('acme', { queryWorkers: 1 });
    const slow = fleet.query('acme', SLOW, [], { limits: LONG });
    const stop = new AbortController();
    const stopped = fleet.query('acme', 'SELECT 1', [], { signal: stop.signal });
    // No signal of its own: were it sent behind the two reads, it would run there, and then run
    // again elsewhere when the process is stopped for the aborted read ahead of it.
    const write = fleet.query('acme', "INSERT INTO notes (body) VALUES ('once')", [], { readOnly: false });
    await busyQueryProcess();
    stop.abort();
    // This process busy meanwhile, as under load: the slow read ends and what was sent behind it
    // runs before this process reads the answers.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 4_000);
    await expect(stopped).rejects.toMatchObject({ code: 'QUERY_ABORTED' });
    expect((await write).rowsAffected).toBe(1);
    expect((await slow).rows).toEqual([[10_000_001]]);
    expect(await noteCount(fleet, 'acme', "body = 'once'")).toBe(1);
  });
});

describe('a fleet-wide run whose abort signal fires', () => {
  it('stops its queries and throws; another run whose queries shared their message is answered in full', async () => {
    // One fleet-wide process: the two runs' queries go to it in one message.
    const { fleet } = await tempFleet({ fleetWorkers: 1 });
    for (const name of ['alpha-0', 'alpha-1', 'alpha-2', 'bravo-0', 'bravo-1', 'bravo-2']) await fleet.create(name, { jurisdiction: 'eu' });
    await fleet.withInstance('alpha-0', (db) => db.execute("INSERT INTO notes (body) VALUES ('endless')"));
    const kills = fleet.stats().queryPoolKills;
    const stop = new AbortController();
    const stopped = collect(fleet.queryAll(RUNAWAY_WHERE_NOTES, { filter: { search: 'alpha' }, limits: LONG, signal: stop.signal }));
    const other = collect(fleet.queryAll(RUNAWAY_WHERE_NOTES, { filter: { search: 'bravo' }, limits: LONG }));
    await busyQueryProcess();
    stop.abort();
    await expect(stopped).rejects.toMatchObject({ code: 'QUERY_ABORTED' });
    const answered = await other;
    expect([...answered.keys()].sort()).toEqual(['bravo-0', 'bravo-1', 'bravo-2']);
    expect([...answered.values()].map((event) => (event.status === 'ok' ? event.rows : event.error))).toEqual([[[1]], [[1]], [[1]]]);
    expect(fleet.stats().queryPoolKills).toBe(kills);
    expect(fleet.audit({ operation: 'query (fleet)' }).items.find((entry) => (entry.detail as { filter: { search?: string } }).filter.search === 'alpha')).toMatchObject({
      detail: { stoppedEarly: true, failed: 0 },
    });
  });
});

async function collect(events: AsyncIterable<QueryAllEvent>): Promise<Map<string, QueryAllEvent>> {
  const byInstance = new Map<string, QueryAllEvent>();
  for await (const event of events) byInstance.set(event.instance, event);
  return byInstance;
}
