import { assertSameOrigin } from '@silo/web';
import type { MiddlewareFunction } from 'react-router';
import { MAX_FORM_BYTES } from './config.server';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Runs for every request: refuses cross-site writes (403) and bodies that announce more than
 * any form needs (413; actions also count while reading). The security headers are set by the
 * request listener (@silo/web), for every response, this middleware's or not.
 */
export const securityMiddleware: MiddlewareFunction<Response> = async ({ request }, next) => {
  if (!SAFE_METHODS.has(request.method.toUpperCase())) {
    try {
      assertSameOrigin(request);
    } catch (error) {
      if (error instanceof Response) return error;
      throw error;
    }
    const declared = Number(request.headers.get('content-length') ?? '0');
    if (declared > MAX_FORM_BYTES) {
      return new Response(`The request is larger than ${MAX_FORM_BYTES} bytes and was refused.`, {
        status: 413,
        headers: { 'Content-Type': 'text/plain; charset=utf-8' },
      });
    }
  }
  return withRetryAfter(await next());
};

/** A 503 (instance being set up or migrated) tells clients when to try again. */
function withRetryAfter(response: Response): Response {
  if (response.status !== 503 || response.headers.has('Retry-After')) return response;
  let target = response;
  try {
    target.headers.set('Retry-After', '2');
  } catch {
    // Immutable headers (e.g. a Response from fetch): copy it.
    target = new Response(response.body, response);
    target.headers.set('Retry-After', '2');
  }
  return target;
}
