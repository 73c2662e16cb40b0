/** Human times for tables: relative ("5 min ago") and absolute ("2025-11-27 15:56"); durations are in `@silo/fleet/format`. */

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

/** Local date and time to the minute, e.g. "2025-11-27 15:56". */
export function formatDate(at: number | null | undefined): string {
  if (at === null || at === undefined || !Number.isFinite(at)) return '—';
  const date = new Date(at);
  const pad = (value: number): string => String(value).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
