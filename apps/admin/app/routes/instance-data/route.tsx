import { formatCount } from '@silo/fleet/format';
import { Form, Link, data } from 'react-router';
import { isSiloError } from '@silo/fleet';
import type { Route } from './+types/route';
import { fleetContext } from '../../lib/fleet.server';
import { currentAdmin, describeError, field, smallForm } from '../../lib/http.server';
import { deleteRow, gridPage, insertRow, listTables, tableSchema, updateCell } from '../../lib/data-browser/data.server';
import { decodeCursor, encodeCursor } from '../../lib/data-browser/cursor.server';
import { FILTER_OPS, cursorOf, type Filter, type FilterOp } from '../../lib/data-browser/keyset';
import { newFormToken, submitFormOnce } from '../../lib/submit-once.server';
import { Grid, InsertForm } from './grid';
import { SchemaPanel } from './schema-panel';

export const meta: Route.MetaFunction = ({ params }) => [{ title: `Data · ${params.name} · Silo admin` }];

const PAGE_SIZE = 50;

const OP_LABELS: Record<FilterOp, string> = {
  contains: 'contains',
  eq: '=',
  ne: '≠',
  lt: '<',
  gt: '>',
  null: 'is NULL',
  notnull: 'is not NULL',
};

function isOp(value: string | null): value is FilterOp {
  return (FILTER_OPS as readonly string[]).includes(value ?? '');
}

export async function loader({ params, request, context }: Route.LoaderArgs) {
  const fleet = context.get(fleetContext);
  const instance = fleet.find(params.name);
  if (!instance) throw data(`No instance named "${params.name}".`, { status: 404 });
  const url = new URL(request.url);
  const search = url.searchParams;
  const write = search.get('mode') === 'write';
  // Each rendering of the insert form gets its own token: its post inserts one row (submit-once.server.ts).
  const once = newFormToken();
  if (instance.state !== 'ready') return { name: instance.name, state: instance.state, write, tables: [], view: null, once };
  // The page's reads stop when its request does (a closed tab, a click elsewhere).
  const tables = await listTables(fleet, instance.name, request.signal);
  const table = search.get('table') ?? tables[0]?.name;
  if (table === undefined) return { name: instance.name, state: instance.state, write, tables, view: null, once };
  let schema;
  try {
    schema = await tableSchema(fleet, instance.name, table, request.signal);
  } catch (error) {
    if (isSiloError(error, 'INVALID_INPUT')) throw data(error.message, { status: 404 });
    throw error;
  }
  const { shape } = schema;
  const sortParam = search.get('sort');
  const sort = sortParam !== null && shape.columns.includes(sortParam) ? sortParam : undefined;
  const order: 'asc' | 'desc' = search.get('order') === 'desc' ? 'desc' : 'asc';
  const op = search.get('fo');
  const filterColumn = search.get('fc');
  const filter: Filter | undefined = filterColumn && shape.columns.includes(filterColumn) && isOp(op) ? { column: filterColumn, op, value: search.get('fv') ?? '' } : undefined;
  const after = decodeCursor(search.get('after'));
  const before = after ? undefined : decodeCursor(search.get('before'));
  const page = await gridPage(fleet, instance.name, shape, {
    sort,
    order,
    filters: filter ? [filter] : [],
    limit: PAGE_SIZE,
    cursor: after ?? before,
    direction: before ? 'before' : 'after',
  }, request.signal);
  const first = page.rows[0];
  const last = page.rows.at(-1);
  // The shape is the server's paging plan; the page shows the rest.
  const shown = { name: schema.name, sql: schema.sql, withoutRowid: schema.withoutRowid, columns: schema.columns, indexes: schema.indexes, foreignKeys: schema.foreignKeys, triggers: schema.triggers };
  return {
    name: instance.name,
    state: instance.state,
    write,
    tables,
    once,
    view: {
      schema: shown,
      sort,
      order,
      filter: filter ?? null,
      rows: page.rows.map((row) => ({ key: encodeCursor(row.key), cells: row.cells })),
      total: page.total,
      next: page.hasNext && last ? encodeCursor(cursorOf(shape, sort, last.raw)) : null,
      previous: page.hasPrevious && first ? encodeCursor(cursorOf(shape, sort, first.raw)) : null,
    },
  };
}

