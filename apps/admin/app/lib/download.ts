/**
 * A download started by a form (an export) has no answer a page can wait for: the browser
 * saves the response instead of showing it. So the form sends a random token, the response
 * sets it in a short-lived cookie as its headers go out, and the page, which watches for that
 * cookie, knows the download has begun (download-form.tsx; download.server.ts).
 */
export const DOWNLOAD_FIELD = 'downloadToken';
export const DOWNLOAD_COOKIE = 'silo_download';
export const DOWNLOAD_TOKEN = /^[0-9a-f]{32}$/;
