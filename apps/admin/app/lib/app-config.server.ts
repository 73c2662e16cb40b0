import { appUrlFor, loadSiloConfig, type LoadedSiloConfig } from '@silo/fleet';
import { remember } from '@silo/web';
import { adminConfig } from './config.server';
import type { MetricColumn } from './instances';

/**
 * The app's silo.config.ts, read once per process: SILO_CONFIG, else the nearest one from the
 * working folder up (`npm start` runs the admin in apps/admin, below the demo's root config).
 * On `remember`, like the fleet, so server.ts and the bundled app share one load.
 */
export function siloConfig(): Promise<LoadedSiloConfig> {
  return remember('admin.siloConfig', () => loadSiloConfig());
}

/** What the pages take from the config: the metric columns and the template of the app's links. */
export interface AdminView {
  readonly metrics: readonly MetricColumn[];
  /** `https://app.example.com/t/{name}`: SILO_APP_URL (or the deprecated TODOS_URL) over the config's appUrl. */
  readonly appUrl: string | undefined;
  /** The fleet query's starting text: the metrics' one-row statement, else a count every schema answers. */
  readonly fleetQuerySql: string;
}

export async function adminView(): Promise<AdminView> {
  const config = await siloConfig();
  return {
    metrics: config.metrics.map(({ name, label, format }) => ({ name, label, format })),
    appUrl: adminConfig().appUrl ?? config.appUrl,
    fleetQuerySql: config.fleet.schema.metricsSql ?? "SELECT count(*) AS tables FROM sqlite_schema WHERE type = 'table'",
  };
}

/** The instance's page in the app, or null when no app URL is configured. */
export function appLink(view: AdminView, name: string): string | null {
  return view.appUrl === undefined ? null : appUrlFor(view.appUrl, name);
}
