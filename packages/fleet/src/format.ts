/**
 * Formatting and CSV shared by the CLI and the admin, on the server and in the browser
 * (`@silo/fleet/format`). It must stay side-effect free and import nothing: no `node:`
 * module and nothing else of the fleet, or the admin's browser bundle would pull it in. The
 * rules every surface shares live here for the same reason: the typed-moment rule
 * (`parseMoment`) and the per-surface wording of remedies (`forSurface`), at the end.
 */

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

/**
 * One rule for the moments an operator types (`--at` in the CLI, the restore form in the
 * admin console):
 *
 * - ISO 8601 with an offset: `2026-11-27T15:04:05Z`, `2026-11-27T16:04+01:00`;
 * - a date-time without an offset is read in UTC, the zone both tools show times in
 *   (`2026-11-27 15:04`, `2026-11-27T15:04:05`), never in the machine's local zone;
 * - a span ago: `90s`, `15m`, `2h`, `3d` (optionally followed by "ago"), or `now`;
 * - milliseconds since the epoch (12 digits or more, so a year is never one).
 */

/** How the rule reads in help text and error messages. */
export const MOMENT_FORMATS =
  'ISO 8601 (2026-11-27T15:04:05Z, or with an offset such as +01:00; without one it is UTC), a span ago (15m, 2h, 3d), "now", or epoch milliseconds';

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

const DATE_TIME = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?))?(Z|[+-]\d{2}:?\d{2})?$/i;

/** The moment `text` names, in epoch milliseconds, or NaN when it is none of the forms above. */
export function parseMoment(text: string, now: number = Date.now()): number {
  const value = text.trim();
  if (value.toLowerCase() === 'now') return now;
  const span = /^-?(\d+(?:\.\d+)?)\s*(s|m|h|d)(?:\s+ago)?$/i.exec(value);
  if (span) return now - Number(span[1]) * UNIT_MS[(span[2] ?? 's').toLowerCase() as keyof typeof UNIT_MS];
  if (/^\d{12,}$/.test(value)) return Number(value);
  const parts = DATE_TIME.exec(value);
  if (!parts) return Number.NaN;
  const [, date, time = '00:00', zone = 'Z'] = parts;
  const offset = zone.toUpperCase() === 'Z' ? 'Z' : zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const at = Date.parse(`${date}T${time}${offset}`);
  if (!Number.isFinite(at)) return Number.NaN;
  // Date.parse rolls 2026-02-31 over to March 3: a typo must not become another day.
  const day = Date.parse(`${date}T00:00Z`);
  return Number.isFinite(day) && new Date(day).toISOString().slice(0, 10) === date ? at : Number.NaN;
}

/**
 * The fleet's messages name the remedy the way the admin console offers it ("switch to write
 * mode"). Each surface words that remedy its own way, and this table is the one place that
 * says how, so the CLI never tells an operator to flip a switch it does not have, and the
 * console never tells them to run a flag.
 */
export type Surface = 'console' | 'cli' | 'api';

/** Each UI-switch phrase of a fleet message, and its wording per surface. */
const REMEDIES: readonly { readonly phrase: RegExp; readonly wording: Readonly<Record<Surface, string>> }[] = [
  {
    phrase: /Switch to write mode to change data(?: \(writes are audited\))?\./g,
    wording: {
      console: 'Switch to write mode to change data (writes are audited).',
      cli: 'Pass --write to change data (writes are recorded in the audit log).',
      api: 'To change data, send the statement to an instance\'s query route with `readOnly: false` and a write-scope token (writes are audited).',
    },
  },
  {
    phrase: /run it in write mode\./g,
    wording: { console: 'run it in write mode.', cli: 'run it with --write.', api: 'send it with `readOnly: false` and a write-scope token.' },
  },
  {
    phrase: /Check the name with `silo instances list`\./g,
    wording: { console: 'Check the name in the instance list.', cli: 'Check the name with `silo instances list`.', api: 'Check the name with `GET /v1/instances`.' },
  },
  {
    phrase: /See `silo backup list ([^`]+)`\./g,
    wording: { console: "See the instance's backups.", cli: 'See `silo backup list $1`.', api: 'See `GET /v1/instances/$1/backups`.' },
  },
];

/** `message` with its remedies worded for `surface`. */
export function forSurface(message: string, surface: Surface): string {
  return REMEDIES.reduce((text, remedy) => text.replace(remedy.phrase, remedy.wording[surface]), message);
}
