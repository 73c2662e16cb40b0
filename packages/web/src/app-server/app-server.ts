import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { format } from 'node:util';
import { createRequestHandler, type ServerBuild } from 'react-router';
import { allowedHosts } from '../hosts';
import type { TrustProxy } from '../forwarded';
import { answerReadinessWhileClosing, closeGracefully, RequestsInFlight } from '../graceful-close';
import { loadContextFor } from '../react-router';
import { createRequestListener } from '../request-listener';
import { clientFiles } from '../static-files';
import { createLogger, type Logger } from './logger';
import { createAppMetrics, type AppMetrics, type FleetStatsSnapshot } from './metrics';
import { completeMethodNotAllowed } from './method-not-allowed';
import { precompress } from './precompress';
import { routeMatcher } from './route-pattern';
import { runShutdownHooks } from './shutdown-hooks';
import { StartupError, exitWith, listenProblem, openProblem, serverSettings } from './startup';

/** What the app server needs of the app's fleet (structural: @silo/fleet's Fleet fits). */
export interface AppServerFleet {
  stats(): FleetStatsSnapshot;
  flushActivity(): Promise<void>;
}

export interface AppServerOptions<F extends AppServerFleet> {
  /** How log lines and start-up failures name the process (`silo todos`). */
  readonly app: string;
  /** The React Router server build, loaded after the settings are checked. */
  readonly build: () => Promise<ServerBuild>;
  /** The build's client folder (static files). */
  readonly clientDir: string;
  /** Which built files are public; default all (the admin serves only its bundles before sign-in). */
  readonly publicFile?: (pathname: string) => boolean;
  readonly listen: { readonly port: number; readonly host: string; readonly portVariable: string; readonly hostVariable: string };
  readonly allowedHosts: { readonly setting: string; readonly entries: readonly string[] | undefined };
  readonly trustProxy: TrustProxy;
  /** The variable naming the metrics port (`SILO_METRICS_PORT`). */
  readonly metricsPortVariable: string;
  /** Opens the app's fleet (the same `remember`ed one the app's middleware uses). */
  readonly fleet: () => Promise<F>;
  /** Work before the port opens, with the fleet (the admin's first account); a StartupError is one line. */
  readonly prepare?: (context: { readonly fleet: F; readonly logger: Logger }) => Promise<void> | void;
  /** Per-request time limit of node:http; 0 for servers that stream for long (the admin). */
  readonly requestTimeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
}

export interface AppServer<F extends AppServerFleet> {
  readonly url: string;
  readonly metricsUrl: string | undefined;
  readonly logger: Logger;
  readonly metrics: AppMetrics;
  readonly fleet: F;
  readonly server: Server;
}

/**
 * Runs an app's React Router build on node:http the way both apps run in production:
 * - settings checked first; a bad one, a data folder that cannot be written or a busy port is
 *   one line on stderr naming the cause and the variable, and exit code 1;
 * - the URL is printed (and sent to a parent process over IPC, see scripts/start.mjs) only
 *   once the port listens;
 * - @silo/web's request listener (security headers, Host allow-list, client address through
 *   trusted proxies, back-pressured bodies), static files through sirv, a request id;
 * - one access-log line per request (method, route pattern, status, duration, instance,
 *   request id) and the request metrics; /metrics on a port of its own;
 * - SIGTERM/SIGINT: stop accepting, let in-flight requests finish within the deadline, run the
 *   app's shutdown hooks (closing the fleet), exit 0.
 */
