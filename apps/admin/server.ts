/**
 * The admin console's server: @silo/web's app server (the React Router build on node:http,
 * logs, /metrics, graceful shutdown), bound to 127.0.0.1 unless ADMIN_HOST says otherwise, and
 * the backup scheduler. Start it with `npm run start -w @silo/admin` after
 * `npm run build -w @silo/admin` (it runs under tsx, which loads the workspace packages'
 * TypeScript sources). Metrics: ADMIN_METRICS_PORT.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerBuild } from 'react-router';
import { startAppServer } from '@silo/web/app-server';
import { ensureFirstAdmin } from './app/lib/bootstrap.server';
import { adminConfig, type AdminConfig } from './app/lib/config.server';
import { getFleet } from './app/lib/fleet.server';

// Everything this process writes (databases, WALs, backups, staging, secrets) is owner-only.
process.umask(0o077);

const APP = 'silo admin';
const here = path.dirname(fileURLToPath(import.meta.url));

/** Only the built bundles are public: everything else needs a session. */
const isPublicAsset = (pathname: string): boolean => pathname.startsWith('/assets/') || pathname === '/favicon.ico';

let config: AdminConfig;
try {
  config = adminConfig();
} catch (error) {
  process.stderr.write(`${APP}: could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}

const { fleet, logger, metrics } = await startAppServer({
  app: APP,
  build: async () => (await import(new URL('./build/server/index.js', import.meta.url).href)) as ServerBuild,
  clientDir: path.join(here, 'build', 'client'),
  publicFile: isPublicAsset,
  listen: { port: config.ADMIN_PORT, host: config.ADMIN_HOST, portVariable: 'ADMIN_PORT', hostVariable: 'ADMIN_HOST' },
  allowedHosts: { setting: 'ADMIN_ALLOWED_HOSTS', entries: config.ADMIN_ALLOWED_HOSTS },
  trustProxy: config.trustProxy,
  metricsPortVariable: 'ADMIN_METRICS_PORT',
  fleet: getFleet,
  // Plain text on stdout, not a log record: the first password is shown to the operator once.
  prepare: ({ fleet }) => ensureFirstAdmin(fleet, config, (line) => process.stdout.write(`${line}\n`)),
  // Node's request timeout bounds the receipt of a request (a stream of answers is not cut by
  // it): an hour, for an import of the largest allowed file on a slow link; never unbounded,
  // or a client trickling a body (to /login, say) would hold its connection for good.
  requestTimeoutMs: 60 * 60 * 1000,
});

// The backup scheduler runs here (SILO_BACKUPS=off: not at all). Other processes may start
// it too: a lease in the catalog lets one of them work at a time.
fleet.backups.start({
  onCycle: (cycle) => {
    metrics.observeBackupCycle(cycle);
    if (cycle.failed > 0 || cycle.catalogError) {
      logger.error({ failed: cycle.failed, catalogError: cycle.catalogError }, `backup cycle: ${cycle.failed} instance(s) failed${cycle.catalogError ? `; catalog: ${cycle.catalogError}` : ''} (see /backups)`);
    }
  },
});
logger.info(
  fleet.backups.running
    ? `backups every ${fleet.settings.backups.intervalMs / 1000} s (one process at a time runs them); data: ${fleet.settings.dataDir}`
    : `backups off (SILO_BACKUPS=off); data: ${fleet.settings.dataDir}`,
);
