import { formatBytes, formatCount } from '@silo/fleet/format';
import { Link } from 'react-router';
import { StateBadge } from '../../components/state-badge';
import { formatDate, relativeTime } from '../../lib/format';
import type { InstanceRowView } from '../../lib/instances';

interface Props {
  instance: InstanceRowView;
  clones: { name: string; state: string }[];
  latestVersion: number;
  todosUrl: string;
  now: number;
}

/** What the catalog knows of the instance, with links to its app and console. */
export function DetailsCard({ instance, clones, latestVersion, todosUrl, now }: Props) {
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
  );
}
