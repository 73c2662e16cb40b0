import { hashPassword, hashToken, passwordProblem } from '@silo/web';
import { data, redirect } from 'react-router';
import { z } from 'zod';
import { actionForm } from '../action-form.server';
import { clientIp, countLinkLookup, createSession, getTenant, rateLimiters } from '../auth.server';
import { Field } from '../components/field';
import { OnceForm, SubmitButton } from '@silo/web/once-form';
import { appConfig } from '../config.server';
import { EMAIL_MAX_LENGTH } from '../forms';
import { viewerContext, type Tenant } from '../context.server';
import { recentJoin } from '../tenant-accounts.server';
import type { Route } from './+types/invite';

export function meta({ loaderData }: Route.MetaArgs) {
  return [{ title: `Join ${loaderData?.displayName ?? 'a TODO list'}` }];
}

async function validInvite(tenant: Tenant, token: string): Promise<boolean> {
  const { rows } = await tenant.db.execute('SELECT 1 FROM invites WHERE token_hash = ? AND accepted_at IS NULL AND expires_at > ?', [
    hashToken(token),
    Date.now(),
  ]);
  return rows.length > 0;
}

function invalidInvite() {
  return data({ message: 'This invite link is not valid: it may have expired or been used already. Ask for a new one.' }, { status: 404 });
}

export async function loader({ context, params, request }: Route.LoaderArgs) {
  const tenant = getTenant(context);
  // Probing for tokens counts against the same budget as the form, and is refused past it.
  const refund = await countLinkLookup(request);
  if (!(await validInvite(tenant, params.token))) throw invalidInvite();
  await refund();
  // Someone signed in to this list (the owner trying the link they made): joining makes another
  // account and signs this browser in with it, which the page says before it happens.
  return { displayName: tenant.instance.displayName, signedInAs: context.get(viewerContext)?.email ?? null };
}

type Errors = Partial<Record<'email' | 'password' | 'form', string>>;

export async function action({ context, params, request }: Route.ActionArgs) {
  const tenant = getTenant(context);
  const form = await actionForm(context, request);
  const email = String(form.get('email') ?? '').trim();
  const limit = await rateLimiters().invite.consume(clientIp(request));
  if (!limit.allowed) {
    const minutes = Math.max(1, Math.ceil(limit.retryAfterSec / 60));
    return data({ errors: { form: `Too many attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.` } satisfies Errors, email }, { status: 429 });
  }
  const password = String(form.get('password') ?? '');
  // The token first: without a valid invite nothing else is looked at (no account lookup, no
  // password hashing), so the answer cannot tell whether an email has an account here. A link
  // used minutes ago by this very form (a double submit, or a retry after the answer with the
  // session cookie was lost) signs its new member in instead.
  if (!(await validInvite(tenant, params.token))) return signInAgain(request, tenant, params.token, email, password);
  const errors: Errors = {};
  if (!z.email().max(EMAIL_MAX_LENGTH).safeParse(email).success) errors.email = 'Enter a valid email address.';
  const problem = passwordProblem(password);
  if (problem) errors.password = problem;
  if (Object.keys(errors).length > 0) return data({ errors, email }, { status: 400 });

  const existing = await tenant.db.execute('SELECT 1 FROM users WHERE email = ?', [email]);
  if (existing.rows.length > 0) return emailTaken(request, tenant, params.token, email, password);
  const maxMembers = appConfig().maxMembers;
  if (await listIsFull(tenant, maxMembers)) return data({ errors: { form: membersFullMessage(maxMembers) } satisfies Errors, email }, { status: 409 });
  const tokenHash = hashToken(params.token);
  const passwordHash = await hashPassword(password);
  const now = Date.now();
  // One transaction: the member is created only if the invite is still open, the list has room
  // and the email is still free (two links used at once with one email: the second makes
  // nothing), and uses the invite up.
  const [inserted] = await tenant.db.batch([
    {
      sql: `INSERT INTO users (email, password_hash, role, created_at)
            SELECT ?, ?, 'member', ? WHERE EXISTS
              (SELECT 1 FROM invites WHERE token_hash = ? AND accepted_at IS NULL AND expires_at > ?)
              AND (SELECT count(*) FROM users) < ?
              AND NOT EXISTS (SELECT 1 FROM users WHERE email = ?)`,
      args: [email, passwordHash, now, tokenHash, now, maxMembers, email],
    },
    {
      sql: `UPDATE invites SET accepted_at = ? WHERE token_hash = ? AND accepted_at IS NULL AND expires_at > ?
              AND changes() = 1`,
      args: [now, tokenHash, now],
    },
  ]);
  if (!inserted || inserted.rowsAffected !== 1) {
    if (await listIsFull(tenant, maxMembers)) return data({ errors: { form: membersFullMessage(maxMembers) } satisfies Errors, email }, { status: 409 });
    if ((await tenant.db.execute('SELECT 1 FROM users WHERE email = ?', [email])).rows.length > 0) return emailTaken(request, tenant, params.token, email, password);
    return signInAgain(request, tenant, params.token, email, password);
  }
  const cookie = await createSession(request, tenant.name, tenant.db, Number(inserted.lastInsertRowid));
  throw redirect(`/t/${tenant.name}`, { headers: cookie });
}

