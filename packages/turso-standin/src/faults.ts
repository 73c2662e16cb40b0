import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { bearerToken, platformError, readJson, sendJson } from './http-util';
import type { PlatformState } from './platform-state';

/**
 * Test hooks under `/_standin/` (the real service has no such paths), authorized by the
 * Platform API token like the API itself:
 *
 * - `POST /_standin/faults` `{ method?, path, status, retryAfter?, body?, times? }` answers the
 *   next `times` requests whose path contains `path` (and whose method is `method`) with
 *   `status` instead of serving them: what Turso Cloud does under load (429 with
 *   `Retry-After`), when a server fails (5xx), or when a proxy in front of it answers
 *   (`body: "text"` or `"html"`: not the API's `{ "error" }` JSON). With `served: true` the
 *   request takes effect first and only its answer is replaced: an answer lost on the way
 *   back, after which a client cannot know whether its request was done. `DELETE` clears them.
 * - `GET /_standin/requests` counts the requests served so far by method and path, e.g. to
 *   prove an embedded replica stopped syncing once closed.
 * - `POST /_standin/databases/<name>/new-generation` ends the sync generation of a database's
 *   replication log now (see replication-log.ts).
 */
const FaultBody = z.object({
  method: z.string().optional(),
  path: z.string().min(1),
  status: z.number().int().min(400).max(599),
  retryAfter: z.string().optional(),
  body: z.enum(['json', 'text', 'html', 'empty']).default('json'),
  times: z.number().int().positive().default(1),
  served: z.boolean().default(false),
});
type Fault = z.output<typeof FaultBody>;

export const HOOK_PREFIX = '/_standin/';

export class TestHooks {
  readonly #faults: Fault[] = [];
  readonly #requests = new Map<string, number>();

  constructor(
    private readonly apiToken: string,
    private readonly state: PlatformState,
  ) {}

  /** Counts the request and answers it with an injected fault when one matches; true when it did. */
  intercept(req: IncomingMessage, res: ServerResponse, pathname: string): boolean {
    const method = req.method ?? 'GET';
    const key = `${method} ${pathname}`;
    this.#requests.set(key, (this.#requests.get(key) ?? 0) + 1);
    const index = this.#faults.findIndex((fault) => pathname.includes(fault.path) && (fault.method === undefined || fault.method === method));
    if (index === -1) return false;
    const fault = this.#faults[index] as Fault;
    if (--fault.times <= 0) this.#faults.splice(index, 1);
    const headers: Record<string, string> = fault.retryAfter === undefined ? {} : { 'retry-after': fault.retryAfter };
    const text =
      fault.body === 'json'
        ? JSON.stringify({ error: fault.status === 429 ? 'rate limit exceeded' : 'injected failure' })
        : fault.body === 'html'
          ? `<html><body><h1>${fault.status}</h1>upstream unavailable</body></html>`
          : fault.body === 'text'
            ? `upstream error ${fault.status}`
            : '';
    const type = fault.body === 'json' ? 'application/json' : fault.body === 'html' ? 'text/html' : 'text/plain';
    const writeHead = res.writeHead.bind(res);
    const end = res.end.bind(res);
    const answer = () => {
      writeHead(fault.status, { ...headers, 'content-type': type, 'content-length': Buffer.byteLength(text) });
      end(text);
      return res;
    };
    if (!fault.served) {
      answer();
      return true;
    }
    // The handler runs and its answer is dropped: the fault's goes out once the handler ends it.
    Object.assign(res, { writeHead: () => res, write: () => true, end: answer });
    return false;
  }

  async handle(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    if (bearerToken(req) !== this.apiToken) throw platformError(401, 'Unauthorized: invalid or missing API token');
    const rest = pathname.slice(HOOK_PREFIX.length);
    const method = req.method ?? 'GET';
    if (rest === 'faults' && method === 'POST') {
      const body = FaultBody.safeParse(await readJson(req));
      if (!body.success) throw platformError(400, `invalid fault: ${body.error.issues[0]?.message ?? 'malformed'}`);
      this.#faults.push(body.data);
      return sendJson(res, 200, { faults: this.#faults.length });
    }
    if (rest === 'faults' && method === 'DELETE') {
      this.#faults.length = 0;
      return sendJson(res, 200, { faults: 0 });
    }
    if (rest === 'requests' && method === 'GET') {
      return sendJson(res, 200, { requests: Object.fromEntries(this.#requests) });
    }
    const generation = /^databases\/([^/]+)\/new-generation$/.exec(rest);
    if (generation?.[1] && method === 'POST') {
      const log = this.state.database(decodeURIComponent(generation[1])).replication();
      log.newGeneration();
      return sendJson(res, 200, { generation: log.generation });
    }
    throw platformError(404, 'not found');
  }
}
