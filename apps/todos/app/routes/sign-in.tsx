import { hashPassword, verifyPassword } from '@silo/web';
import { useEffect } from 'react';
import { data, redirect } from 'react-router';
import { actionForm } from '../action-form.server';
import { clientIp, createSession, getTenant, rateLimiters, safeNext } from '../auth.server';
import { STORAGE_FULL_SIGN_IN, rethrowStorageFull } from '../storage.server';
import { Field } from '../components/field';
import { OnceForm, SubmitButton } from '@silo/web/once-form';
import { useFocusOnError } from '../focus-on-error';
import { EMAIL_MAX_LENGTH } from '../forms';
import { viewerContext } from '../context.server';
import { markSessionEnded } from './list/unsent-adds';
import type { Route } from './+types/sign-in';

export function meta({ loaderData }: Route.MetaArgs) {
  return [{ title: `Sign in · ${loaderData?.displayName ?? 'todos'}` }];
}

export function loader({ context, request }: Route.LoaderArgs) {
  const tenant = getTenant(context);
  const next = safeNext(tenant.name, new URL(request.url).searchParams.get('next'));
  if (context.get(viewerContext)) throw redirect(next);
  return { next, list: tenant.name, displayName: tenant.instance.displayName, ended: new URL(request.url).searchParams.has('ended') };
}

/** Compared against when the email is unknown, so both cases take as long. */
let dummyHash: Promise<string> | undefined;

export async function action({ context, request }: Route.ActionArgs) {
  const tenant = getTenant(context);
  const form = await actionForm(context, request);
  const email = String(form.get('email') ?? '').trim();
  const password = String(form.get('password') ?? '');
  const next = safeNext(tenant.name, form.get('next'));
  const limiters = rateLimiters();
  const ip = clientIp(request);
  // Keyed by account and address: failures from elsewhere never lock the owner out.
  const accountKey = `${tenant.name}:${email.toLowerCase()}:${ip}`;
  // Every attempt is counted before the password is checked (parallel guesses cannot slip past
  // the limit); a success gives its attempt back, so only failures add up. An address over its
  // limit is answered before its attempt names an account, so it adds no account to count.
  const byIp = await limiters.signInIp.consume(ip);
  const tooLong = email.length > EMAIL_MAX_LENGTH;
  if (byIp.allowed && tooLong) return data({ error: 'That email and password do not match an account of this list.', email: '' }, { status: 400 });
  const byAccount = byIp.allowed ? await limiters.signInAccount.consume(accountKey) : byIp;
  if (!byAccount.allowed) {
    const minutes = Math.max(1, Math.ceil(byAccount.retryAfterSec / 60));
    return data({ error: `Too many sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`, email: tooLong ? '' : email }, { status: 429 });
  }
  const { rows } = await tenant.db.execute('SELECT id, password_hash FROM users WHERE email = ?', [email]);
  const user = rows[0];
  dummyHash ??= hashPassword('not-a-real-password-for-timing');
  const ok = await verifyPassword(user ? String(user['password_hash']) : await dummyHash, password);
  if (!user || !ok) return data({ error: 'That email and password do not match an account of this list.', email }, { status: 400 });
  await Promise.all([limiters.signInAccount.reset(accountKey), limiters.signInIp.refund(ip)]);
  // Signing in writes a session row into the list's database: a full disk is a 507 page.
  const cookie = await createSession(request, tenant.name, tenant.db, Number(user['id'])).catch((error: unknown) => rethrowStorageFull(error, STORAGE_FULL_SIGN_IN));
  throw redirect(next, { headers: cookie });
}

export default function SignIn({ loaderData, actionData }: Route.ComponentProps) {
  const { ended, list } = loaderData;
  // A refused attempt: the password is what to type again, not the button the focus stayed on.
  useFocusOnError(actionData?.error ? 'field-password' : undefined, actionData);
  // A todo sent as the session ended is offered again once back on the list (unsent-adds.ts).
  useEffect(() => {
    if (ended) markSessionEnded(list);
  }, [ended, list]);
  return (
    <main className="page narrow">
      <section className="card" aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Sign in to {loaderData.displayName}</h1>
        <OnceForm method="post">
          <input type="hidden" name="next" value={loaderData.next} />
          {loaderData.ended && !actionData && (
            <p className="notice" role="status">
              Your session here has ended: you signed out elsewhere, your password was changed or reset, or you were removed
              from this list. Sign in again to go on where you were.
            </p>
          )}
          {actionData?.error && (
            <p className="form-error" role="alert">
              {actionData.error}
            </p>
          )}
          <Field label="Email" name="email" type="email" autoComplete="email" defaultValue={actionData?.email} required autoFocus={!actionData?.error} />
          <Field label="Password" name="password" type="password" autoComplete="current-password" required autoFocus={Boolean(actionData?.error)} />
          <SubmitButton className="primary">Sign in</SubmitButton>
        </OnceForm>
        <p className="muted">No account? Ask the owner of this list for an invite link.</p>
      </section>
    </main>
  );
}