/** A used invite: the member it created with this email and password is signed in, or 404. */
async function signInAgain(request: Request, tenant: Tenant, token: string, email: string, password: string): Promise<never> {
  const userId = email && password ? await recentJoin(tenant.db, token, email, password) : null;
  if (userId === null) throw invalidInvite();
  throw redirect(`/t/${tenant.name}`, { headers: await createSession(request, tenant.name, tenant.db, userId) });
}

/**
 * The email has an account: made a moment ago by this link with this password (the same form
 * sent twice at once), which signs in, or someone else's, which the form says.
 */
async function emailTaken(request: Request, tenant: Tenant, token: string, email: string, password: string) {
  const again = await recentJoin(tenant.db, token, email, password);
  if (again !== null) throw redirect(`/t/${tenant.name}`, { headers: await createSession(request, tenant.name, tenant.db, again) });
  return data({ errors: { email: 'There is already an account with this email. Sign in instead.' } satisfies Errors, email }, { status: 409 });
}

async function listIsFull(tenant: Tenant, maxMembers: number): Promise<boolean> {
  const { rows } = await tenant.db.execute('SELECT count(*) AS n FROM users');
  return Number(rows[0]?.['n'] ?? 0) >= maxMembers;
}

function membersFullMessage(maxMembers: number): string {
  return `This list already has ${maxMembers.toLocaleString('en')} members, its limit. Ask the owner to make room.`;
}

export default function Invite({ loaderData, actionData }: Route.ComponentProps) {
  const errors: Errors = actionData?.errors ?? {};
  return (
    <main className="page narrow">
      <section className="card" aria-labelledby="invite-title">
        <h1 id="invite-title">Join {loaderData.displayName}</h1>
        <p>You were invited to this TODO list. Choose the email and password you will sign in with.</p>
        {loaderData.signedInAs && (
          <p className="notice" role="status">
            This browser is signed in to this list as <strong>{loaderData.signedInAs}</strong>. Joining makes a new account and
            signs this browser in with it instead.
          </p>
        )}
        <OnceForm method="post">
          {errors.form && (
            <p className="form-error" role="alert">
              {errors.form}
            </p>
          )}
          <Field label="Email" name="email" type="email" autoComplete="email" error={errors.email} defaultValue={actionData?.email} required />
          <Field label="Password" name="password" type="password" autoComplete="new-password" hint="At least 10 characters." error={errors.password} required />
          <SubmitButton className="primary">Join the list</SubmitButton>
        </OnceForm>
      </section>
    </main>
  );
}
