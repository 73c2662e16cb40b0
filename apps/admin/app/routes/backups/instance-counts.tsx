import { formatCount } from '@silo/fleet/format';
import type { BackupOverview } from '@silo/fleet';
import { Link } from 'react-router';
import { DataTable, type DataColumn } from '../../components/data-table';
import { pointTime } from '../../lib/backups';
import { relativeTime } from '../../lib/format';

function Stat({ id, label, value, tone }: { id: string; label: string; value: string; tone?: 'bad' | 'warn' }) {
  return (
    <li className="stat card" data-stat={id}>
      <span className="stat-label">{label}</span>
      <span className={`stat-value num${tone ? ` tone-${tone}` : ''}`}>{value}</span>
    </li>
  );
}

/** How many ready instances are backed up, never were, or fail. */
export function InstanceCounts({ overview, now }: { overview: BackupOverview; now: number }) {
  return (
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
  );
}

type Failing = BackupOverview['failing'][number];

function failingColumns(now: number): DataColumn<Failing>[] {
  return [
    { header: 'Instance', cell: (row) => <Link to={`/instances/${row.instance}`}>{row.instance}</Link> },
    { header: 'Error', cell: (row) => row.error, className: 'detail error' },
    { header: 'Failed attempts', cell: (row) => row.failures, className: 'num' },
    { header: 'Last attempt (UTC)', cell: (row) => (row.lastAttemptAt === null ? '—' : pointTime(row.lastAttemptAt)) },
    { header: 'Last good backup', cell: (row) => relativeTime(row.lastBackupAt, now) },
  ];
}

/** Instances whose last backup attempt failed. */
export function FailingBackups({ failing, now }: { failing: readonly Failing[]; now: number }) {
  return (
    <section aria-labelledby="failing-h" className="overview-section">
      <h2 id="failing-h">Failing backups</h2>
      {failing.length === 0 ? (
        <p className="muted">No instance&apos;s last backup attempt failed.</p>
      ) : (
        <DataTable label="Failing backups" columns={failingColumns(now)} rows={failing} rowKey={(row) => row.instance} />
      )}
    </section>
  );
}
