import type { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { ApiError, invalidInput, JSON_ONLY, MALFORMED_JSON } from './errors';

/** A JSON media type: `application/json` or `application/*+json`, as @hono/zod-openapi's gate takes. */
const JSON_TYPE = /^application\/([a-z.-]+\+)?json\s*(;|$)/i;

/** What validJson reads of a request: Hono's, whose body text is read once and kept. */
interface JsonRequest {
  text(): Promise<string>;
  header(name: string): string | undefined;
}

/**
 * A JSON body checked against its route's schema, for routes served outside `app.openapi`. Its
 * media type is held to the same rule as @hono/zod-openapi's gate on the other routes: a
 * Content-Type other than JSON, or a body without one, is 415. No body is `{}`, which the
 * schema of an optional body accepts and that of a required one reports as missing fields.
 */
export async function validJson<T extends z.ZodType>(request: JsonRequest, schema: T): Promise<z.output<T>> {
  const text = await request.text();
  const type = request.header('content-type');
  const blank = text.trim() === '';
  if (type === undefined ? !blank : !JSON_TYPE.test(type)) throw new ApiError('UNSUPPORTED_MEDIA_TYPE', JSON_ONLY);
  const result = schema.safeParse(blank ? {} : parsedJson(text));
  if (!result.success) throw invalidInput('json', result.error.issues);
  return result.data;
}

function parsedJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError('MALFORMED_JSON', MALFORMED_JSON);
  }
}

/**
 * An empty body (nothing, or only whitespace), whatever its Content-Type, becomes no body: a
 * route whose body is optional then runs as if none was sent, and one whose body is required
 * names the missing fields, where `Content-Type: application/json` with nothing after it
 * reached the JSON parser and was refused as malformed. Hono keeps the text it reads, so a
 * body that is not empty is read once all the same.
 */
export async function blankBodyAsNone(c: Context): Promise<void> {
  // The method, not `c.req.raw.body`: asking for the body stream would wrap the socket in web
  // streams (json-body-limit.ts), where `text()` reads it in one piece.
  if (c.req.method === 'GET' || c.req.method === 'HEAD' || (await c.req.text()).trim() !== '') return;
  const headers = new Headers(c.req.raw.headers);
  for (const name of ['content-type', 'content-length', 'transfer-encoding']) headers.delete(name);
  c.req.raw = new Request(c.req.raw.url, { method: c.req.method, headers, signal: c.req.raw.signal });
  // The text kept above was the old request's; the new one has none.
  c.req.bodyCache = {};
}
