import type { InstanceInfo } from '@silo/fleet';
import { csvLine } from '@silo/fleet/format';
import { eachListed, listedInstance, listedInstanceCells, listedInstanceColumns } from '@silo/fleet/internal';
import type { Route } from './+types/instances-list-export';
import { adminView } from '../lib/app-config.server';
import { fleetContext } from '../lib/fleet.server';
import { listQueryOf } from '../lib/instance-selection.server';

/**
 * GET /instances.csv and /instances.json: the instance list with the table's filters and sort
 * (its URL parameters), every match and no paging, streamed a row at a time. The columns are
 * those of `silo instances list --csv`; times are UTC ISO 8601.
 */
export async function loader({ request, context }: Route.LoaderArgs) {
  const fleet = context.get(fleetContext);
  const view = await adminView();
  const url = new URL(request.url);
  const format = url.pathname.endsWith('.json') ? 'json' : 'csv';
  const metricNames = view.metrics.map((metric) => metric.name);
  const instances = eachListed((query) => fleet.list(query), listQueryOf(url.searchParams, fleet, view));
  const lines = format === 'csv' ? csvRows(instances, metricNames) : jsonRows(instances, metricNames);
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = lines.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
    cancel() {
      lines.return(undefined);
    },
  });
  const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
  return new Response(body, {
    headers: {
      'Content-Type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8',
      'Content-Disposition': `attachment; filename="instances-${stamp}.${format}"`,
      'Cache-Control': 'no-store',
    },
  });
}

function* csvRows(instances: Iterable<InstanceInfo>, metricNames: readonly string[]): Generator<string> {
  yield csvLine(listedInstanceColumns(metricNames));
  for (const instance of instances) yield csvLine(listedInstanceCells(listedInstance(instance, metricNames), metricNames));
}

/** A JSON array, one instance per line: valid JSON, and still readable line by line. */
function* jsonRows(instances: Iterable<InstanceInfo>, metricNames: readonly string[]): Generator<string> {
  let first = true;
  for (const instance of instances) {
    yield `${first ? '[\n' : ',\n'}${JSON.stringify(listedInstance(instance, metricNames))}`;
    first = false;
  }
  yield first ? '[]\n' : '\n]\n';
}
