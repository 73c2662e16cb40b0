import { Meta, Outlet, Scripts, ScrollRestoration, type LinksFunction } from 'react-router';
import type { ReactNode } from 'react';
import { DocumentLinks } from '@silo/web/document-links';
import type { Route } from './+types/root';
import stylesheet from './app.css?url';
import { fleetMiddleware } from './lib/fleet.server';
import { ErrorView, SessionEnded, isSessionEnded } from './components/error-view';

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
  if (isSessionEnded(error)) return <SessionEnded />;
  return (
    <main className="page narrow" id="main">
      <ErrorView error={error} />
    </main>
  );
}
