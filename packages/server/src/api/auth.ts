import type { Fleet } from '@silo/fleet';
import { createRateLimiter, type RateLimiter } from '@silo/web';
import type { MiddlewareHandler } from 'hono';
import { clientLimitKey } from '../client-address';
import type { ApiEnv } from './context';
import { ApiError } from './errors';

export interface RateLimits {
  /** Calls per token per minute (default 600). */
  perTokenPerMinute?: number;
  /** Failed authentications per client address per minute before a block (default 20), for the API and the libSQL endpoint each. */
  failedAuthPerMinute?: number;
  /** libSQL endpoint requests per token per minute (default 60,000). */
  libsqlPerTokenPerMinute?: number;
}

/**
 * Bearer-token authentication and the per-token rate limit. The token is read from the
 * Authorization header only (never a query string, which ends up in logs) and is never logged;
 * `ApiTokens.authenticate` compares hashes in constant time. Failures count per client address,
 * so guessing tokens is throttled too.
 */
export function authenticate(fleet: Fleet, limits: RateLimits = {}): MiddlewareHandler<ApiEnv> {
  const perToken: RateLimiter = createRateLimiter({ points: limits.perTokenPerMinute ?? 600, durationSec: 60, blockSec: 0 });
  const failures: RateLimiter = createRateLimiter({ points: limits.failedAuthPerMinute ?? 20, durationSec: 60, blockSec: 300 });
  return async (c, next) => {
    const client = clientLimitKey(c.env);
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const token = match?.[1] === undefined ? undefined : fleet.apiTokens.authenticate(match[1]);
    if (!token) {
      const { allowed, retryAfterSec } = await failures.consume(client);
      if (!allowed) throw new ApiError('RATE_LIMITED', 'Too many failed authentications from this address; wait and try again.', retryAfterSec);
      throw new ApiError('UNAUTHORIZED', 'Send a valid API token as "Authorization: Bearer <token>" (silo token create).');
    }
    const { allowed, retryAfterSec } = await perToken.consume(token.id);
    if (!allowed) throw new ApiError('RATE_LIMITED', 'This token made too many calls; wait and try again.', retryAfterSec);
    c.set('token', token);
    c.set('actor', `token:${token.id}`);
    await next();
  };
}
