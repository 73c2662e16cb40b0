import { formatBytes } from '@silo/fleet/format';
import { Form, Link, useNavigation } from 'react-router';
import type { ResidencyListing, ResidencyPlace } from '@silo/fleet';
import type { Route } from './+types/residency';
import { fleetContext } from '../lib/fleet.server';
import { residencyPage } from '../lib/residency.server';
import { CsrfField } from '../components/csrf';

export const meta: Route.MetaFunction = () => [{ title: 'Residency · Silo admin' }];

/**
 * Where every byte of each instance lives (docs/sovereignty.md): the same walk and checks as
 * `silo residency`. `?instance=<name>` narrows it to one instance.
 */
export function loader({ request, context }: Route.LoaderArgs) {
  const instance = new URL(request.url).searchParams.get('instance')?.trim() || undefined;
  return residencyPage(context.get(fleetContext), instance);
}

function placeText(place: ResidencyPlace): string {
  return place.tursoLocations ? `${place.location} (locations: ${place.tursoLocations.join(', ')})` : place.location;
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

          {listing.violations.length > 0 ? (
            <section aria-labelledby="violations-h" className="overview-section">
              <h2 id="violations-h">Violations</h2>
              <div className="table-wrap">
                <table className="data" aria-label="Violations">
                  <thead>
                    <tr>
                      <th scope="col">Instance</th>
                      <th scope="col">Its jurisdiction</th>
                      <th scope="col">Found at</th>
                      <th scope="col">Jurisdiction there</th>
                      <th scope="col">Size</th>
                    </tr>
                  </thead>
                  <tbody>
                    {listing.violations.map((violation) => (
                      <tr key={violation.location} className="tone-bad">
                        <td>{violation.instance}</td>
                        <td>{violation.instanceJurisdiction}</td>
                        <td className="detail">
                          <code>{violation.location}</code>
                        </td>
                        <td>{violation.placeJurisdiction ?? 'none'}</td>
                        <td className="num">{formatBytes(violation.bytes)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </section>
          ) : null}

          {listing.orphans.length > 0 ? (
            <section aria-labelledby="orphans-h" className="overview-section">
              <h2 id="orphans-h">Orphans</h2>
              <div className="table-wrap">
                <table className="data" aria-label="Orphans">
                  <thead>
                    <tr>
                      <th scope="col">Location</th>
                      <th scope="col">Jurisdiction</th>
                      <th scope="col">Size</th>
                      <th scope="col">Why</th>
                    </tr>
                  </thead>
                  <tbody>
                    {listing.orphans.map((orphan) => (
                      <tr key={orphan.location} className="tone-bad">
                        <td className="detail">
                          <code>{orphan.location}</code>
                        </td>
                        <td>{orphan.jurisdiction ?? 'none'}</td>
                        <td className="num">{formatBytes(orphan.bytes)}</td>
                        <td className="detail">{orphan.reason}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </section>
          ) : null}

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

          <section aria-labelledby="storage-h" className="overview-section">
            <h2 id="storage-h">Storage</h2>
            <div className="table-wrap">
              <table className="data" aria-label="Storage">
                <thead>
                  <tr>
                    <th scope="col">Folder or bucket</th>
                    <th scope="col">Role</th>
                    <th scope="col">Region</th>
                    <th scope="col">Jurisdiction</th>
                    <th scope="col">Device</th>
                    <th scope="col">Mount point</th>
                    <th scope="col">Filesystem</th>
                  </tr>
                </thead>
                <tbody>
                  {listing.folders.map((folder) => (
                    <tr key={`${folder.role}:${folder.path}`}>
                      <td className="detail">
                        <code>{folder.path}</code>
                      </td>
                      <td>{folder.role}</td>
                      <td>{folder.region ?? '—'}</td>
                      <td>{folder.jurisdiction ?? '—'}</td>
                      <td>{folder.filesystem.device}</td>
                      <td>{folder.filesystem.mountPoint ?? 'unknown'}</td>
                      <td>
                        {folder.filesystem.fsType ?? 'unknown'} {folder.filesystem.source ?? ''}
                      </td>
                    </tr>
                  ))}
                  {listing.buckets.map((bucket) => (
                    <tr key={bucket.location}>
                      <td className="detail">
                        <code>{bucket.location}</code>
                      </td>
                      <td>backups (S3)</td>
                      <td>{bucket.region}</td>
                      <td>{bucket.jurisdiction}</td>
                      <td colSpan={3}>
                        {bucket.objects} objects, {formatBytes(bucket.bytes)}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>

          <section aria-labelledby="instances-h" className="overview-section">
            <h2 id="instances-h">Instances</h2>
            {listing.instances.length === 0 ? <p className="muted">No instances.</p> : null}
            {totalInstances > listing.instances.length ? (
              <p className="muted small" data-testid="residency-cut">
                Showing {listing.instances.length} of {totalInstances} instances. Narrow to one instance above, or download the report (below) for all of them.
              </p>
            ) : null}
            {listing.instances.map((entry) => (
              <div key={entry.id} className="card stack" data-instance={entry.name}>
                <h3>
                  <Link to={`/instances/${entry.name}`}>{entry.name}</Link>{' '}
                  <span className="muted small">
                    {entry.jurisdiction} · {entry.region} · {entry.state} · <code>{entry.dbUrl}</code>
                    {entry.clonedFrom ? ` · cloned from ${entry.clonedFrom}` : ''}
                    {entry.clones.length > 0 ? ` · clones: ${entry.clones.join(', ')}` : ''}
                  </span>
                </h3>
                <div className="table-wrap">
                  <table className="data" aria-label={`Places holding ${entry.name}`}>
                    <thead>
                      <tr>
                        <th scope="col">Kind</th>
                        <th scope="col">Location</th>
                        <th scope="col">Jurisdiction</th>
                        <th scope="col">Files</th>
                        <th scope="col">Size</th>
                      </tr>
                    </thead>
                    <tbody>
                      {entry.places.length === 0 ? (
                        <tr>
                          <td colSpan={5} className="empty">
                            No bytes found.
                          </td>
                        </tr>
                      ) : (
                        entry.places.map((place) => (
                          <tr key={`${place.kind}:${place.location}`} className={place.jurisdiction === entry.jurisdiction ? undefined : 'tone-bad'}>
                            <td>{place.kind}</td>
                            <td className="detail">
                              <code>{placeText(place)}</code>
                            </td>
                            <td>{place.jurisdiction ?? 'none'}</td>
                            <td className="num">{place.files}</td>
                            <td className="num">{formatBytes(place.bytes)}</td>
                          </tr>
                        ))
                      )}
                    </tbody>
                  </table>
                </div>
              </div>
            ))}
          </section>

          {listing.awaitingErasure.length > 0 ? (
            <section aria-labelledby="erasure-h" className="overview-section">
              <h2 id="erasure-h">Backups of purged instances</h2>
              <p className="muted small">Kept until retention erases them (SILO_BACKUP_PURGE_AFTER_DAYS).</p>
              <div className="table-wrap">
                <table className="data" aria-label="Backups of purged instances">
                  <thead>
                    <tr>
                      <th scope="col">Location</th>
                      <th scope="col">Jurisdiction</th>
                      <th scope="col">Files</th>
                      <th scope="col">Size</th>
                    </tr>
                  </thead>
                  <tbody>
                    {listing.awaitingErasure.map((entry) => (
                      <tr key={entry.location}>
                        <td className="detail">
                          <code>{entry.location}</code>
                        </td>
                        <td>{entry.jurisdiction ?? 'none'}</td>
                        <td className="num">{entry.files}</td>
                        <td className="num">{formatBytes(entry.bytes)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </section>
          ) : null}

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
