import { isSiloError } from '@silo/fleet';
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
  // The client going away (a closed tab, Stop) aborts the request's signal: the run ends, the
  // queries under way are stopped with their processes, and the iteration throws QUERY_ABORTED.
  const events = fleet.queryAll(sql, { filter, actor: admin.actor, signal: request.signal });
  const encoder = new TextEncoder();
  const line = (event: FleetQueryEvent): Uint8Array => encoder.encode(`${JSON.stringify(event)}\n`);
  const started = performance.now();
  let ok = 0;
  let failed = 0;
  /** Set once the response is cancelled: nothing is written to it any more (enqueue and close would throw). */
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      const send = (event: FleetQueryEvent): void => {
        if (!cancelled) controller.enqueue(line(event));
      };
      send({ type: 'start', total });
      try {
        for await (const event of events) {
          if (request.signal.aborted) break;
          if (event.status === 'ok') {
            ok++;
            send({ type: 'ok', instance: event.instance, columns: event.columns, rows: toRows(event.rows), truncated: event.truncated, durationMs: event.durationMs });
          } else {
            failed++;
            send({ type: 'error', instance: event.instance, code: event.code, error: event.error, durationMs: event.durationMs });
          }
        }
        if (!request.signal.aborted) send({ type: 'done', ok, failed, durationMs: performance.now() - started });
      } catch (error) {
        // Stopped for a client that went away: not a failure, and nobody is left to tell.
        if (!(request.signal.aborted && isSiloError(error, 'QUERY_ABORTED'))) {
          // A fleet error is written for operators; anything else is logged, not shown.
          send({ type: 'fatal', error: describeError(error).message });
        }
      }
      if (!cancelled) controller.close();
    },
    async cancel() {
      cancelled = true;
      await events.return(undefined);
    },
  });
  return new Response(body, { headers: { 'Content-Type': 'application/x-ndjson; charset=utf-8', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' } });
}

export function loader() {
  return new Response('POST a query to this address.', { status: 405, headers: { Allow: 'POST' } });
}
