import type { FleetQueryEvent } from '../../lib/ndjson';

export type OkResult = Extract<FleetQueryEvent, { type: 'ok' }>;
export type ErrorResult = Extract<FleetQueryEvent, { type: 'error' }>;

/** A fleet query as far as it has come: per-instance results and errors. */
export interface Run {
  total: number;
  ok: OkResult[];
  errors: ErrorResult[];
  finished: boolean;
  durationMs?: number;
  fatal?: string;
}

/** One table: an `instance` column, then the union of the columns, in first-seen order. */
export function combine(results: readonly OkResult[]): { columns: string[]; rows: (string | number | null)[][] } {
  const columns: string[] = [];
  for (const result of results) for (const column of result.columns) if (!columns.includes(column)) columns.push(column);
  const rows: (string | number | null)[][] = [];
  const sorted = [...results].sort((a, b) => a.instance.localeCompare(b.instance));
  for (const result of sorted) {
    const index = result.columns.map((column) => columns.indexOf(column));
    for (const row of result.rows) {
      const cells: (string | number | null)[] = new Array<string | number | null>(columns.length).fill(null);
      row.forEach((value, i) => {
        const at = index[i] ?? -1;
        if (at >= 0) cells[at] = value;
      });
      rows.push([result.instance, ...cells]);
    }
  }
  return { columns: ['instance', ...columns], rows };
}
