import { adminConfig } from './config.server';
import { DOWNLOAD_COOKIE, DOWNLOAD_FIELD, DOWNLOAD_TOKEN } from './download';

/**
 * The header that tells the page its download has started (download.ts): the form's token
 * echoed in a cookie the page's script reads. It carries nothing secret, hence not HttpOnly.
 * A missing or malformed token sets nothing (a form sent without the page's script).
 */
export function downloadStarted(form: FormData): Record<string, string> {
  const token = form.get(DOWNLOAD_FIELD);
  if (typeof token !== 'string' || !DOWNLOAD_TOKEN.test(token)) return {};
  const secure = adminConfig().secureCookies ? '; Secure' : '';
  return { 'Set-Cookie': `${DOWNLOAD_COOKIE}=${token}; Path=/; Max-Age=120; SameSite=Strict${secure}` };
}
