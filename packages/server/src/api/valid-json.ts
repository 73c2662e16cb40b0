import type { z } from '@hono/zod-openapi';
import { SiloError } from '@silo/fleet';
import { ApiError, JSON_ONLY } from './errors';

/**
 * A JSON body checked against its route's schema, for routes served outside `app.openapi`. Its
 * media type is held to the same rule as @hono/zod-openapi's gate on the other routes: a
 * Content-Type other than JSON (`application/json` or `application/*+json`), or a body without
 * one, is 415.
 */
export async function validJson<T extends z.ZodType>(request: Request, schema: T, optional = false): Promise<z.output<T>> {
  const text = await request.text();
  const type = request.headers.get('content-type');
  if (type === null ? text !== '' : !/^application\/([a-z.-]+\+)?json\s*(;|$)/i.test(type)) throw new ApiError('UNSUPPORTED_MEDIA_TYPE', JSON_ONLY);
  if (text.trim() === '' && optional) return schema.parse({});
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new SiloError('INVALID_INPUT', 'Invalid json: the body is not JSON.');
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new SiloError('INVALID_INPUT', `Invalid json: ${result.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ')}`);
  }
  return result.data;
}

