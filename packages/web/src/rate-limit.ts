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
        await limiter.consume(key);
        return { allowed: true, retryAfterSec: 0 };
      } catch (result) {
        if (result instanceof RateLimiterRes) return { allowed: false, retryAfterSec: Math.ceil(result.msBeforeNext / 1000) };
        throw result;
      }
    },
    async reset(key) {
      await limiter.delete(key);
    },
    async refund(key) {
      await limiter.reward(key, 1);
    },
  };
}
