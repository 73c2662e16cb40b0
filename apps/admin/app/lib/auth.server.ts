import { createContext, redirect, type MiddlewareFunction } from 'react-router';
import {
  CSRF_FIELD,
  assertSameOrigin,
  createRateLimiter,
  csrfToken,
  hashPassword,
  hashToken,
  randomToken,
  rateLimitKey,
  readForm,
  pageAddressOf,
  remember,
  safeNextPath,
  verifyCsrfToken,
  verifyPassword,
  type RateLimiter,
} from '@silo/web';
import { escapeHtml } from '@silo/web/error-page';
import { adminConfig } from './config.server';
import type { Fleet } from '@silo/fleet';
import { fleetContext, getSecret } from './fleet.server';

export interface AdminSession {
  readonly userId: number;
  readonly email: string;
  /** sha256 of the cookie value: what the catalog stores and the CSRF token is bound to. */
  readonly sessionHash: string;
  readonly csrf: string;
  /** How the audit log names this admin. */
  readonly actor: string;
}

export const adminContext = createContext<AdminSession>();

const COOKIE = 'silo_admin_session';
export const CSRF_HEADER = 'x-csrf-token';

function cookieName(): string {
  return adminConfig().secureCookies ? `__Host-${COOKIE}` : COOKIE;
}

function readCookie(request: Request, name: string): string | undefined {
  const header = request.headers.get('cookie');
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index > 0 && part.slice(0, index).trim() === name) return decodeCookieValue(part.slice(index + 1).trim());
  }
  return undefined;
}

