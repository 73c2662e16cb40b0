import { isSiloError, SiloError, type SiloErrorCode } from '@silo/fleet';
import { forSurface } from '@silo/fleet/format';

/** Codes of the API itself, beside the fleet's: authentication, scopes, limits, idempotency, routing. */
export type ApiOnlyCode =
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'RATE_LIMITED'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'IDEMPOTENCY_IN_PROGRESS'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'MALFORMED_JSON'
  | 'MALFORMED_REQUEST'
  | 'REQUEST_TIMEOUT'
  | 'HEADERS_TOO_LARGE'
  | 'EXPECTATION_FAILED'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'INTERNAL';
export type ApiErrorCode = SiloErrorCode | ApiOnlyCode;

/**
 * The HTTP status of every fleet code. A Record over SiloErrorCode, so a code added to the
 * fleet does not compile here until it has a status.
 */
export const FLEET_ERROR_STATUS: Readonly<Record<SiloErrorCode, number>> = {
  INVALID_NAME: 422,
  NAME_TAKEN: 409,
  INSTANCE_NOT_FOUND: 404,
  INSTANCE_NOT_READY: 503,
  INVALID_STATE: 409,
  SCHEMA_BEHIND: 409,
  SCHEMA_INVALID: 500,
  JURISDICTION_VIOLATION: 403,
  UNKNOWN_JURISDICTION: 422,
  UNKNOWN_REGION: 422,
  CONFIG_INVALID: 500,
  INVALID_INPUT: 422,
  CATALOG_UNAVAILABLE: 503,
  IMPORT_REJECTED: 422,
  QUERY_FAILED: 422,
  QUERY_READ_ONLY: 422,
  STATEMENT_REFUSED: 422,
  QUERY_TIMEOUT: 422,
  QUERY_MEMORY_EXCEEDED: 422,
  // The client closed the connection (the request's signal stopped the query): nobody gets this
  // answer, but the access log does, with nginx's status for a client that went away.
  QUERY_ABORTED: 499,
  HANDLES_EXHAUSTED: 503,
  ENGINE_FAILURE: 502,
  BACKUP_NOT_FOUND: 404,
  BACKUP_CORRUPT: 500,
  BACKUP_FAILED: 500,
  SIZE_LIMIT_EXCEEDED: 413,
  FLEET_CLOSED: 503,
  SEED_FAILED: 500,
  ADMIN_NOT_FOUND: 404,
  LAST_ADMIN: 409,
  DISK_FULL: 507,
};

export const API_ERROR_STATUS: Readonly<Record<ApiOnlyCode, number>> = {
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  RATE_LIMITED: 429,
  IDEMPOTENCY_KEY_REUSED: 422,
  IDEMPOTENCY_IN_PROGRESS: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  MALFORMED_JSON: 400,
  MALFORMED_REQUEST: 400,
  REQUEST_TIMEOUT: 408,
  HEADERS_TOO_LARGE: 431,
  EXPECTATION_FAILED: 417,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  INTERNAL: 500,
};

/** What a JSON route says to a body of another media type (415 UNSUPPORTED_MEDIA_TYPE). */
export const JSON_ONLY = 'This route takes a JSON body: send it with Content-Type: application/json.';

/** What a JSON route says to a body its parser cannot read (400 MALFORMED_JSON). */
export const MALFORMED_JSON = 'The body is not valid JSON: send one JSON object, or, where the body is optional, an empty body.';

/** How much of a value the caller sent an error echoes back: enough to recognise it, never all of a huge one. */
export const ECHO_MAX_CHARS = 128;
/** The most a message says; only an echo of the caller's input makes one longer. */
const MESSAGE_MAX_CHARS = 1_024;
/** A quoted stretch of a message longer than an echo may be: the fleet quotes what it was given. */
const LONG_QUOTED = new RegExp(`"([^"]{${ECHO_MAX_CHARS + 1},})"`, 'g');

/** Seconds a client should wait before retrying a 503 that passes by itself. */
const RETRY_AFTER_SEC: Partial<Record<SiloErrorCode, number>> = { INSTANCE_NOT_READY: 2, HANDLES_EXHAUSTED: 1, CATALOG_UNAVAILABLE: 5, FLEET_CLOSED: 5 };

/** An error of the API layer (not the fleet's), answered with its code and status. */
export class ApiError extends Error {
  readonly code: ApiOnlyCode;
  readonly status: number;
  readonly retryAfterSec: number | undefined;

  constructor(code: ApiOnlyCode, message: string, retryAfterSec?: number) {
    super(message);
    this.code = code;
    this.status = API_ERROR_STATUS[code];
    this.retryAfterSec = retryAfterSec;
  }
}

export interface ErrorBody {
  error: { code: ApiErrorCode; message: string; details?: Record<string, unknown> };
}

/** `text` cut to `max` characters, the last an ellipsis, when it is longer. */
export function clipEcho(text: string, max = ECHO_MAX_CHARS): string {
  if (text.length <= max) return text;
  // Not between the halves of a surrogate pair, which JSON would carry as a lone escape.
  const end = /[\uD800-\uDBFF]/.test(text.charAt(max - 2)) ? max - 2 : max - 1;
  return `${text.slice(0, end)}…`;
}

