import { createHash } from 'node:crypto';
import { SiloError, isSiloError, type ApiToken, type Fleet } from '@silo/fleet';
import { ApiError, toErrorResponse } from './errors';
import { publicInstance } from './json';

/** 1 to 200 visible ASCII characters; the header's schema says so too (instances.ts). */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,200}$/;

/**
 * Runs a create or clone once per Idempotency-Key: a retry with the same key and the same
 * request gets the first answer again (also an error answer, as Stripe does), the same key with
 * another request is refused, and a retry while the first still runs is told to wait. Server
 * errors (5xx) are not kept, so the retry runs again. Keys are per token.
 *
 * A retry after the server died mid-request runs the request again. If the first run had made
 * its instance before the crash (its audit entry commits with the ready row), the name is
 * taken, by this very request: `ranBefore` finds that entry by the request id `run` passed to
 * the fleet, and its answer (the instance, 201) is given instead of NAME_TAKEN.
 */
export async function idempotent(
  fleet: Fleet,
  token: ApiToken,
  key: string | undefined,
  request: { method: string; path: string; body: unknown },
  run: (requestId: string | undefined) => Promise<Response>,
  ranBefore?: (requestId: string) => Response | undefined,
): Promise<Response> {
  if (key === undefined) return run(undefined);
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
  // Names this token, key and request: only a retry of the same request has it.
  const requestId = `idem-${createHash('sha256').update(JSON.stringify([token.id, key, requestHash])).digest('hex').slice(0, 24)}`;
  let response: Response;
  try {
    response = await run(requestId);
  } catch (error) {
    response = (isSiloError(error, 'NAME_TAKEN') ? ranBefore?.(requestId) : undefined) ?? toErrorResponse(error);
  }
  if (response.status >= 500) {
    fleet.apiTokens.releaseIdempotent(token.id, key);
    return response;
  }
  const body = await response.clone().text();
  fleet.apiTokens.completeIdempotent(token.id, key, response.status, body);
  return response;
}

/**
 * The answer of a create or clone this request id made before (see `idempotent`): the instance
 * as it is now, if the audit log has the request's `ok` entry for it and it is still there.
 */
export function madeBy(fleet: Fleet, operation: 'create' | 'clone', name: string, requestId: string): Response | undefined {
  const entries = fleet.audit({ instance: name, operation, outcome: 'ok', limit: 50 }).items;
  if (!entries.some((entry) => entry.detail?.['requestId'] === requestId)) return undefined;
  const instance = fleet.find(name);
  return instance ? Response.json(publicInstance(instance), { status: 201 }) : undefined;
}
