import { formatBytes, formatCount } from '@silo/fleet/format';
import { useMemo } from 'react';
import { Form, Link, data, redirect, useActionData, useNavigation, useSearchParams, useSubmit } from 'react-router';
import { createColumnHelper, flexRender, getCoreRowModel, useReactTable, type SortingState } from '@tanstack/react-table';
import type { Route } from './+types/instances';
import type { Fleet } from '@silo/fleet';
import { isMultipartForm, type AdminSession } from '../lib/auth.server';
import { fleetContext } from '../lib/fleet.server';
import { currentAdmin, describeError, field, smallForm } from '../lib/http.server';
import { importUploadOptions, parseListParams, regionOptions, toListQuery, toRowView } from '../lib/instances.server';
import { withUpload, type UploadedFile } from '../lib/upload.server';
import { PAGE_SIZES, STATES, type InstanceRowView } from '../lib/instances';
import { adminConfig } from '../lib/config.server';
import { CsrfField } from '../components/csrf';
import { StateBadge } from '../components/state-badge';
import { SelectField, choicesOf, regionChoices } from '../components/select-field';
import { useLiveRevalidate } from '../components/live';
import { formatDate, relativeTime } from '../lib/format';

export const meta: Route.MetaFunction = () => [{ title: 'Instances · Silo admin' }];

export function loader({ request, context }: Route.LoaderArgs) {
  const fleet = context.get(fleetContext);
  const params = parseListParams(new URL(request.url), fleet);
  const page = fleet.list(toListQuery(params));
  return {
    params,
    items: page.items.map(toRowView),
    total: page.total,
    latestVersion: fleet.schema.latestVersion,
    regions: regionOptions(fleet),
    jurisdictions: fleet.regions.jurisdictions,
    todosUrl: adminConfig().TODOS_URL.replace(/\/+$/, ''),
    uploadMaxBytes: importUploadOptions(fleet).maxFileBytes,
    now: Date.now(),
  };
}

type ActionResult = { intent: 'create' | 'import'; error: string; code: string; values: Record<string, string> };

export async function action({ request, context }: Route.ActionArgs) {
  const admin = currentAdmin(context);
  const fleet = context.get(fleetContext);
  if (isMultipartForm(request)) {
    // The import form: its file streams into a temp file in the target region's staging folder
    // (from the jurisdiction and region fields before it) that lives only while `act` runs.
    return withUpload(request, context, importUploadOptions(fleet), ({ form, file }) => act(fleet, admin, form, file));
  }
  return act(fleet, admin, await smallForm(request), undefined);
}

async function act(fleet: Fleet, admin: AdminSession, form: FormData, file: UploadedFile | undefined) {
  const intent = field(form, 'intent');
  const name = field(form, 'name');
  const jurisdiction = field(form, 'jurisdiction');
  const region = field(form, 'region');
  const values = { name, jurisdiction, region };
  if (intent === 'create') {
    const displayName = field(form, 'displayName');
    try {
      await fleet.create(name, { jurisdiction, ...(region ? { region } : {}), ...(displayName ? { displayName } : {}), actor: admin.actor });
    } catch (error) {
      const described = describeError(error);
      return data<ActionResult>({ intent, code: described.code, error: described.message, values }, { status: 400 });
    }
    return redirect(`/instances/${encodeURIComponent(name)}?created=1`);
  }
  if (intent === 'import') {
    if (!file || file.size === 0) {
      return data<ActionResult>({ intent, code: 'INVALID_INPUT', error: 'Choose a .sqlite file to import.', values }, { status: 400 });
    }
    try {
      await fleet.importFile(name, file.path, { jurisdiction, ...(region ? { region } : {}), actor: admin.actor });
    } catch (error) {
      const described = describeError(error);
      return data<ActionResult>({ intent, code: described.code, error: described.message, values }, { status: 400 });
    }
    return redirect(`/instances/${encodeURIComponent(name)}?imported=1`);
  }
  return data<ActionResult>({ intent: 'create', code: 'INVALID_INPUT', error: 'Unknown action.', values }, { status: 400 });
}

const column = createColumnHelper<InstanceRowView>();

