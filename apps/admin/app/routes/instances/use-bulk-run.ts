import { useState } from 'react';
import { useRevalidator } from 'react-router';
import { useShell } from '../../components/csrf';
import { readNdjson, type BulkAction, type BulkEvent } from '../../lib/ndjson';

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

/**
 * Runs a bulk action through the /bulk resource route and folds its NDJSON events into the
 * run's state as they arrive; the list is reloaded when it ends.
 */
export function useBulkRun(): { run: BulkRun | null; start: (action: BulkAction, body: URLSearchParams) => Promise<void> } {
  const { csrf } = useShell();
  const { revalidate } = useRevalidator();
  const [run, setRun] = useState<BulkRun | null>(null);

  async function start(action: BulkAction, body: URLSearchParams): Promise<void> {
    const state: BulkRun = { action, total: 0, done: 0, ok: 0, failed: 0, finished: false, failures: [] };
    setRun({ ...state });
    body.set('action', action);
    try {
      const response = await fetch('/bulk', { method: 'POST', headers: { 'X-CSRF-Token': csrf }, body });
      for await (const event of readNdjson<BulkEvent>(response)) {
        if (event.type === 'start') state.total = event.total;
        else if (event.type === 'progress') Object.assign(state, { done: event.done, ok: event.ok, failed: event.failed });
        else if (event.type === 'failure') state.failures = [...state.failures, { instance: event.instance, code: event.code, error: event.error }];
        else if (event.type === 'refused') state.error = event.error;
        else Object.assign(state, { finished: true, ok: event.ok, failed: event.failed, done: event.ok + event.failed, durationMs: event.durationMs });
        setRun({ ...state });
      }
      if (!response.ok && !state.error) state.error = `HTTP ${response.status}`;
      if (!state.finished) state.error ??= 'The connection ended before the run reported its result; the audit log has each instance’s outcome.';
      state.finished = true;
      setRun({ ...state });
    } catch (error) {
      setRun({ ...state, finished: true, error: error instanceof Error ? error.message : String(error) });
    }
    void revalidate();
  }

  return { run, start };
}
