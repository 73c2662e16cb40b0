/**
 * The production server of the TODO app: @silo/web's app server (node:http, static files from
 * build/client, React Router for the rest, logs, /metrics, graceful shutdown). Run after
 * `npm run build -w @silo/todos`:
 *
 *   node --import tsx apps/todos/server.ts
 *
 * Environment: PORT (default 3000; 0 picks a free port), HOST (default 127.0.0.1; 0.0.0.0 to
 * listen on every interface), SILO_ALLOWED_HOSTS (Host names served; default: the listen
 * address), SILO_TRUST_PROXY (reverse proxies whose X-Forwarded-* are believed: a hop count or
 * their addresses), SILO_DATA_DIR, SILO_COOKIE_SECURE=auto|true|false, SILO_SECRET (checked at
 * start-up, app/config.server.ts); LOG_LEVEL, SILO_METRICS_PORT, SILO_SHUTDOWN_TIMEOUT_MS
 * (@silo/web's app server).
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ServerBuild } from 'react-router';
import { startAppServer } from '@silo/web/app-server';
import { appConfig } from './app/config.server';
import { getFleet } from './app/fleet.server';

// Everything this process writes (databases, WALs, backups, staging, secrets) is owner-only.
process.umask(0o077);

const APP = 'silo todos';
const buildDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'build');

let config: ReturnType<typeof appConfig>;
try {
  config = appConfig();
} catch (error) {
  process.stderr.write(`${APP}: could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}

await startAppServer({
  app: APP,
  build: async () => (await import(pathToFileURL(path.join(buildDir, 'server', 'index.js')).href)) as ServerBuild,
  clientDir: path.join(buildDir, 'client'),
  listen: { port: config.port, host: config.host, portVariable: 'PORT', hostVariable: 'HOST' },
  allowedHosts: { setting: 'SILO_ALLOWED_HOSTS', entries: config.allowedHosts },
  trustProxy: config.trustProxy,
  metricsPortVariable: 'SILO_METRICS_PORT',
  fleet: getFleet,
  // Node's request timeout bounds the receipt of a request. Every body here is a small form, so
  // a minute, not Node's five: a client trickling one holds its connection that long at most.
  requestTimeoutMs: 60_000,
});
