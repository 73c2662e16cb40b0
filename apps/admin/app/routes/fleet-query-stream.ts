import type { Route } from './+types/fleet-query-stream';
import { fleetContext } from '../lib/fleet.server';
import { currentAdmin, describeError, smallForm } from '../lib/http.server';
import { countTargets, parseFleetQuery } from '../lib/fleet-query.server';
import { toRows } from '../lib/results.server';
import type { FleetQueryEvent } from '../lib/ndjson';

/**
 * POST: runs a read-only query on every matching ready instance and streams one NDJSON line
 * per instance as it finishes (start, ok/error..., done). Stops when the client goes away.
 */
export async function action({ request, context }: Route.ActionArgs) {
  const admin = currentAdmin(context);
  const fleet = context.get(fleetContext);
  const { sql, filter } = parseFleetQuery(await smallForm(request), fleet);
  if (sql.trim() === '') return new Response('Write a SQL statement first.', { status: 400 });
  const total = countTargets(fleet, filter);
  const events = fleet.queryAll(sql, { filter, actor: admin.actor });
  const encoder = new TextEncoder();
  const line = (event: FleetQueryEvent): Uint8Array => encoder.encode(`${JSON.stringify(event)}\n`);
  const started = performance.now();
  let ok = 0;
  let failed = 0;
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      controller.enqueue(line({ type: 'start', total }));
      try {
        for await (const event of events) {
          if (request.signal.aborted) break;
          if (event.status === 'ok') {
            ok++;
            controller.enqueue(
              line({ type: 'ok', instance: event.instance, columns: event.columns, rows: toRows(event.rows), truncated: event.truncated, durationMs: event.durationMs }),
            );
          } else {
            failed++;
            controller.enqueue(line({ type: 'error', instance: event.instance, code: event.code, error: event.error, durationMs: event.durationMs }));
          }
        }
        controller.enqueue(line({ type: 'done', ok, failed, durationMs: performance.now() - started }));
      } catch (error) {
        // A fleet error is written for operators; anything else is logged, not shown.
        controller.enqueue(line({ type: 'fatal', error: describeError(error).message }));
      }
      controller.close();
    },
    async cancel() {
      await events.return(undefined);
    },
  });
  return new Response(body, { headers: { 'Content-Type': 'application/x-ndjson; charset=utf-8', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' } });
}

export function loader() {
  return new Response('POST a query to this address.', { status: 405, headers: { Allow: 'POST' } });
}
