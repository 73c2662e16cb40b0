import type { TenantConnection } from '@silo/fleet';
import { Link, data, redirect } from 'react-router';
import { actionForm } from '../action-form.server';
import { csrfMatches, currentInstance, requireOwner } from '../auth.server';
import { ExpiredFormNotice } from '../components/expired-form-notice';
import { OnceForm, SubmitButton } from '@silo/web/once-form';
import { CsrfField } from '../components/tenant-data';
import { appConfig } from '../config.server';
import { isExpiredForm } from '../expired-form';
import { expiredForm } from '../expired-form.server';
import { createInvite, issueReset, listMembers, listOpenInvites, removeMember, revokeInvite, transferOwnership } from '../tenant-accounts.server';
import type { Route } from './+types/members';

export function meta({ loaderData }: Route.MetaArgs) {
  return [{ title: `Members · ${loaderData?.displayName ?? 'todos'}` }];
}

// After a form refused as out of date: this session's token (tenant.tsx) and what changed meanwhile.
export { reloadAfterExpiredForm as shouldRevalidate } from '../expired-form';

export async function loader({ context, request }: Route.LoaderArgs) {
  const { tenant } = requireOwner(context, request);
  const { maxMembers, maxOpenInvites } = appConfig();
  const [members, invites] = await Promise.all([listMembers(tenant.db, maxMembers), listOpenInvites(tenant.db, maxOpenInvites)]);
  return { name: tenant.name, displayName: currentInstance(tenant, request).displayName, members, invites };
}

/** What the page says after a post: `done` in a status line, `error` as an alert. */
type ActionResult = { done: string; link?: { label: string; url: string } } | { error: string };

const fail = (error: string, status: number) => data<ActionResult>({ error }, { status });

export async function action({ context, request }: Route.ActionArgs) {
  const { tenant, viewer } = requireOwner(context, request);
  const form = await actionForm(context, request);
  if (!csrfMatches(form, viewer)) return expiredForm();
  const memberId = Number(form.get('userId'));
  const db = tenant.db;
  // Messages name the account as stored, not as the form said.
  const email = Number.isSafeInteger(memberId) ? await emailOf(db, memberId) : undefined;
  switch (form.get('intent')) {
    case 'remove':
      // A second submit of the same form finds the member gone: that is what was asked for.
      if (email && (await removeMember(db, viewer.userId, memberId))) return { done: `${email} was removed and signed out.` } satisfies ActionResult;
      return fail(`${email ?? 'That account'} is not a member of this list (any more).`, 409);
    case 'reset': {
      const token = await issueReset(db, viewer.userId, memberId);
      if (!token || !email) return fail(`${email ?? 'That account'} is not a member of this list (any more).`, 409);
      const url = new URL(`/t/${tenant.name}/reset/${token}`, request.url).href;
      return {
        done: `A password-reset link for ${email} was created.`,
        link: { label: `Send this link to ${email} (valid for 24 hours, once; it signs them out everywhere):`, url },
      } satisfies ActionResult;
    }
    case 'transfer':
      if (form.get('confirm') !== 'yes') return fail('Tick the box to confirm that you hand over the owner role.', 400);
      // This page is the owner's: the former owner goes on to settings, where it says what happened.
      if (await transferOwnership(db, viewer.userId, memberId)) throw redirect(`/t/${tenant.name}/settings?handed-over=1`);
      return fail('Choose a member of this list as the new owner.', 409);
    case 'revoke':
      if (await revokeInvite(db, viewer.userId, String(form.get('invite') ?? ''))) return { done: 'The invite link was revoked.' } satisfies ActionResult;
      return fail('That invite link is not open any more: it was used, revoked or has expired.', 409);
    case 'invite': {
      const { maxMembers, maxOpenInvites } = appConfig();
      const outcome = await createInvite(db, viewer.userId, { maxMembers, maxOpenInvites });
      if ('error' in outcome) {
        return fail(
          outcome.error === 'members-full'
            ? `This list has ${maxMembers.toLocaleString('en')} members, its limit: no one else can join.`
            : `This list has ${maxOpenInvites.toLocaleString('en')} open invite links, its limit. Revoke some or wait until they are used or expire.`,
          409,
        );
      }
      const url = new URL(`/t/${tenant.name}/invite/${outcome.token}`, request.url).href;
      return { done: 'An invite link was created.', link: { label: 'Send this link to the person you invite (valid for 7 days, once):', url } } satisfies ActionResult;
    }
    default:
      throw data({ message: 'Unknown action.' }, { status: 400 });
  }
}

