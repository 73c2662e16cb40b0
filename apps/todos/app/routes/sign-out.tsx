import { readForm } from '@silo/web';
import { redirect } from 'react-router';
import { destroySession, getTenant, requireCsrf } from '../auth.server';
import { MAX_FORM_BYTES } from '../config.server';
import { viewerContext } from '../context.server';
import type { Route } from './+types/sign-out';

export function loader({ context }: Route.LoaderArgs) {
  // Signing out changes state: only by POST.
  throw redirect(`/t/${getTenant(context).name}`);
}

export async function action({ context, request }: Route.ActionArgs) {
  const tenant = getTenant(context);
  const viewer = context.get(viewerContext);
  if (viewer) requireCsrf(await readForm(request, MAX_FORM_BYTES), viewer);
  const cookie = await destroySession(request, tenant.name, tenant.db, viewer);
  throw redirect(`/t/${tenant.name}/sign-in`, { headers: cookie });
}
