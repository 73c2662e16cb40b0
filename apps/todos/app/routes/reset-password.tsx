import { hashPassword, passwordProblem } from '@silo/web';
import { data, redirect } from 'react-router';
import { actionForm } from '../action-form.server';
import { clientIp, countLinkLookup, createSession, currentInstance, getTenant, rateLimiters } from '../auth.server';
import { Field } from '../components/field';
import { OnceForm, SubmitButton } from '@silo/web/once-form';
import { useFocusOnError } from '../focus-on-error';
import { viewerContext, type Tenant } from '../context.server';
import { findReset, recentReset, redeemReset } from '../tenant-accounts.server';
import type { Route } from './+types/reset-password';

export function meta({ loaderData }: Route.MetaArgs) {
  return [{ title: `Choose a new password · ${loaderData?.displayName ?? 'todos'}` }];
}

function invalidLink() {
  return data({ message: 'This password-reset link is not valid: it may have expired or been used already. Ask the owner of the list for a new one.' }, { status: 404 });
}

export async function loader({ context, params, request }: Route.LoaderArgs) {
  const tenant = getTenant(context);
  // Probing for tokens counts against the invite budget (the same kind of link), and is refused past it.
  const refund = await countLinkLookup(request);
  const reset = await findReset(tenant.db, params.token);
  if (!reset) throw invalidLink();
  await refund();
  // Someone else signed in to this list here (the owner opening the link they made): setting
  // the password signs this browser in as the member instead, which the page says first.
  const viewer = context.get(viewerContext);
  const signedInAs = viewer && viewer.userId !== reset.userId ? viewer.email : null;
  return { displayName: currentInstance(tenant, request).displayName, email: reset.email, signedInAs };
}

type Errors = Partial<Record<'password' | 'form', string>>;

export async function action({ context, params, request }: Route.ActionArgs) {
  const tenant = getTenant(context);
  const form = await actionForm(context, request);
  const limit = await rateLimiters().invite.consume(clientIp(request));
  if (!limit.allowed) {
    const minutes = Math.max(1, Math.ceil(limit.retryAfterSec / 60));
    return data({ errors: { form: `Too many attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.` } satisfies Errors }, { status: 429 });
  }
  const password = String(form.get('password') ?? '');
  // The link first: without an open one no password is hashed. A link used minutes ago with
  // this very password (a double submit, or a retry after the answer with the session cookie
  // was lost) signs the member in instead of calling the link invalid.
  if (!(await findReset(tenant.db, params.token))) return signInAgain(request, tenant, params.token, password);
  const problem = passwordProblem(password);
  if (problem) return data({ errors: { password: problem } satisfies Errors }, { status: 400 });
  const userId = await redeemReset(tenant.db, params.token, await hashPassword(password));
  // A second submit of the form (or a race with another tab) finds the link used.
  if (userId === null) return signInAgain(request, tenant, params.token, password);
  const cookie = await createSession(request, tenant.name, tenant.db, userId);
  throw redirect(`/t/${tenant.name}`, { headers: cookie });
}

async function signInAgain(request: Request, tenant: Tenant, token: string, password: string): Promise<never> {
  const userId = password ? await recentReset(tenant.db, token, password) : null;
  if (userId === null) throw invalidLink();
  throw redirect(`/t/${tenant.name}`, { headers: await createSession(request, tenant.name, tenant.db, userId) });
}

export default function ResetPassword({ loaderData, actionData }: Route.ComponentProps) {
  const errors: Errors = actionData?.errors ?? {};
  useFocusOnError('field-password', errors.password);
  return (
    <main className="page narrow">
      <section className="card" aria-labelledby="reset-title">
        <h1 id="reset-title">Choose a new password</h1>
        <p>
          For <strong>{loaderData.email}</strong> in {loaderData.displayName}. Every browser signed in to this account is signed out;
          this one is signed in with the new password.
        </p>
        {loaderData.signedInAs && (
          <p className="notice" role="status">
            This browser is signed in to this list as <strong>{loaderData.signedInAs}</strong>. Setting this password signs it in as{' '}
            <strong>{loaderData.email}</strong> instead.
          </p>
        )}
        <OnceForm method="post">
          {errors.form && (
            <p className="form-error" role="alert">
              {errors.form}
            </p>
          )}
          {/* For password managers: the account the new password belongs to. */}
          <input type="hidden" name="username" autoComplete="username" value={loaderData.email} />
          <Field
            label="New password"
            name="password"
            type="password"
            autoComplete="new-password"
            hint="At least 10 characters."
            error={errors.password}
            required
            autoFocus
          />
          <SubmitButton className="primary">Set the new password</SubmitButton>
        </OnceForm>
      </section>
    </main>
  );
}