async function emailOf(db: TenantConnection, userId: number): Promise<string | undefined> {
  const { rows } = await db.execute('SELECT email FROM users WHERE id = ?', [userId]);
  return rows[0] ? String(rows[0]['email']) : undefined;
}

function formatDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

export default function Members({ loaderData, actionData }: Route.ComponentProps) {
  const { name, members, invites } = loaderData;
  const result: ActionResult | undefined = isExpiredForm(actionData) ? undefined : actionData;
  const others = members.filter((member) => member.role === 'member');
  return (
    <main className="page narrow settings">
      <h1>Members</h1>
      <p>
        <Link to={`/t/${name}/settings`}>Back to settings</Link>
      </p>
      <ExpiredFormNotice answer={actionData} />
      {result && 'error' in result && (
        <p className="form-error" role="alert">
          {result.error}
        </p>
      )}
      {result && 'done' in result && (
        <div className="notice" role="status">
          <p>{result.done}</p>
          {result.link && (
            <>
              <label htmlFor="shared-link">{result.link.label}</label>
              <input id="shared-link" className="shared-link" readOnly value={result.link.url} onFocus={(event) => event.currentTarget.select()} />
            </>
          )}
        </div>
      )}

      <section className="card" aria-labelledby="people-title">
        <h2 id="people-title">People in this list</h2>
        <ul className="members member-list">
          {members.map((member) => (
            <li key={member.id}>
              <span className="member-email">{member.email}</span> <span className="muted">({member.role}{member.resetOpen ? ', reset link open' : ''})</span>
              {member.role === 'member' && (
                <>
                  {' '}
                  <MemberAction intent="reset" member={member} label="Create a password-reset link" name={`Create a password-reset link for ${member.email}`} />{' '}
                  <MemberAction intent="remove" member={member} label="Remove" name={`Remove ${member.email}`} />
                </>
              )}
            </li>
          ))}
        </ul>
        <p className="muted">
          Removing a member deletes their account here and signs them out at once. A password-reset link lets a member who is
          locked out choose a new password; it works once, for 24 hours, and signs them out everywhere.
        </p>
      </section>

      <section className="card" aria-labelledby="invites-title">
        <h2 id="invites-title">Invite links</h2>
        {invites.length === 0 ? (
          <p className="muted">No invite link is open.</p>
        ) : (
          <ul className="members invite-list">
            {invites.map((invite, index) => (
              <li key={invite.id}>
                Link {index + 1}, created {formatDate(invite.createdAt)}, valid until {formatDate(invite.expiresAt)}{' '}
                <OnceForm method="post" className="inline">
                  <CsrfField />
                  <input type="hidden" name="intent" value="revoke" />
                  <input type="hidden" name="invite" value={invite.id} />
                  <SubmitButton className="link-button" aria-label={`Revoke link ${index + 1}`}>
                    Revoke
                  </SubmitButton>
                </OnceForm>
              </li>
            ))}
          </ul>
        )}
        <OnceForm method="post">
          <CsrfField />
          <input type="hidden" name="intent" value="invite" />
          <SubmitButton>Create an invite link</SubmitButton>
        </OnceForm>
      </section>

      <section className="card" aria-labelledby="transfer-title">
        <h2 id="transfer-title">Hand over the owner role</h2>
        {others.length === 0 ? (
          <p className="muted">Invite someone first: the owner role can only go to a member of this list.</p>
        ) : (
          <OnceForm method="post">
            <CsrfField />
            <input type="hidden" name="intent" value="transfer" />
            <p>A list has exactly one owner. The new owner manages members and settings; you become a member.</p>
            <div className="field">
              <label htmlFor="field-new-owner">New owner</label>
              <select id="field-new-owner" name="userId" required>
                {others.map((member) => (
                  <option key={member.id} value={member.id}>
                    {member.email}
                  </option>
                ))}
              </select>
            </div>
            <label className="choice">
              <input type="checkbox" name="confirm" value="yes" required /> I understand that I will become a member of this list
            </label>
            <SubmitButton className="danger">Hand over the owner role</SubmitButton>
          </OnceForm>
        )}
      </section>
    </main>
  );
}

/** One button per member and action; its accessible name says whom it acts on (it starts with its visible text). */
function MemberAction({ intent, member, label, name }: { intent: 'remove' | 'reset'; member: { id: number }; label: string; name: string }) {
  return (
    <OnceForm method="post" className="inline">
      <CsrfField />
      <input type="hidden" name="intent" value={intent} />
      <input type="hidden" name="userId" value={member.id} />
      <SubmitButton className="link-button" aria-label={name}>
        {label}
      </SubmitButton>
    </OnceForm>
  );
}
