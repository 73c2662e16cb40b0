import type { SqlValue } from '@silo/fleet';

/**
 * Keyset paging of any table: a page starts after (or before) the last row seen, named by its
 * sort value and key, so page 10,000 of a million rows costs what page 1 costs — never OFFSET,
 * which makes SQLite step over every row before the page.
 */

/** A table as the grid pages it; names come from the instance's own schema, never from a request. */
export interface TableShape {
  readonly name: string;
  /** The columns shown, in table order. */
  readonly columns: readonly string[];
  /** What identifies a row: `rowid`, or a WITHOUT ROWID table's primary key columns. */
  readonly key: readonly string[];
  /** Columns that never hold NULL (NOT NULL, or the rowid's alias): sorted by one, a page is one statement. */
  readonly notNull?: readonly string[];
}

export const FILTER_OPS = ['contains', 'eq', 'ne', 'lt', 'gt', 'null', 'notnull'] as const;
export type FilterOp = (typeof FILTER_OPS)[number];

export interface Filter {
  readonly column: string;
  readonly op: FilterOp;
  readonly value: string;
}

/** The sort value (when sorting by a column) and the key values of a row. */
export type Cursor = readonly SqlValue[];

export interface PageRequest {
  /** A column, or undefined for the key order. */
  readonly sort?: string | undefined;
  readonly order: 'asc' | 'desc';
  readonly filters: readonly Filter[];
  /** Rows after this one (next page), or before it (`direction: 'before'`: previous page). */
  readonly cursor?: Cursor | undefined;
  readonly direction?: 'after' | 'before';
  readonly limit: number;
}

export interface Statement {
  readonly sql: string;
  readonly args: SqlValue[];
}

/** Runs one read statement, giving its rows as arrays in select order. */
export type Run = (statement: Statement) => Promise<SqlValue[][]>;

export interface Page {
  /** Key values first (`shape.key.length` of them), then `shape.columns`. */
  readonly rows: SqlValue[][];
  readonly hasNext: boolean;
  readonly hasPrevious: boolean;
}

