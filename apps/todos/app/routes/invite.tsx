import { hashPassword, hashToken, passwordProblem, readForm } from '@silo/web';
import { Form, data, redirect } from 'react-router';
import { z } from 'zod';
import { createSession, getTenant } from '../auth.server';
import { Field } from '../components/field';
import { MAX_FORM_BYTES } from '../config.server';
import type { Tenant } from '../context.server';
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

export async function loader({ context, params }: Route.LoaderArgs) {
  const tenant = getTenant(context);
  if (!(await validInvite(tenant, params.token))) throw invalidInvite();
  return { displayName: tenant.instance.displayName };
}

type Errors = Partial<Record<'email' | 'password' | 'form', string>>;

export async function action({ context, params, request }: Route.ActionArgs) {
  const tenant = getTenant(context);
  const form = await readForm(request, MAX_FORM_BYTES);
  const email = String(form.get('email') ?? '').trim();
  const password = String(form.get('password') ?? '');
  const errors: Errors = {};
  if (!z.email().safeParse(email).success) errors.email = 'Enter a valid email address.';
  const problem = passwordProblem(password);
  if (problem) errors.password = problem;
  if (Object.keys(errors).length > 0) return data({ errors, email }, { status: 400 });

  const tokenHash = hashToken(params.token);
  const passwordHash = await hashPassword(password);
  const now = Date.now();
  const existing = await tenant.db.execute('SELECT 1 FROM users WHERE email = ?', [email]);
  if (existing.rows.length > 0) {
    return data({ errors: { email: 'There is already an account with this email. Sign in instead.' } satisfies Errors, email }, { status: 409 });
  }
  // One transaction: the member is created only if the invite is still open, and uses it up.
  const [inserted] = await tenant.db.batch([
    {
      sql: `INSERT INTO users (email, password_hash, role, created_at)
            SELECT ?, ?, 'member', ? WHERE EXISTS
              (SELECT 1 FROM invites WHERE token_hash = ? AND accepted_at IS NULL AND expires_at > ?)`,
      args: [email, passwordHash, now, tokenHash, now],
    },
    { sql: 'UPDATE invites SET accepted_at = ? WHERE token_hash = ? AND accepted_at IS NULL AND expires_at > ?', args: [now, tokenHash, now] },
  ]);
  if (!inserted || inserted.rowsAffected !== 1) throw invalidInvite();
  const cookie = await createSession(request, tenant.name, tenant.db, Number(inserted.lastInsertRowid));
  throw redirect(`/t/${tenant.name}`, { headers: cookie });
}

export default function Invite({ loaderData, actionData }: Route.ComponentProps) {
  const errors: Errors = actionData?.errors ?? {};
  return (
    <main className="page narrow">
      <section className="card" aria-labelledby="invite-title">
        <h1 id="invite-title">Join {loaderData.displayName}</h1>
        <p>You were invited to this TODO list. Choose the email and password you will sign in with.</p>
        <Form method="post">
          <Field label="Email" name="email" type="email" autoComplete="email" error={errors.email} defaultValue={actionData?.email} required />
          <Field label="Password" name="password" type="password" autoComplete="new-password" hint="At least 10 characters." error={errors.password} required />
          <button type="submit" className="primary">
            Join the list
          </button>
        </Form>
      </section>
    </main>
  );
}
