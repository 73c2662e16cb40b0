import { OpenAPIHono } from '@hono/zod-openapi';
import type { Fleet } from '@silo/fleet';
import { bodyLimit } from 'hono/body-limit';
import { routePath } from 'hono/route';
import { labelRequest } from '../access-log';
import { authenticate, type RateLimits } from './auth';
import type { ApiEnv } from './context';
import { dataRoutes } from './data';
import { ApiError, errorResponse, toErrorResponse } from './errors';
import { instanceRoutes } from './instances';
import { opsRoutes } from './ops';

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
    defaultHook: (result) => {
      if (!result.success) {
        const problems = result.error.issues.map((issue) => `${issue.path.join('.') || result.target}: ${issue.message}`).join('; ');
        return errorResponse('INVALID_INPUT', `Invalid ${result.target}: ${problems}`, 422);
      }
      return undefined;
    },
  });
  app.onError((error) => toErrorResponse(error));
  app.notFound(() => errorResponse('NOT_FOUND', 'No such API route. The routes are listed in /v1/openapi.json.', 404));

  app.openAPIRegistry.registerComponent('securitySchemes', 'token', { type: 'http', scheme: 'bearer', description: 'An API token from `silo token create`.' });
  app.doc31(OPENAPI_PATH, {
    openapi: '3.1.0',
    info: { title: 'Silo fleet API', version: '1.0.0', description: 'The fleet over HTTP: instances, data, migrations, backups, audit (docs/api.md).' },
    security: [{ token: [] }],
  });

  // The access log names the route's pattern and the token, never the URL (it may carry names).
  app.use('/v1/*', async (c, next) => {
    await next();
    labelRequest(c.req.raw, { route: routePath(c, -1).replace(/:(\w+)/g, '{$1}') || '/v1/*', ...(c.get('actor') ? { actor: c.get('actor') } : {}) });
  });
  const auth = authenticate(fleet, options.rateLimits);
  app.use('/v1/*', async (c, next) => (c.req.path === OPENAPI_PATH ? next() : auth(c, next)));
  const limitBody = bodyLimit({
    maxSize: JSON_BODY_MAX_BYTES,
    onError: () => {
      throw new ApiError('PAYLOAD_TOO_LARGE', `The request body is larger than ${JSON_BODY_MAX_BYTES} bytes.`);
    },
  });
  // Uploads are counted against the fleet's import limit as they stream (data.ts).
  app.use('/v1/*', async (c, next) => (c.req.path.endsWith('/import') ? next() : limitBody(c, next)));

  instanceRoutes(app, fleet);
  dataRoutes(app, fleet);
  opsRoutes(app, fleet);
  return app;
}
