import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener, RequestError } from '@hono/node-server';
import type { Fleet } from '@silo/fleet';
import { answerReadinessWhileClosing, closeGracefully, fleetReadiness, healthResponse, NO_PROXY, readinessResponse, RequestsInFlight, type TrustProxy } from '@silo/web';
import { logAccess, labelRequest, logRefusal, type AccessLogger } from './access-log';
import { clientAddress, incomingOf, withClientAddress } from './client-address';
import { answerClientErrors } from './client-errors';
import { createApiApp, type ApiOptions } from './api/app';
import { withParserFraming } from './api/json-body-limit';
import { errorResponse, toErrorResponse } from './api/errors';
import { libsqlHandler, type LibsqlOptions } from './libsql/index';

export interface ServerOptions extends ApiOptions {
  fleet: Fleet;
  /** Default 127.0.0.1: the API is for this machine unless the operator says otherwise. */
  host?: string;
  /** Default 7070; 0 picks a free port. */
  port?: number;
  /** The folder whose server secret the libSQL token key is derived from, unless SILO_SECRET is set (default: the data folder). */
  tokenSecretDir?: string;
  /** Also route `<instance>.<dbHostSuffix>` to the libSQL endpoint (a `libsql://` URL behind a TLS proxy). */
  dbHostSuffix?: string;
  /** The libSQL endpoint's limits and processes, when not its defaults (libsql/index.ts). */
  libsql?: Omit<LibsqlOptions, 'tokenSecretDir' | 'tokenSecret' | 'hostSuffix'>;
  /** One access-log line per request (pino's logger fits): route pattern, status, duration, token id, instance. */
  log?: AccessLogger;
  /**
   * The reverse proxies whose X-Forwarded-For is believed for the client's address (failed
   * authentications count per client; /readyz gives its details to this machine only).
   * None when not given; `silo serve` passes SILO_TRUST_PROXY, the setting the apps read.
   */
  trustProxy?: TrustProxy;
  /**
   * How long `close()` lets requests in flight finish before their connections are cut
   * (default 10 s; `silo serve` passes SILO_SHUTDOWN_TIMEOUT_MS, the setting the apps read).
   */
  shutdownTimeoutMs?: number;
  /**
   * How long `close()` first goes on answering as usual, /readyz failing, before it stops
   * accepting (default 0; `silo serve` passes SILO_SHUTDOWN_DRAIN_MS, the setting the apps read).
   */
  shutdownDrainMs?: number;
}

const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

/**
 * Where the server secret for instance tokens is found unless told otherwise: the data folder,
 * as the admin and the todos app load theirs, so `silo token`, `silo serve` and the admin agree.
 */
export function defaultTokenSecretDir(fleet: Fleet): string {
  return fleet.settings.dataDir;
}

/** The server's request handler, and `close()` to end the libSQL endpoint's streams and processes. */
export type ServerHandler = ((request: Request, env?: unknown) => Promise<Response>) & { close(): void };

export interface RunningServer {
  /** `http://host:port`, for printing and for clients. */
  readonly url: string;
  readonly port: number;
  /**
   * Stops accepting, lets the requests in flight finish (until `shutdownTimeoutMs`, when the
   * rest are cut: `cut` says how many), closes kept-alive connections and the libSQL endpoint.
   */
  close(): Promise<{ cut: number }>;
}

export const DEFAULT_PORT = 7070;

/**
 * One request handler for everything `silo serve` answers: /v1/* is the REST API, /db/* the
 * libSQL endpoint. Framework-free (Fetch API in, out), so the admin console can mount it too.
 */
