import { type Fleet } from '@silo/fleet';
import { RoutingEngine, TursoEngine, type TursoConnectionInfo } from '@silo/fleet/internal';
import type { StreamRequest } from '@silo/turso-standin/hrana';
import { errorResults } from './stream-hosts';

/** Batons of streams that live at Turso carry this prefix, so a request with one is forwarded again. */
const TURSO_BATON_PREFIX = 't.';

export type ForwardedRoute = 'v2/pipeline' | 'v3/pipeline' | 'v3/cursor';

export function isTursoBaton(baton: unknown): baton is string {
  return typeof baton === 'string' && baton.startsWith(TURSO_BATON_PREFIX);
}

/** The Turso engine that serves this catalog URL, if one does (SILO_ENGINE=turso, alone or routing). */
export function tursoEngineFor(fleet: Fleet, dbUrl: string): TursoEngine | undefined {
  if (!dbUrl.startsWith('turso:')) return undefined;
  const engine = fleet.engine instanceof RoutingEngine ? fleet.engine.engineOfKind('turso') : fleet.engine;
  return engine instanceof TursoEngine ? engine : undefined;
}

export interface ForwardRequest {
  readonly route: ForwardedRoute;
  /** The client's body, sent on unchanged but for the baton's prefix. */
  readonly body: Record<string, unknown>;
  /** How many requests of a pipeline (for the error results of a stopped one). */
  readonly requests: readonly StreamRequest[];
  readonly timeoutMs: number;
  /** The database's URL and a group token of the client's access; called again after a renewal. */
  resolve(): Promise<TursoConnectionInfo>;
}

/**
 * Hrana requests for instances on Turso go to the instance's database at Turso, with a group
 * token instead of the client's Silo token (read-only for a read-only Silo token, so Turso
 * refuses the writes). Turso's answer goes back as it is, except the baton, marked as Turso's,
 * and `base_url`: @libsql/hrana-client sends the stream's next requests to a non-null
 * `base_url`, which would take the client (with no Turso token) away from silo serve, so it
 * is kept here, by baton, and the client is told null.
 */
export class TursoForwarder {
  readonly #baseUrls = new Map<string, { readonly url: string; readonly at: number }>();

  constructor(private readonly idleMs: number) {}

  async forward(request: ForwardRequest): Promise<Response> {
    const clientBaton = request.body['baton'];
    let upstreamBaton: string | null = null;
    let baseUrl: string | undefined;
    if (isTursoBaton(clientBaton)) {
      upstreamBaton = clientBaton.slice(TURSO_BATON_PREFIX.length);
      baseUrl = this.#baseUrls.get(upstreamBaton)?.url;
      this.#baseUrls.delete(upstreamBaton);
    }
    const body = JSON.stringify({ ...request.body, baton: upstreamBaton });
    const signal = AbortSignal.timeout(request.timeoutMs);
    let response: globalThis.Response;
    try {
      let info = await request.resolve();
      response = await post(baseUrl ?? info.url, request.route, info.token, body, signal);
      // A rotated group token: renewed once, and the request sent again (a refused one ran nothing).
      if (response.status === 401 && (await info.renew())) {
        info = await request.resolve();
        response = await post(baseUrl ?? info.url, request.route, info.token, body, signal);
      }
    } catch (error) {
      if (signal.aborted) return stopped(request);
      throw error;
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      if (signal.aborted) return stopped(request);
      throw error;
    }
    const headers = { 'content-type': response.headers.get('content-type') ?? 'application/json' };
    if (response.status !== 200) return new Response(text, { status: response.status, headers });
    if (request.route === 'v3/cursor') {
      const newline = text.indexOf('\n');
      const head = newline === -1 ? text : text.slice(0, newline);
      return new Response(`${JSON.stringify(this.#rewrite(parseObject(head)))}${newline === -1 ? '' : text.slice(newline)}`, { status: 200, headers });
    }
    return new Response(JSON.stringify(this.#rewrite(parseObject(text))), { status: 200, headers });
  }

  /** The baton marked as Turso's; a `base_url` kept for the stream's next request and hidden from the client. */
  #rewrite(answer: Record<string, unknown>): Record<string, unknown> {
    const { baton, base_url: baseUrl } = answer;
    if (typeof baton !== 'string') return { ...answer, baton: null, base_url: null };
    if (typeof baseUrl === 'string' && /^https?:\/\//.test(baseUrl)) {
      this.#prune();
      this.#baseUrls.set(baton, { url: baseUrl, at: Date.now() });
    }
    return { ...answer, baton: `${TURSO_BATON_PREFIX}${baton}`, base_url: null };
  }

  /** Streams idle past the idle limit are gone at Turso too. */
  #prune(): void {
    const cutoff = Date.now() - this.idleMs;
    for (const [baton, entry] of this.#baseUrls) if (entry.at < cutoff) this.#baseUrls.delete(baton);
  }
}

function post(base: string, route: ForwardedRoute, token: string, body: string, signal: AbortSignal): Promise<globalThis.Response> {
  // A hostname may carry a path (the stand-in's `<host>/db/<name>/`): resolved as a folder, as @libsql/client does.
  return fetch(new URL(route, base.endsWith('/') ? base : `${base}/`), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body,
    signal,
  });
}

function parseObject(text: string): Record<string, unknown> {
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('Turso answered with something other than a JSON object');
  return parsed as Record<string, unknown>;
}

/**
 * Stopped at the time limit, answered as a local stream's stopped statement is: each request an
 * error, and no baton, since what the stream at Turso still holds is unknown.
 */
function stopped(request: ForwardRequest): Response {
  const message = `The statement was stopped at the time limit (${request.timeoutMs} ms)`;
  if (request.route === 'v3/cursor') {
    const lines = [{ baton: null, base_url: null }, { type: 'error', error: { message, code: 'STATEMENT_TIMEOUT' } }];
    return new Response(lines.map((line) => `${JSON.stringify(line)}\n`).join(''), { status: 200, headers: { 'content-type': 'text/plain' } });
  }
  const results = errorResults(request.requests.length, message, 'STATEMENT_TIMEOUT');
  return new Response(JSON.stringify({ baton: null, base_url: null, results }), { status: 200, headers: { 'content-type': 'application/json' } });
}
