import { useState, type ReactNode } from 'react';
import { NavLink, Outlet, useNavigation, useRouteLoaderData } from 'react-router';
import type { Route } from './+types/signed-in';
import { useShortcuts } from '../components/shortcuts';
import { CommandPalette } from '../components/command-palette';
import { requireAdmin } from '../lib/auth.server';
import { currentAdmin } from '../lib/http.server';
import { CsrfField } from '../components/csrf';
import { ErrorView, SessionEnded, isSessionEnded } from '../components/error-view';
import { OnceForm, SubmitButton } from '@silo/web/once-form';
import { fleetContext } from '../lib/fleet.server';

export const middleware: Route.MiddlewareFunction[] = [requireAdmin];

export function loader({ context }: Route.LoaderArgs) {
  const admin = currentAdmin(context);
  // Nearly full or full disks (data folder, regions, backup folders): a statfs each, every page.
  const storage = context.get(fleetContext).storage().flatMap((check) => (check.message ? [{ level: check.level, message: check.message }] : []));
  return { email: admin.email, csrf: admin.csrf, storage };
}

const NAV = [
  { to: '/overview', label: 'Overview', end: false },
  { to: '/', label: 'Instances', end: true },
  { to: '/query', label: 'Fleet query', end: false },
  { to: '/migrations', label: 'Migrations', end: false },
  { to: '/backups', label: 'Backups', end: false },
  { to: '/residency', label: 'Residency', end: false },
  { to: '/audit', label: 'Audit log', end: false },
  { to: '/tokens', label: 'API tokens', end: false },
];

export default function SignedIn({ loaderData }: Route.ComponentProps) {
  return (
    <Shell data={loaderData}>
      <Outlet />
    </Shell>
  );
}

/**
 * An error of a page below this layout (an unknown address or instance, a refused form) is
 * shown inside the header and navigation, as the page would have been: the way on is one
 * click away. A session that ended leaves for sign-in, as from the root's boundary; without
 * this layout's data (its own loader failed) the error is a page of its own, as the root's.
 */
export function ErrorBoundary({ error }: Route.ErrorBoundaryProps) {
  const shell = useRouteLoaderData<typeof loader>('routes/signed-in');
  if (isSessionEnded(error)) return <SessionEnded />;
  if (!shell) {
    return (
      <main className="page narrow" id="main">
        <ErrorView error={error} />
      </main>
    );
  }
  return (
    <Shell data={shell}>
      <ErrorView error={error} />
    </Shell>
  );
}

/** The skip link, top bar (navigation, command palette, sign-out), loading bar and disk warnings around a page. */
function Shell({ data, children }: { data: Route.ComponentProps['loaderData']; children: ReactNode }) {
  const navigation = useNavigation();
  const [palette, setPalette] = useState(false);
  useShortcuts({ openPalette: () => setPalette(true) });
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <a className="brand" href="/">
          Silo <span>admin</span>
        </a>
        <nav aria-label="Main">
          <ul>
            {NAV.map((item) => (
              <li key={item.to}>
                <NavLink to={item.to} end={item.end}>
                  {item.label}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <button type="button" className="palette-open" aria-keyshortcuts="Control+K Meta+K" onClick={() => setPalette(true)}>
          Go to… <kbd>Ctrl K</kbd>
        </button>
        <OnceForm method="post" action="/logout" className="signout">
          <span className="who">{data.email}</span>
          <CsrfField />
          <SubmitButton className="link">Sign out</SubmitButton>
        </OnceForm>
      </header>
      <div className={`loading-bar${navigation.state !== 'idle' ? ' active' : ''}`} role="progressbar" aria-hidden={navigation.state === 'idle'} aria-label="Loading" />
      <main id="main" className="page">
        {data.storage.length > 0 && (
          <div className="warning-box storage-banner" role="alert" aria-label="Disk space">
            {data.storage.map((entry) => (
              <p key={entry.message} className={entry.level === 'full' ? 'error' : undefined}>
                {entry.message}
              </p>
            ))}
          </div>
        )}
        {children}
      </main>
      <CommandPalette open={palette} onClose={() => setPalette(false)} pages={NAV} />
    </>
  );
}
