import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';

/** What a proxy's id may look like to be taken over: short, and nothing that could forge a log line. */
const ACCEPTABLE = /^[\w.:@/+=-]{1,128}$/;

/**
 * The request's id: the one a trusted proxy in front sent in `X-Request-Id` (so one id follows a
 * request through every log), or a new UUID. A client's own X-Request-Id is not taken: it could
 * pick ids that muddle the logs. A proxy's value that is too long or has other characters is
 * replaced, not cleaned: the proxy may have passed on a client's.
 */
export function requestIdOf(req: IncomingMessage, fromTrustedProxy: boolean): string {
  if (!fromTrustedProxy) return randomUUID();
  const sent = req.headers[REQUEST_ID_HEADER];
  const value = Array.isArray(sent) ? sent[0] : sent;
  return value !== undefined && ACCEPTABLE.test(value) ? value : randomUUID();
}
