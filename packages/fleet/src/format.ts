/**
 * Formatting and CSV shared by the CLI and the admin, on the server and in the browser
 * (`@silo/fleet/format`). It must stay side-effect free and import nothing: no `node:`
 * module and nothing else of the fleet (but moment.ts and surface-wording.ts, which import
 * nothing either), or the admin's browser bundle would pull it in.
 */

// The typed-moment rule and the per-surface wording live beside these helpers for the same reason: every surface shares them.
export { MOMENT_FORMATS, parseMoment } from './moment';
export { forSurface, type Surface } from './surface-wording';

/** A value as SQLite returns it (the fleet's `SqlValue`, spelled out so this file imports nothing). */
export type CellValue = string | number | bigint | boolean | Uint8Array | null | undefined;

const SECOND = 1_000;
const MINUTE = 60 * SECOND;

/** Sizes for people: 512 B, 48 KB, 1.5 GB (1024-based). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 10 || unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

/** "1,234": the same grouping on the server and in the browser, whatever their locales. */
export function formatCount(value: number): string {
  return value.toLocaleString('en-US');
}

/**
 * "12 ms", "1.5 s", "42 s", "2 min 5 s". Precision follows the size: tenths of a second only
 * below ten seconds, and minutes past one, so a long migration does not read "125.00 s".
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < SECOND) return `${Math.round(ms)} ms`;
  if (ms < MINUTE) return `${(ms / SECOND).toFixed(ms < 10 * SECOND ? 1 : 0)} s`;
  const minutes = Math.floor(ms / MINUTE);
  const seconds = Math.round((ms % MINUTE) / SECOND);
  return seconds === 0 ? `${minutes} min` : `${minutes} min ${seconds} s`;
}

/** Base64 through `btoa`, which browsers and Node both have; chunked so large blobs do not overflow the call stack. */
export function base64(bytes: Uint8Array): string {
  const CHUNK = 0x8000;
  let binary = '';
  for (let at = 0; at < bytes.length; at += CHUNK) binary += String.fromCharCode(...bytes.subarray(at, at + CHUNK));
  return btoa(binary);
}

/** Plain text of a value for CSV: NULL is empty, blobs are base64 (lossless, unlike a summary). */
export function plainText(value: CellValue): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Uint8Array) return base64(value);
  return String(value);
}

/**
 * Text a spreadsheet would run as a formula (OWASP "CSV Injection"): = + - @ and a leading tab
 * or carriage return. Only text is checked, so a negative number stays a number.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One RFC 4180 field. Text that starts like a formula gets a leading apostrophe, which
 * spreadsheets show as text; a field is then quoted when it holds a comma, a double quote, a
 * line break or leading/trailing spaces, with inner quotes doubled.
 */
export function csvField(value: CellValue): string {
  const text = plainText(value);
  const safe = typeof value === 'string' && FORMULA_START.test(text) ? `'${text}` : text;
  return /[",\r\n]|^\s|\s$/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** One CSV line. "\n" suits Unix tools and every spreadsheet; downloads use RFC 4180's "\r\n". */
export function csvLine(values: readonly CellValue[], lineEnd: '\n' | '\r\n' = '\n'): string {
  return `${values.map(csvField).join(',')}${lineEnd}`;
}

/** A header line and one line per row. */
export function toCsv(columns: readonly string[], rows: readonly (readonly CellValue[])[], lineEnd: '\n' | '\r\n' = '\n'): string {
  return csvLine(columns, lineEnd) + rows.map((row) => csvLine(row, lineEnd)).join('');
}
