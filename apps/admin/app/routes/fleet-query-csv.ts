import type { Route } from './+types/fleet-query-csv';
import { fleetContext } from '../lib/fleet.server';
import { currentAdmin, smallForm } from '../lib/http.server';
import { csvLines, parseFleetQuery } from '../lib/fleet-query.server';

/** POST: the fleet query's combined rows as CSV (instance column first). Failed instances are left out. */
export async function action({ request, context }: Route.ActionArgs) {
  const admin = currentAdmin(context);
  const fleet = context.get(fleetContext);
  const { sql, filter } = parseFleetQuery(await smallForm(request), fleet);
  if (sql.trim() === '') return new Response('Write a SQL statement first.', { status: 400 });
  // The client going away (a closed tab, a cancelled download) aborts the request's signal: the
  // run ends and the queries under way are stopped with their processes (QUERY_ABORTED).
  const lines = csvLines(fleet.queryAll(sql, { filter, actor: admin.actor, signal: request.signal }));
  const encoder = new TextEncoder();
  /** Set once the response is cancelled: nothing is written to it any more (enqueue and close would throw). */
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      // A run stopped for a client that went away rejects here: that errors a stream nobody reads.
      const next = await lines.next();
      if (cancelled) return;
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
    async cancel() {
      cancelled = true;
      await lines.return(undefined);
    },
  });
  return new Response(body, {
    headers: {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="fleet-query-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}.csv"`,
      'Cache-Control': 'no-store',
    },
  });
}

export function loader() {
  return new Response('POST a query to this address.', { status: 405, headers: { Allow: 'POST' } });
}
