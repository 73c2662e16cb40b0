/**
 * `@silo/web/error-page`: what the apps' error boundaries show of the request, and the HTML
 * escaping of error pages written without React (the admin's signed-out page). Safe in the
 * browser bundle (React and a table of reason phrases), unlike `@silo/web/react-router`, whose
 * entry renders with the provider below.
 */
import { createContext, createElement, useContext, type ReactElement } from 'react';
import statuses from 'statuses';

/**
 * The request id of the document being rendered on the server, for error pages: a support
 * request quoting it finds the request's log lines. Undefined in the browser.
 */
export const RequestIdContext = createContext<string | undefined>(undefined);

/**
 * "Request id: …" on an error page rendered by the server, kept after hydration (client-side
 * navigations have no id of their own). Its content is set as HTML: a text child present on the
 * server and absent in the browser fails hydration (React error 418), the document is rendered
 * again in the browser and the id a support request would quote is gone, while HTML content
 * is left as the server wrote it.
 */
export function RequestIdNote(): ReactElement {
  const requestId = useContext(RequestIdContext);
  const html = requestId ? `Request id: ${escapeHtml(requestId)}` : '';
  return createElement('p', { className: 'request-id', suppressHydrationWarning: true, dangerouslySetInnerHTML: { __html: html } });
}

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for HTML written by hand (a page built without React), in an element or a quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

/**
 * An error page's title for an HTTP status: "403 Forbidden". Never React Router's `statusText`:
 * a `data(…, { status })` thrown without one arrives as "Internal Server Error" whatever its
 * status, so a refused form would read "403 Internal Server Error".
 */
export function statusTitle(status: number): string {
  return `${status} ${statuses.message[status] ?? 'Error'}`;
}