export async function startAppServer<F extends AppServerFleet>(options: AppServerOptions<F>): Promise<AppServer<F>> {
  const env = options.env ?? process.env;
  let settings;
  try {
    settings = serverSettings(env, { metricsPort: options.metricsPortVariable });
  } catch (error) {
    exitWith(options.app, error instanceof Error ? error.message : String(error));
  }
  const logger = createLogger({ app: options.app, level: settings.logLevel });
  routeConsoleTo(logger);

  let fleet: F;
  try {
    fleet = await options.fleet();
    await options.prepare?.({ fleet, logger });
  } catch (error) {
    exitWith(options.app, error instanceof StartupError ? error.message : openProblem(error));
  }
  let build: ServerBuild;
  try {
    build = await options.build();
  } catch (error) {
    exitWith(options.app, `cannot load the server build (run the app's build first): ${error instanceof Error ? error.message : String(error)}`);
  }

  const skipped = precompress(options.clientDir);
  if (skipped) logger.warn(`static files are served uncompressed: ${skipped}`);
  const serveClientFile = clientFiles(options.clientDir);
  const handleRequest = createRequestHandler(build, env['NODE_ENV'] === 'development' ? 'development' : 'production');
  const match = routeMatcher(build);
  const metrics = createAppMetrics(() => fleet.stats());
  const staticResponses = new WeakSet<ServerResponse>();

  const { port, host } = options.listen;
  let listeningPort: number | undefined;
  const methodNotAllowed = completeMethodNotAllowed(build);
  const listener = createRequestListener(async (request, info) => methodNotAllowed(request, await handleRequest(request, loadContextFor(info))), {
    trustProxy: options.trustProxy,
    allowedHosts: allowedHosts({
      setting: options.allowedHosts.setting,
      entries: options.allowedHosts.entries,
      listenHost: host,
      // server.address() is a system call: read once the server listens, not per request.
      port: () => (listeningPort ??= (server.address() as AddressInfo | null)?.port) ?? port,
    }),
    staticFiles: (req, res) => {
      const served = serveClientFile(req, res, options.publicFile);
      if (served) staticResponses.add(res);
      return served;
    },
    requestIds: true,
    log: { warn: (message) => logger.warn(message), error: (error) => logger.error({ err: error }, 'request failed') },
  });

  let closing = false;
  const inFlight = new RequestsInFlight();
  const server = createServer((req, res) => {
    const started = performance.now();
    // Before the count's own listener: a request is over once its access-log line is written (499 if cut).
    res.once('close', () => accessLog(logger, metrics, req, res, (performance.now() - started) / 1000, staticResponses.has(res) ? 'static' : undefined, match));
    inFlight.track(res);
    if (answerReadinessWhileClosing(inFlight, req, res)) return;
    void listener(req, res);
  });
  if (options.requestTimeoutMs !== undefined) server.requestTimeout = options.requestTimeoutMs;

  const url = await listenOrExit(server, options.app, options.listen);
  let metricsUrl: string | undefined;
  let metricsServer: Server | undefined;
  if (settings.metricsPort !== undefined) {
    metricsServer = createServer((req, res) => void serveMetrics(metrics, req, res, logger));
    metricsUrl = `${await listenOrExit(metricsServer, options.app, { port: settings.metricsPort, host, portVariable: options.metricsPortVariable, hostVariable: options.listen.hostVariable })}/metrics`;
  }
  // Operators and tests look for this line: the URL is real, the port listens. Start-up and
  // shutdown lines are written at LOG_LEVEL=warn too (a child logger at info).
  const lifecycle = logger.child({}, { level: settings.logLevel === 'debug' || settings.logLevel === 'trace' ? settings.logLevel : 'info' });
  lifecycle.info(`${options.app}: listening on ${url} (pid ${process.pid})${metricsUrl ? `; metrics on ${metricsUrl}` : ''}`);
  if (process.send) {
    process.send({ type: 'silo:listening', app: options.app, url });
    // The IPC channel must not keep the process alive once the server closed.
    process.channel?.unref();
  }

  const shutdown = async (signal: string): Promise<void> => {
    if (closing) {
      logger.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    closing = true;
    const { shutdownDrainMs: drainMs, shutdownTimeoutMs: deadlineMs } = settings;
    lifecycle.info(
      drainMs > 0
        ? `${signal}: /readyz fails from now; answering as usual for ${drainMs} ms, then finishing the requests in flight and stopping (deadline ${deadlineMs} ms)`
        : `${signal}: finishing ${inFlight.count} request(s) in flight, then stopping (deadline ${deadlineMs} ms)`,
    );
    await closeGracefully(server, inFlight, {
      drainMs,
      deadlineMs,
      onDeadline: (count) => logger.warn(`shutdown deadline: cutting ${count} request(s) still in flight`),
    });
    // Scraped until here: the drain and the last requests show in the metrics.
    metricsServer?.close();
    metricsServer?.closeAllConnections();
    await fleet.flushActivity().catch((error: unknown) => logger.error({ err: error }, 'flushing activity failed'));
    await runShutdownHooks((error) => logger.error({ err: error }, 'a shutdown step failed'));
    lifecycle.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  return { url, metricsUrl, logger, metrics, fleet, server };
}

function listenOrExit(server: Server, app: string, where: { readonly port: number; readonly host: string; readonly portVariable: string; readonly hostVariable: string }): Promise<string> {
  return new Promise((resolve) => {
    server.once('error', (error) => exitWith(app, listenProblem(error, where)));
    server.listen(where.port, where.host, () => {
      const actual = (server.address() as AddressInfo).port;
      resolve(`http://${where.host.includes(':') ? `[${where.host}]` : where.host}:${actual}`);
    });
  });
}

async function serveMetrics(metrics: AppMetrics, req: IncomingMessage, res: ServerResponse, logger: Logger): Promise<void> {
  if ((req.url ?? '/').split('?')[0] !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Only GET /metrics here.\n');
    return;
  }
  try {
    const body = await metrics.scrape();
    res.writeHead(200, { 'Content-Type': metrics.registry.contentType, 'Cache-Control': 'no-store' }).end(body);
  } catch (error) {
    logger.error({ err: error }, 'metrics scrape failed');
    res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('The metrics could not be read.\n');
  }
}

function accessLog(
  logger: Logger,
  metrics: AppMetrics,
  req: IncomingMessage,
  res: ServerResponse,
  seconds: number,
  fixedRoute: string | undefined,
  match: (pathname: string) => { pattern: string; instance: string | undefined },
): void {
  const method = req.method ?? 'GET';
  const matched = fixedRoute === undefined ? match(pathnameOf(req.url ?? '/')) : { pattern: fixedRoute, instance: undefined };
  // A response cut short (client gone, shutdown deadline) never finished: logged as such.
  const status = res.writableFinished ? res.statusCode : 499;
  metrics.observeRequest(matched.pattern, method, status, seconds);
  const requestId = res.getHeader('x-request-id');
  logger.info(
    { method, route: matched.pattern, status, durationMs: Math.round(seconds * 10_000) / 10, instance: matched.instance, requestId: typeof requestId === 'string' ? requestId : undefined },
    'request',
  );
}

function pathnameOf(target: string): string {
  const end = target.search(/[?#]/);
  const raw = end === -1 ? target : target.slice(0, end);
  try {
    return decodeURI(raw);
  } catch {
    return raw;
  }
}

/**
 * The apps and their libraries write with console.*; in a server those lines join the
 * structured log (one JSON object each) instead of interleaving plain text with it.
 */
function routeConsoleTo(logger: Logger): void {
  console.log = (...args: unknown[]) => logger.info(format(...args));
  console.info = (...args: unknown[]) => logger.info(format(...args));
  console.warn = (...args: unknown[]) => logger.warn(format(...args));
  console.error = (...args: unknown[]) => logger.error(format(...args));
  process.removeAllListeners('warning');
  process.on('warning', (warning) => logger.warn({ code: (warning as NodeJS.ErrnoException).code }, warning.message));
}
