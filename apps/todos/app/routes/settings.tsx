import { isSiloError } from '@silo/fleet';
import { Link, data, redirect } from 'react-router';
import { actionForm } from '../action-form.server';
import { RENAMES_PER_LIST, csrfMatches, currentInstance, destroySession, rateLimiters, requireViewer } from '../auth.server';
import { ExpiredFormNotice } from '../components/expired-form-notice';
import { Field } from '../components/field';
import { OnceForm, SubmitButton } from '@silo/web/once-form';
import { CsrfField } from '../components/tenant-data';
import { appConfig } from '../config.server';
import { isExpiredForm } from '../expired-form';
import { expiredForm } from '../expired-form.server';
import { OPEN_INVITES_SQL, countUpTo, createInvite } from '../tenant-accounts.server';
import type { Route } from './+types/settings';

export function meta({ loaderData }: Route.MetaArgs) {
  return [{ title: `Settings · ${loaderData?.displayName ?? 'todos'}` }];
}

// After a form refused as out of date: this session's token (tenant.tsx) and what changed meanwhile.
export { reloadAfterExpiredForm as shouldRevalidate } from '../expired-form';

export async function loader({ context, request }: Route.LoaderArgs) {
  const { tenant, viewer } = requireViewer(context, request);
  const instance = currentInstance(tenant, request);
  const isOwner = viewer.role === 'owner';
  const { maxMembers, maxOpenInvites } = appConfig();
  // Bounded reads: the limits keep these small, and a LIMIT keeps the page small even for a
  // database imported with more rows than the app would ever let in.
  const members = isOwner
    ? (await tenant.db.execute('SELECT email, role FROM users ORDER BY created_at, id LIMIT +?', [maxMembers])).rows.map((row) => ({
        email: String(row['email']),
        role: String(row['role']),
      }))
    : [];
  const memberCount = isOwner ? await countUpTo(tenant.db, 'SELECT 1 FROM users', [], maxMembers + 1) : 0;
  const openInvites = isOwner ? await countUpTo(tenant.db, OPEN_INVITES_SQL, [Date.now()], maxOpenInvites + 1) : 0;
  return {
    name: tenant.name,
    displayName: instance.displayName,
    jurisdiction: instance.jurisdiction,
    region: instance.region,
    isOwner,
    members,
    // Counted only up to one past the list: a database imported with more shows that there are more, not how many.
    moreMembers: memberCount > members.length,
    openInvites,
    maxMembers,
    maxOpenInvites,
    handedOver: new URL(request.url).searchParams.has('handed-over') && !isOwner,
  };
}

type ActionResult =
  | { intent: 'rename'; error?: string; done?: boolean }
  | { intent: 'invite'; url: string }
  | { intent: 'invite'; error: string }
  | { intent: 'delete'; error: string };

export async function action({ context, request }: Route.ActionArgs) {
  const { tenant, viewer } = requireViewer(context, request);
  const form = await actionForm(context, request);
  if (!csrfMatches(form, viewer)) return expiredForm();
  if (viewer.role !== 'owner') throw data({ message: 'Only the owner of this list can change its settings.' }, { status: 403 });
  const actor = `todos:${viewer.email}`;
  switch (form.get('intent')) {
    case 'rename': {
      const budget = await rateLimiters().rename.consume(tenant.name);
      if (!budget.allowed) {
        const minutes = Math.max(1, Math.ceil(budget.retryAfterSec / 60));
        return data<ActionResult>(
          { intent: 'rename', error: `This list was renamed ${RENAMES_PER_LIST} times in the last 15 minutes. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.` },
          { status: 429, headers: { 'Retry-After': String(budget.retryAfterSec) } },
        );
      }
      try {
        await tenant.fleet.setDisplayName(tenant.name, String(form.get('displayName') ?? ''), { actor });
      } catch (error) {
        if (isSiloError(error, 'INVALID_NAME')) return data<ActionResult>({ intent: 'rename', error: error.message }, { status: 400 });
        throw error;
      }
      return { intent: 'rename', done: true } satisfies ActionResult;
    }
    case 'invite': {
      const { maxMembers, maxOpenInvites } = appConfig();
      const outcome = await createInvite(tenant.db, viewer.userId, { maxMembers, maxOpenInvites });
      if ('error' in outcome && outcome.error === 'members-full') {
        return data<ActionResult>({ intent: 'invite', error: `This list has ${maxMembers.toLocaleString('en')} members, its limit: no one else can join.` }, { status: 409 });
      }
      if ('error' in outcome) {
        return data<ActionResult>(
          { intent: 'invite', error: `This list has ${maxOpenInvites.toLocaleString('en')} open invite links, its limit. Wait until some are used or expire.` },
          { status: 409 },
        );
      }
      const token = outcome.token;
      const url = new URL(`/t/${tenant.name}/invite/${token}`, request.url).href;
      return { intent: 'invite', url } satisfies ActionResult;
    }
    case 'delete': {
      if (form.get('confirm') !== tenant.name) {
        return data<ActionResult>({ intent: 'delete', error: `Type “${tenant.name}” to confirm.` }, { status: 400 });
      }
      const cookie = await destroySession(request, tenant.name, tenant.db, viewer);
      await tenant.fleet.delete(tenant.name, { actor });
      throw redirect(`/?deleted=${tenant.name}`, { headers: cookie });
    }
    default:
      throw data({ message: 'Unknown action.' }, { status: 400 });
  }
}

