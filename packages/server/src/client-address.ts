import type { IncomingMessage } from 'node:http';
import { forwardedFor, rateLimitKey, type TrustProxy } from '@silo/web';

/** Where `withClientAddress` leaves the address it worked out, beside @hono/node-server's bindings. */
const RESOLVED = 'siloClientAddress';

/**
 * `env` (@hono/node-server's bindings) with the client's address worked out once per request:
 * the socket's peer, or, when that peer is a proxy `trust` believes (SILO_TRUST_PROXY), the
 * right-most X-Forwarded-For hop no trusted proxy added, as the apps read it (@silo/web). Behind
 * a proxy on this machine every peer is loopback: without this, every client would be "this
 * machine" to /readyz and one address to the failed-authentication limit.
 */
export function withClientAddress(env: unknown, trust: TrustProxy): unknown {
  const incoming = incomingOf(env);
  return incoming ? { ...(env as object), [RESOLVED]: forwardedFor(incoming, trust).clientAddress } : env;
}

/** The client's address: what `withClientAddress` found, else the peer from @hono/node-server's bindings. */
export function clientAddress(env: unknown): string {
  const resolved = typeof env === 'object' && env !== null ? (env as Record<string, unknown>)[RESOLVED] : undefined;
  if (typeof resolved === 'string') return resolved;
  return incomingOf(env)?.socket.remoteAddress ?? 'unknown';
}

/** The node:http request behind a Fetch API one, from @hono/node-server's bindings. */
export function incomingOf(env: unknown): IncomingMessage | undefined {
  if (typeof env !== 'object' || env === null || !('incoming' in env)) return undefined;
  const incoming = (env as { incoming?: IncomingMessage }).incoming;
  return incoming?.socket ? incoming : undefined;
}

/**
 * What failed authentications count against: the client's address as the apps count it (an
 * IPv6 client by its /64, an IPv4 client of a dual-stack listener as its IPv4 address).
 */
export function clientLimitKey(env: unknown): string {
  return rateLimitKey(clientAddress(env));
}
