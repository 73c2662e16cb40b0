import { useState } from 'react';
import { useRevalidator } from 'react-router';
import { useShell } from '../components/csrf';
import { readNdjson } from './ndjson';
import { signInAgain } from './session';

/** What every streamed run's state has: whether it ended, and why it failed as a whole. */
export interface StreamedRunState {
  finished: boolean;
  error?: string;
}

export interface StreamedRunRequest<S extends StreamedRunState, E> {
  /** The run's state before its first event. */
  readonly initial: S;
  /** Posts to the streaming resource route with the page's CSRF token. */
  readonly send: (csrf: string) => Promise<Response>;
  /** Folds one NDJSON event into the state (mutating it). */
  readonly apply: (state: S, event: E) => void;
  /** Shown when the stream ends before its last event (a dropped connection). */
  readonly unfinished: string;
}

/**
 * Runs a long operation through a resource route that answers NDJSON events, folding them into
 * the run's state as they arrive (the page shows progress), and reloads the page's data when it
 * ends, however it ends.
 */
export function useStreamedRun<S extends StreamedRunState, E>(): { run: S | null; stream: (request: StreamedRunRequest<S, E>) => Promise<void> } {
  const { csrf } = useShell();
  const { revalidate } = useRevalidator();
  const [run, setRun] = useState<S | null>(null);

  async function stream({ initial, send, apply, unfinished }: StreamedRunRequest<S, E>): Promise<void> {
    const state = { ...initial };
    setRun({ ...state });
    try {
      const response = await send(csrf);
      // The session ended before the run started: nothing was done; sign in and come back.
      if (response.status === 401) return signInAgain();
      for await (const event of readNdjson<E>(response)) {
        apply(state, event);
        setRun({ ...state });
      }
      if (!response.ok && !state.error) state.error = `HTTP ${response.status}`;
      if (!state.finished) state.error ??= unfinished;
      state.finished = true;
      setRun({ ...state });
    } catch (error) {
      setRun({ ...state, finished: true, error: error instanceof Error ? error.message : String(error) });
    }
    void revalidate();
  }

  return { run, stream };
}
