import { type OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { SiloError, type Fleet, type MigrateProgress } from '@silo/fleet';
import { assertJurisdiction, requireScope, requireUnscoped, takingName, visibleInstance, type ApiEnv } from './context';
import { publicInstance } from './json';
import { ndjson } from './ndjson';
import { validJson } from './valid-json';
import { errorResponses, jsonBody, jsonContent, ndjsonContent } from './openapi-parts';
import {
  AuditPageSchema,
  AuditQuerySchema,
  BackupListQuerySchema,
  BackupPointSchema,
  MigrateBodySchema,
  MigrateLineSchema,
  MigrationStatusSchema,
  NameParam,
  RestoreBodySchema,
  RestoreResultSchema,
} from './schemas';

const migrationStatus = createRoute({
  operationId: 'getMigrationStatus',
  method: 'get',
  path: '/v1/migrations',
  summary: 'How far the fleet is from the latest schema',
  tags: ['migrations'],
  responses: { 200: jsonContent(MigrationStatusSchema, 'Counts per version and pending migrations'), ...errorResponses },
});
export const migrateRoute = createRoute({
  operationId: 'runMigrations',
  method: 'post',
  path: '/v1/migrations/run',
  summary: 'Migrate every matching instance (admin scope); progress as NDJSON, the report last',
  tags: ['migrations'],
  request: { body: jsonBody(MigrateBodySchema, false) },
  responses: {
    200: ndjsonContent('MigrateLine', 'NDJSON: a progress line after each instance, then the report'),
    ...errorResponses,
  },
});
const backupList = createRoute({
  operationId: 'listBackups',
  method: 'get',
  path: '/v1/instances/{name}/backups',
  summary: "An instance's backup points, newest first",
  tags: ['backups'],
  request: { params: NameParam, query: BackupListQuerySchema },
  responses: { 200: jsonContent(z.object({ items: z.array(BackupPointSchema) }), 'The points'), ...errorResponses },
});
const backupNow = createRoute({
  operationId: 'takeBackup',
  method: 'post',
  path: '/v1/instances/{name}/backups',
  summary: 'Take a backup point now (write scope)',
  tags: ['backups'],
  request: { params: NameParam },
  responses: { 201: jsonContent(BackupPointSchema, 'The new point'), ...errorResponses },
});
const restore = createRoute({
  operationId: 'restoreInstance',
  method: 'post',
  path: '/v1/instances/{name}/restore',
  summary: 'Restore a backup point as a new instance or in place (write scope)',
  tags: ['backups'],
  request: { params: NameParam, body: jsonBody(RestoreBodySchema) },
  responses: { 200: jsonContent(RestoreResultSchema, 'What was restored'), ...errorResponses },
});
const audit = createRoute({
  operationId: 'readAuditLog',
  method: 'get',
  path: '/v1/audit',
  summary: 'The audit log, newest first (admin scope)',
  tags: ['audit'],
  request: { query: AuditQuerySchema },
  responses: { 200: jsonContent(AuditPageSchema, 'One page and the total'), ...errorResponses },
});

/** Migrations, backups and the audit log. */
export function opsRoutes(app: OpenAPIHono<ApiEnv>, fleet: Fleet): void {
  app.openapi(migrationStatus, (c) => {
    const { jurisdiction } = c.get('token');
    return c.json(fleet.migrationStatus(jurisdiction === null ? {} : { jurisdiction }), 200);
  });

  // NDJSON: documented from the route, served by hand (see data.ts).
  app.openAPIRegistry.registerPath(migrateRoute);
  app.openAPIRegistry.register('MigrateLine', MigrateLineSchema);
  app.post(migrateRoute.path, async (c) => {
    const token = c.get('token');
    requireScope(token, 'admin');
    const body = await validJson(c.req, MigrateBodySchema);
    assertJurisdiction(token, body.filter?.jurisdiction);
    fleet.regions.assertKnown(body.filter ?? {});
    const filter = { ...body.filter, ...(token.jurisdiction === null ? {} : { jurisdiction: token.jurisdiction }) };
    return ndjson(progressThenReport((onProgress) => fleet.migrateAll({ ...body, filter, actor: c.get('actor'), onProgress })));
  });

  app.openapi(backupList, async (c) => {
    const { name } = c.req.valid('param');
    visibleInstance(fleet, c.get('token'), name);
    const { limit } = c.req.valid('query');
    return c.json({ items: await fleet.backups.list(name, { details: true, ...(limit ? { limit } : {}) }) }, 200);
  });

  app.openapi(backupNow, async (c) => {
    const token = c.get('token');
    requireScope(token, 'write');
    const { name } = c.req.valid('param');
    visibleInstance(fleet, token, name);
    return c.json(await fleet.backups.now(name, { actor: c.get('actor') }), 201);
  });

  app.openapi(restore, async (c) => {
    const token = c.get('token');
    requireScope(token, 'write');
    const { name } = c.req.valid('param');
    const body = c.req.valid('json');
    visibleInstance(fleet, token, name);
    const result = await takingName(fleet, token, () =>
      fleet.backups.restore(name, {
        at: typeof body.at === 'number' ? body.at : new Date(body.at),
        ...(body.as ? { as: body.as } : {}),
        ...(body.inPlace ? { inPlace: true } : {}),
        ...(body.region ? { region: body.region } : {}),
        actor: c.get('actor'),
      }),
    );
    return c.json({ ...result, instance: publicInstance(result.instance) }, 200);
  });

  app.openapi(audit, (c) => {
    const token = c.get('token');
    requireScope(token, 'admin');
    const query = c.req.valid('query');
    if (query.instance === undefined) requireUnscoped(token, 'the whole audit log');
    // Names outlive instances: the entries of an earlier instance of this name, perhaps in another
    // jurisdiction, and another jurisdiction's refused attempts at the name, are not this token's.
    const page =
      query.instance === undefined || token.jurisdiction === null
        ? fleet.audit(query)
        : fleet.audit({ ...query, since: visibleInstance(fleet, token, query.instance).createdAt, jurisdiction: token.jurisdiction });
    // Only an empty page can be a mistyped operation; the names are read only then.
    if (page.total === 0 && query.operation !== undefined) assertAuditOperation(fleet, query.operation);
    return c.json(page, 200);
  });
}

/**
 * A misremembered operation (`migrate all` is recorded as `migrate-all`) would match nothing
 * and look like a quiet log. The names are every operation the fleet records, whether or not it
 * has happened yet, and whatever else the log holds (tools built on the fleet record their own).
 */
function assertAuditOperation(fleet: Fleet, operation: string): void {
  const held = fleet.auditOperations();
  if (held.includes(operation)) return;
  // Not quoted: the error body clips long quoted echoes of input, and the text between two quoted
  // names would read as one. No name holds a comma.
  const listed = held.join(', ');
  throw new SiloError('INVALID_INPUT', `Invalid query: operation: one of ${listed} (the operations the audit log records)`);
}

/** A fleet-wide run's progress callbacks as a stream of lines, its report as the last one. */
async function* progressThenReport<R>(run: (onProgress: (progress: MigrateProgress) => void) => Promise<R>): AsyncGenerator<unknown> {
  const queue: unknown[] = [];
  let wake: (() => void) | undefined;
  let finished = false;
  let failure: unknown;
  const push = (item: unknown): void => {
    queue.push(item);
    wake?.();
  };
  void run((progress) => push({ type: 'progress', ...progress })).then(
    (report) => {
      push({ type: 'report', ...(report as object) });
      finished = true;
      wake?.();
    },
    (error: unknown) => {
      failure = error;
      finished = true;
      wake?.();
    },
  );
  for (;;) {
    const item = queue.shift();
    if (item !== undefined) {
      yield item;
      continue;
    }
    if (finished) break;
    await new Promise<void>((resolve) => (wake = resolve));
    wake = undefined;
  }
  if (failure !== undefined) throw failure;
}
