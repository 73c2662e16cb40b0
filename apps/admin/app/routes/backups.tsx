import { formatCount, formatDuration } from '@silo/fleet/format';
import { useEffect, useRef } from 'react';
import { Form, Link, data, useActionData, useNavigation } from 'react-router';
import type { Route } from './+types/backups';
import { fleetContext } from '../lib/fleet.server';
import { currentAdmin, describeError, field, smallForm } from '../lib/http.server';
import { backupsPage } from '../lib/backups.server';
import { formatInterval, pointTime } from '../lib/backups';
import { formatDate, relativeTime } from '../lib/format';
import { CsrfField } from '../components/csrf';
import { useLiveRevalidate } from '../components/live';
import { useSticky } from '../components/sticky';

export const meta: Route.MetaFunction = () => [{ title: 'Backups · Silo admin' }];

/** More than this many instances restored in one request would hold the page for minutes: the CLI is for that. */
const MAX_SAMPLE = 100;

export function loader({ context }: Route.LoaderArgs) {
  return backupsPage(context.get(fleetContext));
}

export async function action({ request, context }: Route.ActionArgs) {
  const admin = currentAdmin(context);
  const fleet = context.get(fleetContext);
  const form = await smallForm(request);
  const raw = field(form, 'sample');
  const sample = Number(raw);
  if (!Number.isSafeInteger(sample) || sample < 1 || sample > MAX_SAMPLE) {
    return data({ error: `The sample is a whole number from 1 to ${MAX_SAMPLE}; got "${raw}".`, field: 'sample' as const }, { status: 400 });
  }
  try {
    const report = await fleet.backups.verify({ actor: admin.actor, sample });
    return { ok: `Verified ${report.checked} instance${report.checked === 1 ? '' : 's'}: ${report.failed} failed.`, failed: report.failed };
  } catch (error) {
    return data({ error: describeError(error).message, field: undefined }, { status: 400 });
  }
}

function Stat({ id, label, value, tone }: { id: string; label: string; value: string; tone?: 'bad' | 'warn' }) {
  return (
    <li className="stat card" data-stat={id}>
      <span className="stat-label">{label}</span>
      <span className={`stat-value num${tone ? ` tone-${tone}` : ''}`}>{value}</span>
    </li>
  );
}