export default function Instances({ loaderData }: Route.ComponentProps) {
  const { params, items, total, latestVersion, regions, jurisdictions, todosUrl, uploadMaxBytes, now } = loaderData;
  const [searchParams] = useSearchParams();
  const submit = useSubmit();
  const navigation = useNavigation();
  useLiveRevalidate(5_000);

  const withParams = (changes: Record<string, string | number | null>): string => {
    const next = new URLSearchParams(searchParams);
    for (const [key, value] of Object.entries(changes)) {
      if (value === null || value === '') next.delete(key);
      else next.set(key, String(value));
    }
    const query = next.toString();
    return query ? `?${query}` : '?';
  };

  const columns = useMemo(
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
              {row.state === 'ready' ? (
                <a className="small" href={`${todosUrl}/t/${row.name}`} target="_blank" rel="noreferrer">
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
      column.accessor('todos', { id: 'metric:todos', header: 'TODOs', cell: (info) => <span className="num">{formatCount(info.getValue())}</span> }),
      column.accessor('completed', { id: 'metric:completed', header: 'Done', cell: (info) => <span className="num">{formatCount(info.getValue())}</span> }),
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
    [latestVersion, now, todosUrl],
  );

  const sorting: SortingState = [{ id: params.sort, desc: params.order === 'desc' }];
  const pageCount = Math.max(1, Math.ceil(total / params.size));
  const table = useReactTable({
    data: items,
    columns,
    getCoreRowModel: getCoreRowModel(),
    manualSorting: true,
    manualPagination: true,
    pageCount,
    state: { sorting, pagination: { pageIndex: params.page - 1, pageSize: params.size } },
    getRowId: (row) => row.name,
  });

  const first = total === 0 ? 0 : (params.page - 1) * params.size + 1;
  const last = Math.min(total, params.page * params.size);
  const loadingList = navigation.state === 'loading' && navigation.location.pathname === '/';

  return (
    <>
      <div className="page-head">
        <h1>Instances</h1>
        <p className="muted">
          {formatCount(total)} matching · schema v{latestVersion} is the latest
        </p>
      </div>

      <section className="actions-row">
        <CreateForm jurisdictions={jurisdictions} regions={regions} />
        <ImportForm jurisdictions={jurisdictions} regions={regions} maxBytes={uploadMaxBytes} />
      </section>

      <Form method="get" className="filters" role="search" aria-label="Filter instances" onChange={(event) => submit(event.currentTarget, { replace: true, preventScrollReset: true })}>
        <label>
          Search
          <input type="search" name="q" defaultValue={params.q} placeholder="name or display name" />
        </label>
        <SelectField label="State" name="state" empty="any" defaultValue={params.state} choices={choicesOf(STATES)} />
        <SelectField label="Jurisdiction" name="jurisdiction" empty="any" defaultValue={params.jurisdiction} choices={choicesOf(jurisdictions)} />
        <SelectField label="Region" name="region" empty="any" defaultValue={params.region} choices={regionChoices(regions)} />
        <SelectField label="Per page" name="size" defaultValue={String(params.size)} choices={choicesOf(PAGE_SIZES.map(String))} />
        <input type="hidden" name="sort" value={params.sort} />
        <input type="hidden" name="order" value={params.order} />
        <button type="submit">Apply</button>
      </Form>

      <div className={`table-wrap${loadingList ? ' dim' : ''}`} aria-busy={loadingList}>
        <table className="data" aria-label="Instances" aria-rowcount={total}>
          <thead>
            {table.getHeaderGroups().map((group) => (
              <tr key={group.id}>
                {group.headers.map((header) => {
                  const sortable = header.column.getCanSort();
                  const active = params.sort === header.column.id;
                  const nextOrder = active && params.order === 'asc' ? 'desc' : 'asc';
                  return (
                    <th key={header.id} scope="col" aria-sort={active ? (params.order === 'asc' ? 'ascending' : 'descending') : undefined}>
                      {sortable ? (
                        <Link to={withParams({ sort: header.column.id, order: nextOrder, page: null })} preventScrollReset className="sort">
                          {flexRender(header.column.columnDef.header, header.getContext())}
                          <span aria-hidden="true">{active ? (params.order === 'asc' ? ' ▲' : ' ▼') : ''}</span>
                        </Link>
                      ) : (
                        flexRender(header.column.columnDef.header, header.getContext())
                      )}
                    </th>
                  );
                })}
              </tr>
            ))}
          </thead>
          <tbody>
            {table.getRowModel().rows.map((row) => (
              <tr key={row.id} data-instance={row.id}>
                {row.getVisibleCells().map((cell) => (
                  <td key={cell.id} data-column={cell.column.id}>
                    {flexRender(cell.column.columnDef.cell, cell.getContext())}
                  </td>
                ))}
              </tr>
            ))}
            {items.length === 0 ? (
              <tr>
                <td colSpan={columns.length} className="empty">
                  No instances match.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>

      <nav className="pager" aria-label="Pages">
        <span>
          {formatCount(first)}–{formatCount(last)} of {formatCount(total)}
        </span>
        {params.page > 1 ? (
          <Link to={withParams({ page: params.page - 1 })} rel="prev">
            ← Previous
          </Link>
        ) : (
          <span className="disabled">← Previous</span>
        )}
        <span>
          Page {params.page} of {pageCount}
        </span>
        {params.page < pageCount ? (
          <Link to={withParams({ page: params.page + 1 })} rel="next">
            Next →
          </Link>
        ) : (
          <span className="disabled">Next →</span>
        )}
      </nav>
    </>
  );
}

type Placement = { jurisdictions: string[]; regions: { id: string; jurisdiction: string }[] };

function PlacementFields({ jurisdictions, regions, values, idPrefix }: Placement & { values: Record<string, string>; idPrefix: string }) {
  return (
    <>
      <label htmlFor={`${idPrefix}-jurisdiction`}>
        Jurisdiction
        <select id={`${idPrefix}-jurisdiction`} name="jurisdiction" defaultValue={values['jurisdiction'] ?? jurisdictions[0]} required>
          {jurisdictions.map((j) => (
            <option key={j} value={j}>
              {j}
            </option>
          ))}
        </select>
      </label>
      <label htmlFor={`${idPrefix}-region`}>
        Region
        <select id={`${idPrefix}-region`} name="region" defaultValue={values['region'] ?? ''}>
          <option value="">default of the jurisdiction</option>
          {regions.map((r) => (
            <option key={r.id} value={r.id}>
              {r.id} ({r.jurisdiction})
            </option>
          ))}
        </select>
      </label>
    </>
  );
}

function CreateForm(placement: Placement) {
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const mine = result?.intent === 'create' ? result : undefined;
  const busy = navigation.state === 'submitting' && navigation.formData?.get('intent') === 'create';
  return (
    <details className="card" open={mine !== undefined}>
      <summary>Create an instance</summary>
      <Form method="post" className="stack" aria-label="Create an instance">
        <CsrfField />
        <input type="hidden" name="intent" value="create" />
        <label htmlFor="create-name">
          Name
          <input
            id="create-name"
            name="name"
            required
            pattern="[a-z0-9\-]{3,63}"
            title="3–63 characters: a–z, 0–9 and -"
            defaultValue={mine?.values['name'] ?? ''}
            aria-invalid={mine ? true : undefined}
            aria-describedby={mine ? 'create-error' : 'create-hint'}
          />
        </label>
        <span id="create-hint" className="hint">
          3–63 characters: a–z, 0–9 and -
        </span>
        <label htmlFor="create-display">
          Display name (optional)
          <input id="create-display" name="displayName" maxLength={200} />
        </label>
        <PlacementFields {...placement} values={mine?.values ?? {}} idPrefix="create" />
        {mine ? (
          <p id="create-error" className="error" role="alert">
            {mine.error}
          </p>
        ) : null}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create'}
        </button>
      </Form>
    </details>
  );
}

function ImportForm({ maxBytes, ...placement }: Placement & { maxBytes: number }) {
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const mine = result?.intent === 'import' ? result : undefined;
  const busy = navigation.state === 'submitting' && navigation.formData?.get('intent') === 'import';
  return (
    <details className="card" open={mine !== undefined}>
      <summary>Import a .sqlite file</summary>
      <Form method="post" encType="multipart/form-data" className="stack" aria-label="Import an instance">
        <CsrfField />
        <input type="hidden" name="intent" value="import" />
        <label htmlFor="import-name">
          New instance name
          <input id="import-name" name="name" required pattern="[a-z0-9\-]{3,63}" defaultValue={mine?.values['name'] ?? ''} aria-describedby={mine ? 'import-error' : undefined} />
        </label>
        <PlacementFields {...placement} values={mine?.values ?? {}} idPrefix="import" />
        {/* The file comes last: the server writes it into the staging folder of the region the fields above choose. */}
        <label htmlFor="import-file">
          SQLite file
          <input
            id="import-file"
            name="file"
            type="file"
            accept=".sqlite,.db,.sqlite3,application/vnd.sqlite3,application/octet-stream"
            required
            aria-describedby="import-file-hint"
          />
        </label>
        <p id="import-file-hint" className="muted small">
          Up to {formatBytes(maxBytes)}.
        </p>
        {mine ? (
          <p id="import-error" className="error" role="alert">
            {mine.error}
          </p>
        ) : null}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Importing…' : 'Import'}
        </button>
      </Form>
    </details>
  );
}
