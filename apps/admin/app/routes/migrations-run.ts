import type { MigrateProgress } from '@silo/fleet';
import { remember } from '@silo/web';
import type { Route } from './+types/migrations-run';
import { fleetContext } from '../lib/fleet.server';
import { currentAdmin } from '../lib/http.server';
import type { MigrateEvent, MigrationRow } from '../lib/ndjson';

/** Result rows sent at the end: every failure, then the others up to this many. */
const MAX_RESULT_ROWS = 1_000;

/**
 * POST: "Migrate all", streamed as NDJSON (start, progress..., done). One run at a time. The
 * migration keeps going if the browser leaves; the audit log records the outcome.
 */
export function action({ context }: Route.ActionArgs) {
  const admin = currentAdmin(context);
  const fleet = context.get(fleetContext);
  const migration = remember('admin.migration', () => ({ running: false }));
  const encoder = new TextEncoder();
  const line = (event: MigrateEvent): Uint8Array => encoder.encode(`${JSON.stringify(event)}\n`);
  if (migration.running) {
    return new Response(Buffer.from(line({ type: 'busy', error: 'A migration is already running; wait for it to finish.' })), {
      status: 409,
      headers: { 'Content-Type': 'application/x-ndjson; charset=utf-8' },
    });
  }
  migration.running = true;
  const total = fleet.migrationStatus().behind;
  let open = true;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      const send = (event: MigrateEvent): void => {
        if (!open) return;
        try {
          controller.enqueue(line(event));
        } catch {
          open = false;
        }
      };
      send({ type: 'start', total });
      let lastSent = 0;
      const onProgress = (progress: MigrateProgress): void => {
        const now = performance.now();
        // Every failure, and the rest at most every 50 ms: 10,000 instances stay a small stream.
        if (progress.last.status !== 'failed' && progress.done !== progress.total && now - lastSent < 50) return;
        lastSent = now;
        send({ type: 'progress', total: progress.total, done: progress.done, succeeded: progress.succeeded, failed: progress.failed, last: toRow(progress.last) });
      };
      void fleet
        .migrateAll({ actor: admin.actor, onProgress })
        .then((report) => {
          const failures = report.results.filter((r) => r.status === 'failed');
          const others = report.results.filter((r) => r.status !== 'failed').slice(0, Math.max(0, MAX_RESULT_ROWS - failures.length));
          const results = [...failures, ...others].map(toRow);
          send({
            type: 'done',
            migrated: report.migrated,
            upToDate: report.upToDate,
            failed: report.failed,
            durationMs: report.durationMs,
            results,
            omitted: report.results.length - results.length,
          });
        })
        .finally(() => {
          migration.running = false;
          if (open) controller.close();
          open = false;
        });
    },
    cancel() {
      open = false;
    },
  });
  return new Response(body, { headers: { 'Content-Type': 'application/x-ndjson; charset=utf-8', 'Cache-Control': 'no-store' } });
}

function toRow(result: { instance: string; status: string; from: number | null; to: number | null; error?: string; durationMs: number }): MigrationRow {
  return { instance: result.instance, status: result.status, from: result.from, to: result.to, ...(result.error ? { error: result.error } : {}), durationMs: result.durationMs };
}

export function loader() {
  return new Response('POST to this address to migrate every instance.', { status: 405, headers: { Allow: 'POST' } });
}
