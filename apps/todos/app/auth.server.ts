import type { TenantConnection } from '@silo/fleet';
import {
  CSRF_FIELD as WEB_CSRF_FIELD,
  createRateLimiter,
  csrfToken,
  hashToken,
  clientAddressOf,
  pageAddressOf,
  randomToken,
  rateLimitKey,
  safeNextPath,
  sessionCookieOptions,
  verifyCsrfToken,
  type RateLimiter,
} from '@silo/web';
import { createCookie, data, redirect, type RouterContextProvider } from 'react-router';
import { appConfig } from './config.server';
import { tenantContext, viewerContext, type Tenant, type Viewer } from './context.server';
import { serverSecret } from './fleet.server';
import { CSRF_FIELD } from './forms';
import { rememberList } from './remembered-lists.server';

if (WEB_CSRF_FIELD !== CSRF_FIELD) throw new Error('app/forms.ts CSRF_FIELD must match @silo/web.');

export const SESSION_COOKIE = 'silo_session';
export const SESSION_TTL_MS = 30 * 24 * 60 * 60 * 1000;
export const INVITE_TTL_MS = 7 * 24 * 60 * 60 * 1000;
/** A password-reset link an owner issues for a member is valid this long, once. */
export const RESET_TTL_MS = 24 * 60 * 60 * 1000;
/**
 * Sessions one account keeps (browsers, devices): signing in again past it ends the oldest, so
 * the sessions table stays bounded by the member limit however often anyone signs in.
 */
export const MAX_SESSIONS_PER_USER = 10;

/**
 * Cookies are scoped to one instance's path; the session is also only known to its database.
 * React Router loads the data of /t/<name> from /t/<name>.data, which a cookie with
 * Path=/t/<name> does not match (RFC 6265 path-match), so the same token is also set with
 * exactly that path. No other instance's URL matches either cookie.
 */
function sessionCookie(name: string, request: Request, path = `/t/${name}`) {
  return createCookie(SESSION_COOKIE, sessionCookieOptions({ secure: cookieIsSecure(request), path, maxAgeSec: SESSION_TTL_MS / 1000 }));
}

/**
 * Reading a cookie uses only its name (the attributes are for setting it), so every request
 * reads with this one object rather than building one, and parsing the request's URL for
 * `Secure`, per page.
 */
const sessionCookieReader = createCookie(SESSION_COOKIE);

async function setCookieHeaders(request: Request, name: string, value: string, clear: boolean): Promise<Headers> {
  const headers = new Headers();
  for (const path of [`/t/${name}`, `/t/${name}.data`]) {
    const cookie = sessionCookie(name, request, path);
    headers.append('Set-Cookie', clear ? await cookie.serialize('', { maxAge: 0, expires: new Date(0) }) : await cookie.serialize(value));
  }
  return headers;
}

export function cookieIsSecure(request: Request): boolean {
  const setting = appConfig().cookieSecure;
  return setting === 'auto' ? new URL(request.url).protocol === 'https:' : setting;
}

async function readSessionToken(request: Request): Promise<string | undefined> {
  const value: unknown = await sessionCookieReader.parse(request.headers.get('Cookie'));
  return typeof value === 'string' && value.length > 0 && value.length < 200 ? value : undefined;
}

export async function loadViewer(request: Request, db: TenantConnection): Promise<Viewer | null> {
  const token = await readSessionToken(request);
  if (!token) return null;
  const sessionId = hashToken(token);
  // `+?`, not `?`: a parameter compared in a join is one SQLite's planner reads, and
  // better-sqlite3's rebinding makes it prepare the statement again every time (ADR 39).
  const { rows } = await db.execute(
    `SELECT s.expires_at AS expiresAt, u.id AS userId, u.email AS email, u.role AS role
       FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = +?`,
    [sessionId],
  );
  const row = rows[0];
  if (!row) return null;
  if (Number(row['expiresAt']) <= Date.now()) {
    await db.execute('DELETE FROM sessions WHERE id = ?', [sessionId]);
    return null;
  }
  return {
    userId: Number(row['userId']),
    email: String(row['email']),
    role: row['role'] === 'owner' ? 'owner' : 'member',
    sessionId,
    csrf: csrfToken(serverSecret(), sessionId),
  };
}

