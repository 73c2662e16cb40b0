/** Human times for tables: relative ("5 min ago") and absolute in UTC ("2025-11-27 15:56Z"); durations are in `@silo/fleet/format`. */

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const MONTH = 30 * DAY;
const YEAR = 365 * DAY;

/** "just now", "5 min ago", "3 h ago", "2 d ago", "4 mo ago", "1 y ago", or "in 5 min" for the future. */
export function formatRelative(at: number | null | undefined, now: number = Date.now()): string {
  if (at === null || at === undefined || !Number.isFinite(at)) return 'never';
  const diff = now - at;
  const span = Math.abs(diff);
  if (span < 45 * SECOND) return 'just now';
  let amount: string;
  if (span < HOUR) amount = `${Math.max(1, Math.round(span / MINUTE))} min`;
  else if (span < DAY) amount = `${Math.round(span / HOUR)} h`;
  else if (span < MONTH) amount = `${Math.round(span / DAY)} d`;
  else if (span < YEAR) amount = `${Math.round(span / MONTH)} mo`;
  else amount = `${Math.floor(span / YEAR)} y`;
  return diff >= 0 ? `${amount} ago` : `in ${amount}`;
}

/**
 * UTC date and time to the minute, marked Z, e.g. "2025-11-27 15:56Z": the zone the admin
 * console shows, and a form `--at` reads back as the same moment (parseMoment), so a time
 * copied from a table is never off by the machine's offset.
 */
export function formatDate(at: number | null | undefined): string {
  if (at === null || at === undefined || !Number.isFinite(at)) return '—';
  return `${new Date(at).toISOString().slice(0, 16).replace('T', ' ')}Z`;
}
