/**
 * The admin's own formatting for server and browser; sizes, counts, durations and CSV come from
 * `@silo/fleet/format`, and which characters are unsafe to show from `@silo/fleet/unsafe-chars`,
 * both shared with the CLI (and browser-safe, unlike the fleet's main entry).
 */
import { formatBytes, formatCount } from '@silo/fleet/format';
import { unsafeCharPattern } from '@silo/fleet/unsafe-chars';
import type { MetricColumn } from './instances';

export function relativeTime(at: number | null, now = Date.now()): string {
  if (at === null) return 'never';
  const seconds = Math.round((now - at) / 1000);
  if (seconds < 0) return 'just now';
  if (seconds < 45) return 'just now';
  const steps: [number, string][] = [
    [60, 'minute'],
    [3600, 'hour'],
    [86_400, 'day'],
    [2_592_000, 'month'],
    [31_536_000, 'year'],
  ];
  let label = '';
  for (let i = steps.length - 1; i >= 0; i--) {
    const [size, name] = steps[i] as [number, string];
    if (seconds >= size) {
      const n = Math.round(seconds / size);
      label = `${n} ${name}${n === 1 ? '' : 's'} ago`;
      break;
    }
  }
  return label || 'just now';
}

export function formatDate(at: number | null): string {
  if (at === null) return '—';
  return new Date(at).toISOString().slice(0, 16).replace('T', ' ');
}

/** What HTML shows as a space: kept as they are, though the shared rule counts them (they act on a terminal). */
const HTML_WHITESPACE = new Set(['\t', '\n', '\r']);

/**
 * Text as it was sent, with control and invisible format characters (`unsafeCharPattern`,
 * shared with the fleet and the CLI: NUL, the zero-width space, bidi overrides such as U+202E;
 * not tabs and line breaks) written as `\u{202E}`: a refused instance name in the audit log
 * shows what was typed, and cannot reorder or hide the text around it. One escape per code
 * point, not per UTF-16 unit as in the CLI's JSON: a person reads it, no parser.
 */
export function visibleText(value: string): string {
  return value.replace(unsafeCharPattern(), (char) =>
    HTML_WHITESPACE.has(char) ? char : `\\u{${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}}`,
  );
}

/** A cell value as text: SQL values can be null, numbers, strings, bigints or blobs. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value instanceof Uint8Array) return `<blob ${value.byteLength} bytes>`;
  return JSON.stringify(value);
}

/** A configured metric's value, as its `format` says: a count, or a size in bytes. */
export function formatMetric(value: number, format: MetricColumn['format']): string {
  return format === 'bytes' ? formatBytes(value) : formatCount(value);
}
