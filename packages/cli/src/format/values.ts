import type { SqlValue } from '@silo/fleet';
import { base64, formatCount } from '@silo/fleet/format';

/** How SQL values look in tables, CSV and JSON. */

const MAX_CELL = 80;

/** A table cell: NULL spelled out, blobs summarised, long or multi-line text shortened. */
export function cellText(value: SqlValue | undefined): string {
  if (value === null || value === undefined) return 'NULL';
  if (value instanceof Uint8Array) return `<blob ${value.byteLength} bytes>`;
  if (typeof value !== 'string') return String(value);
  const oneLine = value.replace(/\r\n|\r|\n/g, '↵').replace(/\t/g, ' ');
  return oneLine.length > MAX_CELL ? `${oneLine.slice(0, MAX_CELL - 1)}…` : oneLine;
}

export type JsonValue = null | number | string | boolean | { base64: string };

/** JSON-safe: big integers outside the safe range become strings, blobs `{ base64 }`. */
export function jsonValue(value: SqlValue | undefined): JsonValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
  }
  if (value instanceof Uint8Array) return { base64: base64(value) };
  return value;
}

/**
 * Column names made unique, so rows can become JSON objects without one column hiding
 * another (`SELECT 1, 1` has two columns named "1"): later duplicates get "_2", "_3", ...
 */
export function uniqueColumnNames(columns: readonly string[]): string[] {
  const seen = new Set<string>();
  return columns.map((column) => {
    let name = column;
    for (let n = 2; seen.has(name); n++) name = `${column}_${n}`;
    seen.add(name);
    return name;
  });
}

/** Rows as objects keyed by (unique) column name, with JSON-safe values. */
export function rowObjects(columns: readonly string[], rows: readonly (readonly SqlValue[])[]): Record<string, JsonValue>[] {
  const names = uniqueColumnNames(columns);
  return rows.map((row) => Object.fromEntries(names.map((name, index) => [name, jsonValue(row[index])])));
}

/**
 * JSON's replacer for anything the CLI prints: big integers never throw, and durations (keys
 * ending in "Ms", timed with performance.now()) are whole milliseconds, not 12.345678901.
 */
function jsonReplacer(key: string, item: unknown): unknown {
  if (typeof item === 'bigint') return jsonValue(item);
  if (typeof item === 'number' && key.endsWith('Ms') && !Number.isInteger(item)) return Math.round(item);
  return item;
}

/** JSON text for anything the CLI prints (see jsonReplacer). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, jsonReplacer, 2);
}

/** The same, on one line: for JSON Lines output. */
export function toJsonLine(value: unknown): string {
  return JSON.stringify(value, jsonReplacer);
}

/** "1 instance", "3 instances" */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${formatCount(count)} ${count === 1 ? singular : pluralForm}`;
}

/**
 * A check's findings on one line: the first `shown`, then how many more. SQLite's
 * integrity_check reports a b-tree's findings in one row, a line each under a
 * "*** in database main ***" heading (a damaged file can have one per page), so rows are
 * split into their lines first.
 */
export function findingsText(problems: readonly string[], shown: number): string {
  const lines = problems.flatMap((problem) => problem.split('\n')).filter((line) => line.trim() !== '' && !/^\*\*\* in database .* \*\*\*$/.test(line));
  const more = lines.length - shown;
  return `${lines.slice(0, shown).join('; ')}${more > 0 ? `; and ${formatCount(more)} more` : ''}`;
}
