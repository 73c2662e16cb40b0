import type { CatalogDb, CatalogWrite } from './catalog-db';
import { Statements } from './statements';

const DAY_MS = 24 * 60 * 60 * 1000;

/** How long daily rows are kept (catalog migration 12). */
export const ACTIVITY_RETENTION_DAYS = 90;

/** A UTC day as the catalog keys it: days since 1970-01-01. */
export function utcDay(at: number): number {
  return Math.floor(at / DAY_MS);
}

/** YYYY-MM-DD of a UTC day number. */
export function dayLabel(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** What one flush records about one instance on one day. */
export interface DailyUsage {
  readonly name: string;
  readonly at: number;
  /** False for work that is not the tenant's activity (a fleet-wide migration): usage only. */
  readonly active?: boolean;
  readonly reads?: number;
  readonly writes?: number;
  readonly sizeBytes?: number;
}

export interface UsageDay {
  /** YYYY-MM-DD (UTC). */
  readonly day: string;
  readonly active: boolean;
  readonly reads: number;
  readonly writes: number;
  /** The size at the day's last recorded flush; null when none was measured that day. */
  readonly sizeBytes: number | null;
}

export interface ActiveTenants {
  /** Distinct instances active on each UTC day (days with none are left out). */
  readonly perDay: readonly { day: string; count: number }[];
  /** Distinct instances active in each week (Monday to Sunday, UTC), keyed by its Monday. */
  readonly perWeek: readonly { week: string; count: number }[];
}

/**
 * Daily activity and usage per instance: a row per instance per day, written in the same batch
 * as the touch buffer's flush (so counting costs the hot path nothing but a counter) and pruned
 * after 90 days by the first flush of each day.
 */
export class InstanceActivity {
  readonly #statements: Statements;
  #prunedDay = Number.NEGATIVE_INFINITY;

  constructor(db: CatalogDb) {
    this.#statements = new Statements(db);
  }

  /** The writes recording these updates, with the day's prune when it has not run in this process yet. */
  writes(updates: readonly DailyUsage[], now = Date.now()): CatalogWrite[] {
    const writes = updates.map((update): CatalogWrite => ({
      sql: `INSERT INTO instance_daily (instance_id, day, active, reads, writes, size_bytes)
            SELECT id, ?, ?, ?, ?, ? FROM instances WHERE name = ? AND state = 'ready'
            ON CONFLICT (instance_id, day) DO UPDATE SET
              active = max(active, excluded.active),
              reads = reads + excluded.reads,
              writes = writes + excluded.writes,
              size_bytes = coalesce(excluded.size_bytes, size_bytes)`,
      args: [utcDay(update.at), update.active === false ? 0 : 1, update.reads ?? 0, update.writes ?? 0, update.sizeBytes ?? null, update.name],
    }));
    const today = utcDay(now);
    if (writes.length > 0 && today !== this.#prunedDay) {
      this.#prunedDay = today;
      writes.push({ sql: 'DELETE FROM instance_daily WHERE day < ?', args: [today - ACTIVITY_RETENTION_DAYS] });
    }
    return writes;
  }

  /** Daily and weekly active tenants over the last `days` days (today included). */
  activeTenants(days: number, now = Date.now()): ActiveTenants {
    const today = utcDay(now);
    const since = today - Math.max(1, Math.trunc(days)) + 1;
    const perDay = this.#statements
      .get<[number], { day: number; count: number }>(
        `SELECT day, count(*) AS count FROM instance_daily WHERE active = 1 AND day >= ? GROUP BY day ORDER BY day`,
      )
      .all(since);
    // Day 0 was a Thursday: (day + 3) / 7 numbers the weeks from a Monday. The first week is
    // counted whole, so its number is not cut short by the window's edge.
    const firstMonday = since - ((since + 3) % 7);
    const perWeek = this.#statements
      .get<[number], { week: number; count: number }>(
        `SELECT (day + 3) / 7 AS week, count(DISTINCT instance_id) AS count FROM instance_daily
         WHERE active = 1 AND day >= ? GROUP BY week ORDER BY week`,
      )
      .all(firstMonday);
    return {
      perDay: perDay.map((row) => ({ day: dayLabel(row.day), count: row.count })),
      perWeek: perWeek.map((row) => ({ week: dayLabel(row.week * 7 - 3), count: row.count })),
    };
  }

  /** An instance's usage per day over the last `days` days, oldest first (days without a row are left out). */
  usage(instanceId: string, days: number, now = Date.now()): UsageDay[] {
    const since = utcDay(now) - Math.max(1, Math.trunc(days)) + 1;
    return this.#statements
      .get<[string, number], { day: number; active: number; reads: number; writes: number; size_bytes: number | null }>(
        `SELECT day, active, reads, writes, size_bytes FROM instance_daily WHERE instance_id = ? AND day >= ? ORDER BY day`,
      )
      .all(instanceId, since)
      .map((row) => ({ day: dayLabel(row.day), active: row.active === 1, reads: row.reads, writes: row.writes, sizeBytes: row.size_bytes }));
  }
}
