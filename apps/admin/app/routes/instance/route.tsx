import { formatCount } from '@silo/fleet/format';
import { Link, data, redirect, useActionData, useNavigation } from 'react-router';
import { isSiloError } from '@silo/fleet';
import type { Route } from './+types/route';
import { fleetContext } from '../../lib/fleet.server';
import { adminView } from '../../lib/app-config.server';
import { currentAdmin, describeError, field, smallForm } from '../../lib/http.server';
import { toRowView } from '../../lib/instances.server';
import { StateBadge } from '../../components/state-badge';
import { AuditTable } from '../../components/audit-table';
import { useLiveRevalidate } from '../../components/live';
import { backupAction, backupPanel } from '../../lib/backups.server';
import type { BackupAction } from '../../lib/backups';
import { BackupsPanel } from '../../components/backups-panel';
import { useSticky } from '../../components/sticky';
import { ActionsCard } from './actions-card';
import { DetailsCard } from './details-card';
import { ConnectCard } from './connect-card';
import { UsageCard } from './usage-card';
import { fillUsage } from '../../lib/usage';
import { libsqlAction, libsqlUrl } from '../../lib/libsql.server';
import { cloneInstance } from '../../lib/clone.server';
import { answerSubmitted, newFormToken, submitFormOnce } from '../../lib/submit-once.server';
import type { LibsqlAction } from '../../lib/libsql';

export const meta: Route.MetaFunction = ({ params }) => [{ title: `${params.name} · Silo admin` }];

const USAGE_DAYS = 30;

export async function loader({ params, request, context }: Route.LoaderArgs) {
  const fleet = context.get(fleetContext);
  let details;
  try {
    details = fleet.require(params.name);
  } catch (error) {
    if (isSiloError(error, 'INSTANCE_NOT_FOUND')) throw data(error.message, { status: 404 });
    throw error;
  }
  const url = new URL(request.url);
  const view = await adminView();
  return {
    instance: toRowView(details, view),
    metrics: view.metrics,
    clones: details.clones.map((clone) => ({ name: clone.name, state: clone.state })),
    audit: fleet.audit({ instance: params.name, limit: 50 }),
    backups: await backupPanel(fleet, details.name),
    latestVersion: fleet.schema.latestVersion,
    regions: fleet.regions.all.filter((r) => r.jurisdiction === details.jurisdiction).map((r) => r.id),
    libsqlUrl: libsqlUrl(details.name),
    usage: fillUsage(USAGE_DAYS, Date.now(), fleet.usage(details.name, USAGE_DAYS)),
    notice: noticeOf(url.searchParams),
    // Each rendering of the clone form gets its own token: its post runs once (submit-once.server.ts).
    cloneToken: newFormToken(),
    // And the page's other forms that must not run twice: the backup panel's Restore and Undo
    // (each a toggle of the instance's data: run twice, the undo is lost) and a libSQL token's
    // Create (a second token nobody sees). Each post's key holds its intent, so one token serves them.
    formToken: newFormToken(),
    now: Date.now(),
  };
}

function noticeOf(search: URLSearchParams): string | null {
  if (search.has('created')) return 'Created.';
  if (search.has('imported')) return 'Imported.';
  if (search.has('cloned')) {
    const asOf = search.get('asOf');
    const point = search.get('point');
    if (!asOf) return 'Clone created.';
    return point
      ? `Clone created as of ${asOf} (UTC), from the backup point of ${point} (UTC), the newest at or before it.`
      : `Clone created as of ${asOf} (UTC).`;
  }
  const restoredFrom = search.get('restored');
  if (restoredFrom) return `Restored from a backup of ${restoredFrom}.`;
  return null;
}

