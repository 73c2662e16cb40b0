import { stripVTControlCharacters } from 'node:util';
import Table from 'cli-table3';
import { escapeChar } from '@silo/fleet/internal';
import { plain, type Style } from './style';
import { oneLine, terminalSafe } from './terminal-safe';

export type Align = 'left' | 'right';

export interface TableOptions {
  style?: Style;
  /** Per column; numbers read best right-aligned. */
  align?: readonly Align[];
  /** The terminal's width in columns: wider tables wrap their widest columns, then lose their last ones. Unset: no limit (pipes). */
  width?: number;
}

/** Narrower than this a column is no longer readable when wrapped: dropping columns is better. */
const MIN_COLUMN = 8;

/** A boxed table as a string (no trailing newline). Cells are already formatted text. */
export function renderTable(head: readonly string[], rows: readonly (readonly string[])[], options: TableOptions = {}): string {
  const style = options.style ?? plain;
  // Escaped here, before any width is measured: the output stream would escape a control
  // character anyway, but into six visible columns (\u001b) the layout did not count, so the
  // borders of its row would be pushed out of line. Our own colour codes survive exactly when
  // the stream keeps them (colour on), so what is measured is what the terminal shows.
  const keepStyles = style !== plain;
  const cell = (text: string): string => terminalSafe(oneLine(text).replace(/\t/g, escapeChar), { keepStyles });
  const titles = head.map(cell);
  const body = rows.map((row) => row.map(cell));
  const fit = options.width === undefined ? undefined : fitColumns(titles, body, options.width);
  const kept = fit?.kept ?? titles.length;
  const table = new Table({
    head: titles.slice(0, kept).map((title) => style.bold(title)),
    // Colours are ours (styleText, off for pipes and NO_COLOR); cli-table3's own are switched off.
    style: { head: [], border: [] },
    // No rule between rows: compact, and still boxed.
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
    colAligns: head.slice(0, kept).map((_, index) => options.align?.[index] ?? 'left'),
    ...(fit?.widths ? { colWidths: fit.widths, wordWrap: true, wrapOnWordBoundary: true } : {}),
  });
  for (const row of body) table.push(row.slice(0, kept));
  const text = table.toString();
  if (kept === titles.length) return text;
  return `${text}\n${style.dim(`${titles.length - kept} of ${titles.length} columns left out to fit ${options.width} columns: ${titles.slice(kept).join(', ')} (--json shows all)`)}`;
}

/**
 * The columns a table of `width` terminal columns can show. Each column takes its widest
 * cell plus 2 of padding, and each border 1. Too wide: the widest columns are wrapped down to
 * an even share (no narrower than MIN_COLUMN); still too wide: the last columns are dropped.
 */
export function fitColumns(head: readonly string[], rows: readonly (readonly string[])[], width: number): { kept: number; widths?: number[] } {
  const natural = head.map((title, index) => Math.max(visible(title), ...rows.map((row) => visible(row[index] ?? ''))) + 2);
  const total = (widths: readonly number[]): number => widths.reduce((sum, column) => sum + column, 0) + widths.length + 1;
  if (total(natural) <= width) return { kept: head.length };
  for (let kept = head.length; kept >= 1; kept--) {
    const widths = natural.slice(0, kept);
    const room = width - kept - 1;
    if (room < kept * MIN_COLUMN && kept > 1) continue;
    // Shrink the widest column one step at a time until the table fits.
    while (total(widths) > width) {
      const widest = widths.indexOf(Math.max(...widths));
      if ((widths[widest] ?? 0) <= MIN_COLUMN) break;
      widths[widest] = (widths[widest] ?? 0) - 1;
    }
    if (total(widths) <= width || kept === 1) return { kept, widths };
  }
  return { kept: 1, widths: [Math.max(MIN_COLUMN, width - 2)] };
}

function visible(text: string): number {
  return stripVTControlCharacters(text).length;
}

/** Aligned "label   value" lines, for detail views. */
export function renderPairs(pairs: readonly (readonly [string, string])[], indent = '  '): string {
  const width = Math.max(0, ...pairs.map(([label]) => label.length));
  return pairs.map(([label, value]) => `${indent}${label.padEnd(width)}  ${oneLine(value)}`).join('\n');
}
