/**
 * The floor's server: the TODO app's production server (@silo/web's startAppServer: the same
 * request listener, security headers, request ids, access log and metrics) around the floor's
 * build, with no fleet behind it. Run after `npx react-router build` in this folder:
 *
 *   node --conditions=@silo/source --import tsx bench/floor-app/server.ts
 *
 * PORT (0 picks a free port) and HOST as for the TODO app. FLOOR_SERVER picks a thinner server,
 * to take the stack apart (bench/floor-variants.ts):
 * - `plain`: node:http and @remix-run/node-fetch-server around React Router, nothing of ours;
 * - `fetch`: our request listener (headers, Host check, fetch Request) answering a page rendered
 *   once at start-up, as a fetch Response: the listener and the Request/Response plumbing alone;
 * - `static`: node:http writing that page from memory: the floor of node:http itself.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequestListener as fetchServerListener } from '@remix-run/node-fetch-server';
import { createRequestHandler, type ServerBuild } from 'react-router';
import { createRequestListener } from '@silo/web';
import { startAppServer, type AppServerFleet } from '@silo/web/app-server';
import { loadContextFor } from '@silo/web/react-router';

const buildDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'build');
const host = process.env['HOST'] ?? '127.0.0.1';
const port = Number(process.env['PORT'] ?? 0);
const kind = process.env['FLOOR_SERVER'] ?? 'app';
const build = async () => (await import(pathToFileURL(path.join(buildDir, 'server', 'index.js')).href)) as ServerBuild;

/** The app server reads fleet statistics for /metrics: a fleet of none. */
const noFleet: AppServerFleet = {
  stats: () => ({
    handles: { open: 0, cap: 0, hits: 0, misses: 0, evictions: 0, waits: 0 },
    catalogLookups: 0,
    operations: [],
    queryPoolKills: 0,
    queryPoolMemoryKills: 0,
    instances: [],
    backups: { enabled: false, running: false, lastCycle: null },
  }),
  flushActivity: async () => undefined,
};

function listen(server: Server): void {
  server.listen(port, host, () => console.log(`silo floor: listening on http://${host}:${(server.address() as AddressInfo).port} (${kind})`));
  process.on('SIGTERM', () => server.close(() => process.exit(0)) && server.closeAllConnections());
}

if (kind === 'app') {
  await startAppServer({
    app: 'silo floor',
    build,
    clientDir: path.join(buildDir, 'client'),
    listen: { port, host, portVariable: 'PORT', hostVariable: 'HOST' },
    allowedHosts: { setting: 'SILO_ALLOWED_HOSTS', entries: undefined },
    trustProxy: { kind: 'none' },
    metricsPortVariable: 'SILO_METRICS_PORT',
    fleet: async () => noFleet,
  });
} else {
  const handle = createRequestHandler(await build(), 'production');
  const context = () => loadContextFor({ nonce: 'bench-nonce', clientAddress: '127.0.0.1' });
  if (kind === 'plain') {
    listen(createServer(fetchServerListener((request) => handle(request, context()))));
  } else {
    const page = Buffer.from(await (await handle(new Request('http://localhost/t/shop-0'), context())).arrayBuffer());
    const headers = { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': String(page.byteLength) };
    if (kind === 'fetch') {
      const listener = createRequestListener(async () => new Response(page, { headers }));
      listen(createServer((req, res) => void listener(req, res)));
    } else {
      listen(createServer((_req, res) => res.writeHead(200, headers).end(page)));
    }
  }
}