export function createHandler(options: Omit<ServerOptions, 'host' | 'port'>): ServerHandler {
  const api = createApiApp(options.fleet, options);
  const libsql = libsqlHandler(options.fleet, {
    ...options.libsql,
    tokenSecretDir: options.tokenSecretDir ?? defaultTokenSecretDir(options.fleet),
    ...(options.dbHostSuffix ? { hostSuffix: options.dbHostSuffix } : {}),
    ...(options.rateLimits?.libsqlPerTokenPerMinute === undefined ? {} : { perTokenPerMinute: options.rateLimits.libsqlPerTokenPerMinute }),
    ...(options.rateLimits?.failedAuthPerMinute === undefined ? {} : { failedAuthPerMinute: options.rateLimits.failedAuthPerMinute }),
  });
  const trust = options.trustProxy ?? NO_PROXY;
  const handler = async (request: Request, bindings?: unknown): Promise<Response> => {
    const env = withClientAddress(bindings, trust);
    const { pathname: path } = new URL(request.url);
    // Probes for a load balancer or an orchestrator: no token, nothing that leaks.
    if (path === '/healthz') {
      labelRequest(request, { route: '/healthz' });
      return healthResponse();
    }
    if (path === '/readyz') {
      labelRequest(request, { route: '/readyz' });
      return readinessResponse(() => fleetReadiness(options.fleet), clientAddress(env));
    }
    // The endpoint answers /db/… and hosts under dbHostSuffix; undefined means not for it.
    const answer = await libsql(request, env);
    if (answer) return answer;
    if (path === '/v1' || path.startsWith('/v1/')) return api.fetch(request, env);
    return errorResponse('NOT_FOUND', 'Nothing here: the API is under /v1 (see /v1/openapi.json), databases under /db/<instance>.', 404);
  };
  return Object.assign(handler, { close: () => libsql.close() });
}

/** Starts `silo serve`'s HTTP server and resolves once it listens. */
export async function createServer(options: ServerOptions): Promise<RunningServer> {
  const handler = createHandler(options);
  const { log } = options;
  const host = options.host ?? '127.0.0.1';
  // The requests the handler saw: the others were answered by the listener below, without a route.
  const handled = new WeakSet<IncomingMessage>();
  const fetch = async (request: Request, env?: unknown): Promise<Response> => {
    const startedAt = performance.now();
    const incoming = incomingOf(env);
    if (incoming) handled.add(incoming);
    // @hono/node-server would answer a rejection with a 500 and no body.
    const response = await handler(request, withParserFraming(env, request)).catch(toErrorResponse);
    // One whose body the parser gave up on was logged as that refusal.
    if (log && !(incoming && clientErrors.refusedBody(incoming))) logAccess(log, request, response.status, startedAt);
    return response;
  };
  const listener = getRequestListener(fetch, { hostname: host, errorHandler: unreadableRequest });
  const inFlight = new RequestsInFlight();
  const server = createHttpServer((incoming, outgoing) => {
    inFlight.track(outgoing);
    if (answerReadinessWhileClosing(inFlight, incoming, outgoing)) return;
    if (log) {
      const startedAt = performance.now();
      outgoing.once('close', () => {
        if (handled.has(incoming)) return;
        logRefusal(log, { method: incoming.method ?? null, status: outgoing.headersSent ? outgoing.statusCode : null, code: 'MALFORMED_REQUEST', startedAt });
      });
    }
    void listener(incoming, outgoing);
  });
  // Before the server listens, so before `fetch` above first reads it.
  const clientErrors = answerClientErrors(server, log);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_PORT, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}`,
    port,
    close: async () => {
      // The endpoint's streams and processes, and then the fleet (the caller's), serve the
      // requests still in flight: they close once those are answered.
      const { cut } = await closeGracefully(server, inFlight, { drainMs: options.shutdownDrainMs ?? 0, deadlineMs: options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS });
      handler.close();
      return { cut };
    },
  };
}

/**
 * What @hono/node-server cannot make a Request of (a backslash in the path, a Host that is no
 * host name, an absolute URL that does not parse, `OPTIONS *`) never reaches the handler: it is
 * answered here, where the library's own answer is a 400 with no body. Whatever else reaches
 * here is unexpected, and answered as the routes answer it.
 */
function unreadableRequest(error: unknown): Response {
  if (!(error instanceof RequestError)) return toErrorResponse(error);
  const response = errorResponse('MALFORMED_REQUEST', "The request's URL or Host header is not valid and it was not served: send a path that starts with / (no backslashes) and a host name in Host.", 400);
  // Its body was not read either: the connection cannot carry another request.
  response.headers.set('Connection', 'close');
  return response;
}
