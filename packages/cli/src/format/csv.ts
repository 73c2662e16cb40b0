import type { SqlValue } from '@silo/fleet';
import { plainText } from './values';

/**
 * RFC 4180 CSV: a field is quoted when it holds a comma, a double quote, a line break or
 * leading/trailing spaces, and quotes inside are doubled. Lines end in "\n" (what Unix tools
 * and every spreadsheet accept).
 */
export function csvField(value: SqlValue | undefined): string {
  const text = plainText(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(values: readonly (SqlValue | undefined)[]): string {
  return `${values.map(csvField).join(',')}\n`;
}

/** A header line and one line per row. */
export function toCsv(columns: readonly string[], rows: readonly (readonly SqlValue[])[]): string {
  return csvLine(columns) + rows.map((row) => csvLine(row)).join('');
}
