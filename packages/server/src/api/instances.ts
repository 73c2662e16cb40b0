import { type OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { Fleet, SortKey } from '@silo/fleet';
import type { TypedResponse } from 'hono';
import { assertJurisdiction, requireScope, visibleInstance, type ApiEnv } from './context';
import { IDEMPOTENCY_KEY_PATTERN, instanceOnce } from './idempotency';
import { publicInstance } from './json';
import { metricKeys, once } from './metric-keys';
import { CloneBodySchema, CreateBodySchema, InstanceDetailsSchema, InstancePageSchema, InstanceSchema, listQuerySchema, NameParam, PurgeResultSchema } from './schemas';
import { errorResponses, jsonBody, jsonContent } from './openapi-parts';

const IdempotencyHeader = z.object({
  'idempotency-key': z
    .string()
    .regex(IDEMPOTENCY_KEY_PATTERN)
    .optional()
    .openapi({ description: 'A retry with the same key and body returns the first answer. 1 to 200 visible ASCII characters.' }),
});

/** The list, its `sort` checked against the app's metrics (schemas.ts). */
function listRoute(metrics: () => readonly string[]) {
  return createRoute({
    operationId: 'listInstances',
    method: 'get',
    path: '/v1/instances',
    summary: 'List instances (filters, sort and paging as in the admin console)',
    tags: ['instances'],
    request: { query: listQuerySchema(metrics) },
    responses: { 200: jsonContent(InstancePageSchema, 'One page and the total'), ...errorResponses },
  });
}
const show = createRoute({
  operationId: 'getInstance',
  method: 'get',
  path: '/v1/instances/{name}',
  summary: 'Show an instance in any state, with its clones',
  tags: ['instances'],
  request: { params: NameParam },
  responses: { 200: jsonContent(InstanceDetailsSchema, 'The instance'), ...errorResponses },
});
const create = createRoute({
  operationId: 'createInstance',
  method: 'post',
  path: '/v1/instances',
  summary: 'Create an instance (write scope; Idempotency-Key honoured)',
  tags: ['instances'],
  request: { headers: IdempotencyHeader, body: jsonBody(CreateBodySchema) },
  responses: { 201: jsonContent(InstanceSchema, 'The new, ready instance'), ...errorResponses },
});
const clone = createRoute({
  operationId: 'cloneInstance',
  method: 'post',
  path: '/v1/instances/{name}/clone',
  summary: 'Clone an instance within its jurisdiction (write scope; Idempotency-Key honoured)',
  tags: ['instances'],
  request: { params: NameParam, headers: IdempotencyHeader, body: jsonBody(CloneBodySchema, false) },
  responses: { 201: jsonContent(InstanceSchema, 'The clone'), ...errorResponses },
});
const remove = createRoute({
  operationId: 'deleteInstance',
  method: 'delete',
  path: '/v1/instances/{name}',
  summary: 'Soft-delete an instance (write scope)',
  tags: ['instances'],
  request: { params: NameParam },
  responses: { 200: jsonContent(InstanceSchema, 'The deleted instance'), ...errorResponses },
});
const undelete = createRoute({
  operationId: 'undeleteInstance',
  method: 'post',
  path: '/v1/instances/{name}/undelete',
  summary: 'Bring a deleted instance back (write scope)',
  tags: ['instances'],
  request: { params: NameParam },
  responses: { 200: jsonContent(InstanceSchema, 'The instance, ready again'), ...errorResponses },
});
const purge = createRoute({
  operationId: 'purgeInstance',
  method: 'post',
  path: '/v1/instances/{name}/purge',
  summary: 'Remove a deleted or failed instance for good (admin scope)',
  tags: ['instances'],
  request: { params: NameParam },
  responses: { 200: jsonContent(PurgeResultSchema, 'Whether anything was purged'), ...errorResponses },
});

/**
 * An idempotent answer is a plain Response (it may be a stored replay, or a stored error), which
 * @hono/zod-openapi cannot type; its body is an Instance as the route declares (or an error,
 * which every route may answer).
 */
function asInstanceResponse(response: Response): TypedResponse<z.infer<typeof InstanceSchema>, 201, 'json'> {
  return response as unknown as TypedResponse<z.infer<typeof InstanceSchema>, 201, 'json'>;
}

/** Instances: list, show, create, clone, delete, undelete, purge. */
export function instanceRoutes(app: OpenAPIHono<ApiEnv>, fleet: Fleet): void {
  app.openapi(listRoute(once(() => metricKeys(fleet.schema))), (c) => {
    const token = c.get('token');
    const query = c.req.valid('query');
    assertJurisdiction(token, query.jurisdiction);
    // A mistyped jurisdiction or region would match nothing and look like an empty fleet.
    fleet.regions.assertKnown(query);
    const page = fleet.list({ ...query, jurisdiction: token.jurisdiction ?? query.jurisdiction, sort: query.sort as SortKey | undefined });
    return c.json({ items: page.items.map(publicInstance), total: page.total }, 200);
  });

  app.openapi(show, (c) => {
    const instance = visibleInstance(fleet, c.get('token'), c.req.valid('param').name);
    return c.json({ ...publicInstance(instance), clones: [...instance.clones] }, 200);
  });

  app.openapi(create, async (c) => {
    const token = c.get('token');
    requireScope(token, 'write');
    const body = c.req.valid('json');
    assertJurisdiction(token, body.jurisdiction);
    const request = { token, key: c.req.valid('header')['idempotency-key'], path: c.req.path, body, actor: c.get('actor') };
    const response = await instanceOnce(fleet, 'create', request, (who) => fleet.create(body.name, { ...body, ...who }));
    return asInstanceResponse(response);
  });

  app.openapi(clone, async (c) => {
    const token = c.get('token');
    requireScope(token, 'write');
    const { name } = c.req.valid('param');
    const body = c.req.valid('json');
    const request = { token, key: c.req.valid('header')['idempotency-key'], path: c.req.path, body, actor: c.get('actor') };
    const response = await instanceOnce(fleet, 'clone', request, (who) => {
      visibleInstance(fleet, token, name);
      return fleet.clone(name, body.name, {
        ...(body.region ? { region: body.region } : {}),
        ...(body.displayName ? { displayName: body.displayName } : {}),
        ...(body.at ? { at: new Date(body.at) } : {}),
        ...who,
      });
    });
    return asInstanceResponse(response);
  });

  app.openapi(remove, async (c) => {
    const token = c.get('token');
    requireScope(token, 'write');
    const { name } = c.req.valid('param');
    visibleInstance(fleet, token, name);
    return c.json(publicInstance(await fleet.delete(name, { actor: c.get('actor') })), 200);
  });

  app.openapi(undelete, async (c) => {
    const token = c.get('token');
    requireScope(token, 'write');
    const { name } = c.req.valid('param');
    visibleInstance(fleet, token, name);
    return c.json(publicInstance(await fleet.undelete(name, { actor: c.get('actor') })), 200);
  });

  app.openapi(purge, async (c) => {
    const token = c.get('token');
    requireScope(token, 'admin');
    const { name } = c.req.valid('param');
    visibleInstance(fleet, token, name);
    return c.json(await fleet.purge(name, { actor: c.get('actor') }), 200);
  });
}
