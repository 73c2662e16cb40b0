import { SiloError, type Fleet, type SqlValue } from '@silo/fleet';
import { toCell, type Cell } from '../results.server';
import type { ColumnInfo, TableEntry, TableSchema } from './types';
import { countStatement, quoteName, readPage, type Cursor, type Filter, type PageRequest, type Run, type Statement, type TableShape } from './keyset';

export type { ColumnInfo, TableEntry, TableSchema };

const LIMITS = { maxRows: 10_000 };

/** The browser's reads; `signal` (the page request's) stops them when the client goes away: counts and sorts of a big table take a while. */
function runner(fleet: Fleet, instance: string, signal?: AbortSignal): Run {
  return async ({ sql, args }: Statement) => (await fleet.query(instance, sql, args, { readOnly: true, limits: LIMITS, signal })).rows;
}

const text = (value: SqlValue | undefined): string => (value === null || value === undefined ? '' : String(value));

/** Every table (virtual ones too) and its row count, counted in one statement. */
export async function listTables(fleet: Fleet, instance: string, signal?: AbortSignal): Promise<TableEntry[]> {
  const run = runner(fleet, instance, signal);
  const names = (await run({ sql: "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name", args: [] })).map((row) => text(row[0]));
  if (names.length === 0) return [];
  const counts = await run({ sql: names.map((name) => `SELECT count(*) FROM ${quoteName(name)}`).join(' UNION ALL '), args: [] });
  return names.map((name, index) => ({ name, rows: Number(counts[index]?.[0] ?? 0) }));
}

/** A table's schema, or TABLE_NOT_FOUND (the name is checked against the instance's own schema). */
export async function tableSchema(fleet: Fleet, instance: string, table: string, signal?: AbortSignal): Promise<TableSchema> {
  const run = runner(fleet, instance, signal);
  const [row] = await run({ sql: "SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name = ?", args: [table] });
  if (!row || table.startsWith('sqlite_')) throw new SiloError('INVALID_INPUT', `No table named "${table}".`);
  const sql = text(row[1]);
  // The table options follow the column list's closing parenthesis.
  const withoutRowid = /\bWITHOUT\s+ROWID\b/i.test(sql.slice(sql.lastIndexOf(')')));
  const columns = (await run({ sql: 'SELECT name, type, "notnull", dflt_value, pk, hidden FROM pragma_table_xinfo(?) ORDER BY cid', args: [table] })).map(
    (c): ColumnInfo => ({ name: text(c[0]), type: text(c[1]), notNull: c[2] === 1, defaultValue: c[3] === null ? null : text(c[3]), pk: Number(c[4]), generated: Number(c[5]) >= 2 }),
  );
  const indexes = (
    await run({
      sql: `SELECT il.name, il."unique", il.origin,
              (SELECT group_concat(coalesce(ii.name, '(expression)'), ', ') FROM pragma_index_info(il.name) ii),
              (SELECT s.sql FROM sqlite_schema s WHERE s.name = il.name)
            FROM pragma_index_list(?) il ORDER BY il.name`,
      args: [table],
    })
  ).map((i) => ({ name: text(i[0]), unique: i[1] === 1, origin: text(i[2]), columns: text(i[3]), sql: i[4] === null ? null : text(i[4]) }));
  const foreignKeys = (await run({ sql: 'SELECT "from", "table", "to", on_update, on_delete FROM pragma_foreign_key_list(?) ORDER BY id, seq', args: [table] })).map((f) => ({
    from: text(f[0]),
    table: text(f[1]),
    to: f[2] === null ? null : text(f[2]),
    onUpdate: text(f[3]),
    onDelete: text(f[4]),
  }));
  const triggers = (await run({ sql: "SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = ? ORDER BY name", args: [table] })).map((t) => ({ name: text(t[0]), sql: text(t[1]) }));
  const pkColumns = columns.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk);
  // INTEGER PRIMARY KEY (exactly that type, alone) is the rowid itself: never NULL.
  const rowidAlias = !withoutRowid && pkColumns.length === 1 && pkColumns[0]?.type.toUpperCase() === 'INTEGER' ? pkColumns[0].name : undefined;
  const shape: TableShape = {
    name: table,
    columns: columns.map((c) => c.name),
    key: withoutRowid ? pkColumns.map((c) => c.name) : ['rowid'],
    notNull: columns.filter((c) => c.notNull || c.name === rowidAlias || (withoutRowid && c.pk > 0)).map((c) => c.name),
  };
  return { name: table, sql, withoutRowid, columns, indexes, foreignKeys, triggers, shape };
}

export interface GridPage {
  readonly rows: { key: Cursor; cells: Cell[]; raw: SqlValue[] }[];
  readonly total: number;
  readonly hasNext: boolean;
  readonly hasPrevious: boolean;
}

