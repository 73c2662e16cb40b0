import type { SqlArgs, TenantConnection } from '@silo/fleet';
import type { Tenant } from './context.server';

export interface Todo {
  id: number;
  title: string;
  completed: boolean;
}

export type Filter = 'all' | 'active' | 'completed';

/**
 * One page of a list in id order, found by keyset (`id > after` or `id < before`), never by
 * OFFSET: each page reads at most `size + 1` rows through the primary key (or the completed
 * index with the filters), however many todos the list holds.
 */
export interface TodoPage {
  todos: Todo[];
  /** `?before=` for the page before this one, or null on the first page. */
  before: number | null;
  /** `?after=` for the page after this one, or null on the last page. */
  after: number | null;
  /** The whole list's counts, read with the page (one statement, so one snapshot). */
  counts: TodoCounts;
}

export interface PageQuery {
  filter: Filter;
  after?: number | undefined;
  before?: number | undefined;
  size: number;
  /** Counts read over at most this many todos (see todoCounts). */
  countCap: number;
}

export interface TodoCounts {
  total: number;
  completed: number;
}

const FILTER_SQL: Record<Filter, string> = {
  all: '',
  active: 'completed = 0 AND ',
  completed: 'completed = 1 AND ',
};

/**
 * Whole-list counts over at most `?` todos (the app passes one past the per-list limit). The
 * limit bounds what the app lets in, but not what an imported file holds: an upload within
 * the size cap can carry millions of rows, and an unbounded count over them would hold every
 * tenant's requests on each page view. A list over the limit counts as the cap.
 *
 * `LIMIT +?` here and below: a bare `LIMIT ?` makes SQLite prepare the statement again each
 * time it is bound (ADR 39).
 */
const COUNTS_SQL = 'SELECT count(*) AS total, coalesce(sum(completed), 0) AS done FROM (SELECT completed FROM todos LIMIT +?)';

function toCounts(row: Record<string, unknown> | undefined): TodoCounts {
  return { total: Number(row?.['total'] ?? 0), completed: Number(row?.['done'] ?? 0) };
}

function toTodo(row: Record<string, unknown>): Todo {
  return { id: Number(row['id']), title: String(row['title']), completed: row['completed'] === 1 || row['completed'] === 1n };
}

async function exists(db: TenantConnection, filter: Filter, condition: string, id: number): Promise<boolean> {
  const { rows } = await db.execute(`SELECT 1 FROM todos WHERE ${FILTER_SQL[filter]}${condition} LIMIT 1`, [id]);
  return rows.length > 0;
}

/**
 * The page's rows (ids after or before `from`, at most `limit`, nearest first) and the list's
 * counts in one statement rather than two: one read transaction fewer per page view, and the
 * counts are of the same snapshot as the rows. The counts come as one more row, its id NULL.
 * `id > +?`: once a tenant file has been ANALYZEd, SQLite's stat4 reads a bare `?` in a range
 * while planning and prepares the statement again at every bind (ADR 39).
 */
async function pageRows(db: TenantConnection, query: { filter: Filter; from: number; direction: 'after' | 'before'; limit: number; countCap: number }): Promise<{ todos: Todo[]; counts: TodoCounts }> {
  const [comparison, order] = query.direction === 'after' ? ['>', 'ASC'] : ['<', 'DESC'];
  const { rows } = await db.execute(
    `SELECT id, title, completed, NULL AS total, NULL AS done
       FROM (SELECT id, title, completed FROM todos WHERE ${FILTER_SQL[query.filter]}id ${comparison} +? ORDER BY id ${order} LIMIT +?)
     UNION ALL SELECT NULL, NULL, NULL, total, done FROM (${COUNTS_SQL})`,
    [query.from, query.limit, query.countCap],
  );
  const todos = rows.filter((row) => row['id'] !== null).map(toTodo);
  // A compound's order is not promised by SQL: nearest first, as the LIMIT chose them.
  todos.sort(query.direction === 'after' ? (a, b) => a.id - b.id : (a, b) => b.id - a.id);
  return { todos, counts: toCounts(rows.find((row) => row['id'] === null)) };
}

