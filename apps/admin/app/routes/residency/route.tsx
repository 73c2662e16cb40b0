import { Form, useNavigation } from 'react-router';
import type { ResidencyListing } from '@silo/fleet';
import type { Route } from './+types/route';
import { fleetContext } from '../../lib/fleet.server';
import { residencyPage } from '../../lib/residency.server';
import { CsrfField } from '../../components/csrf';
import { AwaitingErasure, InstancePlaces, Orphans, Storage, Violations } from './tables';

export const meta: Route.MetaFunction = () => [{ title: 'Residency · Silo admin' }];

/**
 * Where every byte of each instance lives (docs/sovereignty.md): the same walk and checks as
 * `silo residency`. `?instance=<name>` narrows it to one instance.
 */
export function loader({ request, context }: Route.LoaderArgs) {
  const instance = new URL(request.url).searchParams.get('instance')?.trim() || undefined;
  return residencyPage(context.get(fleetContext), instance);
}

function Verdict({ listing }: { listing: ResidencyListing }) {
  if (listing.ok) {
    return (
      <p className="notice" data-testid="residency-verdict">
        <span className="badge ok">Pass</span> Every byte found is in a place of its own jurisdiction; nothing is an orphan.
        {listing.warnings.length > 0 ? ` ${listing.warnings.length} warning${listing.warnings.length === 1 ? '' : 's'} below.` : ''}
      </p>
    );
  }
  return (
    <p className="warning-box error" role="alert" data-testid="residency-verdict">
      <span className="badge bad">Fail</span> {listing.violations.length} violation{listing.violations.length === 1 ? '' : 's'}, {listing.orphans.length} orphan
      {listing.orphans.length === 1 ? '' : 's'}.
    </p>
  );
}

export default function Residency({ loaderData }: Route.ComponentProps) {
  const { listing, sha256, error, instance, totalInstances } = loaderData;
  const navigation = useNavigation();
  const loading = navigation.state === 'loading' && navigation.location.pathname === '/residency';
  return (
    <>
      <div className="page-head">
        <h1>Residency</h1>
        <p className="muted">Every place that holds an instance&apos;s bytes, the jurisdiction the configuration gives it, and the disk it is on.</p>
      </div>

      <Form method="get" className="filters" role="search" aria-label="Residency of one instance">
        <label htmlFor="residency-instance">
          Instance (empty: the whole fleet)
          <input id="residency-instance" name="instance" defaultValue={instance} pattern="[a-z0-9\-]{3,63}" aria-describedby={error ? 'residency-error' : undefined} />
        </label>
        <button type="submit" disabled={loading}>
          {loading ? 'Walking…' : 'Show'}
        </button>
      </Form>

      {error ? (
        <p id="residency-error" className="error" role="alert">
          {error}
        </p>
      ) : null}

      {listing && sha256 ? (
        <>
          <Verdict listing={listing} />

          <Violations violations={listing.violations} />
          <Orphans orphans={listing.orphans} />

          {listing.warnings.length > 0 ? (
            <section aria-labelledby="warnings-h" className="overview-section">
              <h2 id="warnings-h">Warnings</h2>
              <ul className="stack">
                {listing.warnings.map((warning) => (
                  <li key={warning.message} className="warning-box" data-code={warning.code}>
                    <strong>{warning.code}</strong>: {warning.message}
                  </li>
                ))}
              </ul>
            </section>
          ) : null}

          <Storage folders={listing.folders} buckets={listing.buckets} />

          <section aria-labelledby="instances-h" className="overview-section">
            <h2 id="instances-h">Instances</h2>
            {listing.instances.length === 0 ? <p className="muted">No instances.</p> : null}
            {totalInstances > listing.instances.length ? (
              <p className="muted small" data-testid="residency-cut">
                Showing {listing.instances.length} of {totalInstances} instances. Narrow to one instance above, or download the report (below) for all of them.
              </p>
            ) : null}
            {listing.instances.map((entry) => (
              <InstancePlaces key={entry.id} entry={entry} />
            ))}
          </section>

          <AwaitingErasure entries={listing.awaitingErasure} />

          <section aria-labelledby="report-h" className="overview-section card stack">
            <h2 id="report-h">Report for an auditor</h2>
            <p className="muted small">
              SHA-256 of this listing: <code data-testid="residency-hash">{sha256}</code>. The report is taken anew when you download it; its hash is recorded in the audit log with your name.
            </p>
            <Form method="post" action="/residency/report" reloadDocument className="inline-form">
              <CsrfField />
              <input type="hidden" name="instance" value={listing.instance ?? ''} />
              <label htmlFor="report-format">
                Format
                <select id="report-format" name="format" defaultValue="json">
                  <option value="json">JSON (with the hash)</option>
                  <option value="md">Markdown (readable)</option>
                </select>
              </label>
              <button type="submit">Download report</button>
            </Form>
          </section>
        </>
      ) : null}
    </>
  );
}
