import type { Fleet } from '@silo/fleet';
import type { Route } from './+types/instances-bulk';
import { adminView } from '../lib/app-config.server';
import { genericMessage } from '../lib/combine-results';
import { fleetContext } from '../lib/fleet.server';
import { currentAdmin, describeError, field, smallForm } from '../lib/http.server';
import { selectedInstances } from '../lib/instance-selection.server';
import { BULK_ACTIONS, type BulkAction, type BulkEvent } from '../lib/ndjson';

/** Progress lines at most this often; every failure is sent as it happens. */
const PROGRESS_EVERY_MS = 100;

/** One fleet operation per instance, each audited by the fleet as if done from its own page. */
const OPERATIONS: Record<BulkAction, (fleet: Fleet, name: string, actor: string) => Promise<unknown>> = {
  delete: (fleet, name, actor) => fleet.delete(name, { actor }),
  backup: (fleet, name, actor) => fleet.backups.now(name, { actor }),
  migrate: (fleet, name, actor) => fleet.migrate(name, { actor }),
};

/**
 * POST: a bulk action (delete, backup, migrate) on the checked instances or on every instance
 * matching the list's filter, streamed as NDJSON (start, progress and failures, done). One
 * instance at a time; a failure is reported and the run goes on. The run finishes if the
 * browser leaves: the audit log has each instance's outcome.
 */
export async function action({ request, context }: Route.ActionArgs) {
  const admin = currentAdmin(context);
  const fleet = context.get(fleetContext);
  const form = await smallForm(request);
  const encoder = new TextEncoder();
  const line = (event: BulkEvent): Uint8Array => encoder.encode(`${JSON.stringify(event)}\n`);
  const headers = { 'Content-Type': 'application/x-ndjson; charset=utf-8', 'Cache-Control': 'no-store' };
  const chosen = field(form, 'action');
  if (!(BULK_ACTIONS as readonly string[]).includes(chosen)) {
    return new Response(Buffer.from(line({ type: 'refused', error: `Unknown bulk action "${chosen}".` })), { status: 400, headers });
  }
  const bulk = chosen as BulkAction;
  const names = selectedInstances(form, fleet, await adminView());
  let open = true;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      const send = (event: BulkEvent): void => {
        if (!open) return;
        try {
          controller.enqueue(line(event));
        } catch {
          open = false;
        }
      };
      void (async () => {
        const started = performance.now();
        let ok = 0;
        let failed = 0;
        let lastSent = 0;
        send({ type: 'start', action: bulk, total: names.length });
        for (const name of names) {
          try {
            await OPERATIONS[bulk](fleet, name, admin.actor);
            ok++;
          } catch (error) {
            failed++;
            const { code, message } = describeError(error);
            send({ type: 'failure', instance: name, code, error: genericMessage(message, name) });
          }
          const now = performance.now();
          if (now - lastSent >= PROGRESS_EVERY_MS || ok + failed === names.length) {
            lastSent = now;
            send({ type: 'progress', done: ok + failed, ok, failed });
          }
        }
        send({ type: 'done', ok, failed, durationMs: Math.round(performance.now() - started) });
      })().finally(() => {
        if (open) controller.close();
        open = false;
      });
    },
    cancel() {
      open = false;
    },
  });
  return new Response(body, { headers });
}

export function loader() {
  return new Response('POST a bulk action to this address.', { status: 405, headers: { Allow: 'POST' } });
}