export async function listPage(db: TenantConnection, query: PageQuery): Promise<TodoPage> {
  const { filter, size, countCap } = query;
  if (query.before !== undefined) {
    const { todos: rows, counts } = await pageRows(db, { filter, from: query.before, direction: 'before', limit: size + 1, countCap });
    // Reached the start: show a full first page rather than a short one.
    if (rows.length <= size) return listPage(db, { filter, size, countCap });
    const todos = rows.slice(0, size).reverse();
    const last = todos.at(-1)?.id ?? query.before;
    return { todos, counts, before: todos[0]?.id ?? null, after: (await exists(db, filter, 'id > ?', last)) ? last : null };
  }
  const after = query.after ?? 0;
  const { todos: rows, counts } = await pageRows(db, { filter, from: after, direction: 'after', limit: size + 1, countCap });
  const todos = rows.slice(0, size);
  const first = todos[0]?.id ?? after + 1;
  return {
    todos,
    counts,
    before: after > 0 && (await exists(db, filter, 'id < ?', first)) ? first : null,
    after: rows.length > size ? (todos.at(-1)?.id ?? null) : null,
  };
}

/** Whole-list counts, read over at most `cap` todos (COUNTS_SQL). */
export async function todoCounts(db: TenantConnection, cap: number): Promise<TodoCounts> {
  const { rows } = await db.execute(COUNTS_SQL, [cap]);
  return toCounts(rows[0]);
}

/**
 * Adds a todo unless the list already holds `max`: the count and the insert are one
 * statement, so two members adding at once cannot both pass the check. Returns the new id,
 * or null when the list is full.
 */
export async function addTodo(db: TenantConnection, title: string, max: number): Promise<number | null> {
  const now = Date.now();
  const result = await db.execute(
    'INSERT INTO todos (title, completed, created_at, updated_at) SELECT ?, 0, ?, ? WHERE (SELECT count(*) FROM (SELECT 1 FROM todos LIMIT +?)) < ?',
    [title, now, now, max, max],
  );
  return result.rowsAffected === 1 ? Number(result.lastInsertRowid) : null;
}

/** False when there is no such todo (deleted meanwhile, in another tab or by another member). */
export async function setCompleted(db: TenantConnection, id: number, completed: boolean): Promise<boolean> {
  return (await db.execute('UPDATE todos SET completed = ?, updated_at = ? WHERE id = ?', [completed ? 1 : 0, Date.now(), id])).rowsAffected > 0;
}

/**
 * "Toggle all" and "clear completed" change at most `max` todos per request (the per-list
 * limit, so all of any list the app built): a list imported with more than the limit takes
 * several clicks, and no click holds the server for the time of millions of row writes.
 * Even at the limit one rewrites every row of the list (tens of milliseconds for 5,000 long
 * titles), so both run on the fleet's SQLite worker thread (`batchOffThread`), not on the
 * main thread every tenant's requests share; the caller runs them alone in the list's turns
 * (TenantGate.alone), so no write of the same list waits for the lock on the main thread.
 */
export async function setAllCompleted(db: TenantConnection, completed: boolean, max: number): Promise<void> {
  // `completed = <the other value>` (it is 0 or 1) seeks the completed index; `<>` would scan.
  await offThread(db, 'UPDATE todos SET completed = ?, updated_at = ? WHERE id IN (SELECT id FROM todos WHERE completed = ? LIMIT +?)', [
    completed ? 1 : 0,
    Date.now(),
    completed ? 0 : 1,
    max,
  ]);
}

/** False when there is no such todo (deleted meanwhile). */
export async function renameTodo(db: TenantConnection, id: number, title: string): Promise<boolean> {
  return (await db.execute('UPDATE todos SET title = ?, updated_at = ? WHERE id = ?', [title, Date.now(), id])).rowsAffected > 0;
}

export async function deleteTodo(db: TenantConnection, id: number): Promise<void> {
  await db.execute('DELETE FROM todos WHERE id = ?', [id]);
}

export async function clearCompleted(db: TenantConnection, max: number): Promise<void> {
  await offThread(db, 'DELETE FROM todos WHERE id IN (SELECT id FROM todos WHERE completed = 1 LIMIT +?)', [max]);
}

async function offThread(db: TenantConnection, sql: string, args: SqlArgs): Promise<void> {
  await db.batchOffThread([{ sql, args }]);
}

/** Reports the counts to the catalog (batched by the fleet) after a write, and returns them. */
export async function touchMetrics(tenant: Tenant, cap: number): Promise<TodoCounts> {
  const counts = await todoCounts(tenant.db, cap);
  tenant.fleet.touch(tenant.name, { todos: counts.total, completed: counts.completed });
  return counts;
}
