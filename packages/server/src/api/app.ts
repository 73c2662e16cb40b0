import { OpenAPIHono } from '@hono/zod-openapi';
import type { Fleet } from '@silo/fleet';
import { HTTPException } from 'hono/http-exception';
import { routePath } from 'hono/route';
import { labelRequest } from '../access-log';
import { authenticate, type RateLimits } from './auth';
import type { ApiEnv } from './context';
import { dataRoutes } from './data';
import { ApiError, errorResponse, invalidInput, JSON_ONLY, MALFORMED_JSON, toErrorResponse } from './errors';
import { instanceRoutes } from './instances';
import { jsonBodyLimit } from './json-body-limit';
import { opsRoutes } from './ops';
import { blankBodyAsNone } from './valid-json';

/** JSON bodies are small; the admin console's forms have the same cap. Imports stream instead. */
export const JSON_BODY_MAX_BYTES = 256 * 1024;
export const OPENAPI_PATH = '/v1/openapi.json';

export interface ApiOptions {
  rateLimits?: RateLimits;
}

/**
 * The REST API under /v1 as a Hono app: `app.fetch(request)` answers any Fetch API request,
 * so it runs in `silo serve` (server.ts) or inside another server (the admin console) alike.
 * Validation failures and every thrown error become `{ error: { code, message } }`.
 */
export function createApiApp(fleet: Fleet, options: ApiOptions = {}): OpenAPIHono<ApiEnv> {
  const app = new OpenAPIHono<ApiEnv>({
    defaultHook: (result, c) => {
      if (result.success) return undefined;
      const issues = result.target === 'query' ? repeatedNamed(result.error.issues, (key) => c.req.queries(key)?.length ?? 0) : result.error.issues;
      return toErrorResponse(invalidInput(result.target, issues));
    },
  });
  app.onError((error) => toErrorResponse(fromHono(error)));

  // The access log names the route's pattern and the token, never the URL (it may carry names).
  app.use('/v1/*', async (c, next) => {
    // Taken before `next`: the body limit below swaps c.req.raw for a wrapper around a streamed
    // body (no Content-Length), and the log looks its label up by the request it was handed.
    const request = c.req.raw;
    await next();
    labelRequest(request, { route: routePath(c, -1).replace(/:(\w+)/g, '{$1}') || '/v1/*', ...(c.get('actor') ? { actor: c.get('actor') } : {}) });
  });
  const auth = authenticate(fleet, options.rateLimits);
  app.use('/v1/*', async (c, next) => (c.req.path === OPENAPI_PATH ? next() : auth(c, next)));
  const limitBody = jsonBodyLimit(JSON_BODY_MAX_BYTES);
  // Uploads are counted against the fleet's import limit as they stream (data.ts); every other
  // body is small JSON, read within the limit, and an empty one is none (valid-json.ts).
  app.use('/v1/*', async (c, next) => (c.req.path.endsWith('/import') ? next() : limitBody(c, () => blankBodyAsNone(c).then(next))));

  // After the middleware above, which a route registered before it would not pass through: the
  // access log names the document's route, and the auth middleware lets it by.
  app.openAPIRegistry.registerComponent('securitySchemes', 'token', { type: 'http', scheme: 'bearer', description: 'An API token from `silo token create`.' });
  app.doc31(OPENAPI_PATH, {
    openapi: '3.1.0',
    info: { title: 'Silo fleet API', version: '1.0.0', description: 'The fleet over HTTP: instances, data, migrations, backups, audit (docs/api.md).' },
    // Relative: the API answers on the origin that serves this document.
    servers: [{ url: '/', description: 'The server that serves this document' }],
    security: [{ token: [] }],
  });
  instanceRoutes(app, fleet);
  dataRoutes(app, fleet);
  opsRoutes(app, fleet);

  // A path the API serves, asked with another method, is 405 with Allow (RFC 9110), not 404.
  const allowedMethods = methodsByPath(app.routes);
  app.notFound((c) => {
    const allowed = allowedMethods(c.req.path);
    if (allowed.length === 0) return errorResponse('NOT_FOUND', 'No such API route. The routes are listed in /v1/openapi.json.', 404);
    const response = errorResponse('METHOD_NOT_ALLOWED', `${c.req.method} is not served here; use ${allowed.join(', ')}.`, 405);
    response.headers.set('Allow', allowed.join(', '));
    return response;
  });
  return app;
}

/** The methods served at a path, from the app's routes (HEAD comes with GET), none for an unknown path. */
function methodsByPath(routes: readonly { method: string; path: string }[]): (path: string) => string[] {
  const table = new Map<string, { pattern: RegExp; methods: Set<string> }>();
  for (const route of routes) {
    if (route.method === 'ALL') continue;
    const source = route.path
      .split('/')
      .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/');
    const entry = table.get(source) ?? { pattern: new RegExp(`^${source}$`), methods: new Set<string>() };
    entry.methods.add(route.method);
    if (route.method === 'GET') entry.methods.add('HEAD');
    table.set(source, entry);
  }
  return (path) => [...new Set([...table.values()].filter((entry) => entry.pattern.test(path)).flatMap((entry) => [...entry.methods]))];
}

interface Issue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/**
 * A query parameter given more than once reaches its schema as an array, which every one of
 * them refuses in words about types ("expected number, received NaN"): it is named as repeated
 * instead, once, whatever else its schema said.
 */
function repeatedNamed(issues: readonly Issue[], count: (key: string) => number): Issue[] {
  const named = new Set<string>();
  return issues.flatMap((issue): Issue[] => {
    const key = issue.path[0];
    const times = typeof key === 'string' ? count(key) : 0;
    if (times < 2 || typeof key !== 'string') return [issue];
    if (named.has(key)) return [];
    named.add(key);
    return [{ path: [key], message: `given ${times} times; give it once` }];
  });
}

/**
 * Hono's own refusals, thrown before a route runs, in the API's codes: the JSON validator's
 * (HTTP 400, the only one these routes have) is a body that is not JSON, since an empty one no
 * longer reaches it (blankBodyAsNone), and zod-openapi's media-type gate (HTTP 415) says which
 * type to send.
 */
function fromHono(error: unknown): unknown {
  if (!(error instanceof HTTPException)) return error;
  if (error.status === 415) return new ApiError('UNSUPPORTED_MEDIA_TYPE', JSON_ONLY);
  if (error.status === 400) return new ApiError('MALFORMED_JSON', MALFORMED_JSON);
  return error;
}
