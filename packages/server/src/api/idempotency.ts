import { createHash } from 'node:crypto';
import { SiloError, type ApiToken, type Fleet } from '@silo/fleet';
import { ApiError, toErrorResponse } from './errors';

/** 1 to 200 visible ASCII characters; the header's schema says so too (instances.ts). */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,200}$/;

/**
 * Runs a create or clone once per Idempotency-Key: a retry with the same key and the same
 * request gets the first answer again (also an error answer, as Stripe does), the same key with
 * another request is refused, and a retry while the first still runs is told to wait. Server
 * errors (5xx) are not kept, so the retry runs again. Keys are per token.
 */
export async function idempotent(
  fleet: Fleet,
  token: ApiToken,
  key: string | undefined,
  request: { method: string; path: string; body: unknown },
  run: () => Promise<Response>,
): Promise<Response> {
  if (key === undefined) return run();
  if (!IDEMPOTENCY_KEY_PATTERN.test(key)) throw new SiloError('INVALID_INPUT', 'An Idempotency-Key is 1 to 200 visible ASCII characters.');
  const requestHash = createHash('sha256').update(JSON.stringify([request.method, request.path, request.body])).digest('hex');
  const stored = fleet.apiTokens.claimIdempotent(token.id, key, requestHash);
  if (stored) {
    if (stored.requestHash !== requestHash) throw new ApiError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used for a different request; use a new key.');
    if (stored.status === undefined) throw new ApiError('IDEMPOTENCY_IN_PROGRESS', 'A request with this Idempotency-Key is still running; retry in a moment.', 1);
    return new Response(stored.body ?? null, {
      status: stored.status,
      headers: { 'Content-Type': 'application/json', 'Idempotent-Replayed': 'true', 'Cache-Control': 'no-store' },
    });
  }
  let response: Response;
  try {
    response = await run();
  } catch (error) {
    response = toErrorResponse(error);
  }
  if (response.status >= 500) {
    fleet.apiTokens.releaseIdempotent(token.id, key);
    return response;
  }
  const body = await response.clone().text();
  fleet.apiTokens.completeIdempotent(token.id, key, response.status, body);
  return response;
}
