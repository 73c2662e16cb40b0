import { formatBytes } from '@silo/fleet/format';
import type { ResidencyListing, ResidencyPlace } from '@silo/fleet';
import { Link } from 'react-router';
import { DataTable, type DataColumn } from '../../components/data-table';

type Violation = ResidencyListing['violations'][number];
type Orphan = ResidencyListing['orphans'][number];
type Folder = ResidencyListing['folders'][number];
type Bucket = ResidencyListing['buckets'][number];
type Entry = ResidencyListing['instances'][number];
type Awaiting = ResidencyListing['awaitingErasure'][number];

const BAD_ROW = { className: 'tone-bad' } as const;

const VIOLATION_COLUMNS: readonly DataColumn<Violation>[] = [
  { header: 'Instance', cell: (violation) => violation.instance },
  { header: 'Its jurisdiction', cell: (violation) => violation.instanceJurisdiction },
  { header: 'Found at', cell: (violation) => <code>{violation.location}</code>, className: 'detail' },
  { header: 'Jurisdiction there', cell: (violation) => violation.placeJurisdiction ?? 'none' },
  { header: 'Size', cell: (violation) => formatBytes(violation.bytes), className: 'num' },
];

export function Violations({ violations }: { violations: readonly Violation[] }) {
  if (violations.length === 0) return null;
  return (
    <section aria-labelledby="violations-h" className="overview-section">
      <h2 id="violations-h">Violations</h2>
      <DataTable label="Violations" columns={VIOLATION_COLUMNS} rows={violations} rowKey={(violation) => violation.location} rowProps={() => BAD_ROW} />
    </section>
  );
}

const ORPHAN_COLUMNS: readonly DataColumn<Orphan>[] = [
  { header: 'Location', cell: (orphan) => <code>{orphan.location}</code>, className: 'detail' },
  { header: 'Jurisdiction', cell: (orphan) => orphan.jurisdiction ?? 'none' },
  { header: 'Size', cell: (orphan) => formatBytes(orphan.bytes), className: 'num' },
  { header: 'Why', cell: (orphan) => orphan.reason, className: 'detail' },
];

export function Orphans({ orphans }: { orphans: readonly Orphan[] }) {
  if (orphans.length === 0) return null;
  return (
    <section aria-labelledby="orphans-h" className="overview-section">
      <h2 id="orphans-h">Orphans</h2>
      <DataTable label="Orphans" columns={ORPHAN_COLUMNS} rows={orphans} rowKey={(orphan) => orphan.location} rowProps={() => BAD_ROW} />
    </section>
  );
}

const FOLDER_COLUMNS: readonly DataColumn<Folder>[] = [
  { header: 'Folder or bucket', cell: (folder) => <code>{folder.path}</code>, className: 'detail' },
  { header: 'Role', cell: (folder) => folder.role },
  { header: 'Region', cell: (folder) => folder.region ?? '—' },
  { header: 'Jurisdiction', cell: (folder) => folder.jurisdiction ?? '—' },
  { header: 'Device', cell: (folder) => folder.filesystem.device },
  { header: 'Mount point', cell: (folder) => folder.filesystem.mountPoint ?? 'unknown' },
  {
    header: 'Filesystem',
    cell: (folder) => (
      <>
        {folder.filesystem.fsType ?? 'unknown'} {folder.filesystem.source ?? ''}
      </>
    ),
  },
];

/** A bucket has no device or mount point: its row says what it holds across those columns. */
function BucketRow({ bucket }: { bucket: Bucket }) {
  return (
    <tr>
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
  );
}

export function Storage({ folders, buckets }: { folders: readonly Folder[]; buckets: readonly Bucket[] }) {
  return (
    <section aria-labelledby="storage-h" className="overview-section">
      <h2 id="storage-h">Storage</h2>
      <DataTable
        label="Storage"
        columns={FOLDER_COLUMNS}
        rows={folders}
        rowKey={(folder) => `${folder.role}:${folder.path}`}
        extraRows={buckets.map((bucket) => (
          <BucketRow key={bucket.location} bucket={bucket} />
        ))}
      />
    </section>
  );
}

function placeText(place: ResidencyPlace): string {
  return place.tursoLocations ? `${place.location} (locations: ${place.tursoLocations.join(', ')})` : place.location;
}

const PLACE_COLUMNS: readonly DataColumn<ResidencyPlace>[] = [
  { header: 'Kind', cell: (place) => place.kind },
  { header: 'Location', cell: (place) => <code>{placeText(place)}</code>, className: 'detail' },
  { header: 'Jurisdiction', cell: (place) => place.jurisdiction ?? 'none' },
  { header: 'Files', cell: (place) => place.files, className: 'num' },
  { header: 'Size', cell: (place) => formatBytes(place.bytes), className: 'num' },
];

/** One instance: where its bytes are; a place outside its jurisdiction is marked. */
export function InstancePlaces({ entry }: { entry: Entry }) {
  return (
    <div className="card stack" data-instance={entry.name}>
      <h3>
        <Link to={`/instances/${entry.name}`}>{entry.name}</Link>{' '}
        <span className="muted small">
          {entry.jurisdiction} · {entry.region} · {entry.state} · <code>{entry.dbUrl}</code>
          {entry.clonedFrom ? ` · cloned from ${entry.clonedFrom}` : ''}
          {entry.clones.length > 0 ? ` · clones: ${entry.clones.join(', ')}` : ''}
        </span>
      </h3>
      <DataTable
        label={`Places holding ${entry.name}`}
        columns={PLACE_COLUMNS}
        rows={entry.places}
        rowKey={(place) => `${place.kind}:${place.location}`}
        rowProps={(place) => (place.jurisdiction === entry.jurisdiction ? {} : BAD_ROW)}
        empty="No bytes found."
      />
    </div>
  );
}

const AWAITING_COLUMNS: readonly DataColumn<Awaiting>[] = [
  { header: 'Location', cell: (entry) => <code>{entry.location}</code>, className: 'detail' },
  { header: 'Jurisdiction', cell: (entry) => entry.jurisdiction ?? 'none' },
  { header: 'Files', cell: (entry) => entry.files, className: 'num' },
  { header: 'Size', cell: (entry) => formatBytes(entry.bytes), className: 'num' },
];

export function AwaitingErasure({ entries }: { entries: readonly Awaiting[] }) {
  if (entries.length === 0) return null;
  return (
    <section aria-labelledby="erasure-h" className="overview-section">
      <h2 id="erasure-h">Backups of purged instances</h2>
      <p className="muted small">Kept until retention erases them (SILO_BACKUP_PURGE_AFTER_DAYS).</p>
      <DataTable label="Backups of purged instances" columns={AWAITING_COLUMNS} rows={entries} rowKey={(entry) => entry.location} />
    </section>
  );
}
