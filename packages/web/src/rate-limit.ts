import { createHash } from 'node:crypto';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

export interface RateLimiter {
  /** Counts one attempt for `key`; `allowed` is false once the budget is spent. */
  consume(key: string): Promise<{ allowed: boolean; retryAfterSec: number }>;
  /** Forgets the attempts of `key` (after a successful sign-in). */
  reset(key: string): Promise<void>;
  /**
   * Gives back the one attempt a request consumed, when it turned out well: counting every
   * attempt up front keeps parallel requests from slipping past the limit, and refunding the
   * good ones means only failures add up.
   */
  refund(key: string): Promise<void>;
  /** Seconds until `key` may try again, without counting an attempt; 0 while it has budget left. */
  blockedFor(key: string): Promise<number>;
}

/**
 * Keys come from what clients send (an email, a token's signature), and each is kept for the
 * window: a long one is stored as its SHA-256, so a flood of distinct keys costs a few dozen
 * bytes each, whatever their length.
 */
const LONGEST_KEY_KEPT = 64;
function storedKey(key: string): string {
  return key.length <= LONGEST_KEY_KEPT ? key : `sha256:${createHash('sha256').update(key).digest('base64url')}`;
}

/**
 * Attempts per key in a sliding window, then a block, through rate-limiter-flexible. In
 * memory: one process serves each app on the embedded default.
 */
export function createRateLimiter(options: { points: number; durationSec: number; blockSec: number }): RateLimiter {
  const limiter = new RateLimiterMemory({ points: options.points, duration: options.durationSec, blockDuration: options.blockSec });
  return {
    async consume(key) {
      try {
        await limiter.consume(storedKey(key));
        return { allowed: true, retryAfterSec: 0 };
      } catch (result) {
        if (result instanceof RateLimiterRes) return { allowed: false, retryAfterSec: Math.ceil(result.msBeforeNext / 1000) };
        throw result;
      }
    },
    async reset(key) {
      await limiter.delete(storedKey(key));
    },
    async refund(key) {
      await limiter.reward(storedKey(key), 1);
    },
    async blockedFor(key) {
      const result = await limiter.get(storedKey(key));
      return result !== null && result.consumedPoints > options.points ? Math.max(1, Math.ceil(result.msBeforeNext / 1000)) : 0;
    },
  };
}
