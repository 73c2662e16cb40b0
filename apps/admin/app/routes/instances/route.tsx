import { formatCount } from '@silo/fleet/format';
import { Form, data, useNavigation, useSearchParams, useSubmit } from 'react-router';
import type { Route } from './+types/route';
import { isMultipartForm } from '../../lib/auth.server';
import { fleetContext } from '../../lib/fleet.server';
import { currentAdmin, smallForm } from '../../lib/http.server';
import { importTooLargeMessage, importUploadOptions, parseListParams, regionOptions, toListQuery, toRowView } from '../../lib/instances.server';
import { answerSubmitted, newFormToken } from '../../lib/submit-once.server';
import { PAGE_SIZES, STATES } from '../../lib/instances';
import { adminView } from '../../lib/app-config.server';
import { SelectField, choicesOf, regionChoices } from '../../components/select-field';
import { useLiveRevalidate } from '../../components/live';
import { act, importOnce } from './act.server';
import { CreateForm, ImportForm, type InstancesActionResult } from './forms';
import { InstancesTable } from './instances-table';
import { Pager } from './pager';
import { BulkBar } from './bulk-bar';
import { useSelection } from './selection';

export const meta: Route.MetaFunction = () => [{ title: 'Instances · Silo admin' }];

export async function loader({ request, context }: Route.LoaderArgs) {
  const fleet = context.get(fleetContext);
  const view = await adminView();
  const params = parseListParams(new URL(request.url), fleet, view);
  const page = fleet.list(toListQuery(params));
  return {
    params,
    items: page.items.map((instance) => toRowView(instance, view)),
    metrics: view.metrics,
    total: page.total,
    latestVersion: fleet.schema.latestVersion,
    regions: regionOptions(fleet),
    jurisdictions: fleet.regions.jurisdictions,
    uploadMaxBytes: importUploadOptions(fleet).maxFileBytes,
    uploadTooLarge: importTooLargeMessage(fleet),
    // Each rendering of the create and import forms gets their own tokens: a post runs once (submit-once.server.ts).
    createToken: newFormToken(),
    importToken: newFormToken(),
    now: Date.now(),
  };
}

export async function action({ request, context }: Route.ActionArgs) {
  const admin = currentAdmin(context);
  const fleet = context.get(fleetContext);
  if (isMultipartForm(request)) {
    // The import form: its file streams into a temp file in the target region's staging folder
    // (from the jurisdiction and region fields before it) that lives only while it is imported.
    try {
      return answerSubmitted(await importOnce(request, context, fleet, admin));
    } catch (error) {
      // Too large: the form says so next to its file field (still a 413), rather than an error page in its place.
      if (error instanceof Response && error.status === 413) {
        return data<InstancesActionResult>({ intent: 'import', code: 'TOO_LARGE', error: await error.text(), values: {} }, { status: 413 });
      }
      throw error;
    }
  }
  return act(fleet, admin, await smallForm(request));
}

export default function Instances({ loaderData }: Route.ComponentProps) {
  // `/` on a page without a search field comes here (components/shortcuts.ts).
  const [searchParams] = useSearchParams();
  const focusSearch = searchParams.get('focus') === 'search';
  const { params, items, metrics, total, latestVersion, regions, jurisdictions, uploadMaxBytes, uploadTooLarge, createToken, importToken, now } = loaderData;
  const submit = useSubmit();
  const navigation = useNavigation();
  useLiveRevalidate(5_000);
  const pageCount = Math.max(1, Math.ceil(total / params.size));
  const loadingList = navigation.state === 'loading' && navigation.location.pathname === '/';
  const controls = useSelection(params);
  const listFilter = new URLSearchParams(searchParams);
  for (const key of ['page', 'size', 'focus']) listFilter.delete(key);
  const exportQuery = listFilter.toString() ? `?${listFilter.toString()}` : '';

  return (
    <>
      <div className="page-head">
        <h1>Instances</h1>
        <p className="muted">
          {formatCount(total)} matching · schema v{latestVersion} is the latest
        </p>
      </div>

      <section className="actions-row">
        <CreateForm jurisdictions={jurisdictions} regions={regions} token={createToken} />
        <ImportForm jurisdictions={jurisdictions} regions={regions} maxBytes={uploadMaxBytes} tooLargeMessage={uploadTooLarge} token={importToken} />
      </section>

      <Form method="get" className="filters" role="search" aria-label="Filter instances" onChange={(event) => submit(event.currentTarget, { replace: true, preventScrollReset: true })}>
        <label>
          Search
          <input type="search" name="q" defaultValue={params.q} placeholder="name or display name ( / )" aria-keyshortcuts="/" autoFocus={focusSearch} />
        </label>
        <SelectField label="State" name="state" empty="any" defaultValue={params.state} choices={choicesOf(STATES)} />
        <SelectField label="Jurisdiction" name="jurisdiction" empty="any" defaultValue={params.jurisdiction} choices={choicesOf(jurisdictions)} />
        <SelectField label="Region" name="region" empty="any" defaultValue={params.region} choices={regionChoices(regions)} />
        <SelectField label="Per page" name="size" defaultValue={String(params.size)} choices={choicesOf(PAGE_SIZES.map(String))} />
        <input type="hidden" name="sort" value={params.sort} />
        <input type="hidden" name="order" value={params.order} />
        <button type="submit">Apply</button>
      </Form>

      <div className="list-tools">
        <BulkBar controls={controls} params={params} total={total} pageNames={items.map((item) => item.name)} />
        <p className="downloads">
          Download the {formatCount(total)} matching, every page (times in UTC): <a href={`/instances.csv${exportQuery}`} download>CSV</a> ·{' '}
          <a href={`/instances.json${exportQuery}`} download>
            JSON
          </a>
        </p>
      </div>
      <InstancesTable items={items} total={total} params={params} pageCount={pageCount} latestVersion={latestVersion} now={now} metrics={metrics} loadingList={loadingList} controls={controls} />
      <Pager page={params.page} pageCount={pageCount} total={total} size={params.size} />
    </>
  );
}