export async function gridPage(fleet: Fleet, instance: string, shape: TableShape, request: PageRequest, signal?: AbortSignal): Promise<GridPage> {
  const run = runner(fleet, instance, signal);
  const [page, count] = await Promise.all([readPage(shape, request, run), run(countStatement(shape, request.filters))]);
  return {
    rows: page.rows.map((row) => ({ key: row.slice(0, shape.key.length), raw: row, cells: row.slice(shape.key.length).map(toCell) })),
    total: Number(count[0]?.[0] ?? 0),
    hasNext: page.hasNext,
    hasPrevious: page.hasPrevious,
  };
}

export type { Filter };

// ── Writes: each one statement through fleet.query, audited with its old and new values ──────

function keyWhere(shape: TableShape): string {
  const keys = shape.key.map((k) => (k === 'rowid' ? 'rowid' : quoteName(k)));
  return `(${keys.join(', ')}) = (${keys.map(() => '?').join(', ')})`;
}

function keyDetail(shape: TableShape, key: Cursor): Record<string, Cell> {
  return Object.fromEntries(shape.key.map((name, index) => [name, toCell(key[index] ?? null)]));
}

function writableColumn(schema: TableSchema, column: string): ColumnInfo {
  const info = schema.columns.find((c) => c.name === column);
  if (!info) throw new SiloError('INVALID_INPUT', `"${schema.name}" has no column "${column}".`);
  if (info.generated) throw new SiloError('INVALID_INPUT', `"${column}" is a generated column; it cannot be written.`);
  return info;
}

async function readRow(fleet: Fleet, instance: string, schema: TableSchema, key: Cursor): Promise<Record<string, Cell>> {
  if (key.length !== schema.shape.key.length) throw new SiloError('INVALID_INPUT', 'That row key does not fit the table.');
  const { shape } = schema;
  const result = await fleet.query(instance, `SELECT ${shape.columns.map(quoteName).join(', ')} FROM ${quoteName(shape.name)} WHERE ${keyWhere(shape)}`, [...key], { readOnly: true });
  const row = result.rows[0];
  if (!row) throw new SiloError('INVALID_INPUT', 'That row is gone (deleted meanwhile?). Reload the page.');
  return Object.fromEntries(shape.columns.map((name, index) => [name, toCell(row[index] ?? null)]));
}

/** Sets one cell, if it still holds the value the page showed; audited with the old and new value. */
export async function updateCell(fleet: Fleet, instance: string, schema: TableSchema, key: Cursor, column: string, value: string | null, actor: string): Promise<number> {
  writableColumn(schema, column);
  if (key.length !== schema.shape.key.length) throw new SiloError('INVALID_INPUT', 'That row key does not fit the table.');
  const { shape } = schema;
  const current = await fleet.query(instance, `SELECT ${quoteName(column)} FROM ${quoteName(shape.name)} WHERE ${keyWhere(shape)}`, [...key], { readOnly: true });
  const row = current.rows[0];
  if (!row) throw new SiloError('INVALID_INPUT', 'That row is gone (deleted meanwhile?). Reload the page.');
  const old = toCell(row[0] ?? null);
  // "IS the value read": a change made meanwhile is not overwritten (0 rows changed).
  const result = await fleet.query(
    instance,
    `UPDATE ${quoteName(shape.name)} SET ${quoteName(column)} = ? WHERE ${keyWhere(shape)} AND ${quoteName(column)} IS ?`,
    [value, ...key, row[0] ?? null],
    { readOnly: false, actor, auditDetail: { table: shape.name, key: keyDetail(shape, key), column, old, new: value } },
  );
  return result.rowsAffected;
}

/** Inserts a row of the given values (columns left out take their defaults); audited with them. */
export async function insertRow(fleet: Fleet, instance: string, schema: TableSchema, values: Readonly<Record<string, string | null>>, actor: string): Promise<void> {
  const columns = Object.keys(values);
  for (const column of columns) writableColumn(schema, column);
  const table = quoteName(schema.name);
  const sql = columns.length === 0 ? `INSERT INTO ${table} DEFAULT VALUES` : `INSERT INTO ${table} (${columns.map(quoteName).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
  await fleet.query(instance, sql, columns.map((c) => values[c] ?? null), { readOnly: false, actor, auditDetail: { table: schema.name, new: values } });
}

/** Deletes one row by its key; audited with the row as it was. */
export async function deleteRow(fleet: Fleet, instance: string, schema: TableSchema, key: Cursor, actor: string): Promise<void> {
  const old = await readRow(fleet, instance, schema, key);
  const { shape } = schema;
  await fleet.query(instance, `DELETE FROM ${quoteName(shape.name)} WHERE ${keyWhere(shape)}`, [...key], { readOnly: false, actor, auditDetail: { table: shape.name, key: keyDetail(shape, key), old } });
}
