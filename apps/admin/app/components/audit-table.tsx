import { Link } from 'react-router';
import { formatDate, visibleText } from '../lib/format';
import { DataTable, type DataColumn } from './data-table';

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

const COLUMNS: readonly DataColumn<AuditItem>[] = [
  { header: 'When (UTC)', cell: (entry) => formatDate(entry.at) },
  { header: 'Actor', cell: (entry) => entry.actor },
  { header: 'Operation', cell: (entry) => entry.operation },
  // Refused operations are audited with the name as sent ("../tokens", "x?y", a bidi override):
  // the link is encoded, so it opens that name's page ("no such instance"), never another address.
  {
    header: 'Instance',
    cell: (entry) => (entry.instance ? <Link to={`/instances/${encodeURIComponent(entry.instance)}`}>{visibleText(entry.instance)}</Link> : '—'),
  },
  { header: 'Outcome', cell: (entry) => <span className={`badge ${entry.outcome === 'ok' ? 'ok' : 'bad'}`}>{entry.outcome}</span> },
  {
    header: 'Detail',
    className: 'detail',
    cell: (entry) => (
      <>
        {entry.error ? <span className="error">{visibleText(entry.error)} </span> : null}
        {entry.detail ? <code>{visibleText(JSON.stringify(entry.detail))}</code> : null}
      </>
    ),
  },
];
const WITHOUT_INSTANCE = COLUMNS.filter((column) => column.header !== 'Instance');

export function AuditTable({ items, showInstance = true }: { items: readonly AuditItem[]; showInstance?: boolean }) {
  if (items.length === 0) return <p className="muted">No audit entries.</p>;
  return <DataTable label="Audit entries" columns={showInstance ? COLUMNS : WITHOUT_INSTANCE} rows={items} rowKey={(entry) => entry.id} />;
}
