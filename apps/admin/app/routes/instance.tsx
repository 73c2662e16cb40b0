import { Form, Link, data, redirect, useActionData, useNavigation } from 'react-router';
import { isSiloError } from '@silo/fleet';
import type { Route } from './+types/instance';
import { getFleet } from '../lib/fleet.server';
import { adminConfig } from '../lib/config.server';
import { currentAdmin, describeError, field, smallForm } from '../lib/http.server';
import { toRowView } from '../lib/instances.server';
import { CsrfField } from '../components/csrf';
import { StateBadge } from '../components/state-badge';
import { AuditTable } from '../components/audit-table';
import { useLiveRevalidate } from '../components/live';
import { formatBytes, formatCount, formatDate, relativeTime } from '../lib/format';
import { backupAction, backupPanel } from '../lib/backups.server';
import type { BackupAction } from '../lib/backups';
import { BackupsPanel } from '../components/backups-panel';
import { useSticky } from '../components/sticky';

export const meta: Route.MetaFunction = ({ params }) => [{ title: `${params.name} · Silo admin` }];

export async function loader({ params, request }: Route.LoaderArgs) {
  const fleet = await getFleet();
  let details;
  try {
    details = fleet.require(params.name);
  } catch (error) {
    if (isSiloError(error, 'INSTANCE_NOT_FOUND')) throw data(error.message, { status: 404 });
    throw error;
  }
  const url = new URL(request.url);
  return {
    instance: toRowView(details),
    clones: details.clones.map((clone) => ({ name: clone.name, state: clone.state })),
    audit: fleet.audit({ instance: params.name, limit: 50 }),
    backups: await backupPanel(fleet, details.name),
    latestVersion: fleet.schema.latestVersion,
    regions: fleet.regions.all.filter((r) => r.jurisdiction === details.jurisdiction).map((r) => r.id),
    todosUrl: adminConfig().TODOS_URL.replace(/\/+$/, ''),
    notice: noticeOf(url.searchParams),
    now: Date.now(),
  };
}

function noticeOf(search: URLSearchParams): string | null {
  if (search.has('created')) return 'Created.';
  if (search.has('imported')) return 'Imported.';
  if (search.has('cloned')) return 'Clone created.';
  const restoredFrom = search.get('restored');
  if (restoredFrom) return `Restored from a backup of ${restoredFrom}.`;
  return null;
}

export async function action({ params, request, context }: Route.ActionArgs) {
  const admin = currentAdmin(context);
  const fleet = await getFleet();
  const form = await smallForm(request);
  const intent = field(form, 'intent');
  const options = { actor: admin.actor };
  if (intent.startsWith('backup-')) {
    const outcome = await backupAction(fleet, params.name, intent, form, admin.actor);
    if ('redirect' in outcome) return redirect(outcome.redirect);
    return outcome.error ? data(outcome, { status: 400 }) : outcome;
  }
  try {
    switch (intent) {
      case 'delete':
        await fleet.delete(params.name, options);
        return { intent, ok: `Deleted ${params.name}. It can be undeleted until it is purged.` };
      case 'undelete':
        await fleet.undelete(params.name, options);
        return { intent, ok: `Undeleted ${params.name}.` };
      case 'purge':
        await fleet.purge(params.name, options);
        return redirect('/?purged=' + encodeURIComponent(params.name));
      case 'clone': {
        const newName = field(form, 'newName');
        const region = field(form, 'region');
        const clone = await fleet.clone(params.name, newName || undefined, { ...options, ...(region ? { region } : {}) });
        return redirect(`/instances/${encodeURIComponent(clone.name)}?cloned=1`);
      }
      default:
        return data({ intent, error: 'Unknown action.' }, { status: 400 });
    }
  } catch (error) {
    return data({ intent, error: describeError(error).message }, { status: 400 });
  }
}

