import { isRouteErrorResponse, useLocation } from 'react-router';
import { useEffect } from 'react';
import { RequestIdNote, statusTitle } from '@silo/web/error-page';
import { signInAgainUrl } from '../lib/session';

/**
 * What an error page says, shown by two boundaries: the signed-in layout's (inside the header
 * and navigation, for errors of the pages below it: an unknown address or instance) and the
 * root's (the whole page, for sign-in and for the layout itself).
 */
export function ErrorView({ error }: { error: unknown }) {
  let title = 'Something went wrong';
  let detail = 'An unexpected error occurred. Check the server log.';
  if (isRouteErrorResponse(error)) {
    title = error.status === 404 ? 'Not found' : statusTitle(error.status);
    detail = typeof error.data === 'string' && error.data ? error.data : detail;
  } else if (import.meta.env.DEV && error instanceof Error) {
    detail = error.message;
  }
  return (
    <>
      <title>{`${title} · Silo admin`}</title>
      <h1>{title}</h1>
      <p role="alert">{detail}</p>
      <p>
        <a href="/">Back to the instances</a>
      </p>
      <RequestIdNote />
    </>
  );
}

/** A 401: the session ended while the page was open (a form posted, a data request refused). */
export function isSessionEnded(error: unknown): boolean {
  return isRouteErrorResponse(error) && error.status === 401;
}

/** A 401 from an action or a loader: the page goes to the sign-in form, which comes back here. */
export function SessionEnded() {
  const location = useLocation();
  const target = signInAgainUrl(location);
  useEffect(() => {
    window.location.replace(target);
  }, [target]);
  return (
    <main className="page narrow" id="main">
      <title>Signed out · Silo admin</title>
      <h1>Signed out</h1>
      <p role="alert">Your session has ended, so this was not done. Sign in again to go back to this page.</p>
      <p>
        <a href={target}>Sign in again</a>
      </p>
    </main>
  );
}
