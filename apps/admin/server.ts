/**
 * The admin console's server: the React Router build on node:http, bound to 127.0.0.1 unless
 * ADMIN_HOST says otherwise. Start it with `npm run start -w @silo/admin` after
 * `npm run build -w @silo/admin` (it runs under tsx, which loads the workspace packages'
 * TypeScript sources).
 */
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequestHandler, type ServerBuild } from 'react-router';
import { allowedHosts, clientFiles, createRequestListener } from '@silo/web';
import { loadContextFor } from '@silo/web/react-router';
import { ensureFirstAdmin } from './app/lib/bootstrap.server';
import { adminConfig } from './app/lib/config.server';
import { closeFleet, getFleet } from './app/lib/fleet.server';

// Everything this process writes (databases, WALs, backups, staging, secrets) is owner-only.
process.umask(0o077);

const here = path.dirname(fileURLToPath(import.meta.url));
const serveClientFile = clientFiles(path.join(here, 'build', 'client'));

/** Only the built bundles are public: everything else needs a session. */
const isPublicAsset = (pathname: string): boolean => pathname.startsWith('/assets/') || pathname === '/favicon.ico';

async function main(): Promise<void> {
  const config = adminConfig();
  const fleet = await getFleet();
  await ensureFirstAdmin(fleet, config, (line) => console.log(line));

  const build = (await import(pathToBuild())) as ServerBuild;
  const handleRequest = createRequestHandler(build, process.env['NODE_ENV'] === 'development' ? 'development' : 'production');
  // @silo/web's listener: security headers with a CSP nonce on every response, the Host
  // allow-list (ADMIN_ALLOWED_HOSTS), the client address (trusted proxies only), and request
  // bodies streamed with back-pressure (an import upload of GiBs is never held in memory).
  // Only the built bundles are served before sign-in; everything else needs a session.
  const handle = createRequestListener((request, info) => handleRequest(request, loadContextFor(info)), {
    trustProxy: config.trustProxy,
    allowedHosts: allowedHosts({
      setting: 'ADMIN_ALLOWED_HOSTS',
      entries: config.ADMIN_ALLOWED_HOSTS,
      listenHost: config.ADMIN_HOST,
      port: () => {
        const address = server.address();
        return typeof address === 'object' && address ? address.port : config.ADMIN_PORT;
      },
    }),
    staticFiles: (req, res) => serveClientFile(req, res, isPublicAsset),
  });

  const server = createServer((req, res) => void handle(req, res));
  // Long streams (fleet query, migrate all) must not be cut by the default request timeout.
  server.requestTimeout = 0;

  // The backup scheduler runs here (SILO_BACKUPS=off: not at all). Other processes may start
  // it too: a lease in the catalog lets one of them work at a time.
  fleet.backups.start({
    onCycle: (cycle) => {
      if (cycle.failed > 0 || cycle.catalogError) console.error(`silo admin: backup cycle: ${cycle.failed} instance(s) failed${cycle.catalogError ? `; catalog: ${cycle.catalogError}` : ''} (see /backups)`);
    },
  });
  console.log(
    fleet.backups.running
      ? `silo admin: backups every ${fleet.settings.backups.intervalMs / 1000} s (one process at a time runs them)`
      : 'silo admin: backups off (SILO_BACKUPS=off)',
  );

  server.listen(config.ADMIN_PORT, config.ADMIN_HOST, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.ADMIN_PORT;
    const host = config.ADMIN_HOST.includes(':') ? `[${config.ADMIN_HOST}]` : config.ADMIN_HOST;
    console.log(`silo admin: listening on http://${host}:${port} (data: ${fleet.settings.dataDir})`);
  });

  let closing = false;
  const shutdown = (): void => {
    if (closing) return;
    closing = true;
    server.close();
    server.closeAllConnections();
    // The running cycle finishes and the lease is handed back, so another process takes over at once.
    void fleet.backups
      .stop()
      .catch((error: unknown) => console.error(`silo admin: stopping backups: ${error instanceof Error ? error.message : String(error)}`))
      .then(() => closeFleet())
      .finally(() => process.exit(0));
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

function pathToBuild(): string {
  return new URL('./build/server/index.js', import.meta.url).href;
}

main().catch((error: unknown) => {
  console.error(`silo admin: could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
