import type { MigrateEvent, MigrationRow } from '../../lib/ndjson';
import { useStreamedRun } from '../../lib/use-streamed-run';

export interface RunState {
  total: number;
  done: number;
  succeeded: number;
  failed: number;
  finished: boolean;
  failures: MigrationRow[];
  results?: MigrationRow[];
  omitted?: number;
  summary?: { migrated: number; upToDate: number; failed: number; durationMs: number };
  error?: string;
}

/** Runs "migrate all" through the streaming resource route, with progress; the page data is reloaded when it ends. */
export function useMigrateAll(behind: number): { run: RunState | null; start: () => Promise<void> } {
  const { run, stream } = useStreamedRun<RunState, MigrateEvent>();
  const start = (): Promise<void> =>
    stream({
      initial: { total: behind, done: 0, succeeded: 0, failed: 0, finished: false, failures: [] },
      send: (csrf) => fetch('/migrations/run', { method: 'POST', headers: { 'X-CSRF-Token': csrf } }),
      apply: (state, event) => {
        if (event.type === 'busy') {
          state.finished = true;
          state.error = event.error;
        } else if (event.type === 'start') state.total = event.total;
        else if (event.type === 'progress') {
          Object.assign(state, { total: event.total, done: event.done, succeeded: event.succeeded, failed: event.failed });
          if (event.last.status === 'failed') state.failures = [...state.failures, event.last];
        } else {
          state.finished = true;
          state.results = event.results;
          state.omitted = event.omitted;
          state.done = event.migrated + event.upToDate + event.failed;
          state.succeeded = event.migrated + event.upToDate;
          state.failed = event.failed;
          state.summary = { migrated: event.migrated, upToDate: event.upToDate, failed: event.failed, durationMs: event.durationMs };
        }
      },
      unfinished: 'The connection ended before the migration reported its result; check the audit log.',
    });
  return { run, start };
}