/** A message with each long quoted echo of the caller's input clipped, and the whole capped. */
export function clipMessage(message: string): string {
  return clipEcho(
    message.replace(LONG_QUOTED, (_quoted, inner: string) => `"${clipEcho(inner)}"`),
    MESSAGE_MAX_CHARS,
  );
}

/** Every string in an error's details, at any depth, clipped: they echo names, jurisdictions, regions as sent. */
function clipDetails(details: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(details).map(([key, value]) => [key, clipDetail(value)]));
}

function clipDetail(value: unknown): unknown {
  if (typeof value === 'string') return clipEcho(value);
  if (Array.isArray(value)) return value.map(clipDetail);
  return isPlainObject(value) ? clipDetails(value) : value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * The body of every error answer, the connection-level ones included (client-errors.ts). Input
 * the caller sent comes back clipped, here for every route: a 100 KB name is not echoed in full.
 */
export function errorBody(code: ApiErrorCode, message: string, details?: Record<string, unknown>): ErrorBody {
  const kept = details && Object.keys(details).length > 0 ? { details: clipDetails(details) } : {};
  return { error: { code, message: clipMessage(message), ...kept } };
}

/**
 * Zod's issues with a request part (`target`: json, query, param, header) as one INVALID_INPUT,
 * each named by its path; an issue with the whole part names it (a JSON body as "body").
 */
export function invalidInput(target: string, issues: readonly { path: readonly PropertyKey[]; message: string }[]): SiloError {
  const whole = target === 'json' ? 'body' : target;
  const problems = issues.map((issue) => `${issue.path.map((key) => clipEcho(String(key))).join('.') || whole}: ${issue.message}`).join('; ');
  return new SiloError('INVALID_INPUT', `Invalid ${target}: ${problems}`);
}

export function errorResponse(code: ApiErrorCode, message: string, status: number, options: { details?: Record<string, unknown>; retryAfterSec?: number } = {}): Response {
  const body = errorBody(code, message, options.details);
  const headers: Record<string, string> = { 'Cache-Control': 'no-store' };
  if (options.retryAfterSec !== undefined) headers['Retry-After'] = String(options.retryAfterSec);
  // A body refused for its size is left unread, so the connection cannot carry another request:
  // say so, or a keep-alive client sends its next request into a socket about to close.
  if (code === 'PAYLOAD_TOO_LARGE') headers['Connection'] = 'close';
  // RFC 9110 §11.6.1: a 401 names the scheme that would be accepted (RFC 6750 for bearer tokens).
  if (status === 401) headers['WWW-Authenticate'] = 'Bearer realm="silo"';
  return Response.json(body, { status, headers });
}

/**
 * Anything thrown by a route as the JSON error answer. Unexpected errors say only that: their
 * message may hold paths or SQL, and the caller cannot act on it.
 */
export function toErrorResponse(error: unknown): Response {
  if (error instanceof ApiError) return errorResponse(error.code, error.message, error.status, error.retryAfterSec === undefined ? {} : { retryAfterSec: error.retryAfterSec });
  if (isSiloError(error)) {
    const status = FLEET_ERROR_STATUS[error.code];
    const engineRetry = isSiloError(error, 'ENGINE_FAILURE') && error.details.retryAfterMs !== undefined ? Math.ceil(error.details.retryAfterMs / 1000) : undefined;
    const retryAfterSec = RETRY_AFTER_SEC[error.code] ?? engineRetry;
    return errorResponse(error.code, forSurface(error.message, 'api'), status, { details: publicDetails(error.code, error.details), ...(retryAfterSec === undefined ? {} : { retryAfterSec }) });
  }
  // The client went away while its body was read: nobody gets this answer, but the access log
  // does, and a 500 there (and a stack trace beside it) would blame the server.
  if (isClientAbort(error)) return errorResponse('MALFORMED_REQUEST', 'The request body did not arrive in full: the connection was closed while it was read.', 400);
  logUnexpected(error);
  return errorResponse('INTERNAL', UNEXPECTED_MESSAGE, 500);
}

const UNEXPECTED_MESSAGE = 'The server failed to answer; the error was logged.';

/** Node's error for a request whose connection closed before its body was in (`aborted`, ECONNRESET). */
function isClientAbort(error: unknown): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === 'ECONNRESET' && error.message === 'aborted';
}

function logUnexpected(error: unknown): void {
  process.emitWarning(`silo serve: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`, { code: 'SILO_API_ERROR' });
}

/**
 * What a failure after an answer began tells the client (ndjson.ts): its code and message, by
 * the same rule as toErrorResponse, so an unexpected error is logged and not shown.
 */
export function streamedError(error: unknown): { status: 'error'; code: ApiErrorCode; error: string } {
  if (error instanceof ApiError || isSiloError(error)) return { status: 'error', code: error.code, error: clipMessage(error.message) };
  logUnexpected(error);
  return { status: 'error', code: 'INTERNAL', error: UNEXPECTED_MESSAGE };
}

/** Details that tell the caller something about their request; folder paths stay on the server. */
function publicDetails(code: SiloErrorCode, details: object): Record<string, unknown> {
  if (code === 'DISK_FULL' || code === 'CONFIG_INVALID' || code === 'SCHEMA_INVALID') return {};
  return { ...details };
}
