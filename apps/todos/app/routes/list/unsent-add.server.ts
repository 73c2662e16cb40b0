import { createCookie } from 'react-router';
import { cookieIsSecure } from '../../auth.server';
import { serverSecret } from '../../fleet.server';
import { TITLE_MAX_LENGTH } from '../../forms';
import { titleOf } from './intent';

/**
 * An add typed on a page without JavaScript when the session had ended: its answer is the trip
 * to sign-in, and the title would be lost (with JavaScript, unsent-adds.ts keeps it in the tab).
 * It is kept in a cookie of the list's path for the trip instead, and the list page, signed in
 * again, puts it back in the new-todo field, once, for the user to send: never added by itself.
 *
 * Only this app writes it (signed with the app's secret, HttpOnly), and only for a form posted
 * from this origin (security.server.ts refuses the others before any action), so a link or
 * another site cannot put words in the field.
 */
const UNSENT_ADD_COOKIE = 'silo_unsent_add';
/** Long enough to sign in, or to reset a password and come back. */
const MAX_AGE_SEC = 30 * 60;
/** Browsers keep cookies of up to 4,096 bytes; a title too long for one (non-Latin text near the title limit) is not kept. */
const MAX_COOKIE_BYTES = 4_000;

function unsentAddCookie(list: string, secure: boolean) {
  return createCookie(UNSENT_ADD_COOKIE, { path: `/t/${list}`, httpOnly: true, sameSite: 'lax', secure, maxAge: MAX_AGE_SEC, secrets: [serverSecret()] });
}

/**
 * The Set-Cookie that keeps a signed-out add's title for after sign-in, if `form` is an add with
 * a title. Only for a form posted as a document: a `.data` post is JavaScript's, which keeps its own.
 */
export async function keepUnsentAdd(request: Request, list: string, form: FormData): Promise<string | null> {
  if (form.get('intent') !== 'add') return null;
  const title = titleOf(form.get('title'));
  if (title === '' || title.length > TITLE_MAX_LENGTH) return null;
  const cookie = await unsentAddCookie(list, cookieIsSecure(request)).serialize(title);
  return Buffer.byteLength(cookie) <= MAX_COOKIE_BYTES ? cookie : null;
}

/** The kept title for a document load of the list, with the Set-Cookie that forgets it; none without one. */
export async function takeUnsentAdd(request: Request, list: string): Promise<{ title: string; forget: string } | null> {
  const header = request.headers.get('Cookie');
  // Every page load of the list asks: most carry no such cookie, and need no parsing for it.
  if (!header?.includes(`${UNSENT_ADD_COOKIE}=`)) return null;
  const cookie = unsentAddCookie(list, cookieIsSecure(request));
  const value: unknown = await cookie.parse(header);
  if (typeof value !== 'string' || value === '' || value.length > TITLE_MAX_LENGTH) return null;
  return { title: value, forget: await cookie.serialize('', { maxAge: 0, expires: new Date(0) }) };
}
