import type { TursoStandin } from './standin';

export interface InjectedFault {
  /** Only requests of this method (default: any). */
  method?: string;
  /** Requests whose path contains this, e.g. `/databases` or `/groups/silo-eu/auth/tokens`. */
  path: string;
  status: number;
  /** The `Retry-After` header, as sent (seconds, or an HTTP date). */
  retryAfter?: string;
  /** `json` is the API's `{ "error" }`; the others are what a proxy in front of it may answer. */
  body?: 'json' | 'text' | 'html' | 'empty';
  /** How many matching requests fail (default 1). */
  times?: number;
  /** The request takes effect and only its answer is the fault's: an answer lost on the way back. */
  served?: boolean;
}

/** The stand-in's test hooks (faults.ts), over HTTP so they reach a stand-in in a child process too. */
export function standinHooks(standin: Pick<TursoStandin, 'platformUrl' | 'apiToken'>) {
  const base = new URL('/_standin/', standin.platformUrl);
  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const response = await fetch(new URL(path, base), {
      method,
      headers: { authorization: `Bearer ${standin.apiToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`stand-in hook ${method} ${path}: ${response.status} ${await response.text()}`);
    return response.json();
  };
  return {
    injectFault: async (fault: InjectedFault): Promise<void> => void (await call('POST', 'faults', fault)),
    clearFaults: async (): Promise<void> => void (await call('DELETE', 'faults')),
    /** Requests served so far, by `"<METHOD> <path>"`. */
    requests: async (): Promise<Record<string, number>> => ((await call('GET', 'requests')) as { requests: Record<string, number> }).requests,
    /** Ends the database's current sync generation; returns the new generation number. */
    newGeneration: async (database: string): Promise<number> =>
      ((await call('POST', `databases/${encodeURIComponent(database)}/new-generation`)) as { generation: number }).generation,
  };
}
