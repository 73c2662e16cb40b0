import { createHash } from 'node:crypto';
import type { ApiErrorCode } from './api/errors';

/** What `silo serve` writes per request (pino's logger fits). */
export interface AccessLogger {
  info(fields: Record<string, unknown>, message: string): void;
}

/** Who and what a request was, as the routes learned it: never the token itself, never the URL. */
export interface RequestLabel {
  /** The route's pattern (`/v1/instances/{name}`, `/db/:instance/v2/pipeline`). */
  route: string;
  /** `token:<id>` for an API token; `libsql:<fingerprint>` for a libSQL token. */
  actor?: string;
  /** The instance a libSQL request was for. */
  instance?: string;
}

/** Labels attached to requests by the routes that served them, read once the response is ready. */
const labels = new WeakMap<Request, RequestLabel>();

export function labelRequest(request: Request, label: Partial<RequestLabel>): void {
  labels.set(request, { route: '', ...labels.get(request), ...label });
}

export function labelOf(request: Request): RequestLabel | undefined {
  return labels.get(request);
}

/**
 * A libSQL token's name in the log: the first 12 hex digits of its signature's SHA-256, so
 * lines of one token can be told apart and matched to a token someone holds, while the log
 * never holds anything that authenticates.
 */
export function tokenFingerprint(token: string): string {
  const signature = token.split('.').at(-1) ?? token;
  let fingerprint = fingerprints.get(signature);
  if (fingerprint === undefined) {
    fingerprint = createHash('sha256').update(signature).digest('hex').slice(0, 12);
    // A client sends the same token on every request: hashing it each time cost more than the lookup of its instance.
    if (fingerprints.size >= FINGERPRINTS_KEPT) fingerprints.delete(fingerprints.keys().next().value as string);
    fingerprints.set(signature, fingerprint);
  }
  return fingerprint;
}

const FINGERPRINTS_KEPT = 10_000;
const fingerprints = new Map<string, string>();

/** One line per request: method, route pattern, status, duration, who and which instance. */
export function logAccess(log: AccessLogger, request: Request, status: number, startedAt: number): void {
  const label = labelOf(request);
  const route = label?.route || new URL(request.url).pathname.split('/').slice(0, 2).join('/');
  log.info(
    {
      method: request.method,
      route,
      status,
      ms: Math.round((performance.now() - startedAt) * 10) / 10,
      ...(label?.actor ? { actor: label.actor } : {}),
      ...(label?.instance ? { instance: label.instance } : {}),
    },
    `${request.method} ${route} ${status}`,
  );
}

/** A request answered before any route read it: Node's parser refused it, or no URL could be made of it. */
export interface RefusedRequest {
  /** Null when the parser gave up before the method was known to the server. */
  method: string | null;
  /** What it was answered; null when the connection was closed without an answer. */
  status: number | null;
  code: ApiErrorCode;
  /** When the connection was ready for this request (`performance.now()`). */
  startedAt: number;
}

/**
 * The line of a refused request, in the shape of every other line. What the server did not read
 * is null, not guessed: such a request has no route, and its URL and headers stay out of the log
 * as every request's do. `refused` is the code it was answered with, to find these lines by.
 */
export function logRefusal(log: AccessLogger, { method, status, code, startedAt }: RefusedRequest): void {
  log.info(
    { method, route: null, status, ms: Math.round((performance.now() - startedAt) * 10) / 10, refused: code },
    `${method ?? '-'} - ${status ?? '-'} ${code}`,
  );
}
