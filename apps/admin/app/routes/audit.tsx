import { formatCount } from '@silo/fleet/format';
import { Form, Link, useSearchParams } from 'react-router';
import type { Route } from './+types/audit';
import { fleetContext } from '../lib/fleet.server';
import { AuditTable } from '../components/audit-table';

export const meta: Route.MetaFunction = () => [{ title: 'Audit log · Silo admin' }];

const PAGE = 50;
const OPERATIONS = ['create', 'clone', 'import', 'export', 'delete', 'undelete', 'purge', 'rename', 'query (write)', 'query (fleet)', 'migrate-all'];

export function loader({ request, context }: Route.LoaderArgs) {
  const fleet = context.get(fleetContext);
  const url = new URL(request.url);
  const get = (key: string): string => url.searchParams.get(key)?.trim().slice(0, 200) ?? '';
  const outcome = get('outcome');
  const sinceDays = Number(get('since'));
  const page = Math.max(1, Math.trunc(Number(get('page'))) || 1);
  const filters = { instance: get('instance'), operation: get('operation'), actor: get('actor'), outcome: outcome === 'ok' || outcome === 'error' ? outcome : '', since: get('since') };
  const result = fleet.audit({
    ...(filters.instance ? { instance: filters.instance } : {}),
    ...(filters.operation ? { operation: filters.operation } : {}),
    ...(filters.actor ? { actor: filters.actor } : {}),
    ...(filters.outcome === 'ok' || filters.outcome === 'error' ? { outcome: filters.outcome } : {}),
    ...(Number.isFinite(sinceDays) && sinceDays > 0 ? { since: Date.now() - sinceDays * 86_400_000 } : {}),
    limit: PAGE,
    offset: (page - 1) * PAGE,
  });
  return { filters, page, items: result.items, total: result.total };
}

export default function Audit({ loaderData }: Route.ComponentProps) {
  const { filters, page, items, total } = loaderData;
  const [params] = useSearchParams();
  const pages = Math.max(1, Math.ceil(total / PAGE));
  const pageLink = (n: number): string => {
    const next = new URLSearchParams(params);
    next.set('page', String(n));
    return `?${next.toString()}`;
  };
  return (
    <>
      <h1>Audit log</h1>
      <Form method="get" className="filters" role="search" aria-label="Filter the audit log">
        <label>
          Instance
          <input name="instance" defaultValue={filters.instance} />
        </label>
        <label>
          Operation
          <input name="operation" list="audit-operations" defaultValue={filters.operation} />
          <datalist id="audit-operations">
            {OPERATIONS.map((op) => (
              <option key={op} value={op} />
            ))}
          </datalist>
        </label>
        <label>
          Actor
          <input name="actor" defaultValue={filters.actor} placeholder="admin:you@example.com" />
        </label>
        <label>
          Outcome
          <select name="outcome" defaultValue={filters.outcome}>
            <option value="">any</option>
            <option value="ok">ok</option>
            <option value="error">error</option>
          </select>
        </label>
        <label>
          Since
          <select name="since" defaultValue={filters.since}>
            <option value="">any time</option>
            <option value="1">last 24 hours</option>
            <option value="7">last 7 days</option>
            <option value="30">last 30 days</option>
          </select>
        </label>
        <button type="submit">Filter</button>
        <Link to="/audit">Clear</Link>
      </Form>
      <p className="muted" data-testid="audit-total">
        {formatCount(total)} entries, newest first
      </p>
      <AuditTable items={items} />
      <nav className="pager" aria-label="Pages">
        {page > 1 ? <Link to={pageLink(page - 1)}>← Newer</Link> : <span className="disabled">← Newer</span>}
        <span>
          Page {page} of {pages}
        </span>
        {page < pages ? <Link to={pageLink(page + 1)}>Older →</Link> : <span className="disabled">Older →</span>}
      </nav>
    </>
  );
}
