import type { TenantConnection } from '@silo/fleet';
import { hashPassword, passwordProblem, verifyPassword } from '@silo/web';
import { Link, data, redirect } from 'react-router';
import { actionForm } from '../action-form.server';
import { clearSessionCookies, clientIp, cookieIsSecure, csrfMatches, rateLimiters, requireViewer } from '../auth.server';
import { ExpiredFormNotice } from '../components/expired-form-notice';
import { Field } from '../components/field';
import { OnceForm, SubmitButton } from '@silo/web/once-form';
import { CsrfField } from '../components/tenant-data';
import { useFocusOnError } from '../focus-on-error';
import { isExpiredForm } from '../expired-form';
import { expiredForm } from '../expired-form.server';
import { forgetList } from '../remembered-lists.server';
import { changePassword, leaveList, passwordHashOf } from '../tenant-accounts.server';
import type { Route } from './+types/account';

export function meta() {
  return [{ title: 'Your account' }];
}

// After a form refused as out of date: this session's token (tenant.tsx) and what changed meanwhile.
export { reloadAfterExpiredForm as shouldRevalidate } from '../expired-form';

export function loader({ context, request }: Route.LoaderArgs) {
  const { tenant, viewer } = requireViewer(context, request);
  return { name: tenant.name, email: viewer.email, isOwner: viewer.role === 'owner' };
}

type PasswordErrors = Partial<Record<'current' | 'password' | 'form', string>>;
type ActionResult = { intent: 'password'; errors: PasswordErrors } | { intent: 'password'; done: number } | { intent: 'leave'; error: string };

export async function action({ context, request }: Route.ActionArgs) {
  const { tenant, viewer } = requireViewer(context, request);
  const form = await actionForm(context, request);
  if (!csrfMatches(form, viewer)) return expiredForm();
  switch (form.get('intent')) {
    case 'password':
      return changeOwnPassword(tenant.name, tenant.db, viewer, form, request);
    case 'leave': {
      if (!(await leaveList(tenant.db, viewer.userId))) {
        return data<ActionResult>(
          { intent: 'leave', error: 'You are the owner of this list: hand the owner role to another member first (Members), or delete the list.' },
          { status: 409 },
        );
      }
      const headers = await clearSessionCookies(request, tenant.name);
      headers.append('Set-Cookie', await forgetList(request, tenant.name, cookieIsSecure(request)));
      throw redirect(`/?left=${tenant.name}`, { headers });
    }
    default:
      throw data({ message: 'Unknown action.' }, { status: 400 });
  }
}

async function changeOwnPassword(
  name: string,
  db: TenantConnection,
  viewer: { userId: number; email: string; sessionId: string },
  form: FormData,
  request: Request,
) {
  const current = String(form.get('current') ?? '');
  const password = String(form.get('password') ?? '');
  const fail = (errors: PasswordErrors, status: number) => data<ActionResult>({ intent: 'password', errors }, { status });
  const problem = passwordProblem(password);
  if (problem) return fail({ password: problem }, 400);
  // Guessing the current password from a session left open counts like guessing at sign-in.
  const limiters = rateLimiters();
  const key = `${name}:${viewer.email.toLowerCase()}:${clientIp(request)}`;
  const budget = await limiters.signInAccount.consume(key);
  if (!budget.allowed) {
    const minutes = Math.max(1, Math.ceil(budget.retryAfterSec / 60));
    return fail({ form: `Too many attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.` }, 429);
  }
  const previousHash = await passwordHashOf(db, viewer.userId);
  if (!previousHash || !(await verifyPassword(previousHash, current))) return fail({ current: 'That is not your current password.' }, 400);
  await limiters.signInAccount.reset(key);
  if (!(await changePassword(db, viewer.userId, viewer.sessionId, previousHash, await hashPassword(password)))) {
    return fail({ form: 'Your password was changed elsewhere meanwhile. Reload the page and try again.' }, 409);
  }
  return { intent: 'password', done: Date.now() } satisfies ActionResult;
}

export default function Account({ loaderData, actionData }: Route.ComponentProps) {
  const { name, email, isOwner } = loaderData;
  const result: ActionResult | undefined = isExpiredForm(actionData) ? undefined : actionData;
  const errors: PasswordErrors = result?.intent === 'password' && 'errors' in result ? result.errors : {};
  const done = result?.intent === 'password' && 'done' in result ? result.done : undefined;
  useFocusOnError(errors.current ? 'field-current' : errors.password ? 'field-password' : undefined, result);
  return (
    <main className="page narrow settings">
      <h1>Your account</h1>
      <ExpiredFormNotice answer={actionData} />
      <p>
        Signed in to this list as <strong>{email}</strong>. Your account belongs to this list only: other lists have accounts of
        their own.
      </p>

      <section className="card" aria-labelledby="password-title">
        <h2 id="password-title">Change your password</h2>
        {/* A new key after a change empties the fields, with or without JavaScript. */}
        <OnceForm method="post" key={done ?? 'password'}>
          <CsrfField />
          <input type="hidden" name="intent" value="password" />
          {errors.form && (
            <p className="form-error" role="alert">
              {errors.form}
            </p>
          )}
          <Field
            label="Current password"
            name="current"
            type="password"
            autoComplete="current-password"
            required
            error={errors.current}
            autoFocus={Boolean(errors.current)}
          />
          <Field
            label="New password"
            name="password"
            type="password"
            autoComplete="new-password"
            hint="At least 10 characters. Every other browser signed in to your account here is signed out."
            required
            error={errors.password}
            autoFocus={Boolean(errors.password) && !errors.current}
          />
          <SubmitButton className="primary">Change password</SubmitButton>
          {done !== undefined && (
            <p className="notice" role="status">
              Your password was changed. Every other session of yours was signed out.
            </p>
          )}
        </OnceForm>
      </section>

      <section className="card danger" aria-labelledby="leave-title">
        <h2 id="leave-title">Leave this list</h2>
        {isOwner ? (
          <p>
            You are the owner of this list. To leave it, first <Link to={`/t/${name}/members`}>hand the owner role to another member</Link>
            , or delete the list in <Link to={`/t/${name}/settings`}>Settings</Link>.
          </p>
        ) : (
          <>
            <p>Your account here is deleted and you are signed out. To come back, you need a new invite link.</p>
            <OnceForm method="post">
              <CsrfField />
              <input type="hidden" name="intent" value="leave" />
              {result?.intent === 'leave' && (
                <p className="form-error" role="alert">
                  {result.error}
                </p>
              )}
              <SubmitButton className="danger">Leave this list</SubmitButton>
            </OnceForm>
          </>
        )}
      </section>
    </main>
  );
}
