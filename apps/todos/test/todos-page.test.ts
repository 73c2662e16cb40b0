/**
 * The list page's query (todos.server.ts listPage) on a real tenant file: keyset pages in both
 * directions and with each filter, and the whole list's counts read in the same statement.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFleet, type Fleet, type TenantConnection } from '@silo/fleet';
import { listPage, todoCounts, type Filter } from '../app/todos.server';
import { todoSchema } from './todo-config';

let dataDir: string;
let fleet: Fleet;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'silo-todos-page-'));
  fleet = await openFleet({ schema: await todoSchema(), dataDir, reconcileOnOpen: false, actor: 'test' });
  await fleet.create('paging', { jurisdiction: 'eu' });
  // 25 todos, ids 1–25; every third one (3, 6, …, 24) completed.
  await fleet.withInstance('paging', async (db) => {
    for (let i = 1; i <= 25; i++) {
      await db.execute('INSERT INTO todos (id, title, completed, created_at, updated_at) VALUES (?, ?, ?, 0, 0)', [i, `Todo ${i}`, i % 3 === 0 ? 1 : 0]);
    }
  });
});

afterAll(async () => {
  await fleet.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function page(filter: Filter, at: { after?: number; before?: number } = {}, size = 10, countCap = 5001) {
  return fleet.withInstance('paging', (db: TenantConnection) => listPage(db, { filter, ...at, size, countCap }));
}

const ids = (todos: { id: number }[]) => todos.map((todo) => todo.id);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('listPage', () => {
  it('pages forward by keyset, with the counts of the whole list on every page', async () => {
    const first = await page('all');
    expect(ids(first.todos)).toEqual(range(1, 10));
    expect(first).toMatchObject({ before: null, after: 10, counts: { total: 25, completed: 8 } });
    const second = await page('all', { after: 10 });
    expect(ids(second.todos)).toEqual(range(11, 20));
    expect(second).toMatchObject({ before: 11, after: 20, counts: { total: 25, completed: 8 } });
    const last = await page('all', { after: 20 });
    expect(ids(last.todos)).toEqual(range(21, 25));
    expect(last).toMatchObject({ before: 21, after: null });
  });

  it('pages backward to the nearest ids, in ascending order, and shows a full first page at the start', async () => {
    const back = await page('all', { before: 21 });
    expect(ids(back.todos)).toEqual(range(11, 20));
    expect(back).toMatchObject({ before: 11, after: 20, counts: { total: 25, completed: 8 } });
    const start = await page('all', { before: 5 });
    expect(ids(start.todos)).toEqual(range(1, 10));
    expect(start).toMatchObject({ before: null, after: 10 });
  });

  it('filters the rows but never the counts', async () => {
    const active = await page('active', {}, 100);
    expect(ids(active.todos)).toEqual(range(1, 25).filter((id) => id % 3 !== 0));
    const completed = await page('completed', {}, 100);
    expect(ids(completed.todos)).toEqual([3, 6, 9, 12, 15, 18, 21, 24]);
    for (const view of [active, completed]) expect(view.counts).toEqual({ total: 25, completed: 8 });
    const pastTheEnd = await page('completed', { after: 24 });
    expect(pastTheEnd.todos).toEqual([]);
    expect(pastTheEnd.counts).toEqual({ total: 25, completed: 8 });
  });

  it('counts over at most the cap, as todoCounts does', async () => {
    const capped = await page('all', {}, 10, 12);
    // Which 12 are counted is the planner's choice (it reads the completed index): only the
    // total is bounded, and both functions read the same ones.
    expect(capped.counts.total).toBe(12);
    expect(capped.counts.completed).toBeLessThanOrEqual(8);
    expect(await fleet.withInstance('paging', (db) => todoCounts(db, 12))).toEqual(capped.counts);
    expect(await fleet.withInstance('paging', (db) => todoCounts(db, 5001))).toEqual({ total: 25, completed: 8 });
  });
});
