/**
 * The production server of the TODO app: node:http, static files from build/client, and
 * everything else through React Router. Run after `npm run build -w @silo/todos`:
 *
 *   node --import tsx apps/todos/server.ts
 *
 * Environment: PORT (default 3000; 0 picks a free port), HOST (default 127.0.0.1; 0.0.0.0 to
 * listen on every interface), SILO_DATA_DIR, SILO_TRUST_PROXY=1 behind a reverse proxy
 * (honours X-Forwarded-Proto/-Host/-For), SILO_COOKIE_SECURE=auto|true|false, SILO_SECRET.
 */
import { createReadableStreamFromReadable, writeReadableStreamToWritable } from '@react-router/node';
import http from 'node:http';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequestHandler, type ServerBuild } from 'react-router';
import { clientFiles, discardUnreadBodyAfterResponse } from '@silo/web';

// Everything this process writes (databases, WALs, backups, staging, secrets) is owner-only.
process.umask(0o077);

const here = path.dirname(fileURLToPath(import.meta.url));
const buildDir = path.join(here, 'build');
const serveClientFile = clientFiles(path.join(buildDir, 'client'));
const serverEntry = path.join(buildDir, 'server', 'index.js');

let build: ServerBuild;
try {
  build = (await import(pathToFileURL(serverEntry).href)) as ServerBuild;
} catch (error) {
  console.error(`Cannot load ${serverEntry}: run \`npm run build -w @silo/todos\` first.`);
  throw error;
}
const handle = createRequestHandler(build, process.env['NODE_ENV'] ?? 'production');
const trustProxy = ['1', 'true'].includes(process.env['SILO_TRUST_PROXY'] ?? '');
const port = Number(process.env['PORT'] ?? 3000);
const host = process.env['HOST'] || '127.0.0.1';

function first(value: string | string[] | undefined): string | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  return raw?.split(',')[0]?.trim() || undefined;
}

function toRequest(req: http.IncomingMessage, res: http.ServerResponse): Request {
  const encrypted = (req.socket as Partial<TLSSocket>).encrypted === true;
  const protocol = (trustProxy && first(req.headers['x-forwarded-proto'])) || (encrypted ? 'https' : 'http');
  const hostHeader = (trustProxy && first(req.headers['x-forwarded-host'])) || req.headers.host || 'localhost';
  const url = new URL(req.url ?? '/', `${protocol}://${hostHeader}`);
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else headers.set(name, value);
  }
  // The app's rate limits key on this; a client-sent value is never trusted.
  headers.set('x-silo-client-ip', (trustProxy && first(req.headers['x-forwarded-for'])) || req.socket.remoteAddress || 'unknown');
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  const method = req.method ?? 'GET';
  const init: RequestInit & { duplex?: 'half' } = { method, headers, signal: controller.signal };
  if (method !== 'GET' && method !== 'HEAD') {
    init.body = createReadableStreamFromReadable(req);
    init.duplex = 'half';
  }
  return new Request(url, init);
}

async function sendResponse(req: http.IncomingMessage, res: http.ServerResponse, response: Response): Promise<void> {
  res.statusCode = response.status;
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader('Set-Cookie', cookies);
  for (const [name, value] of response.headers) if (name !== 'set-cookie') res.setHeader(name, value);
  if (response.body && req.method !== 'HEAD') await writeReadableStreamToWritable(response.body, res);
  else res.end();
}

const server = http.createServer((req, res) => {
  if (serveClientFile(req, res)) return;
  discardUnreadBodyAfterResponse(req, res);
  let request: Request;
  try {
    request = toRequest(req, res);
  } catch {
    res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Bad request.');
    return;
  }
  handle(request)
    .then((response) => sendResponse(req, res, response))
    .catch((error: unknown) => {
      console.error('Request failed:', error instanceof Error ? error.message : String(error));
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Internal error.');
      else res.destroy();
    });
});

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
