import { useEffect } from 'react';
import { Meta, Outlet, Scripts, ScrollRestoration, isRouteErrorResponse } from 'react-router';
import { DocumentLinks } from '@silo/web/document-links';
import { RequestIdNote, statusTitle } from '@silo/web/error-page';
import type { Route } from './+types/root';
import appCss from './app.css?url';
import { fleetMiddleware } from './fleet.server';
import { securityMiddleware } from './security.server';

export const middleware: Route.MiddlewareFunction[] = [securityMiddleware, fleetMiddleware];

// An icon of our own, so the browser does not ask for /favicon.ico (a 404 on every first load).
export const links: Route.LinksFunction = () => [
  { rel: 'icon', href: '/favicon.svg', type: 'image/svg+xml' },
  { rel: 'stylesheet', href: appCss },
];

export function Layout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
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
  useEffect(() => {
    // A marker for tests and styles: the page is interactive now.
    document.documentElement.dataset['hydrated'] = '';
  }, []);
  return <Outlet />;
}

interface ErrorPayload {
  kind?: string;
  message?: string;
}

function payloadOf(value: unknown): ErrorPayload {
  if (typeof value !== 'object' || value === null) return typeof value === 'string' ? { message: value } : {};
  const record = value as Record<string, unknown>;
  return {
    ...(typeof record['kind'] === 'string' ? { kind: record['kind'] } : {}),
    ...(typeof record['message'] === 'string' ? { message: record['message'] } : {}),
  };
}

export function ErrorBoundary({ error }: Route.ErrorBoundaryProps) {
  let title = 'Something went wrong';
  let message = 'An unexpected error happened. Try again in a moment.';
  let refresh = false;
  if (isRouteErrorResponse(error)) {
    const payload = payloadOf(error.data);
    if (error.status === 404) {
      title = 'Not found';
      message = payload.message ?? 'There is no TODO list at this address. It may have been deleted.';
    } else if (error.status === 503 && payload.kind === 'provisioning') {
      title = 'Being set up';
      message = 'This TODO list is being set up. This page reloads in a moment.';
      refresh = true;
    } else if (error.status === 507) {
      title = 'Out of storage space';
      message = payload.message ?? 'Our server is out of storage space. Please try again later.';
    } else if (error.status === 503) {
      title = 'Temporarily unavailable';
      message = payload.message ?? 'This TODO list is under maintenance. Try again in a few minutes.';
      refresh = true;
    } else {
      title = statusTitle(error.status);
      message = payload.message ?? message;
    }
  }
  return (
    <main className="page narrow" aria-labelledby="error-title">
      {refresh && <meta httpEquiv="refresh" content="3" />}
      <title>{`${title} · Silo TODOs`}</title>
      <h1 id="error-title">{title}</h1>
      <p>{message}</p>
      <p>
        <a href="/">Go to the start page</a>
      </p>
      <RequestIdNote />
    </main>
  );
}