type DataAction = { ok: string } | { error: string };

export async function action({ params, request, context }: Route.ActionArgs) {
  const admin = currentAdmin(context);
  const fleet = context.get(fleetContext);
  const form = await smallForm(request);
  const intent = field(form, 'intent');
  try {
    const schema = await tableSchema(fleet, params.name, field(form, 'table'));
    const key = decodeCursor(field(form, 'key'));
    const raw = (name: string): string => {
      const value = form.get(name);
      return typeof value === 'string' ? value : '';
    };
    switch (intent) {
      case 'update': {
        if (!key) return data<DataAction>({ error: 'No row given.' }, { status: 400 });
        const column = field(form, 'column');
        const changed = await updateCell(fleet, params.name, schema, key, column, form.get('null') === '1' ? null : raw('value'), admin.actor);
        return changed === 0
          ? data<DataAction>({ error: `${column} changed since the page was loaded; nothing was written. Reload and try again.` }, { status: 409 })
          : ({ ok: `Saved ${column}.` } satisfies DataAction);
      }
      case 'insert': {
        const values: Record<string, string | null> = {};
        for (const column of schema.columns) {
          if (form.get(`n:${column.name}`) === '1') values[column.name] = null;
          else if (raw(`v:${column.name}`) !== '') values[column.name] = raw(`v:${column.name}`);
        }
        // Posted again without JavaScript (a double click, a reload that resubmits it), the form
        // inserts no second row: the repeat gets the first one's answer. (A failure throws: its
        // token is forgotten, so a repeat tries again.)
        const inserted = await submitFormOnce<never, { readonly done: string }>(
          admin,
          form,
          [intent, params.name, schema.name, JSON.stringify(values)],
          async () => {
            await insertRow(fleet, params.name, schema, values, admin.actor);
            return { ok: true, done: `Inserted a row into ${schema.name}.` };
          },
        );
        return { ok: inserted.ok ? inserted.done : inserted.refusal } satisfies DataAction;
      }
      case 'delete': {
        if (!key) return data<DataAction>({ error: 'No row given.' }, { status: 400 });
        await deleteRow(fleet, params.name, schema, key, admin.actor);
        return { ok: 'Deleted the row.' } satisfies DataAction;
      }
      default:
        return data<DataAction>({ error: 'Unknown action.' }, { status: 400 });
    }
  } catch (error) {
    if (isSiloError(error, 'INSTANCE_NOT_FOUND')) throw data(error.message, { status: 404 });
    return data<DataAction>({ error: describeError(error).message }, { status: 400 });
  }
}

