/**
 * The admin console's server: the React Router build on node:http, bound to 127.0.0.1 unless
 * ADMIN_HOST says otherwise. Start it with `npm run start -w @silo/admin` after
 * `npm run build -w @silo/admin` (it runs under tsx, which loads the workspace packages'
 * TypeScript sources).
 */
import { createReadStream, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequestListener } from '@react-router/node';
import type { ServerBuild } from 'react-router';
import { securityHeaders } from '@silo/web';
import { ensureFirstAdmin } from './app/lib/bootstrap.server';
import { adminConfig } from './app/lib/config.server';
import { closeFleet, getFleet } from './app/lib/fleet.server';

const here = path.dirname(fileURLToPath(import.meta.url));
const clientDir = path.join(here, 'build', 'client');

const MIME: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

/** Serves the built JS/CSS bundles (public, like any login page's assets); false when not one. */
function serveAsset(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  if (!pathname.startsWith('/assets/') && pathname !== '/favicon.ico') return false;
  const file = path.join(clientDir, pathname);
  if (!file.startsWith(clientDir + path.sep)) return false;
  let size: number;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) return false;
    size = stat.size;
  } catch {
    return false;
  }
  res.writeHead(200, {
    'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream',
    'Content-Length': size,
    'Cache-Control': pathname.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'public, max-age=3600',
  });
  if (req.method === 'HEAD') res.end();
  else createReadStream(file).pipe(res);
  return true;
}

async function main(): Promise<void> {
  const config = adminConfig();
  const fleet = await getFleet();
  await ensureFirstAdmin(fleet, config, (line) => console.log(line));

  const build = (await import(pathToBuild())) as ServerBuild;
  const handle = createRequestListener({ build, mode: process.env['NODE_ENV'] === 'development' ? 'development' : 'production' });

  const server = createServer((req, res) => {
    for (const [name, value] of Object.entries(securityHeaders)) res.setHeader(name, value);
    // The sign-in rate limiter keys on this; a client-sent value is overwritten.
    req.headers['x-silo-client-address'] = req.socket.remoteAddress ?? 'unknown';
    if (serveAsset(req, res)) return;
    void handle(req, res);
  });
  // Long streams (fleet query, migrate all) must not be cut by the default request timeout.
  server.requestTimeout = 0;

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
    void closeFleet().finally(() => process.exit(0));
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
