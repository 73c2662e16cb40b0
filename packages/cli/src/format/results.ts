import type { SqlValue } from '@silo/fleet';
import type { Align } from './table';

/** Query results shaped for output: one table from many instances, and column alignment. */

export interface InstanceRows {
  readonly instance: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly SqlValue[])[];
}

export interface CombinedRows {
  /** "instance" first, then the result columns. */
  readonly columns: string[];
  readonly rows: SqlValue[][];
}

/**
 * One table from per-instance results, with an `instance` column first and instances in
 * name order. When every instance returned the same columns they are kept as they are
 * (duplicates included); when instances differ (e.g. `SELECT *` across schema versions), the
 * columns are the union by name and a missing value is NULL.
 */
export function combineResults(results: readonly InstanceRows[]): CombinedRows {
  const sorted = [...results].sort((a, b) => (a.instance < b.instance ? -1 : a.instance > b.instance ? 1 : 0));
  const first = sorted[0]?.columns ?? [];
  const same = sorted.every((result) => sameColumns(result.columns, first));
  if (same) {
    return {
      columns: ['instance', ...first],
      rows: sorted.flatMap((result) => result.rows.map((row) => [result.instance, ...row])),
    };
  }
  const union: string[] = [];
  for (const result of sorted) for (const column of result.columns) if (!union.includes(column)) union.push(column);
  const rows = sorted.flatMap((result) => {
    const index = new Map<string, number>();
    result.columns.forEach((column, position) => {
      if (!index.has(column)) index.set(column, position);
    });
    return result.rows.map((row) => [result.instance, ...union.map((column) => {
      const position = index.get(column);
      return position === undefined ? null : (row[position] ?? null);
    })]);
  });
  return { columns: ['instance', ...union], rows };
}

function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((column, index) => column === b[index]);
}

/** Right-align columns holding only numbers (NULLs aside); left-align everything else. */
export function columnAligns(columnCount: number, rows: readonly (readonly SqlValue[])[]): Align[] {
  return Array.from({ length: columnCount }, (_, index) => {
    let numeric = false;
    for (const row of rows) {
      const value = row[index];
      if (value === null || value === undefined) continue;
      if (typeof value !== 'number' && typeof value !== 'bigint') return 'left';
      numeric = true;
    }
    return numeric ? 'right' : 'left';
  });
}
