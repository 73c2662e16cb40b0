import { createHash } from 'node:crypto';
import { SiloError, type ApiToken, type Fleet, type InstanceInfo } from '@silo/fleet';
import { takingName } from './context';
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
 * A retry after the server died mid-request runs the request again, unless the first run had
 * made its instance before the crash: `ranBefore` finds the run's `ok` audit entry by the
 * request id `run` passed to the fleet, and its answer (the instance, 201) is given instead of
 * a NAME_TAKEN or a second clone. A create's entry commits with its ready row; a clone's just
 * after it, so a crash in between still runs the clone again.
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
    response = ranBefore?.(requestId) ?? (await run(requestId));
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

/**
 * The answer of a create or clone this request id made before (see `idempotent`): the instance
 * as it is now, if the audit log has the request's `ok` entry and that instance is still the
 * one it made (a purge and a new instance of the name since are another instance). Looked up by
 * the instance's name when the request names it, else among the token's own recent entries.
 */
export function madeBy(fleet: Fleet, operation: 'create' | 'clone', request: { name: string | undefined; actor: string }, requestId: string): Response | undefined {
  const query = request.name === undefined ? { actor: request.actor, since: Date.now() - IDEMPOTENCY_WINDOW_MS } : { instance: request.name };
  const entry = fleet.audit({ ...query, operation, outcome: 'ok', limit: 200 }).items.find((item) => item.detail?.['requestId'] === requestId);
  const instance = entry?.instance ? fleet.find(entry.instance) : undefined;
  if (!entry || !instance || instance.createdAt > entry.at) return undefined;
  return Response.json(publicInstance(instance), { status: 201 });
}

/** How long the catalog keeps a key's answer (api-tokens.ts): no retry comes later than that. */
const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;

/**
 * A create or clone as the API runs it: once per Idempotency-Key (`idempotent`), answered 201
 * with the instance, the name's holder said as the token may see it (`takingName`), and a retry
 * after a crash answered by the instance its first run made (`madeBy`). `make` gets the actor
 * and, with a key, the request id to pass to the fleet.
 */
export function instanceOnce(
  fleet: Fleet,
  operation: 'create' | 'clone',
  request: { token: ApiToken; key: string | undefined; path: string; body: { name?: string | undefined }; actor: string },
  make: (who: { actor: string; requestId?: string }) => Promise<InstanceInfo>,
): Promise<Response> {
  const { token, key, path, body, actor } = request;
  return idempotent(
    fleet,
    token,
    key,
    { method: 'POST', path, body },
    async (requestId) => {
      const instance = await takingName(fleet, token, () => make({ actor, ...(requestId ? { requestId } : {}) }));
      return Response.json(publicInstance(instance), { status: 201 });
    },
    (requestId) => madeBy(fleet, operation, { name: body.name, actor }, requestId),
  );
}
