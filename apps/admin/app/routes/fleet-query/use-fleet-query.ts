import { useRef, useState, type RefObject } from 'react';
import { useShell } from '../../components/csrf';
import { readNdjson, type FleetQueryEvent } from '../../lib/ndjson';
import { signInAgain } from '../../lib/session';
import { useSqlDraft } from '../../components/sql-editor';
import type { Run } from './run';

/**
 * Runs the form's query through the streaming resource route, folding its NDJSON events into
 * the run (repainted at most every 100 ms); a new start or `stop` aborts the one in flight.
 */
export function useFleetQuery(formRef: RefObject<HTMLFormElement | null>, initial: Run | null) {
  const { csrf } = useShell();
  const abortRef = useRef<AbortController | null>(null);
  const [run, setRun] = useState<Run | null>(initial);
  // Kept from a run until its answer, so a session that ends mid-run loses nothing.
  const draft = useSqlDraft('fleet-query', formRef);

  async function start(): Promise<void> {
    const form = formRef.current;
    if (!form) return;
    abortRef.current?.abort();
    const abort = new AbortController();
    abortRef.current = abort;
    draft.save();
    const body = new URLSearchParams();
    for (const [key, value] of new FormData(form)) if (typeof value === 'string') body.append(key, value);
    const state: Run = { total: 0, ok: [], errors: [], finished: false };
    setRun({ ...state });
    try {
      const response = await fetch('/query/stream', { method: 'POST', body, headers: { 'X-CSRF-Token': csrf }, signal: abort.signal });
      // The session ended: sign in and come back (the editor's text is kept as a draft).
      if (response.status === 401) return signInAgain();
      draft.clear();
      if (!response.ok) throw new Error((await response.text()) || `HTTP ${response.status}`);
      let lastPaint = 0;
      for await (const event of readNdjson<FleetQueryEvent>(response)) {
        if (event.type === 'start') state.total = event.total;
        else if (event.type === 'ok') state.ok.push(event);
        else if (event.type === 'error') state.errors.push(event);
        else if (event.type === 'done') {
          state.finished = true;
          state.durationMs = event.durationMs;
        } else if (event.type === 'fatal') {
          state.finished = true;
          state.fatal = event.error;
        }
        const now = performance.now();
        if (state.finished || now - lastPaint > 100) {
          lastPaint = now;
          setRun({ ...state, ok: [...state.ok], errors: [...state.errors] });
        }
      }
    } catch (error) {
      if (abort.signal.aborted) return;
      setRun({ ...state, finished: true, fatal: error instanceof Error ? error.message : String(error) });
    }
  }

  function stop(): void {
    abortRef.current?.abort();
    setRun((r) => (r ? { ...r, finished: true, fatal: 'Stopped.' } : r));
  }

  return { run, start, stop };
}
