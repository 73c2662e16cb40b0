import { hmac, safeEqual } from './tokens';

/**
 * CSRF protection in two layers. Every mutating request must come from our own origin
 * (browsers always send Origin on cross-site POSTs), and forms carry a token bound to the
 * session by an HMAC, so a token from one session is useless in another.
 */
export const CSRF_FIELD = 'csrf';

export function csrfToken(secret: string, sessionId: string): string {
  return hmac(secret, `csrf:${sessionId}`);
}

export function verifyCsrfToken(secret: string, sessionId: string, token: unknown): boolean {
  return typeof token === 'string' && token.length > 0 && safeEqual(token, csrfToken(secret, sessionId));
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Throws a 403 Response for a state-changing request that another site sent. */
export function assertSameOrigin(request: Request): void {
  if (SAFE_METHODS.has(request.method.toUpperCase())) return;
  const origin = request.headers.get('origin');
  const expected = new URL(request.url).origin;
  if (origin !== null) {
    if (origin === expected) return;
    throw forbidden('This request came from another site and was refused.');
  }
  // No Origin (old browsers, non-browser clients): fall back to Fetch Metadata when present.
  const site = request.headers.get('sec-fetch-site');
  if (site !== null && site !== 'same-origin' && site !== 'none') {
    throw forbidden('This request came from another site and was refused.');
  }
}

function forbidden(message: string): Response {
  return new Response(message, { status: 403, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
}