/** A value with broken percent-encoding is no session (not a 500 on every page, sign-in included). */
function decodeCookieValue(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

function sessionCookie(value: string, maxAgeSec: number): string {
  const secure = adminConfig().secureCookies ? '; Secure' : '';
  return `${cookieName()}=${encodeURIComponent(value)}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSec}${secure}`;
}

/** The signed-in admin of this request, or undefined. */
export async function readSession(fleet: Fleet, request: Request): Promise<AdminSession | undefined> {
  const token = readCookie(request, cookieName());
  if (!token || token.length > 200) return undefined;
  const sessionHash = hashToken(token);
  const found = fleet.admins.session(sessionHash);
  if (!found) return undefined;
  const secret = await getSecret();
  return {
    userId: found.user.id,
    email: found.user.email,
    sessionHash,
    csrf: csrfToken(secret, sessionHash),
    actor: `admin:${found.user.email}`,
  };
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The largest form body other than an upload: the middleware reads a copy for its token. */
export const SMALL_FORM_MAX_BYTES = 256 * 1024;

/** How the middleware left the CSRF check of a mutating request (null for reads). */
export type CsrfCheck =
  | { readonly state: 'verified' }
  /** A multipart form to an upload route: the upload reader verifies its `csrf` field before storing the file. */
  | { readonly state: 'deferred'; verify(token: unknown): boolean };

export const csrfCheckContext = createContext<CsrfCheck | null>(null);

/**
 * The routes whose action reads multipart forms with `withUpload` (upload.server.ts), as
 * React Router patterns: the instances page (its import form). A multipart form without the
 * X-CSRF-Token header is let through to these only, for the upload reader to verify; anywhere
 * else it is refused here, so switching the encoding never skips the check.
 */
const UPLOAD_ROUTE_PATTERNS: ReadonlySet<string> = new Set(['/']);

/**
 * Guards every route below the signed-in layout: pages, actions and resource routes alike.
 * No session: a GET goes to the sign-in page, anything else is a 401. Mutations must come from
 * this origin and carry the session's CSRF token (form field `csrf` or header X-CSRF-Token).
 *
 * A multipart body is never read here: a clone would hold a whole upload in memory, and the
 * action's request is rebuilt from the same body stream after the middleware (single fetch),
 * so it must not be consumed either.
 */
export const requireAdmin: MiddlewareFunction<Response> = async ({ request, context, pattern }, next) => {
  const session = await readSession(context.get(fleetContext), request);
  if (!session) {
    if (request.method === 'GET' || request.method === 'HEAD') throw redirect(signInUrl(new URL(request.url)));
    if (isDocumentNavigation(request)) throw signedOutPage(request);
    throw new Response('Sign in first.', { status: 401, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
  }
  // React Router answers OPTIONS with a 405 on pages but runs a resource route's loader (a
  // whole CSV export, the palette's search): one plain refusal everywhere instead.
  if (request.method.toUpperCase() === 'OPTIONS') {
    throw new Response('This console answers GET, HEAD and POST only.', { status: 405, headers: { Allow: 'GET, HEAD, POST', 'Content-Type': 'text/plain; charset=utf-8' } });
  }
  if (MUTATING.has(request.method.toUpperCase())) {
    assertSameOrigin(request);
    const secret = await getSecret();
    const verify = (token: unknown): boolean => verifyCsrfToken(secret, session.sessionHash, token);
    const header = request.headers.get(CSRF_HEADER);
    if (header !== null) {
      if (!verify(header)) throw csrfRefused();
      context.set(csrfCheckContext, { state: 'verified' });
    } else if (isMultipartForm(request)) {
      if (!UPLOAD_ROUTE_PATTERNS.has(pattern)) throw csrfRefused();
      context.set(csrfCheckContext, { state: 'deferred', verify });
    } else {
      const form = await readForm(request.clone(), SMALL_FORM_MAX_BYTES);
      if (!verify(form.get(CSRF_FIELD))) throw csrfRefused();
      context.set(csrfCheckContext, { state: 'verified' });
    }
  }
  context.set(adminContext, session);
  return next();
};

/**
 * A form the browser posts itself (not a script's fetch): Fetch Metadata says so, or, from a
 * browser without it, an Accept that asks for HTML.
 */
function isDocumentNavigation(request: Request): boolean {
  const mode = request.headers.get('sec-fetch-mode');
  if (mode !== null) return mode === 'navigate';
  return !new URL(request.url).pathname.endsWith('.data') && (request.headers.get('accept') ?? '').includes('text/html');
}

/**
 * The 401 of a form the browser posted after its session ended. A page's post is drawn by the
 * layout's error boundary (its "Signed out" page); a resource route's (a download: Export
 * .sqlite, the bulk export, the residency report, the fleet query's CSV) would otherwise be a
 * bare "Sign in first." with no way on. This page says the same as the boundary's, and its link
 * signs in again and returns to the page the form was on (a referrer of this origin), or else
 * to the address posted to.
 */
function signedOutPage(request: Request): Response {
  const url = new URL(request.url);
  let back = pageAddressOf(url);
  const referrer = request.headers.get('referer');
  if (referrer) {
    try {
      const from = new URL(referrer);
      if (from.origin === url.origin) back = pageAddressOf(from);
    } catch {
      // Not a URL: the address posted to.
    }
  }
  const target = `/login?${new URLSearchParams({ next: safeNext(back), expired: '1' }).toString()}`;
  const html = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex"><title>Signed out · Silo admin</title></head><body><main id="main"><h1>Signed out</h1><p role="alert">Your session has ended, so this was not done. Sign in again to go back to this page.</p><p><a href="${escapeHtml(target)}">Sign in again</a></p></main></body></html>`;
  return new Response(html, { status: 401, headers: { 'Content-Type': 'text/html; charset=utf-8' } });
}

/** The sign-in page that returns to the page `url` is for (a data request names its page). */
export function signInUrl(url: URL): string {
  return `/login?next=${encodeURIComponent(pageAddressOf(url))}`;
}

export function isMultipartForm(request: Request): boolean {
  const type = request.headers.get('content-type') ?? '';
  return type.split(';', 1)[0]?.trim().toLowerCase() === 'multipart/form-data';
}

export function csrfRefused(): Response {
  return new Response('This form has expired or did not come from this console. Reload the page and try again.', {
    status: 403,
    headers: { 'Content-Type': 'text/plain; charset=utf-8' },
  });
}

/**
 * The sign-in limits, in this process's memory:
 * - `account`: attempts per address and email (ADMIN_SIGNIN_ATTEMPTS). Keyed by both, so a
 *   stranger guessing the real admin's password blocks only their own address, never the admin
 *   signing in from elsewhere.
 * - `client`: attempts per address whatever the emails (ADMIN_SIGNIN_CLIENT_ATTEMPTS), so one
 *   address cannot try many accounts, or fill the audit log with one failure per email.
 * - `blockNoted`: one point per address per block window, so a blocked address gets one
 *   "rate limited" audit entry, not one per request.
 */
interface SignInLimiters {
  readonly account: RateLimiter;
  readonly client: RateLimiter;
  readonly blockNoted: RateLimiter;
}

function signInLimiters(): SignInLimiters {
  return remember('admin.signin-limiters', () => {
    const config = adminConfig();
    const window = { durationSec: config.ADMIN_SIGNIN_BLOCK_SEC, blockSec: config.ADMIN_SIGNIN_BLOCK_SEC };
    return {
      account: createRateLimiter({ points: config.ADMIN_SIGNIN_ATTEMPTS, ...window }),
      client: createRateLimiter({ points: config.ADMIN_SIGNIN_CLIENT_ATTEMPTS, ...window }),
      blockNoted: createRateLimiter({ points: 1, ...window }),
    };
  });
}

export type SignInResult =
  | { ok: true; setCookie: string }
  | { ok: false; error: string; status: number; retryAfterSec?: number };

const WRONG_CREDENTIALS: SignInResult = { ok: false, status: 401, error: 'Wrong email or password.' };

/** A hash compared against when the email is unknown, so both paths cost the same. */
let decoyHash: Promise<string> | undefined;

/**
 * Checks a sign-in. The limits are counted before any work, so a blocked request costs no
 * password hashing and (after the first per block window) no audit entry; concurrent attempts
 * are counted as they arrive, not as they finish. A disabled account gets the same answer as a
 * wrong password, after the same work.
 */
export async function signIn(fleet: Fleet, email: string, password: string, clientAddress: string): Promise<SignInResult> {
  const normalized = email.trim().toLowerCase();
  const limiters = signInLimiters();
  // Limits count an IPv6 client by its /64 (one client may hold all of it); the audit log keeps the address.
  const client = rateLimitKey(clientAddress);
  const accountKey = `${client}|${normalized}`;
  for (const [limiter, key] of [
    [limiters.client, client],
    [limiters.account, accountKey],
  ] as const) {
    const { allowed, retryAfterSec } = await limiter.consume(key);
    if (allowed) continue;
    if ((await limiters.blockNoted.consume(client)).allowed) fleet.admins.recordSignInFailure(normalized, clientAddress, 'rate limited');
    const minutes = Math.max(1, Math.ceil(retryAfterSec / 60));
    return { ok: false, status: 429, retryAfterSec: Math.max(1, retryAfterSec), error: `Too many sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.` };
  }
  const user = fleet.admins.findByEmail(normalized);
  decoyHash ??= hashPassword(randomToken());
  const valid = await verifyPassword(user?.passwordHash ?? (await decoyHash), password);
  if (!user || !valid || user.disabledAt !== null) {
    fleet.admins.recordSignInFailure(normalized, clientAddress, !user ? 'unknown email' : !valid ? 'wrong password' : 'account disabled');
    return WRONG_CREDENTIALS;
  }
  const token = randomToken();
  const maxAgeSec = Math.round(adminConfig().ADMIN_SESSION_HOURS * 3600);
  // Disabled or removed during the password check: no session, the same answer.
  if (!fleet.admins.createSession(user.id, hashToken(token), Date.now() + maxAgeSec * 1000)) {
    fleet.admins.recordSignInFailure(normalized, clientAddress, 'account disabled');
    return WRONG_CREDENTIALS;
  }
  // The account's failures from this address are forgotten; the address's own budget is not,
  // so a valid account cannot be used to reset it and go on guessing others.
  await limiters.account.reset(accountKey);
  fleet.admins.recordSignIn(user.id);
  return { ok: true, setCookie: sessionCookie(token, maxAgeSec) };
}

export function signOut(fleet: Fleet, request: Request): string {
  const token = readCookie(request, cookieName());
  if (token) fleet.admins.deleteSession(hashToken(token));
  return sessionCookie('', 0);
}

/** Only paths on this origin are followed after sign-in (@silo/web safeNextPath). */
export function safeNext(next: string | null): string {
  return safeNextPath(next, { fallback: '/' });
}