export default function Settings({ loaderData, actionData }: Route.ComponentProps) {
  const { name, displayName, jurisdiction, region, isOwner, members, moreMembers, openInvites, maxMembers, handedOver } = loaderData;
  const result: ActionResult | undefined = isExpiredForm(actionData) ? undefined : actionData;
  return (
    <main className="page narrow settings">
      <h1>Settings</h1>
      <ExpiredFormNotice answer={actionData} />
      {handedOver && (
        <p className="notice" role="status">
          You handed the owner role over: you are now a member of this list.
        </p>
      )}

      <section className="card" aria-labelledby="account-title">
        <h2 id="account-title">Your account</h2>
        <p>
          <Link to={`/t/${name}/account`}>Change your password or leave this list</Link>
        </p>
      </section>

      <section className="card" aria-labelledby="about-title">
        <h2 id="about-title">About this list</h2>
        <dl className="facts">
          <dt>Address</dt>
          <dd>
            <code>/t/{name}</code>
          </dd>
          <dt>Jurisdiction</dt>
          <dd data-testid="jurisdiction">{jurisdiction.toUpperCase()}</dd>
          <dt>Region</dt>
          <dd data-testid="region">{region}</dd>
        </dl>
        <p className="muted">The database and all of its backups stay in this jurisdiction.</p>
      </section>

      {isOwner && (
        <section className="card" aria-labelledby="rename-title">
          <h2 id="rename-title">Display name</h2>
          <OnceForm method="post">
            <CsrfField />
            <input type="hidden" name="intent" value="rename" />
            <Field
              label="Display name"
              name="displayName"
              defaultValue={displayName}
              maxLength={200}
              required
              error={result?.intent === 'rename' ? result.error : undefined}
            />
            <SubmitButton className="primary">Save name</SubmitButton>
            {result?.intent === 'rename' && result.done && (
              <p className="notice" role="status">
                Saved.
              </p>
            )}
          </OnceForm>
        </section>
      )}

      <section className="card" aria-labelledby="download-title">
        <h2 id="download-title">Your data</h2>
        {isOwner ? (
        <ul className="downloads">
          <li>
            <a href={`/t/${name}/export.sqlite`} download>
              Download the list’s database (.sqlite: todos and members, no passwords)
            </a>
          </li>
          <li>
            <a href={`/t/${name}/export.json`} download>
              Download your todos (.json)
            </a>
          </li>
        </ul>
        ) : (
          <p className="muted">The owner of this list can download its data.</p>
        )}
      </section>

      {isOwner && (
        <section className="card" aria-labelledby="members-title">
          <h2 id="members-title">Members</h2>
          <ul className="members">
            {members.map((member) => (
              <li key={member.email}>
                {member.email} <span className="muted">({member.role})</span>
              </li>
            ))}
          </ul>
          {moreMembers && <p className="muted">…and more: this list has more accounts than its limit of {maxMembers.toLocaleString('en')}.</p>}
          <p>
            <Link to={`/t/${name}/members`}>Manage members: remove, password-reset links, invites, owner role</Link>
          </p>
          <OnceForm method="post">
            <CsrfField />
            <input type="hidden" name="intent" value="invite" />
            <SubmitButton>Create an invite link</SubmitButton>
          </OnceForm>
          {result?.intent === 'invite' && 'error' in result && (
            <p className="form-error" role="alert">
              {result.error}
            </p>
          )}
          {result?.intent === 'invite' && 'url' in result && (
            <div className="notice" role="status">
              <label htmlFor="invite-url">Send this link to the person you invite (valid for 7 days, once):</label>
              <input id="invite-url" className="invite-url" readOnly value={result.url} onFocus={(event) => event.currentTarget.select()} />
            </div>
          )}
          {openInvites > 0 && (
            <p className="muted">
              {openInvites} open invite{openInvites === 1 ? '' : 's'}.
            </p>
          )}
        </section>
      )}

      {isOwner && (
        <section className="card danger" aria-labelledby="delete-title">
          <h2 id="delete-title">Delete this list</h2>
          <p>
            The list becomes unreachable at once. It can be restored by support for a few days; after that it is gone for
            good.
          </p>
          <OnceForm method="post">
            <CsrfField />
            <input type="hidden" name="intent" value="delete" />
            <Field
              label={`Type “${name}” to confirm`}
              name="confirm"
              autoComplete="off"
              required
              error={result?.intent === 'delete' ? result.error : undefined}
            />
            <SubmitButton className="danger">Delete this list</SubmitButton>
          </OnceForm>
        </section>
      )}
    </main>
  );
}
