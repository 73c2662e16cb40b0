import Table from 'cli-table3';
import { plain, type Style } from './style';
import { oneLine } from './terminal-safe';

export type Align = 'left' | 'right';

export interface TableOptions {
  style?: Style;
  /** Per column; numbers read best right-aligned. */
  align?: readonly Align[];
}

/** A boxed table as a string (no trailing newline). Cells are already formatted text. */
export function renderTable(head: readonly string[], rows: readonly (readonly string[])[], options: TableOptions = {}): string {
  const style = options.style ?? plain;
  const table = new Table({
    head: head.map((title) => style.bold(title)),
    // Colours are ours (styleText, off for pipes and NO_COLOR); cli-table3's own are switched off.
    style: { head: [], border: [] },
    // No rule between rows: compact, and still boxed.
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
    colAligns: head.map((_, index) => options.align?.[index] ?? 'left'),
  });
  // A line break in data would start a fake row; control characters are escaped on output.
  for (const row of rows) table.push(row.map(oneLine));
  return table.toString();
}

/** Aligned "label   value" lines, for detail views. */
export function renderPairs(pairs: readonly (readonly [string, string])[], indent = '  '): string {
  const width = Math.max(0, ...pairs.map(([label]) => label.length));
  return pairs.map(([label, value]) => `${indent}${label.padEnd(width)}  ${oneLine(value)}`).join('\n');
}
