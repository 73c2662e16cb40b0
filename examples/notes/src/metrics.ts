import type { TenantConnection } from '@silo/fleet';

/**
 * The admin's figures for one workspace, read with the one-row statement Silo builds from
 * silo.config.ts's metrics (`fleet.schema.metricsSql`), so their SQL lives in one place.
 */
export async function readMetrics(db: TenantConnection, metricsSql: string | undefined): Promise<Record<string, number>> {
  if (!metricsSql) return {};
  const row = (await db.execute(metricsSql)).rows[0] ?? {};
  return Object.fromEntries(Object.entries(row).map(([name, value]) => [name, Number(value ?? 0)]));
}
