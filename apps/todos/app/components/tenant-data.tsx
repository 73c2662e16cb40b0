import { useRouteLoaderData } from 'react-router';
import { CSRF_FIELD } from '../forms';
import type { loader } from '../routes/tenant';

export type TenantData = Awaited<ReturnType<typeof loader>>;

/** The tenant layout's data (name, viewer, CSRF token) for the routes below it. */
export function useTenant(): TenantData {
  const tenant = useRouteLoaderData<typeof loader>('tenant');
  if (!tenant) throw new Error('useTenant() is only available below the tenant route.');
  return tenant;
}

/** The hidden CSRF field every signed-in form carries. */
export function CsrfField() {
  const { csrf } = useTenant();
  return <input type="hidden" name={CSRF_FIELD} value={csrf} />;
}
