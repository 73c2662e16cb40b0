import { formatBytes } from '@silo/fleet/format';
import { Fragment } from 'react';
import { Link } from 'react-router';
import { StateBadge } from '../../components/state-badge';
import { formatDate, formatMetric, relativeTime } from '../../lib/format';
import type { InstanceRowView, MetricColumn } from '../../lib/instances';

interface Props {
  instance: InstanceRowView;
  /** The configured metrics, one figure each. */
  metrics: readonly MetricColumn[];
  clones: { name: string; state: string }[];
  latestVersion: number;
  now: number;
}

/** What the catalog knows of the instance, with links to its app and console. */
export function DetailsCard({ instance, metrics, clones, latestVersion, now }: Props) {
  const behind = instance.schemaVersion < latestVersion;
  return (
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
        {metrics.map((metric) => (
          <Fragment key={metric.name}>
            <dt>{metric.label}</dt>
            <dd data-metric={metric.name}>{formatMetric(instance.metrics[metric.name] ?? 0, metric.format)}</dd>
          </Fragment>
        ))}
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
          {instance.appUrl ? (
            <a href={instance.appUrl} target="_blank" rel="noreferrer">
              Open in the app ↗
            </a>
          ) : null}
          <Link to={`/instances/${instance.name}/console`}>SQL console</Link>
          <Link to={`/instances/${instance.name}/data`}>Browse data</Link>
        </p>
      ) : null}
    </section>
  );
}
