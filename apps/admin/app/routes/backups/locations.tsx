import { formatCount } from '@silo/fleet/format';
import type { BackupOverview } from '@silo/fleet';
import { DataTable, type DataColumn } from '../../components/data-table';
import { formatDate } from '../../lib/format';

const LOCATION_COLUMNS: readonly DataColumn<BackupOverview['locations'][number]>[] = [
  { header: 'Region', cell: (location) => location.region },
  { header: 'Jurisdiction', cell: (location) => location.jurisdiction },
  { header: 'Location', cell: (location) => <code>{location.location}</code>, className: 'detail' },
];

/** Each region's backup location, and retired ones that still hold backups. */
export function BackupLocations({ locations, retiredLocations }: Pick<BackupOverview, 'locations' | 'retiredLocations'>) {
  return (
    <section aria-labelledby="locations-h" className="overview-section">
      <h2 id="locations-h">Backup locations</h2>
      <p className="muted small">Each region&apos;s backups stay in a location of its own jurisdiction.</p>
      <DataTable label="Backup locations" columns={LOCATION_COLUMNS} rows={locations} rowKey={(location) => location.region} />
      {retiredLocations.length > 0 ? (
        <div className="warning-box" data-testid="retired-locations">
          <p>
            No longer configured, still holding backups. Retention and purge no longer reach these: move their contents
            into the region&apos;s new location (same layout) or delete them. A folder that is gone or empty stops being
            listed; for a bucket, run <code>silo backup forget-location &lt;location&gt;</code>.
          </p>
          <ul>
            {retiredLocations.map((retired) => (
              <li key={retired.location}>
                <code>{retired.location}</code>, last written {formatDate(retired.lastUsedAt)}
                {retired.instances > 0 ? `; newest point of ${formatCount(retired.instances)} instance${retired.instances === 1 ? '' : 's'}` : ''}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </section>
  );
}
