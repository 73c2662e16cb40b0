import { createContext, redirect, type MiddlewareFunction } from 'react-router';
import {
  CSRF_FIELD,
  assertSameOrigin,
  createRateLimiter,
  csrfToken,
  hashPassword,
  hashToken,
  randomToken,
  readForm,
  verifyCsrfToken,
  verifyPassword,
  type RateLimiter,
} from '@silo/web';
import { adminConfig } from './config.server';
import { formatBytes } from './format';
import { getFleet, getSecret } from './fleet.server';

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
    if (index > 0 && part.slice(0, index).trim() === name) return decodeURIComponent(part.slice(index + 1).trim());
  }
  return undefined;
}

function sessionCookie(value: string, maxAgeSec: number): string {
  const secure = adminConfig().secureCookies ? '; Secure' : '';
  return `${cookieName()}=${encodeURIComponent(value)}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSec}${secure}`;
}

/** The signed-in admin of this request, or undefined. */
export async function readSession(request: Request): Promise<AdminSession | undefined> {
  const token = readCookie(request, cookieName());
  if (!token || token.length > 200) return undefined;
  const fleet = await getFleet();
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

/**
 * Guards every route below the signed-in layout: pages, actions and resource routes alike.
 * No session: a GET goes to the sign-in page, anything else is a 401. Mutations must come from
 * this origin and carry the session's CSRF token (form field `csrf` or header X-CSRF-Token).
 */
export const requireAdmin: MiddlewareFunction<Response> = async ({ request, context }, next) => {
  const session = await readSession(request);
  if (!session) {
    if (request.method === 'GET' || request.method === 'HEAD') {
      const url = new URL(request.url);
      const path = url.pathname.replace(/\.data$/, '') || '/';
      throw redirect(`/login?next=${encodeURIComponent(path + url.search)}`);
    }
    throw new Response('Sign in first.', { status: 401, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
  }
  if (MUTATING.has(request.method.toUpperCase())) {
    assertSameOrigin(request);
    const secret = await getSecret();
    let token: unknown = request.headers.get(CSRF_HEADER);
    if (token === null) {
      const form = await readForm(request.clone(), adminConfig().ADMIN_UPLOAD_MAX_BYTES + 64 * 1024).catch(explainTooLarge);
      token = form.get(CSRF_FIELD);
    }
    if (!verifyCsrfToken(secret, session.sessionHash, token)) {
      throw new Response('This form has expired or did not come from this console. Reload the page and try again.', {
        status: 403,
        headers: { 'Content-Type': 'text/plain; charset=utf-8' },
      });
    }
  }
  context.set(adminContext, session);
  return next();
};

/** The largest body any admin form takes is an import upload: say so, and what to use instead. */
function explainTooLarge(error: unknown): never {
  if (error instanceof Response && error.status === 413) {
    throw new Response(`The upload is larger than ${formatBytes(adminConfig().ADMIN_UPLOAD_MAX_BYTES)}; import the file with \`silo import\` instead.`, {
      status: 413,
      headers: { 'Content-Type': 'text/plain; charset=utf-8' },
    });
  }
  throw error;
}

const LIMITER_KEY = Symbol.for('silo.admin.signin-limiter');
type LimiterHolder = { [LIMITER_KEY]?: RateLimiter };

function signInLimiter(): RateLimiter {
  const holder = globalThis as LimiterHolder;
  const config = adminConfig();
  holder[LIMITER_KEY] ??= createRateLimiter({
    points: config.ADMIN_SIGNIN_ATTEMPTS,
    durationSec: config.ADMIN_SIGNIN_BLOCK_SEC,
    blockSec: config.ADMIN_SIGNIN_BLOCK_SEC,
  });
  return holder[LIMITER_KEY];
}

export type SignInResult =
  | { ok: true; setCookie: string }
  | { ok: false; error: string; status: number };

/** A hash compared against when the email is unknown, so both paths cost the same. */
let decoyHash: Promise<string> | undefined;

export async function signIn(email: string, password: string, clientAddress: string): Promise<SignInResult> {
  const normalized = email.trim().toLowerCase();
  const limiter = signInLimiter();
  const key = `${clientAddress}|${normalized}`;
  const { allowed, retryAfterSec } = await limiter.consume(key);
  const fleet = await getFleet();
  if (!allowed) {
    fleet.admins.recordSignInFailure(normalized, clientAddress, 'rate limited');
    const minutes = Math.max(1, Math.ceil(retryAfterSec / 60));
    return { ok: false, status: 429, error: `Too many sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.` };
  }
  const user = fleet.admins.findByEmail(normalized);
  decoyHash ??= hashPassword(randomToken());
  const valid = await verifyPassword(user?.passwordHash ?? (await decoyHash), password);
  if (!user || !valid) {
    fleet.admins.recordSignInFailure(normalized, clientAddress, user ? 'wrong password' : 'unknown email');
    return { ok: false, status: 401, error: 'Wrong email or password.' };
  }
  await limiter.reset(key);
  const token = randomToken();
  const maxAgeSec = Math.round(adminConfig().ADMIN_SESSION_HOURS * 3600);
  fleet.admins.createSession(user.id, hashToken(token), Date.now() + maxAgeSec * 1000);
  fleet.admins.recordSignIn(user.id);
  return { ok: true, setCookie: sessionCookie(token, maxAgeSec) };
}

export async function signOut(request: Request): Promise<string> {
  const token = readCookie(request, cookieName());
  if (token) (await getFleet()).admins.deleteSession(hashToken(token));
  return sessionCookie('', 0);
}

/** Only same-site paths are followed after sign-in. */
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/';
}
