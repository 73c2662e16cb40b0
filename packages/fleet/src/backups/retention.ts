import type { RetentionPolicy } from './backup-config';
import type { PointRef } from './points';

const DAY = 24 * 60 * 60 * 1_000;

/**
 * Which points to keep: every point younger than the full-history window, then the newest
 * point of each UTC day within the daily window. The newest point is always kept, so an
 * instance that has not changed for months still has its backup.
 */
export function pointsToDrop(points: readonly PointRef[], now: number, policy: RetentionPolicy): PointRef[] {
  if (points.length === 0) return [];
  const newest = points.reduce((a, b) => (b.takenAt > a.takenAt ? b : a));
  const fullSince = now - policy.fullHistoryMs;
  const dailySince = Math.floor(now / DAY) * DAY - policy.dailyDays * DAY;
  const newestOfDay = new Map<number, PointRef>();
  for (const point of points) {
    const day = Math.floor(point.takenAt / DAY);
    const known = newestOfDay.get(day);
    if (!known || point.takenAt > known.takenAt) newestOfDay.set(day, point);
  }
  return points.filter((point) => {
    if (point === newest || point.takenAt >= fullSince) return false;
    const day = Math.floor(point.takenAt / DAY);
    return !(point.takenAt >= dailySince && newestOfDay.get(day) === point);
  });
}
