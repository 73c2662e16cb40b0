import { useState } from 'react';
import { Form, NavLink, Outlet, useNavigation } from 'react-router';
import type { Route } from './+types/signed-in';
import { useShortcuts } from '../components/shortcuts';
import { CommandPalette } from '../components/command-palette';
import { requireAdmin } from '../lib/auth.server';
import { currentAdmin } from '../lib/http.server';
import { CsrfField } from '../components/csrf';
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
        <Form method="post" action="/logout" className="signout">
          <span className="who">{loaderData.email}</span>
          <CsrfField />
          <button type="submit" className="link">
            Sign out
          </button>
        </Form>
      </header>
      <div className={`loading-bar${navigation.state !== 'idle' ? ' active' : ''}`} role="progressbar" aria-hidden={navigation.state === 'idle'} aria-label="Loading" />
      <main id="main" className="page">
        {loaderData.storage.length > 0 && (
          <div className="warning-box storage-banner" role="alert" aria-label="Disk space">
            {loaderData.storage.map((entry) => (
              <p key={entry.message} className={entry.level === 'full' ? 'error' : undefined}>
                {entry.message}
              </p>
            ))}
          </div>
        )}
        <Outlet />
      </main>
      <CommandPalette open={palette} onClose={() => setPalette(false)} pages={NAV} />
    </>
  );
}
