import { redirect } from 'react-router';
import { actionForm } from '../action-form.server';
import { csrfMatches, destroySession, getTenant } from '../auth.server';
import { ExpiredFormNotice } from '../components/expired-form-notice';
import { OnceForm, SubmitButton } from '@silo/web/once-form';
import { CsrfField } from '../components/tenant-data';
import { viewerContext } from '../context.server';
import { expiredForm } from '../expired-form.server';
import type { Route } from './+types/sign-out';

export function meta() {
  return [{ title: 'Sign out' }];
}

// After a form refused as out of date: this session's token (tenant.tsx).
export { reloadAfterExpiredForm as shouldRevalidate } from '../expired-form';

/**
 * Signing out changes state, so only a POST does it; the page itself asks to confirm. It is
 * where a sign-out sent from an out-of-date page lands (a token of an earlier session of this
 * browser): the user is still signed in, and is told so rather than shown an error.
 */
export function loader({ context }: Route.LoaderArgs) {
  const tenant = getTenant(context);
  const viewer = context.get(viewerContext);
  if (!viewer) throw redirect(`/t/${tenant.name}/sign-in`);
  return { email: viewer.email };
}

export async function action({ context, request }: Route.ActionArgs) {
  const tenant = getTenant(context);
  const viewer = context.get(viewerContext);
  if (viewer && !csrfMatches(await actionForm(context, request), viewer)) return expiredForm();
  const cookie = await destroySession(request, tenant.name, tenant.db, viewer);
  throw redirect(`/t/${tenant.name}/sign-in`, { headers: cookie });
}

export default function SignOut({ loaderData, actionData }: Route.ComponentProps) {
  return (
    <main className="page narrow">
      <h1>Sign out</h1>
      <ExpiredFormNotice answer={actionData} />
      <p>
        You are signed in to this list as <strong>{loaderData.email}</strong>.
      </p>
      <OnceForm method="post">
        <CsrfField />
        <SubmitButton className="primary">Sign out</SubmitButton>
      </OnceForm>
    </main>
  );
}