/**
 * Starts a session for the user and returns the Set-Cookie headers carrying the raw token, and
 * the browser's "Your lists" cookie with this list first (every way in passes here).
 */
export async function createSession(request: Request, name: string, db: TenantConnection, userId: number): Promise<Headers> {
  const token = randomToken();
  const now = Date.now();
  await db.execute('DELETE FROM sessions WHERE expires_at <= ?', [now]);
  await db.execute('INSERT INTO sessions (id, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)', [
    hashToken(token),
    userId,
    now,
    now + SESSION_TTL_MS,
  ]);
  await db.execute(
    'DELETE FROM sessions WHERE user_id = ? AND id NOT IN (SELECT id FROM sessions WHERE user_id = +? ORDER BY created_at DESC, rowid DESC LIMIT +?)',
    [userId, userId, MAX_SESSIONS_PER_USER],
  );
  const headers = await setCookieHeaders(request, name, token, false);
  headers.append('Set-Cookie', await rememberList(request, name, cookieIsSecure(request)));
  return headers;
}

/** Clears this list's session cookies (the session rows are gone already). */
export function clearSessionCookies(request: Request, name: string): Promise<Headers> {
  return setCookieHeaders(request, name, '', true);
}

export async function destroySession(request: Request, name: string, db: TenantConnection, viewer: Viewer | null): Promise<Headers> {
  if (viewer) await db.execute('DELETE FROM sessions WHERE id = ?', [viewer.sessionId]);
  return setCookieHeaders(request, name, '', true);
}

/**
 * The catalog row as it is now for a loader: the middleware's copy is from before this
 * request's action, so after one (a rename shows on the page rendered after a POST without
 * JavaScript) it is read again. A GET ran no action: the middleware's copy is current, and the
 * page saves a catalog lookup.
 */
export function currentInstance(tenant: Tenant, request: Request): Tenant['instance'] {
  if (request.method === 'GET' || request.method === 'HEAD') return tenant.instance;
  return tenant.fleet.find(tenant.name) ?? tenant.instance;
}

export function getTenant(context: Readonly<RouterContextProvider>): Tenant {
  return context.get(tenantContext);
}

/** The signed-in viewer, or a redirect to this instance's sign-in page: never the data. */
export function requireViewer(context: Readonly<RouterContextProvider>, request: Request): { tenant: Tenant; viewer: Viewer } {
  const tenant = context.get(tenantContext);
  const viewer = context.get(viewerContext);
  if (!viewer) {
    // The page asked for, not React Router's data request for it (since React Router 8 loaders
    // get the raw request: `/t/x/active.data?_routes=…` for a client navigation).
    const next = pageAddressOf(new URL(request.url));
    // A session cookie that no longer names a session (signed out elsewhere, password changed
    // or reset, removed from the list, expired): the sign-in page says why it is shown.
    const ended = hasSessionCookie(request) ? '&ended=1' : '';
    throw redirect(`/t/${tenant.name}/sign-in?next=${encodeURIComponent(next)}${ended}`);
  }
  return { tenant, viewer };
}

/** The request carries a session cookie (only this list's: the cookies are scoped to its path). */
function hasSessionCookie(request: Request): boolean {
  return new RegExp(`(?:^|;)\\s*${SESSION_COOKIE}=[^;\\s]`).test(request.headers.get('Cookie') ?? '');
}

export function requireOwner(context: Readonly<RouterContextProvider>, request: Request): { tenant: Tenant; viewer: Viewer } {
  const result = requireViewer(context, request);
  if (result.viewer.role !== 'owner') throw data({ message: 'Only the owner of this list can do that.' }, { status: 403 });
  return result;
}

/**
 * A download is built for GET only. HEAD gets the headers it would have, with nothing built and
 * nothing counted against the list's budget; any other method that reaches a loader is 405.
 */
