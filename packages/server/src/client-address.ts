import { rateLimitKey } from '@silo/web';

/** The peer address from @hono/node-server's bindings, when the request came through it. */
export function clientAddress(env: unknown): string {
  if (typeof env === 'object' && env !== null && 'incoming' in env) {
    const incoming = (env as { incoming?: { socket?: { remoteAddress?: string } } }).incoming;
    return incoming?.socket?.remoteAddress ?? 'unknown';
  }
  return 'unknown';
}

/**
 * What failed authentications count against: the peer's address as the apps count it (an IPv6
 * client by its /64, an IPv4 client of a dual-stack listener as its IPv4 address).
 */
export function clientLimitKey(env: unknown): string {
  return rateLimitKey(clientAddress(env));
}
