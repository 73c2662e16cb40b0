/**
 * The production server of the TODO app: node:http, static files from build/client, and
 * everything else through React Router. Run after `npm run build -w @silo/todos`:
 *
 *   node --import tsx apps/todos/server.ts
 *
 * Environment: PORT (default 3000; 0 picks a free port), HOST (default 127.0.0.1; 0.0.0.0 to
 * listen on every interface), SILO_ALLOWED_HOSTS (Host names served; default: the listen
 * address), SILO_TRUST_PROXY (reverse proxies whose X-Forwarded-* are believed: a hop count or
 * their addresses), SILO_DATA_DIR, SILO_COOKIE_SECURE=auto|true|false, SILO_SECRET. Checked at
 * start-up (app/config.server.ts).
 */
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequestHandler, type ServerBuild } from 'react-router';
import { allowedHosts, clientFiles, createRequestListener } from '@silo/web';
import { loadContextFor } from '@silo/web/react-router';
import { appConfig } from './app/config.server';

// Everything this process writes (databases, WALs, backups, staging, secrets) is owner-only.
process.umask(0o077);

const here = path.dirname(fileURLToPath(import.meta.url));
const buildDir = path.join(here, 'build');
const serveClientFile = clientFiles(path.join(buildDir, 'client'));
const serverEntry = path.join(buildDir, 'server', 'index.js');

let config: ReturnType<typeof appConfig>;
try {
  config = appConfig();
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
let build: ServerBuild;
try {
  build = (await import(pathToFileURL(serverEntry).href)) as ServerBuild;
} catch (error) {
  console.error(`Cannot load ${serverEntry}: run \`npm run build -w @silo/todos\` first.`);
  throw error;
}
const handle = createRequestHandler(build, process.env['NODE_ENV'] ?? 'production');
const { port, host } = config;

// Security headers, the Host allow-list, the client address and CSP nonces: @silo/web.
const listener = createRequestListener((request, info) => handle(request, loadContextFor(info)), {
  trustProxy: config.trustProxy,
  allowedHosts: allowedHosts({
    setting: 'SILO_ALLOWED_HOSTS',
    entries: config.allowedHosts,
    listenHost: host,
    port: () => {
      const address = server.address();
      return typeof address === 'object' && address ? address.port : port;
    },
  }),
  staticFiles: (req, res) => serveClientFile(req, res),
});

const server = http.createServer((req, res) => void listener(req, res));

server.listen(port, host, () => {
  const address = server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  console.log(`Silo TODOs listening on http://${host.includes(':') ? `[${host}]` : host}:${actual}`);
});

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: shutting down`);
  const force = setTimeout(() => server.closeAllConnections(), 10_000);
  force.unref();
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
  // The app registers its own cleanup (closing the fleet) on this shared list.
  const hooks = (globalThis as unknown as Record<symbol, unknown>)[Symbol.for('silo.todos.shutdownHooks')];
  if (Array.isArray(hooks)) {
    for (const hook of hooks) if (typeof hook === 'function') await (hook as () => Promise<void>)();
  }
  process.exit(0);
}
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));
