import { assertSameOrigin, securityHeaders } from '@silo/web';
import type { MiddlewareFunction } from 'react-router';
import { MAX_FORM_BYTES } from './config.server';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Runs for every request: refuses cross-site writes (403) and bodies that announce more than
 * any form needs (413; actions also count while reading), and adds the security headers.
 */
export const securityMiddleware: MiddlewareFunction<Response> = async ({ request }, next) => {
  if (!SAFE_METHODS.has(request.method.toUpperCase())) {
    try {
      assertSameOrigin(request);
    } catch (error) {
      if (error instanceof Response) return withSecurityHeaders(error);
      throw error;
    }
    const declared = Number(request.headers.get('content-length') ?? '0');
    if (declared > MAX_FORM_BYTES) {
      return withSecurityHeaders(
        new Response(`The request is larger than ${MAX_FORM_BYTES} bytes and was refused.`, {
          status: 413,
          headers: { 'Content-Type': 'text/plain; charset=utf-8' },
        }),
      );
    }
  }
  return withSecurityHeaders(await next());
};

function withSecurityHeaders(response: Response): Response {
  let target = response;
  try {
    applyHeaders(target.headers);
  } catch {
    // Immutable headers (e.g. a Response from fetch): copy it.
    target = new Response(response.body, response);
    applyHeaders(target.headers);
  }
  if (target.status === 503 && !target.headers.has('Retry-After')) target.headers.set('Retry-After', '2');
  return target;
}

function applyHeaders(headers: Headers): void {
  for (const [name, value] of Object.entries(securityHeaders)) {
    if (!headers.has(name)) headers.set(name, value);
  }
}
