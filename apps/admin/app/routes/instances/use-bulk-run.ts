import type { BulkAction, BulkEvent } from '../../lib/ndjson';
import { useStreamedRun } from '../../lib/use-streamed-run';

export interface BulkRun {
  action: BulkAction;
  total: number;
  done: number;
  ok: number;
  failed: number;
  finished: boolean;
  failures: { instance: string; code: string; error: string }[];
  durationMs?: number;
  error?: string;
}

/** Runs a bulk action through the /bulk resource route, with progress; the list is reloaded when it ends. */
export function useBulkRun(): { run: BulkRun | null; start: (action: BulkAction, body: URLSearchParams) => Promise<void> } {
  const { run, stream } = useStreamedRun<BulkRun, BulkEvent>();
  const start = (action: BulkAction, body: URLSearchParams): Promise<void> => {
    body.set('action', action);
    return stream({
      initial: { action, total: 0, done: 0, ok: 0, failed: 0, finished: false, failures: [] },
      send: (csrf) => fetch('/bulk', { method: 'POST', headers: { 'X-CSRF-Token': csrf }, body }),
      apply: (state, event) => {
        if (event.type === 'start') state.total = event.total;
        else if (event.type === 'progress') Object.assign(state, { done: event.done, ok: event.ok, failed: event.failed });
        else if (event.type === 'failure') state.failures = [...state.failures, { instance: event.instance, code: event.code, error: event.error }];
        else if (event.type === 'refused') state.error = event.error;
        else Object.assign(state, { finished: true, ok: event.ok, failed: event.failed, done: event.ok + event.failed, durationMs: event.durationMs });
      },
      unfinished: 'The connection ended before the run reported its result; the audit log has each instance’s outcome.',
    });
  };
  return { run, start };
}