export function notADownload(request: Request, headers: Record<string, string>): Response | undefined {
  if (request.method === 'GET') return undefined;
  if (request.method === 'HEAD') return new Response(null, { headers: { ...headers, 'Cache-Control': 'no-store' } });
  return new Response('Downloads are fetched with GET.', { status: 405, headers: { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' } });
}

/**
 * Counts one download of this list; past the hourly budget, a 429 with Retry-After. Keyed by
 * list, not by person: the cost is the list's size, whoever asks.
 */
export async function requireExportBudget(tenant: Tenant): Promise<void> {
  const budget = await rateLimiters().export.consume(tenant.name);
  if (budget.allowed) return;
  const minutes = Math.max(1, Math.ceil(budget.retryAfterSec / 60));
  throw new Response(`This list was downloaded ${appConfig().exportsPerHour} times in the last hour. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`, {
    status: 429,
    headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Retry-After': String(budget.retryAfterSec), 'Cache-Control': 'no-store' },
  });
}

/**
 * Before the page of an invite or password-reset link looks its token up: counts the look-up
 * against the client's invite budget (SILO_INVITE_LIMIT_PER_IP) and, past it, throws a 429
 * whatever the token, so a blocked client learns nothing more about which tokens are valid.
 * Call the returned function when the link was valid: only bad tokens add up.
 */
export async function countLinkLookup(request: Request): Promise<() => Promise<void>> {
  const limiter = rateLimiters().invite;
  const ip = clientIp(request);
  const budget = await limiter.consume(ip);
  if (!budget.allowed) {
    const minutes = Math.max(1, Math.ceil(budget.retryAfterSec / 60));
    throw data({ message: `Too many attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.` }, { status: 429 });
  }
  return () => limiter.refund(ip);
}

/**
 * The form's token is this session's. A signed-in viewer's form can fail it without any attack:
 * the page was loaded under an earlier session of this browser (signed in again in another tab).
 */
export function csrfMatches(form: FormData, viewer: Viewer): boolean {
  return verifyCsrfToken(serverSecret(), viewer.sessionId, form.get(CSRF_FIELD));
}

/** A redirect target inside this instance only (no open redirects; @silo/web safeNextPath). */
export function safeNext(name: string, next: unknown): string {
  return safeNextPath(next, { fallback: `/t/${name}`, within: `/t/${name}` });
}

/**
 * The client, as the rate limits count it: the address the request listener set from the socket
 * (or trusted proxies; a client-sent value is replaced), and an IPv6 client by its /64, which
 * is how many addresses one client may have (@silo/web rateLimitKey).
 */
export function clientIp(request: Request): string {
  return rateLimitKey(clientAddressOf(request));
}

interface Limiters {
  /**
   * Failed sign-ins per account *and* client address: a stranger who fails with the owner's
   * email blocks only their own address for that account, never the owner elsewhere.
   */
  signInAccount: RateLimiter;
  /** Failed sign-ins per client address across accounts (successes are refunded). */
  signInIp: RateLimiter;
  /** Invite form posts per client address. */
  invite: RateLimiter;
  /** Downloads per list: each reads (and for .sqlite, copies and rebuilds) the whole list. */
  export: RateLimiter;
  create: RateLimiter;
  /** Renames per list. */
  rename: RateLimiter;
}

/** Renames a list may have per 15 minutes: an owner tries a few names, a script thousands. */
export const RENAMES_PER_LIST = 20;

let limiters: Limiters | undefined;

export function rateLimiters(): Limiters {
  if (limiters) return limiters;
  const config = appConfig();
  limiters = {
    signInAccount: createRateLimiter({ points: config.signInLimitPerAccount, durationSec: 15 * 60, blockSec: 15 * 60 }),
    signInIp: createRateLimiter({ points: config.signInLimitPerIp, durationSec: 15 * 60, blockSec: 15 * 60 }),
    invite: createRateLimiter({ points: config.inviteLimitPerIp, durationSec: 15 * 60, blockSec: 15 * 60 }),
    export: createRateLimiter({ points: config.exportsPerHour, durationSec: 60 * 60, blockSec: 0 }),
    create: createRateLimiter({ points: config.createLimitPerHour, durationSec: 60 * 60, blockSec: 60 * 60 }),
    // Per list: a rename is a write to the catalog every tenant shares, and an audit entry.
    rename: createRateLimiter({ points: RENAMES_PER_LIST, durationSec: 15 * 60, blockSec: 0 }),
  };
  return limiters;
}