export function quoteName(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function keyExpr(column: string): string {
  return column === 'rowid' ? 'rowid' : quoteName(column);
}

function filterClause(shape: TableShape, filters: readonly Filter[]): Statement {
  const parts: string[] = [];
  const args: SqlValue[] = [];
  for (const filter of filters) {
    if (!shape.columns.includes(filter.column)) continue;
    const column = quoteName(filter.column);
    switch (filter.op) {
      case 'contains':
        parts.push(`${column} LIKE ? ESCAPE '\\'`);
        args.push(`%${filter.value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
        break;
      case 'eq':
        parts.push(`${column} = ?`);
        args.push(filter.value);
        break;
      case 'ne':
        parts.push(`${column} <> ?`);
        args.push(filter.value);
        break;
      case 'lt':
        parts.push(`${column} < ?`);
        args.push(filter.value);
        break;
      case 'gt':
        parts.push(`${column} > ?`);
        args.push(filter.value);
        break;
      case 'null':
        parts.push(`${column} IS NULL`);
        break;
      case 'notnull':
        parts.push(`${column} IS NOT NULL`);
        break;
      default: {
        const never: never = filter.op;
        throw new Error(`unknown filter ${String(never)}`);
      }
    }
  }
  return { sql: parts.join(' AND '), args };
}

/** `WHERE count(*)` of the filtered table. */
export function countStatement(shape: TableShape, filters: readonly Filter[]): Statement {
  const where = filterClause(shape, filters);
  return { sql: `SELECT count(*) FROM ${quoteName(shape.name)}${where.sql ? ` WHERE ${where.sql}` : ''}`, args: where.args };
}

interface Segment {
  /** Extra conditions of this segment, and the row-value comparison with the cursor. */
  readonly where: string;
  readonly order: readonly string[];
  /** The expressions compared with the cursor (a row value), when the page starts in this segment. */
  readonly cursorExprs: readonly string[];
}

/**
 * The statements of one page, in the order they are to be run until the page is full. Sorted
 * by a column, the table is two segments, because row values never compare with NULL: the rows
 * whose sort value is NULL (first in ascending order, SQLite's rule, last in descending) and
 * the others. Each statement's last argument is its LIMIT, set by `readPage`.
 */
export function pageStatements(shape: TableShape, request: PageRequest): Statement[] {
  const backwards = request.direction === 'before';
  // Reading backwards is reading forwards in the opposite order, then reversing the rows.
  const descending = (request.order === 'desc') !== backwards;
  const dir = descending ? 'DESC' : 'ASC';
  const cmp = descending ? '<' : '>';
  const keys = shape.key.map(keyExpr);
  const sort = request.sort !== undefined && shape.columns.includes(request.sort) ? quoteName(request.sort) : undefined;
  const filter = filterClause(shape, request.filters);
  const select = `SELECT ${[...keys, ...shape.columns.map(quoteName)].join(', ')} FROM ${quoteName(shape.name)}`;

  let segments: Segment[];
  let start = 0;
  let cursorValues: SqlValue[] = [];
  const nullable = request.sort !== undefined && !(shape.notNull ?? []).includes(request.sort);
  if (sort === undefined || !nullable) {
    const exprs = sort === undefined ? keys : [sort, ...keys];
    segments = [{ where: '', order: exprs.map((k) => `${k} ${dir}`), cursorExprs: exprs }];
    cursorValues = request.cursor ? [...request.cursor] : [];
  } else {
    const nulls: Segment = { where: `${sort} IS NULL`, order: keys.map((k) => `${k} ${dir}`), cursorExprs: keys };
    const values: Segment = { where: `${sort} IS NOT NULL`, order: [sort, ...keys].map((k) => `${k} ${dir}`), cursorExprs: [sort, ...keys] };
    segments = descending ? [values, nulls] : [nulls, values];
    if (request.cursor) {
      const [sortValue, ...keyValues] = request.cursor;
      const inNulls = sortValue === null;
      start = segments.indexOf(inNulls ? nulls : values);
      cursorValues = inNulls ? keyValues : [sortValue ?? null, ...keyValues];
    }
  }

  return segments.slice(start).map((segment, index) => {
    const conditions: string[] = [];
    const args: SqlValue[] = [];
    if (filter.sql) {
      conditions.push(filter.sql);
      args.push(...filter.args);
    }
    if (segment.where) conditions.push(segment.where);
    if (index === 0 && request.cursor) {
      conditions.push(`(${segment.cursorExprs.join(', ')}) ${cmp} (${segment.cursorExprs.map(() => '?').join(', ')})`);
      args.push(...cursorValues);
    }
    const where = conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
    return { sql: `${select}${where} ORDER BY ${segment.order.join(', ')} LIMIT ?`, args };
  });
}

/** The cursor naming a row of a page (its sort value, then its key). */
export function cursorOf(shape: TableShape, sort: string | undefined, row: readonly SqlValue[]): Cursor {
  const keyValues = row.slice(0, shape.key.length);
  const sortIndex = sort === undefined ? -1 : shape.columns.indexOf(sort);
  return sortIndex < 0 ? keyValues : [row[shape.key.length + sortIndex] ?? null, ...keyValues];
}

/** One page: its statements run in turn until `limit` rows (one more tells whether another page follows). */
export async function readPage(shape: TableShape, request: PageRequest, run: Run): Promise<Page> {
  const wanted = request.limit + 1;
  const rows: SqlValue[][] = [];
  for (const statement of pageStatements(shape, request)) {
    if (rows.length >= wanted) break;
    rows.push(...(await run({ sql: statement.sql, args: [...statement.args, wanted - rows.length] })));
  }
  const more = rows.length > request.limit;
  const page = rows.slice(0, request.limit);
  if (request.direction === 'before') {
    return { rows: page.reverse(), hasNext: true, hasPrevious: more };
  }
  return { rows: page, hasNext: more, hasPrevious: request.cursor !== undefined };
}