export default function Instance({ loaderData }: Route.ComponentProps) {
  const { instance, clones, audit, backups, latestVersion, regions, todosUrl, notice, now } = loaderData;
  const actionData = useActionData<typeof action>();
  // Backup actions report inside their panel; the others at the top of the page.
  const backupAction = actionData?.intent.startsWith('backup-') ? (actionData as BackupAction) : undefined;
  const backupResult = useSticky(backupAction, instance.name);
  const result = backupAction ? undefined : actionData;
  const navigation = useNavigation();
  const busyIntent = navigation.state === 'submitting' ? navigation.formData?.get('intent') : undefined;
  useLiveRevalidate(5_000);
  const behind = instance.schemaVersion < latestVersion;

  return (
    <>
      <p className="crumbs">
        <Link to="/">Instances</Link> / <span>{instance.name}</span>
      </p>
      <div className="page-head">
        <h1>
          {instance.name} <StateBadge state={instance.state} />
        </h1>
        {instance.displayName !== instance.name ? <p className="muted">{instance.displayName}</p> : null}
      </div>
      <div aria-live="polite">
        {notice && !result ? <p className="notice">{notice}</p> : null}
        {result && 'ok' in result ? <p className="notice">{result.ok}</p> : null}
        {result && 'error' in result ? (
          <p className="error" role="alert">
            {result.error}
          </p>
        ) : null}
      </div>

      <div className="grid-2">
        <section className="card" aria-labelledby="details-h">
          <h2 id="details-h">Details</h2>
          <dl className="details">
            <dt>State</dt>
            <dd>
              <StateBadge state={instance.state} />
              {instance.error ? <span className="error"> {instance.error}</span> : null}
            </dd>
            <dt>Jurisdiction / region</dt>
            <dd>
              {instance.jurisdiction} / {instance.region}
            </dd>
            <dt>Database</dt>
            <dd>
              <code className="url">{instance.dbUrl}</code>
            </dd>
            <dt>Size</dt>
            <dd>{formatBytes(instance.sizeBytes)}</dd>
            <dt>Schema</dt>
            <dd>
              v{instance.schemaVersion} {behind ? <span className="badge warn">behind (latest v{latestVersion})</span> : null}
            </dd>
            <dt>TODOs</dt>
            <dd>
              {formatCount(instance.todos)} total, {formatCount(instance.completed)} completed
            </dd>
            <dt>Last active</dt>
            <dd>{relativeTime(instance.lastActiveAt, now)}</dd>
            <dt>Created</dt>
            <dd>{formatDate(instance.createdAt)}</dd>
            {instance.deletedAt ? (
              <>
                <dt>Deleted</dt>
                <dd>{formatDate(instance.deletedAt)}</dd>
              </>
            ) : null}
            <dt>Cloned from</dt>
            <dd data-testid="cloned-from">
              {instance.clonedFrom && instance.clonedFrom !== '(purged)' ? <Link to={`/instances/${instance.clonedFrom}`}>{instance.clonedFrom}</Link> : (instance.clonedFrom ?? '—')}
            </dd>
            <dt>Clones</dt>
            <dd data-testid="clones">
              {clones.length === 0
                ? '—'
                : clones.map((clone, index) => (
                    <span key={clone.name}>
                      {index > 0 ? ', ' : ''}
                      <Link to={`/instances/${clone.name}`}>{clone.name}</Link> <span className="muted small">({clone.state})</span>
                    </span>
                  ))}
            </dd>
          </dl>
          {instance.state === 'ready' ? (
            <p className="row">
              <a href={`${todosUrl}/t/${instance.name}`} target="_blank" rel="noreferrer">
                Open in the TODO app ↗
              </a>
              <Link to={`/instances/${instance.name}/console`}>SQL console</Link>
            </p>
          ) : null}
        </section>

        <section className="card stack" aria-labelledby="actions-h">
          <h2 id="actions-h">Actions</h2>
          {instance.state === 'ready' || instance.state === 'deleted' ? (
            <Form method="post" action={`/instances/${instance.name}/export`} reloadDocument>
              <CsrfField />
              <button type="submit">Export .sqlite</button>
            </Form>
          ) : null}
          {instance.state === 'ready' ? (
            <Form method="post" className="inline-form" aria-label="Clone">
              <CsrfField />
              <input type="hidden" name="intent" value="clone" />
              <label htmlFor="clone-name">
                Clone as (optional)
                <input id="clone-name" name="newName" pattern="[a-z0-9\-]{3,63}" placeholder={`${instance.name}-copy`} />
              </label>
              <label htmlFor="clone-region">
                Region
                <select id="clone-region" name="region" defaultValue="">
                  <option value="">same as source</option>
                  {regions.map((id) => (
                    <option key={id} value={id}>
                      {id}
                    </option>
                  ))}
                </select>
              </label>
              <button type="submit" disabled={busyIntent === 'clone'}>
                {busyIntent === 'clone' ? 'Cloning…' : 'Clone'}
              </button>
            </Form>
          ) : null}
          {instance.state === 'ready' ? (
            <ConfirmForm intent="delete" label="Delete" busy={busyIntent === 'delete'} question={`Delete ${instance.name}? It can be undeleted until purged.`} danger />
          ) : null}
          {instance.state === 'deleted' ? <ConfirmForm intent="undelete" label="Undelete" busy={busyIntent === 'undelete'} /> : null}
          {instance.state === 'deleted' || instance.state === 'failed' ? (
            <ConfirmForm intent="purge" label="Purge for good" busy={busyIntent === 'purge'} question={`Purge ${instance.name}? Its database is removed and cannot be restored.`} danger />
          ) : null}
        </section>
      </div>

      <BackupsPanel name={instance.name} view={backups} result={backupResult} busyIntent={typeof busyIntent === 'string' ? busyIntent : undefined} now={now} />

      <section aria-labelledby="audit-h">
        <h2 id="audit-h">Audit log</h2>
        <AuditTable items={audit.items} showInstance={false} />
        {audit.total > audit.items.length ? (
          <p>
            <Link to={`/audit?instance=${instance.name}`}>All {formatCount(audit.total)} entries</Link>
          </p>
        ) : null}
      </section>
    </>
  );
}

function ConfirmForm({ intent, label, busy, question, danger }: { intent: string; label: string; busy: boolean; question?: string; danger?: boolean }) {
  return (
    <Form
      method="post"
      onSubmit={(event) => {
        if (question && !window.confirm(question)) event.preventDefault();
      }}
    >
      <CsrfField />
      <input type="hidden" name="intent" value={intent} />
      <button type="submit" className={danger ? 'danger' : undefined} disabled={busy}>
        {busy ? `${label}…` : label}
      </button>
    </Form>
  );
}