export async function action({ params, request, context }: Route.ActionArgs) {
  const admin = currentAdmin(context);
  const fleet = context.get(fleetContext);
  const form = await smallForm(request);
  const intent = field(form, 'intent');
  const options = { actor: admin.actor };
  if (intent.startsWith('backup-')) {
    const run = () => backupAction(fleet, params.name, intent, form, admin.actor);
    // A restore or an undo posted again without JavaScript (a double click, a reload that
    // resubmits it) is not run again: a second in-place restore would make the restored data
    // the undo point (the replaced data out of Undo's reach), a second undo would undo the undo.
    // The repeat is answered as the first post was.
    const outcome =
      intent === 'backup-restore' || intent === 'backup-undo'
        ? await submitFormOnce<BackupAction, { readonly done: BackupAction | { readonly redirect: string } }>(
            admin,
            form,
            [intent, params.name, ...['point', 'moment', 'mode', 'newName', 'confirm'].map((key) => field(form, key))],
            async () => {
              const done = await run();
              return 'redirect' in done || !done.error ? { ok: true, done } : { ok: false, refusal: done };
            },
          ).then((submitted) => (submitted.ok ? submitted.done : submitted.refusal))
        : await run();
    if ('redirect' in outcome) return redirect(outcome.redirect);
    return outcome.error ? data(outcome, { status: 400 }) : outcome;
  }
  if (intent.startsWith('libsql-')) {
    // A new token is in this answer only: never cached on the way back.
    const headers = { 'Cache-Control': 'no-store' };
    try {
      const run = () => libsqlAction(fleet, params.name, intent, form, admin.actor);
      // Posted again without JavaScript, Create issues no second token (one nobody would see):
      // the repeat is answered with the first one's, kept in memory for this session only.
      const outcome =
        intent === 'libsql-create'
          ? await submitFormOnce<LibsqlAction, { readonly done: LibsqlAction }>(admin, form, [intent, params.name, field(form, 'readOnly'), field(form, 'days')], async () => {
              const done = await run();
              return done.error ? { ok: false, refusal: done } : { ok: true, done };
            }).then((submitted) => (submitted.ok ? submitted.done : submitted.refusal))
          : await run();
      return data(outcome, { status: outcome.error ? 400 : 200, headers });
    } catch (error) {
      return data({ intent, error: describeError(error).message } satisfies LibsqlAction, { status: 400, headers });
    }
  }
  try {
    switch (intent) {
      case 'delete':
        // Without JavaScript there was no confirm() before the post: the page asks first.
        if (field(form, 'confirmed') !== 'yes') return { intent, confirm: true as const };
        await fleet.delete(params.name, options);
        return { intent, ok: `Deleted ${params.name}. It can be undeleted until it is purged.` };
      case 'undelete':
        await fleet.undelete(params.name, options);
        return { intent, ok: `Undeleted ${params.name}.` };
      case 'purge':
        if (field(form, 'confirmName') !== params.name) return data({ intent, error: `Type the instance name (${params.name}) to purge it.` }, { status: 400 });
        await fleet.purge(params.name, options);
        return redirect('/?purged=' + encodeURIComponent(params.name));
      case 'clone': {
        const input = { newName: field(form, 'newName'), region: field(form, 'region'), asOf: field(form, 'asOf') };
        // A repeat of this form's post (a double click or a resubmitted POST without JavaScript)
        // leads to the clone the first one made, rather than "the name is taken" or, without a
        // name (or "as of" a span ago), a second clone.
        const outcome = await submitFormOnce(admin, form, [intent, params.name, input.newName, input.region, input.asOf], async () => {
          try {
            const cloned = await cloneInstance(fleet, params.name, input, admin.actor);
            if ('error' in cloned) return { ok: false, refusal: { intent, error: cloned.error } };
            const search = new URLSearchParams({ cloned: '1', ...(cloned.asOf ? { asOf: cloned.asOf } : {}), ...(cloned.point ? { point: cloned.point } : {}) });
            return { ok: true, location: `/instances/${encodeURIComponent(cloned.name)}?${search.toString()}` };
          } catch (error) {
            return { ok: false, refusal: { intent, error: describeError(error).message } };
          }
        });
        return answerSubmitted(outcome);
      }
      default:
        return data({ intent, error: 'Unknown action.' }, { status: 400 });
    }
  } catch (error) {
    return data({ intent, error: describeError(error).message }, { status: 400 });
  }
}

/** The action's Cache-Control (a new token's answer is no-store); the loader's otherwise. */
export function headers({ actionHeaders, loaderHeaders }: Route.HeadersArgs): Headers {
  return actionHeaders.has('Cache-Control') ? actionHeaders : loaderHeaders;
}

export default function Instance({ loaderData }: Route.ComponentProps) {
  const { instance, metrics, clones, audit, backups, latestVersion, regions, libsqlUrl, usage, notice, cloneToken, formToken, now } = loaderData;
  const actionData = useActionData<typeof action>();
  // Backup actions report inside their panel; the others at the top of the page.
  const backupAction = actionData?.intent.startsWith('backup-') ? (actionData as BackupAction) : undefined;
  const backupResult = useSticky(backupAction, instance.name);
  // libSQL token actions report inside the Connect card; kept across the live revalidations.
  const tokenAction = actionData?.intent.startsWith('libsql-') ? (actionData as LibsqlAction) : undefined;
  const tokenResult = useSticky(tokenAction, instance.name);
  const result = backupAction || tokenAction ? undefined : actionData;
  const navigation = useNavigation();
  const busyIntent = navigation.state === 'submitting' ? navigation.formData?.get('intent') : undefined;
  useLiveRevalidate(5_000);

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
        <DetailsCard instance={instance} metrics={metrics} clones={clones} latestVersion={latestVersion} now={now} />
        <ActionsCard
          instance={instance}
          regions={regions}
          cloneToken={cloneToken}
          busyIntent={typeof busyIntent === 'string' ? busyIntent : undefined}
          confirming={result && 'confirm' in result ? result.intent : undefined}
        />
      </div>

      <UsageCard usage={usage} />

      <ConnectCard
        name={instance.name}
        url={libsqlUrl}
        ready={instance.state === 'ready'}
        result={tokenResult}
        busyIntent={typeof busyIntent === 'string' ? busyIntent : undefined}
        once={formToken}
      />

      <BackupsPanel name={instance.name} view={backups} result={backupResult} busyIntent={typeof busyIntent === 'string' ? busyIntent : undefined} now={now} once={formToken} />

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