export default function DataBrowser({ loaderData, actionData }: Route.ComponentProps) {
  const { name, state, write, tables, view, once } = loaderData;
  const table = view?.schema.name;
  const href = (changes: Record<string, string | null>): string => {
    const params = new URLSearchParams();
    const base: Record<string, string | null> = {
      table: table ?? null,
      sort: view?.sort ?? null,
      order: view?.sort ? view.order : null,
      fc: view?.filter?.column ?? null,
      fo: view?.filter?.op ?? null,
      fv: view?.filter && view.filter.value !== '' ? view.filter.value : null,
      mode: write ? 'write' : null,
    };
    for (const [k, v] of Object.entries({ ...base, ...changes })) if (v !== null) params.set(k, v);
    return `?${params.toString()}`;
  };
  const sortHref = (column: string): string => href({ sort: column, order: view?.sort === column && view.order === 'asc' ? 'desc' : 'asc' });

  return (
    <>
      <p className="crumbs">
        <Link to="/">Instances</Link> / <Link to={`/instances/${name}`}>{name}</Link> / <span>Data</span>
      </p>
      <div className="page-head row">
        <h1>Data of {name}</h1>
        {write ? (
          <Link to={href({ mode: null })} className="button-link" data-testid="mode-toggle">
            Back to read-only
          </Link>
        ) : (
          <Link to={href({ mode: 'write' })} className="button-link" data-testid="mode-toggle">
            Edit data
          </Link>
        )}
      </div>
      {write ? <p className="warn-box">Write mode: every change is one statement on the live database, recorded in the audit log with its old and new values.</p> : null}
      <div aria-live="polite">
        {actionData && 'ok' in actionData ? <p className="notice">{actionData.ok}</p> : null}
        {actionData && 'error' in actionData ? (
          <p className="error" role="alert">
            {actionData.error}
          </p>
        ) : null}
      </div>
      {state !== 'ready' ? <p>This instance is {state}; its data can be browsed when it is ready.</p> : null}
      {state === 'ready' && tables.length === 0 ? <p>This instance has no tables.</p> : null}
      <div className="data-browser">
        {tables.length > 0 ? (
          <nav aria-label="Tables" className="card table-list">
            <h2>Tables</h2>
            <ul>
              {tables.map((entry) => (
                <li key={entry.name} data-table-name={entry.name}>
                  <Link to={`?${new URLSearchParams({ table: entry.name, ...(write ? { mode: 'write' } : {}) }).toString()}`} aria-current={entry.name === table ? 'page' : undefined}>
                    {entry.name}
                  </Link>{' '}
                  <span className="muted small num" data-row-count>
                    {formatCount(entry.rows)}
                  </span>
                </li>
              ))}
            </ul>
          </nav>
        ) : null}
        {view ? (
          <div className="data-main">
            <SchemaPanel schema={view.schema} />
            <Form method="get" className="row filter-form" aria-label="Filter rows">
              <input type="hidden" name="table" value={view.schema.name} />
              {view.sort ? <input type="hidden" name="sort" value={view.sort} /> : null}
              {view.sort ? <input type="hidden" name="order" value={view.order} /> : null}
              {write ? <input type="hidden" name="mode" value="write" /> : null}
              <select name="fc" aria-label="Filter column" defaultValue={view.filter?.column ?? view.schema.columns[0]?.name}>
                {view.schema.columns.map((column) => (
                  <option key={column.name}>{column.name}</option>
                ))}
              </select>
              <select name="fo" aria-label="Comparison" defaultValue={view.filter?.op ?? 'contains'}>
                {FILTER_OPS.map((op) => (
                  <option key={op} value={op}>
                    {OP_LABELS[op]}
                  </option>
                ))}
              </select>
              <input name="fv" aria-label="Value" defaultValue={view.filter?.value ?? ''} />
              <button type="submit">Apply</button>
              {view.filter ? <Link to={href({ fc: null, fo: null, fv: null })}>Clear filter</Link> : null}
            </Form>
            <p className="muted small" data-testid="grid-total">
              {formatCount(view.total)} {view.filter ? 'matching ' : ''}rows
              {view.sort ? `, sorted by ${view.sort} ${view.order === 'asc' ? 'ascending' : 'descending'}` : ''}
            </p>
            <Grid table={view.schema.name} columns={view.schema.columns} rows={view.rows} sort={view.sort} order={view.order} sortHref={sortHref} write={write} />
            <nav className="row pager" aria-label="Pages">
              <Link to={href({})}>First page</Link>
              {view.previous ? <Link to={href({ before: view.previous })}>← Previous</Link> : null}
              {view.next ? (
                <Link to={href({ after: view.next })} rel="next">
                  Next →
                </Link>
              ) : null}
            </nav>
            {write ? <InsertForm table={view.schema.name} columns={view.schema.columns} once={once} /> : null}
          </div>
        ) : null}
      </div>
    </>
  );
}
