import type { Fleet } from '@silo/fleet';
import { createRateLimiter } from '@silo/web';
import { labelRequest, tokenFingerprint } from '../access-log';
import { clientLimitKey } from '../client-address';
import { InstanceTokenVerifier } from '../instance-tokens';
import { hranaEndpoint } from './hrana-http';
import { MAX_RESPONSE_BYTES, TRANSACTION_TIMEOUT_MS } from './instance-streams';
import { MetricsRefresher } from './metrics-refresher';
import { routeOf } from './routing';

export interface LibsqlOptions {
  /** The folder whose server secret (`@silo/web` loadSecret, unless SILO_SECRET is set) the token key is derived from. */
  tokenSecretDir: string;
  /** The server secret itself, overriding SILO_SECRET and the folder. */
  tokenSecret?: string;
  /**
   * Route `<instance>.<hostSuffix>` (e.g. `db.example.com`) to the instance, as well as
   * `/db/<instance>/…`, so a `libsql://acme.db.example.com` URL works behind a TLS proxy.
   */
  hostSuffix?: string;
  /** How long a transaction may hold the write lock (Turso: 5 s). */
  transactionTimeoutMs?: number;
  /** How long a statement waits for another stream's write lock. */
  busyTimeoutMs?: number;
  /** Idle streams (and their transactions) are closed after this long (sqld: 10 s). */
  streamIdleMs?: number;
  /** Streams one database may have open at once; past it a new one is refused with 429. */
  maxOpenStreams?: number;
  /** How long one statement (or batch) may run before it is stopped; by default the fleet's query time limit. */
  statementTimeoutMs?: number;
  /** Processes that run the streams' SQL (a runaway statement takes its process down with it). */
  hostProcesses?: number;
  /** Each of those processes' memory limit; by default the fleet's (SILO_QUERY_MAX_MEMORY_BYTES). */
  hostMaxMemoryBytes?: number;
  /** How often revocations (token generations) are looked for; 0 checks on every request. */
  tokenRefreshMs?: number;
  /** How long after a commit the instance's metrics are read again (batched per instance). */
  metricsDelayMs?: number;
  /** Requests per token per minute (default 60,000: a busy app, not a flood); past it, 429 with Retry-After. */
  perTokenPerMinute?: number;
  /** Refused tokens per client address per minute before the address is answered 429 for 5 minutes (default 20). */
  failedAuthPerMinute?: number;
}

/**
 * The handler, and `close()` to end its streams (rolling back open transactions) on shutdown.
 * `env` is @hono/node-server's bindings, where the client's address is found.
 */
export type LibsqlHandler = ((request: Request, env?: unknown) => Promise<Response | undefined>) & { close(): void };

/**
 * Hrana over HTTP (v2 pipeline, v3 pipeline and cursor, JSON) for every instance of the fleet,
 * so stock `@libsql/client` works against `silo serve`. Resolves to undefined for a request
 * that is not for the endpoint (neither under `/db/` nor for a host under `hostSuffix`).
 */
export function libsqlHandler(fleet: Fleet, options: LibsqlOptions): LibsqlHandler {
  const verifier = new InstanceTokenVerifier(fleet, {
    tokenSecretDir: options.tokenSecretDir,
    ...(options.tokenSecret === undefined ? {} : { secret: options.tokenSecret }),
    refreshMs: options.tokenRefreshMs ?? 1_000,
  });
  const metrics = new MetricsRefresher(fleet, options.metricsDelayMs ?? 2_000);
  const endpoint = hranaEndpoint({
    fleet,
    verifier,
    metrics,
    streamIdleMs: options.streamIdleMs ?? 10_000,
    maxOpenStreams: options.maxOpenStreams ?? 128,
    hostProcesses: options.hostProcesses ?? 2,
    hostMaxMemoryBytes: options.hostMaxMemoryBytes ?? fleet.settings.queryMaxMemoryBytes,
    limits: {
      transactionTimeoutMs: options.transactionTimeoutMs ?? TRANSACTION_TIMEOUT_MS,
      busyTimeoutMs: options.busyTimeoutMs ?? 5_000,
      maxResponseBytes: MAX_RESPONSE_BYTES,
      statementTimeoutMs: options.statementTimeoutMs ?? fleet.settings.query.timeoutMs,
    },
  });
  const perToken = createRateLimiter({ points: options.perTokenPerMinute ?? 60_000, durationSec: 60, blockSec: 0 });
  const failures = createRateLimiter({ points: options.failedAuthPerMinute ?? 20, durationSec: 60, blockSec: 300 });
  const handler = async (request: Request, env?: unknown): Promise<Response | undefined> => {
    const route = routeOf(new URL(request.url), request.headers.get('host'), options.hostSuffix);
    if (route === undefined) return undefined;
    const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.get('authorization')?.trim() ?? '')?.[1];
    labelRequest(request, {
      route: `/db/:instance/${KNOWN_PATHS.has(route.rest) ? route.rest : '*'}`,
      ...(bearer === undefined ? {} : { actor: `libsql:${tokenFingerprint(bearer)}` }),
      ...(route.instance === undefined ? {} : { instance: route.instance }),
    });
    // An address refused for guessing is answered before any token of its is counted or checked.
    const blockedFor = await failures.blockedFor(clientLimitKey(env));
    if (blockedFor > 0) return tooMany('too many refused tokens from this address', blockedFor);
    // Counted per token as sent (its signature), before it is checked: a flood of any token costs its sender.
    const signature = /\.([\w-]+)\s*$/.exec(request.headers.get('authorization') ?? '')?.[1];
    if (signature !== undefined) {
      const { allowed, retryAfterSec } = await perToken.consume(signature);
      if (!allowed) return tooMany('this token made too many requests', retryAfterSec);
    }
    const response = await endpoint.serve(route, request);
    if (response.status !== 401) return response;
    // Guessing tokens is throttled per address, as the API throttles failed authentications.
    const { allowed, retryAfterSec } = await failures.consume(clientLimitKey(env));
    return allowed ? response : tooMany('too many refused tokens from this address', retryAfterSec);
  };
  return Object.assign(handler, {
    close: () => {
      endpoint.close();
      metrics.close();
    },
  });
}

/** Paths of the protocol, named in the access log as they are; anything else is `*`. */
const KNOWN_PATHS = new Set(['v2', 'v3', 'v2/pipeline', 'v3/pipeline', 'v3/cursor', 'v3-protobuf', 'v3-protobuf/pipeline', 'v3-protobuf/cursor']);

/** sqld's shape for a refused request, with the wait. */
function tooMany(reason: string, retryAfterSec: number): Response {
  return new Response(JSON.stringify({ error: `Too many requests: ${reason}; retry after ${retryAfterSec} s` }), {
    status: 429,
    headers: { 'content-type': 'application/json', 'retry-after': String(retryAfterSec) },
  });
}
