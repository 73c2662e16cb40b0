/**
 * `@silo/web/error-page`: what the apps' error boundaries show of the request. Safe in the
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
 * "Request id: …" on an error page rendered by the server; nothing in the browser (client-side
 * navigations have no id of their own). The text may differ between the server's render and
 * hydration, so the paragraph keeps what the server wrote.
 */
export function RequestIdNote(): ReactElement {
  const requestId = useContext(RequestIdContext);
  return createElement('p', { className: 'request-id', suppressHydrationWarning: true }, requestId ? `Request id: ${requestId}` : null);
}


/**
 * An error page's title for an HTTP status: "403 Forbidden". Never React Router's `statusText`:
 * a `data(…, { status })` thrown without one arrives as "Internal Server Error" whatever its
 * status, so a refused form would read "403 Internal Server Error".
 */
export function statusTitle(status: number): string {
  return `${status} ${statuses.message[status] ?? 'Error'}`;
}
