import { useEffect, useRef } from 'react';
import { data, redirect } from 'react-router';
import { assertSameOrigin, clientAddressOf } from '@silo/web';
import type { Route } from './+types/login';
import { OnceForm, SubmitButton, usePosting } from '@silo/web/once-form';
import { readSession, safeNext, signIn } from '../lib/auth.server';
import { fleetContext } from '../lib/fleet.server';
import { field, smallForm } from '../lib/http.server';

export const meta: Route.MetaFunction = () => [{ title: 'Sign in · Silo admin' }];

/** A refused sign-in's Retry-After reaches the browser (a document response takes only the headers named here). */
export const headers: Route.HeadersFunction = ({ actionHeaders }) => {
  const retryAfter = actionHeaders.get('Retry-After');
  return retryAfter ? { 'Retry-After': retryAfter } : new Headers();
};

export async function loader({ request, context }: Route.LoaderArgs) {
  const search = new URL(request.url).searchParams;
  const next = safeNext(search.get('next'));
  if (await readSession(context.get(fleetContext), request)) throw redirect(next);
  // Sent here by a page whose session ended mid-action (lib/session.ts).
  return { next, expired: search.get('expired') === '1' };
}

export async function action({ request, context }: Route.ActionArgs) {
  // No session yet, so no CSRF token: the Origin check stops cross-site sign-in forms.
  assertSameOrigin(request);
  const form = await smallForm(request);
  const email = field(form, 'email');
  const password = typeof form.get('password') === 'string' ? (form.get('password') as string) : '';
  const next = safeNext(field(form, 'next'));
  if (!email || !password) return data({ error: 'Enter your email and password.', email }, { status: 400 });
  // Set by the request listener from the socket or trusted proxies (SILO_TRUST_PROXY).
  const result = await signIn(context.get(fleetContext), email, password, clientAddressOf(request));
  if (!result.ok) {
    const headers: HeadersInit = result.retryAfterSec ? { 'Retry-After': String(result.retryAfterSec) } : {};
    return data({ error: result.error, email }, { status: result.status, headers });
  }
  return redirect(next, { headers: { 'Set-Cookie': result.setCookie } });
}

export default function Login({ loaderData, actionData }: Route.ComponentProps) {
  const busy = usePosting();
  // A refused attempt: the password is what to type again, not the button the focus stayed on.
  const password = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (actionData?.error) password.current?.focus();
  }, [actionData]);
  return (
    <main id="main" className="page narrow login">
      <h1>
        Silo <span>admin</span>
      </h1>
      {loaderData.expired && !actionData?.error ? (
        <p className="notice" role="status">
          Your session has ended. Sign in again to go back to {loaderData.next === '/' ? 'the instances' : <code>{loaderData.next}</code>}.
        </p>
      ) : null}
      <OnceForm method="post" className="card stack" aria-describedby={actionData?.error ? 'login-error' : undefined}>
        <input type="hidden" name="next" value={loaderData.next} />
        <label>
          Email
          <input name="email" type="email" autoComplete="username" required defaultValue={actionData?.email ?? ''} autoFocus={!actionData?.error} />
        </label>
        <label>
          Password
          <input ref={password} name="password" type="password" autoComplete="current-password" required autoFocus={Boolean(actionData?.error)} />
        </label>
        {actionData?.error ? (
          <p id="login-error" className="error" role="alert">
            {actionData.error}
          </p>
        ) : null}
        <SubmitButton className="primary">{busy ? 'Signing in…' : 'Sign in'}</SubmitButton>
      </OnceForm>
    </main>
  );
}
