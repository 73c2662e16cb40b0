import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { SqlValue } from '@silo/fleet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cursorOf, pageStatements, readPage, type PageRequest, type Run, type TableShape } from '../app/lib/data-browser/keyset';
import { decodeCursor, encodeCursor } from '../app/lib/data-browser/cursor.server';

const dir = mkdtempSync(path.join(tmpdir(), 'silo-keyset-'));
let db: Database.Database;

const run: Run = ({ sql, args }) => Promise.resolve(db.prepare(sql).raw().all(...args) as SqlValue[][]);

function plan(sql: string): string {
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...new Array<null>((sql.match(/\?/g) ?? []).length).fill(null)) as { detail: string }[])
    .map((row) => row.detail)
    .join('\n');
}

/** Every row, page by page in one direction, as the grid's pager walks them. */
async function walk(shape: TableShape, request: Omit<PageRequest, 'cursor' | 'direction'>): Promise<SqlValue[][]> {
  const all: SqlValue[][] = [];
  let cursor;
  for (;;) {
    const page = await readPage(shape, { ...request, cursor }, run);
    all.push(...page.rows);
    const last = page.rows.at(-1);
    if (!page.hasNext || !last) return all;
    cursor = cursorOf(shape, request.sort, last);
  }
}

const big: TableShape = { name: 'events', columns: ['id', 'kind', 'score'], key: ['rowid'], notNull: ['id'] };
const small: TableShape = { name: 'people', columns: ['email', 'name', 'age'], key: ['email'], notNull: ['email'] };

beforeAll(() => {
  db = new Database(path.join(dir, 'keyset.db'));
  db.exec(`
    CREATE TABLE events (id INTEGER PRIMARY KEY, kind TEXT, score INTEGER);
    CREATE INDEX events_score ON events (score);
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000)
    INSERT INTO events (id, kind, score) SELECT i, 'k' || (i % 7), CASE WHEN i % 10 = 0 THEN NULL ELSE i % 1000 END FROM n;
    CREATE TABLE people (email TEXT PRIMARY KEY, name TEXT, age INTEGER) WITHOUT ROWID;
  `);
  const insert = db.prepare('INSERT INTO people VALUES (?, ?, ?)');
  for (let i = 0; i < 37; i++) insert.run(`p${String(i).padStart(2, '0')}@x`, i % 3 === 0 ? null : `name ${i % 5}`, i % 4 === 0 ? null : i % 6);
});

afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('keyset paging', () => {
  it('pages every order of a small table exactly as ORDER BY over the whole table would, both ways', async () => {
    for (const sort of [undefined, 'email', 'name', 'age'] as const) {
      for (const order of ['asc', 'desc'] as const) {
        const expected = db
          .prepare(`SELECT email, email, name, age FROM people ORDER BY ${sort ? `${sort} ${order}, ` : ''}email ${order}`)
          .raw()
          .all();
        const forward = await walk(small, { sort, order, filters: [], limit: 5 });
        expect(forward, `${sort} ${order}`).toEqual(expected);
        // And back from the last page to the first.
        const backward: SqlValue[][] = [];
        let cursor = cursorOf(small, sort, forward.at(-1) ?? []);
        backward.unshift(forward.at(-1) ?? []);
        for (;;) {
          const page = await readPage(small, { sort, order, filters: [], limit: 5, cursor, direction: 'before' }, run);
          backward.unshift(...page.rows);
          const first = page.rows[0];
          if (!page.hasPrevious || !first) break;
          cursor = cursorOf(small, sort, first);
        }
        expect(backward, `${sort} ${order} backwards`).toEqual(expected);
      }
    }
  });

  it('filters', async () => {
    const rows = await walk(small, { sort: 'age', order: 'asc', filters: [{ column: 'name', op: 'contains', value: 'name 1' }, { column: 'age', op: 'notnull', value: '' }], limit: 2 });
    expect(rows).toEqual(db.prepare("SELECT email, email, name, age FROM people WHERE name LIKE '%name 1%' AND age IS NOT NULL ORDER BY age, email").raw().all());
    // LIKE wildcards in the value are literal.
    expect(await walk(small, { order: 'asc', filters: [{ column: 'name', op: 'contains', value: '%' }], limit: 5 })).toEqual([]);
    // Unknown columns are ignored, never spliced into SQL.
    expect(pageStatements(small, { order: 'asc', filters: [{ column: 'x"; DROP TABLE people; --', op: 'eq', value: '1' }], limit: 5 })[0]?.sql).not.toContain('DROP');
  });

  it('reads a deep page of a million rows through the index, never OFFSET', async () => {
    for (const sort of [undefined, 'id', 'score'] as const) {
      for (const order of ['asc', 'desc'] as const) {
        const statements = pageStatements(big, { sort, order, filters: [], limit: 50, cursor: sort === 'score' ? [500, 600_000] : sort === 'id' ? [600_000, 600_000] : [600_000] });
        for (const statement of statements) {
          expect(statement.sql).not.toMatch(/OFFSET/i);
          const detail = plan(statement.sql);
          // A SEARCH starts at the cursor; a SCAN would step over the rows before it.
          expect(detail, `${sort} ${order}: ${statement.sql}`).toMatch(/SEARCH events USING (INTEGER PRIMARY KEY|(COVERING )?INDEX events_score)/);
          expect(detail).not.toMatch(/SCAN events|USE TEMP B-TREE/);
        }
      }
    }
    const page = await readPage(big, { sort: 'score', order: 'asc', filters: [], limit: 3, cursor: [999, 999_000] }, run);
    expect(page.rows).toEqual([
      [999_999, 999_999, 'k' + (999_999 % 7), 999],
      // Past the last value: the end of the table.
    ]);
    expect(page.hasNext).toBe(false);
  });

  it('keeps blobs and big integers in a cursor', () => {
    const cursor = [new Uint8Array([1, 2, 255]), 2n ** 62n, 'x', null, 1.5];
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
    expect(decodeCursor('not json')).toBeUndefined();
    expect(decodeCursor('[{"x": 1}]')).toBeUndefined();
  });
});
