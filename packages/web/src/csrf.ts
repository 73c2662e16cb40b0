import { hmac, safeEqual } from './tokens';

/**
 * CSRF protection in two layers. Every mutating request must come from our own origin
 * (browsers always send Origin on cross-site POSTs), and forms carry a token bound to the
 * session by an HMAC, so a token from one session is useless in another.
 */
export const CSRF_FIELD = 'csrf';

/** Sessions whose token is kept; past it the oldest goes (a recompute costs one HMAC). */
const REMEMBERED_TOKENS = 10_000;
const remembered = new Map<string, string>();

/**
 * A session's token never changes, and every signed-in page shows it, so it is computed once
 * per session and secret: an HMAC on a page cost ~30 µs of CPU (OpenSSL 3 sets up the MAC
 * each time), a tenth of what the TODO list page spends outside React.
 */
export function csrfToken(secret: string, sessionId: string): string {
  const key = `${secret.length}:${secret}${sessionId}`; // length first: no two pairs share a key
  let token = remembered.get(key);
  if (token === undefined) {
    token = hmac(secret, `csrf:${sessionId}`);
    if (remembered.size >= REMEMBERED_TOKENS) remembered.delete(remembered.keys().next().value as string);
    remembered.set(key, token);
  }
  return token;
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
