import { useState } from 'react';
import { useRevalidator } from 'react-router';
import { useShell } from '../../components/csrf';
import { readNdjson, type MigrateEvent, type MigrationRow } from '../../lib/ndjson';

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

/**
 * Runs "migrate all" through the streaming resource route and folds its NDJSON events into
 * the run's state as they arrive; the page data is reloaded when it ends.
 */
export function useMigrateAll(behind: number): { run: RunState | null; start: () => Promise<void> } {
  const { csrf } = useShell();
  const { revalidate } = useRevalidator();
  const [run, setRun] = useState<RunState | null>(null);

  async function start(): Promise<void> {
    const state: RunState = { total: behind, done: 0, succeeded: 0, failed: 0, finished: false, failures: [] };
    setRun({ ...state });
    try {
      const response = await fetch('/migrations/run', { method: 'POST', headers: { 'X-CSRF-Token': csrf } });
      for await (const event of readNdjson<MigrateEvent>(response)) {
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
        setRun({ ...state });
      }
      if (!response.ok && !state.error) state.error = `HTTP ${response.status}`;
      if (!state.finished) state.error ??= 'The connection ended before the migration reported its result; check the audit log.';
      state.finished = true;
      setRun({ ...state });
    } catch (error) {
      setRun({ ...state, finished: true, error: error instanceof Error ? error.message : String(error) });
    }
    void revalidate();
  }

  return { run, start };
}
