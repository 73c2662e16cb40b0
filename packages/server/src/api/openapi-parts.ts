import type { z } from '@hono/zod-openapi';
import { ErrorSchema } from './schemas';

export function jsonContent<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } };
}

/**
 * An NDJSON answer. OpenAPI 3.1 can only call the body as a whole a string; each line's schema
 * is named in `x-item-schema`, which is OpenAPI 3.2's `itemSchema` (the generator behind
 * @hono/zod-openapi writes 3.1). The line schema is a component of its own (`register` it), so
 * typed clients get its type.
 */
export function ndjsonContent(lineSchema: string, description: string) {
  return {
    description,
    content: {
      'application/x-ndjson': {
        schema: { type: 'string' as const, description: `One JSON object per line, each a ${lineSchema}.` },
        'x-item-schema': { $ref: `#/components/schemas/${lineSchema}` },
      },
    },
  };
}

export function jsonBody<T extends z.ZodType>(schema: T, required = true) {
  const optional = { description: 'Optional: no body, or an empty one, is the same as `{}`.' };
  return { required, ...(required ? {} : optional), content: { 'application/json': { schema } } };
}

const error = (description: string) => ({ description, content: { 'application/json': { schema: ErrorSchema } } });

/**
 * Every route may answer these; the code in the body says which case it is (docs/api.md). Every
 * status of FLEET_ERROR_STATUS and API_ERROR_STATUS is here but 405, which answers a method the
 * document has no operation for (openapi-conformance.test.ts checks it).
 */
export const errorResponses = {
  400: error('MALFORMED_JSON: a body that is not valid JSON; MALFORMED_REQUEST: a request that is not valid HTTP, or whose URL or Host header is not (the connection is closed)'),
  401: error('No valid token (UNAUTHORIZED)'),
  403: error('The token lacks the scope (FORBIDDEN) or the jurisdiction (JURISDICTION_VIOLATION)'),
  404: error('INSTANCE_NOT_FOUND, BACKUP_NOT_FOUND, NOT_FOUND'),
  408: error('REQUEST_TIMEOUT: the request did not arrive in full in time (the connection is closed)'),
  409: error('NAME_TAKEN, INVALID_STATE, SCHEMA_BEHIND, IDEMPOTENCY_IN_PROGRESS'),
  413: error('PAYLOAD_TOO_LARGE, SIZE_LIMIT_EXCEEDED'),
  415: error('UNSUPPORTED_MEDIA_TYPE: a JSON body sent without Content-Type: application/json'),
  417: error('EXPECTATION_FAILED: an Expect header other than 100-continue (the connection is closed)'),
  422: error('Invalid input: INVALID_INPUT, INVALID_NAME, UNKNOWN_JURISDICTION, UNKNOWN_REGION, IMPORT_REJECTED, query errors, IDEMPOTENCY_KEY_REUSED'),
  429: error('RATE_LIMITED (Retry-After)'),
  431: error('HEADERS_TOO_LARGE: the URL (its query string) and headers are over the server\'s limit (the connection is closed)'),
  500: error('An unexpected failure'),
  502: error('ENGINE_FAILURE: the database engine (Turso) failed (Retry-After when it gave one)'),
  503: error('INSTANCE_NOT_READY, HANDLES_EXHAUSTED, CATALOG_UNAVAILABLE, FLEET_CLOSED (Retry-After)'),
  507: error('DISK_FULL'),
} as const;
