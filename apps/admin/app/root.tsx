import { Links, Meta, Outlet, Scripts, ScrollRestoration, isRouteErrorResponse, type LinksFunction } from 'react-router';
import type { ReactNode } from 'react';
import type { Route } from './+types/root';
import stylesheet from './app.css?url';
import { fleetMiddleware } from './lib/fleet.server';

export const middleware: Route.MiddlewareFunction[] = [fleetMiddleware];

export const links: LinksFunction = () => [{ rel: 'stylesheet', href: stylesheet }];

export function Layout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        <Meta />
        <Links />
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
  let title = 'Something went wrong';
  let detail = 'An unexpected error occurred. Check the server log.';
  if (isRouteErrorResponse(error)) {
    title = error.status === 404 ? 'Not found' : `${error.status} ${error.statusText}`;
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
    </main>
  );
}
