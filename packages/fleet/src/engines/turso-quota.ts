import type { DatabaseQuota } from '../engine';

/** Warn once the organization is this close to its plan's database quota. */
const NEAR_QUOTA = 0.9;

/**
 * A warning when `adding` more databases would pass the plan's quota (or, with nothing to add,
 * when the organization is already near it); undefined when there is room or the plan has no
 * known limit. Clones and point-in-time branches are databases to Turso, so they count.
 */
export function quotaWarning(quota: DatabaseQuota, adding: number): string | undefined {
  if (quota.limit === undefined || quota.used === undefined) return undefined;
  const after = quota.used + adding;
  if (adding > 0 && after > quota.limit) {
    return `This operation would create ${adding} Turso database${adding === 1 ? '' : 's'}, but organization plan "${quota.plan}" allows ${quota.limit} and ${quota.used} exist (clones and point-in-time branches count). Creates past the quota will fail: upgrade the plan (turso plan upgrade) or delete unused databases first.`;
  }
  if (adding === 0 && quota.used >= quota.limit * NEAR_QUOTA) {
    return `Turso organization plan "${quota.plan}" allows ${quota.limit} databases and ${quota.used} exist (clones and point-in-time branches count); new instances will fail once it is reached. Upgrade the plan or delete unused databases.`;
  }
  return undefined;
}
