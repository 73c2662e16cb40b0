import { Link, NavLink, Outlet } from 'react-router';
import { currentInstance, getTenant } from '../auth.server';
import { OnceForm, SubmitButton } from '@silo/web/once-form';
import { CSRF_FIELD } from '../forms';
import { viewerContext } from '../context.server';
import { tenantMiddleware, viewerMiddleware } from '../tenant.server';
import type { Route } from './+types/tenant';

export const middleware: Route.MiddlewareFunction[] = [tenantMiddleware, viewerMiddleware];

// It loads the CSRF token: after a form refused as out of date, the page gets this session's.
export { reloadAfterExpiredForm as shouldRevalidate } from '../expired-form';

export function loader({ context, request }: Route.LoaderArgs) {
  const tenant = getTenant(context);
  const viewer = context.get(viewerContext);
  return {
    name: tenant.name,
    displayName: currentInstance(tenant, request).displayName,
    viewer: viewer ? { email: viewer.email, role: viewer.role } : null,
    csrf: viewer?.csrf ?? '',
  };
}

export default function TenantLayout({ loaderData }: Route.ComponentProps) {
  const { name, displayName, viewer, csrf } = loaderData;
  return (
    <>
      <header className="topbar">
        <Link to={`/t/${name}`} className="brand">
          {displayName}
        </Link>
        {viewer && (
          <nav aria-label="Account">
            <NavLink to={`/t/${name}/settings`}>Settings</NavLink>
            <span className="who" title="Signed in as">
              {viewer.email}
            </span>
            <OnceForm method="post" action={`/t/${name}/sign-out`} className="inline">
              <input type="hidden" name={CSRF_FIELD} value={csrf} />
              <SubmitButton className="link-button">Sign out</SubmitButton>
            </OnceForm>
          </nav>
        )}
      </header>
      <Outlet />
    </>
  );
}
