import { formatBytes } from '@silo/fleet/format';
import { useMemo } from 'react';
import { Link } from 'react-router';
import { createColumnHelper } from '@tanstack/react-table';
import type { InstanceRowView, MetricColumn } from '../../lib/instances';
import { formatDate, formatMetric, relativeTime } from '../../lib/format';
import { StateBadge } from '../../components/state-badge';

const column = createColumnHelper<InstanceRowView>();

interface ColumnOptions {
  latestVersion: number;
  now: number;
  /** The configured metrics (silo.config.ts), one column each, sorted by `metric:<name>`. */
  metrics: readonly MetricColumn[];
}

/** The instance list's columns; their ids are the sort keys the loader accepts. */
export function useInstanceColumns({ latestVersion, now, metrics }: ColumnOptions) {
  return useMemo(
    () => [
      column.accessor('name', {
        id: 'name',
        header: 'Name',
        cell: (info) => {
          const row = info.row.original;
          return (
            <div className="name-cell">
              <Link to={`/instances/${row.name}`} className="strong">
                {row.name}
              </Link>
              {row.displayName !== row.name ? <span className="muted small">{row.displayName}</span> : null}
              {row.state === 'ready' && row.appUrl ? (
                <a className="small" href={row.appUrl} target="_blank" rel="noreferrer">
                  Open app<span className="visually-hidden"> for {row.name} (new tab)</span> ↗
                </a>
              ) : null}
            </div>
          );
        },
      }),
      column.accessor('state', { id: 'state', header: 'State', cell: (info) => <StateBadge state={info.getValue()} /> }),
      column.accessor('jurisdiction', { id: 'jurisdiction', header: 'Jurisdiction' }),
      column.accessor('region', { id: 'region', header: 'Region' }),
      column.accessor('lastActiveAt', {
        id: 'lastActive',
        header: 'Last active',
        cell: (info) => <time dateTime={info.getValue() ? new Date(info.getValue() as number).toISOString() : undefined}>{relativeTime(info.getValue(), now)}</time>,
      }),
      ...metrics.map((metric) =>
        column.accessor((row) => row.metrics[metric.name] ?? 0, {
          id: `metric:${metric.name}`,
          header: metric.label,
          cell: (info) => <span className="num">{formatMetric(info.getValue(), metric.format)}</span>,
        }),
      ),
      column.accessor('dbUrl', { id: 'dbUrl', header: 'Database', enableSorting: false, cell: (info) => <code className="url" title={info.getValue()}>{info.getValue()}</code> }),
      column.accessor('sizeBytes', { id: 'size', header: 'Size', cell: (info) => <span className="num">{formatBytes(info.getValue())}</span> }),
      column.accessor('schemaVersion', {
        id: 'schemaVersion',
        header: 'Schema',
        cell: (info) =>
          info.getValue() < latestVersion ? (
            <span className="badge warn" title={`Behind: latest is v${latestVersion}`}>
              v{info.getValue()} behind
            </span>
          ) : (
            <span>v{info.getValue()}</span>
          ),
      }),
      column.accessor('createdAt', { id: 'created', header: 'Created', cell: (info) => formatDate(info.getValue()) }),
      column.accessor('clonedFrom', {
        id: 'clonedFrom',
        header: 'Cloned from',
        enableSorting: false,
        cell: (info) => {
          const source = info.getValue();
          return source && source !== '(purged)' ? <Link to={`/instances/${source}`}>{source}</Link> : (source ?? '—');
        },
      }),
    ],
    [latestVersion, now, metrics],
  );
}
