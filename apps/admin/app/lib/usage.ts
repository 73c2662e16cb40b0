/** One UTC day of an instance's usage on its page; days without a catalog row count 0. */
export interface UsagePoint {
  day: string;
  reads: number;
  writes: number;
  /** The size at that day's last flush, or the last size known before it; null before any. */
  sizeBytes: number | null;
}

const DAY_MS = 86_400_000;

/** Every one of the last `days` UTC days, oldest first, ending on `now`'s day. */
export function fillUsage(days: number, now: number, rows: readonly { day: string; reads: number; writes: number; sizeBytes: number | null }[]): UsagePoint[] {
  const byDay = new Map(rows.map((row) => [row.day, row]));
  const points: UsagePoint[] = [];
  let size: number | null = null;
  for (let i = days - 1; i >= 0; i--) {
    const day = new Date(now - i * DAY_MS).toISOString().slice(0, 10);
    const row = byDay.get(day);
    size = row?.sizeBytes ?? size;
    points.push({ day, reads: row?.reads ?? 0, writes: row?.writes ?? 0, sizeBytes: size });
  }
  return points;
}
