import type { z } from '@hono/zod-openapi';
import { SiloError } from '@silo/fleet';

/** A JSON body checked against its route's schema, for routes served outside `app.openapi`. */
export async function validJson<T extends z.ZodType>(request: Request, schema: T, optional = false): Promise<z.output<T>> {
  const text = await request.text();
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

