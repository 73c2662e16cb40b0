import { Meta, Outlet, Scripts, ScrollRestoration, isRouteErrorResponse, useLocation, type LinksFunction } from 'react-router';
import { useEffect, type ReactNode } from 'react';
import { DocumentLinks } from '@silo/web/document-links';
import { RequestIdNote, statusTitle } from '@silo/web/error-page';
import type { Route } from './+types/root';
import stylesheet from './app.css?url';
import { fleetMiddleware } from './lib/fleet.server';
import { signInAgainUrl } from './lib/session';

export const middleware: Route.MiddlewareFunction[] = [fleetMiddleware];

// Inline, so the browser does not ask for /favicon.ico (a 404 on every first load); the CSP allows data: images.
const FAVICON = `data:image/svg+xml,${encodeURIComponent(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#1b1f24"/><path d="M9 10h14M9 16h14M9 22h14" stroke="#fff" stroke-width="3" stroke-linecap="round"/></svg>',
)}`;

export const links: LinksFunction = () => [
  { rel: 'icon', href: FAVICON, type: 'image/svg+xml' },
  { rel: 'stylesheet', href: stylesheet },
];

export function Layout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        <Meta />
        <DocumentLinks />
      </head>
      <body>
        {children}
        <ScrollRestoration />
        <Scripts />
      </body>
    </html>
  );
}

export default function App() {
  return <Outlet />;
}

export function ErrorBoundary({ error }: Route.ErrorBoundaryProps) {
  // The session ended while the page was open (a form posted, a data request refused): sign in
  // again and come back here.
  if (isRouteErrorResponse(error) && error.status === 401) return <SessionEnded />;
  let title = 'Something went wrong';
  let detail = 'An unexpected error occurred. Check the server log.';
  if (isRouteErrorResponse(error)) {
    title = error.status === 404 ? 'Not found' : statusTitle(error.status);
    detail = typeof error.data === 'string' && error.data ? error.data : detail;
  } else if (import.meta.env.DEV && error instanceof Error) {
    detail = error.message;
  }
  return (
    <main className="page narrow" id="main">
      <title>{`${title} · Silo admin`}</title>
      <h1>{title}</h1>
      <p role="alert">{detail}</p>
      <p>
        <a href="/">Back to the instances</a>
      </p>
      <RequestIdNote />
    </main>
  );
}

/** A 401 from an action or a loader: the page goes to the sign-in form, which comes back here. */
function SessionEnded() {
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
