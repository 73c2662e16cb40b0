import { Link } from 'react-router';
import { formatDate } from '../lib/format';

export interface AuditItem {
  id: number;
  at: number;
  actor: string;
  operation: string;
  instance: string | null;
  outcome: 'ok' | 'error';
  error: string | null;
  detail: Readonly<Record<string, unknown>> | null;
}

export function AuditTable({ items, showInstance = true }: { items: readonly AuditItem[]; showInstance?: boolean }) {
  if (items.length === 0) return <p className="muted">No audit entries.</p>;
  return (
    <div className="table-wrap">
      <table className="data" aria-label="Audit entries">
        <thead>
          <tr>
            <th scope="col">When (UTC)</th>
            <th scope="col">Actor</th>
            <th scope="col">Operation</th>
            {showInstance ? <th scope="col">Instance</th> : null}
            <th scope="col">Outcome</th>
            <th scope="col">Detail</th>
          </tr>
        </thead>
        <tbody>
          {items.map((entry) => (
            <tr key={entry.id}>
              <td>{formatDate(entry.at)}</td>
              <td>{entry.actor}</td>
              <td>{entry.operation}</td>
              {showInstance ? <td>{entry.instance ? <Link to={`/instances/${entry.instance}`}>{entry.instance}</Link> : '—'}</td> : null}
              <td>
                <span className={`badge ${entry.outcome === 'ok' ? 'ok' : 'bad'}`}>{entry.outcome}</span>
              </td>
              <td className="detail">
                {entry.error ? <span className="error">{entry.error} </span> : null}
                {entry.detail ? <code>{JSON.stringify(entry.detail)}</code> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
