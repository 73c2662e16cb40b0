/**
 * What the browser does when the session ends in the middle of an action (it expired, or the
 * admin was signed out elsewhere): the server answers 401, and the page goes to the sign-in
 * form, which says why and comes back to this page afterwards.
 */

/** The sign-in page for a session that ended on `location` (React Router's `?index` left out). */
export function signInAgainUrl(location: { pathname: string; search: string }): string {
  const search = new URLSearchParams(location.search);
  search.delete('index');
  const query = search.toString();
  return `/login?${new URLSearchParams({ next: location.pathname + (query ? `?${query}` : ''), expired: '1' }).toString()}`;
}

/** Leaves for the sign-in page (a document load: nothing of the old session's page is kept). */
export function signInAgain(): void {
  window.location.assign(signInAgainUrl(window.location));
}
