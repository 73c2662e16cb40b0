/**
 * One rule for the moments an operator types (`--at` in the CLI, the restore form in the
 * admin console), shared through `@silo/fleet/format`, so it imports nothing:
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