export default function Backups({ loaderData }: Route.ComponentProps) {
  const { overview, verifySample, now } = loaderData;
  const result = useSticky(useActionData<typeof action>(), 'backups');
  const navigation = useNavigation();
  const verifying = navigation.state === 'submitting' && navigation.formAction === '/backups';
  const messageRef = useRef<HTMLParagraphElement>(null);
  useLiveRevalidate(10_000);
  useEffect(() => {
    if (!result) return;
    if ('field' in result && result.field === 'sample') document.getElementById('verify-sample')?.focus();
    else messageRef.current?.focus();
  }, [result]);
  const { scheduler, lastVerification } = overview;
  const cycle = scheduler?.lastCycle ?? null;
  const failedChecks = lastVerification?.results.filter((r) => !r.ok) ?? [];

  return (
    <>
      <div className="page-head">
        <h1>Backups</h1>
        <p className="muted">
          {overview.enabled ? `Automatic: changed instances are backed up every ${formatInterval(overview.intervalMs)}.` : 'The scheduler is off (SILO_BACKUPS=off): only “Back up now” takes points.'}
        </p>
      </div>

      <section aria-labelledby="scheduler-h" className="overview-section card">
        <h2 id="scheduler-h">Scheduler</h2>
        {scheduler ? (
          <dl className="details" data-testid="scheduler">
            <dt>Running in</dt>
            <dd>
              <code>{scheduler.owner}</code> since {pointTime(scheduler.since)} UTC (lease until {pointTime(scheduler.expiresAt)} UTC)
            </dd>
            <dt>Last cycle</dt>
            <dd>
              {cycle
                ? `${relativeTime(cycle.at, now)}: ${formatCount(cycle.scanned)} scanned, ${formatCount(cycle.changed)} changed, ${formatCount(cycle.backedUp)} backed up, ${formatCount(cycle.failed)} failed, in ${formatDuration(cycle.durationMs)}`
                : 'none yet'}
              {cycle?.catalogError ? <span className="error"> Catalog backup failed: {cycle.catalogError}</span> : null}
            </dd>
          </dl>
        ) : (
          <p className="warning-box" data-testid="scheduler">
            No process is running the backup scheduler now. The admin console starts it when backups are on; or run <code>silo backup run</code>.
          </p>
        )}
      </section>

      <section aria-labelledby="counts-h" className="overview-section">
        <h2 id="counts-h">Instances</h2>
        <ul className="stats">
          <Stat id="ready" label="Ready instances" value={formatCount(overview.instances)} />
          <Stat id="backed-up" label="Backed up" value={formatCount(overview.backedUp)} />
          <Stat id="never" label="Never backed up" value={formatCount(overview.neverBackedUp)} {...(overview.neverBackedUp > 0 ? { tone: 'warn' as const } : {})} />
          <Stat id="failing" label="Failing" value={formatCount(overview.failing.length)} {...(overview.failing.length > 0 ? { tone: 'bad' as const } : {})} />
          <Stat id="oldest" label="Oldest last backup" value={overview.oldestLastBackupAt === null ? '—' : relativeTime(overview.oldestLastBackupAt, now)} />
        </ul>
      </section>

      <section aria-labelledby="failing-h" className="overview-section">
        <h2 id="failing-h">Failing backups</h2>
        {overview.failing.length === 0 ? (
          <p className="muted">No instance&apos;s last backup attempt failed.</p>
        ) : (
          <div className="table-wrap">
            <table className="data" aria-label="Failing backups">
              <thead>
                <tr>
                  <th scope="col">Instance</th>
                  <th scope="col">Error</th>
                  <th scope="col">Failed attempts</th>
                  <th scope="col">Last attempt (UTC)</th>
                  <th scope="col">Last good backup</th>
                </tr>
              </thead>
              <tbody>
                {overview.failing.map((row) => (
                  <tr key={row.instance}>
                    <td>
                      <Link to={`/instances/${row.instance}`}>{row.instance}</Link>
                    </td>
                    <td className="detail error">{row.error}</td>
                    <td className="num">{row.failures}</td>
                    <td>{row.lastAttemptAt === null ? '—' : pointTime(row.lastAttemptAt)}</td>
                    <td>{relativeTime(row.lastBackupAt, now)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section aria-labelledby="verify-h" className="overview-section card stack">
        <h2 id="verify-h">Verification</h2>
        <p className="muted small">A check restores the latest point of each sampled instance to a temporary file, runs SQLite&apos;s integrity check and compares row counts with those recorded at backup time.</p>
        <div data-testid="verification">
          {lastVerification === null ? (
            <p>No verification has run yet.</p>
          ) : (
            <p>
              Last run {pointTime(lastVerification.at)} UTC ({relativeTime(lastVerification.at, now)}): {lastVerification.checked} checked,{' '}
              <span className={lastVerification.failed > 0 ? 'badge bad' : 'badge ok'}>{lastVerification.failed} failed</span>
            </p>
          )}
        </div>
        {failedChecks.length > 0 ? (
          <div className="table-wrap">
            <table className="data" aria-label="Failed verifications">
              <thead>
                <tr>
                  <th scope="col">Instance</th>
                  <th scope="col">Point</th>
                  <th scope="col">Problems</th>
                </tr>
              </thead>
              <tbody>
                {failedChecks.map((row) => (
                  <tr key={row.instance}>
                    <td>
                      <Link to={`/instances/${row.instance}`}>{row.instance}</Link>
                    </td>
                    <td>
                      <code>{row.pointId ?? '—'}</code>
                    </td>
                    <td className="detail error">{row.problems.join('; ')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        <div aria-live="polite">
          {result && 'ok' in result ? (
            <p className={result.failed > 0 ? 'error' : 'notice'} role={result.failed > 0 ? 'alert' : undefined} ref={messageRef} tabIndex={-1} data-testid="verify-result">
              {result.ok}
            </p>
          ) : null}
          {result && 'error' in result && result.field === undefined ? (
            <p className="error" role="alert" ref={messageRef} tabIndex={-1}>
              {result.error}
            </p>
          ) : null}
        </div>
        <Form method="post" className="inline-form" aria-label="Verify a sample">
          <CsrfField />
          <label htmlFor="verify-sample">
            Instances to check
            <input
              id="verify-sample"
              name="sample"
              type="number"
              min={1}
              max={MAX_SAMPLE}
              required
              defaultValue={verifySample > 0 ? verifySample : 5}
              {...(result && 'field' in result && result.field === 'sample' ? { 'aria-invalid': true, 'aria-describedby': 'verify-sample-error' } : {})}
            />
          </label>
          <button type="submit" className="primary" disabled={verifying}>
            {verifying ? 'Verifying…' : 'Verify a sample now'}
          </button>
        </Form>
        {result && 'field' in result && result.field === 'sample' ? (
          <p id="verify-sample-error" className="error" role="alert">
            {result.error}
          </p>
        ) : null}
      </section>

      <section aria-labelledby="locations-h" className="overview-section">
        <h2 id="locations-h">Backup locations</h2>
        <p className="muted small">Each region&apos;s backups stay in a location of its own jurisdiction.</p>
        <div className="table-wrap">
          <table className="data" aria-label="Backup locations">
            <thead>
              <tr>
                <th scope="col">Region</th>
                <th scope="col">Jurisdiction</th>
                <th scope="col">Location</th>
              </tr>
            </thead>
            <tbody>
              {overview.locations.map((location) => (
                <tr key={location.region}>
                  <td>{location.region}</td>
                  <td>{location.jurisdiction}</td>
                  <td className="detail">
                    <code>{location.location}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {overview.retiredLocations.length > 0 ? (
          <div className="warning-box" data-testid="retired-locations">
            <p>
              No longer configured, still holding backups. Retention and purge no longer reach these: move their contents
              into the region&apos;s new location (same layout) or delete them. A folder that is gone or empty stops being
              listed; for a bucket, run <code>silo backup forget-location &lt;location&gt;</code>.
            </p>
            <ul>
              {overview.retiredLocations.map((retired) => (
                <li key={retired.location}>
                  <code>{retired.location}</code>, last written {formatDate(retired.lastUsedAt)}
                  {retired.instances > 0 ? `; newest point of ${formatCount(retired.instances)} instance${retired.instances === 1 ? '' : 's'}` : ''}
                </li>
              ))}
            </ul>
          </div>
        ) : null}
      </section>
    </>
  );
}
