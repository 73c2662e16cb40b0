import { createCookie } from 'react-router';
import { serverSecret } from './fleet.server';

/**
 * "Your lists": the lists this browser signed in to, kept in the browser only. Each list keeps
 * its own users on purpose (no account spans lists), so the server has nothing to look these
 * up by; the cookie is signed with the app's secret so that what the landing page shows was
 * written by this app, not by another site or a script that set a cookie for this host.
 */
export const LISTS_COOKIE = 'silo_lists';
/** Enough for a person in many lists, small enough for one cookie (63-character names). */
export const MAX_REMEMBERED_LISTS = 20;
const MAX_AGE_SEC = 365 * 24 * 60 * 60;
const NAME = /^[a-z0-9-]{1,63}$/;

function listsCookie(secure: boolean) {
  return createCookie(LISTS_COOKIE, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure,
    maxAge: MAX_AGE_SEC,
    secrets: [serverSecret()],
  });
}

/** The names in the request's cookie, most recent first; an unsigned or altered cookie is empty. */
export async function rememberedLists(request: Request): Promise<string[]> {
  const value: unknown = await listsCookie(false).parse(request.headers.get('Cookie'));
  if (!Array.isArray(value)) return [];
  const names = value.filter((name): name is string => typeof name === 'string' && NAME.test(name));
  return [...new Set(names)].slice(0, MAX_REMEMBERED_LISTS);
}

/** The Set-Cookie value that puts `name` first. */
export async function rememberList(request: Request, name: string, secure: boolean): Promise<string> {
  const names = [name, ...(await rememberedLists(request)).filter((other) => other !== name)].slice(0, MAX_REMEMBERED_LISTS);
  return listsCookie(secure).serialize(names);
}

/** The Set-Cookie value without `name` (after leaving a list), or without any list. */
export async function forgetList(request: Request, name: string | null, secure: boolean): Promise<string> {
  const names = name === null ? [] : (await rememberedLists(request)).filter((other) => other !== name);
  if (names.length === 0) return listsCookie(secure).serialize('', { maxAge: 0, expires: new Date(0) });
  return listsCookie(secure).serialize(names);
}
