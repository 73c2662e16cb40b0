import type { QueryResult, SqlValue } from '@silo/fleet';
import { formatDuration, toCsv } from '@silo/fleet/format';
import { columnAligns } from './format/results';
import { renderPairs, renderTable } from './format/table';
import { cellText, plural, rowObjects } from './format/values';
import type { Output } from './output';

/** How one statement's result is shown: by `silo query` and in `silo shell` (`.mode`). */
export type ResultMode = 'table' | 'csv' | 'json' | 'line';

export const RESULT_MODES: readonly ResultMode[] = ['table', 'csv', 'json', 'line'];

/** The JSON of a result, as `silo query --json` prints it. */
export function resultJson(result: QueryResult): Record<string, unknown> {
  return {
    columns: result.columns,
    rows: rowObjects(result.columns, result.rows),
    truncated: result.truncated,
    rowsAffected: result.rowsAffected,
    durationMs: result.durationMs,
  };
}

export function printResult(output: Output, result: QueryResult, mode: ResultMode): void {
  if (mode === 'json') return output.json(resultJson(result));
  if (result.columns.length === 0) {
    output.print(`${plural(result.rowsAffected, 'row')} affected · ${formatDuration(result.durationMs)}`);
    return;
  }
  if (mode === 'csv') return output.data(toCsv(result.columns, result.rows));
  if (mode === 'line') {
    // One "column  value" block per row, like sqlite3's .mode line: for wide rows on narrow terminals.
    const blocks = result.rows.map((row) => renderPairs(result.columns.map((column, index) => [column, cellText(row[index])] as const), ''));
    output.print(blocks.join('\n\n'));
  } else {
    output.print(resultTable(result.columns, result.rows, output));
  }
  output.print(output.style.dim(`${plural(result.rows.length, 'row')} · ${formatDuration(result.durationMs)}`));
}

export function resultTable(columns: readonly string[], rows: readonly (readonly SqlValue[])[], output: Pick<Output, 'style' | 'width'>): string {
  const { style } = output;
  // A column always has a heading, even `SELECT 1 AS ""`.
  const head = columns.map((column, index) => column.trim() || `column ${index + 1}`);
  const cells = rows.map((row) => row.map((value) => (value === null ? style.dim('NULL') : cellText(value))));
  return renderTable(head, cells, { style, align: columnAligns(columns.length, rows), ...(output.width ? { width: output.width } : {}) });
}
