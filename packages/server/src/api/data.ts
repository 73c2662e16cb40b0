import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { type OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { SiloError, type Fleet } from '@silo/fleet';
import { forSurface } from '@silo/fleet/format';
import { uploadStagingFile } from '@silo/fleet/internal';
import { assertJurisdiction, requireScope, takingName, visibleInstance, type ApiEnv } from './context';
import { ApiError, clipMessage } from './errors';
import { validJson } from './valid-json';
import { jsonResult, publicInstance } from './json';
import { ndjson } from './ndjson';
import { errorResponses, jsonBody, jsonContent, ndjsonContent } from './openapi-parts';
import { ImportQuerySchema, InstanceSchema, NameParam, QueryAllBodySchema, QueryAllLineSchema, QueryBodySchema, QueryResultSchema } from './schemas';

const exportRoute = createRoute({
  operationId: 'exportInstance',
  method: 'get',
  path: '/v1/instances/{name}/export',
  summary: 'Download a consistent SQLite snapshot (streamed)',
  tags: ['data'],
  request: { params: NameParam },
  responses: {
    200: { description: 'The SQLite file', content: { 'application/vnd.sqlite3': { schema: z.string().openapi({ format: 'binary' }) } } },
    ...errorResponses,
  },
});
/** The media types an upload may be sent as; a body without a Content-Type is taken too. */
const SQLITE_UPLOAD_TYPES = ['application/octet-stream', 'application/vnd.sqlite3', 'application/x-sqlite3'];

const importRoute = createRoute({
  operationId: 'importInstance',
  method: 'post',
  path: '/v1/instances/{name}/import',
  summary: 'Create an instance from an uploaded SQLite file (streamed; write scope)',
  tags: ['data'],
  request: {
    params: NameParam,
    query: ImportQuerySchema,
    body: {
      required: true,
      content: Object.fromEntries(SQLITE_UPLOAD_TYPES.map((type) => [type, { schema: z.string().openapi({ format: 'binary' }) }])),
    },
  },
  responses: { 201: jsonContent(InstanceSchema, 'The imported instance'), ...errorResponses },
});
const queryRoute = createRoute({
  operationId: 'queryInstance',
  method: 'post',
  path: '/v1/instances/{name}/query',
  summary: 'Run one statement on one instance (read-only unless readOnly is false: write scope)',
  tags: ['data'],
  request: { params: NameParam, body: jsonBody(QueryBodySchema) },
  responses: { 200: jsonContent(QueryResultSchema, 'Columns and rows'), ...errorResponses },
});
export const queryAllRoute = createRoute({
  operationId: 'queryAllInstances',
  method: 'post',
  path: '/v1/query-all',
  summary: 'Run one read-only statement on every ready instance; one NDJSON line per instance',
  tags: ['data'],
  request: { body: jsonBody(QueryAllBodySchema) },
  responses: {
    200: ndjsonContent('QueryAllLine', 'NDJSON: one line per instance, its result or its error'),
    ...errorResponses,
  },
});

/**
 * Export, import and queries. The import body is streamed into the staging folder of the
 * region the instance will live in (never TMPDIR, ADR 16), counted against the fleet's import
 * limit as it arrives, then validated by `Fleet.importFile` as every import is.
 */
export function dataRoutes(app: OpenAPIHono<ApiEnv>, fleet: Fleet): void {
  app.openapi(exportRoute, async (c) => {
    const { name } = c.req.valid('param');
    const instance = visibleInstance(fleet, c.get('token'), name);
    const headers = { 'Content-Type': 'application/vnd.sqlite3', 'Content-Disposition': `attachment; filename="${instance.name}.sqlite"`, 'Cache-Control': 'no-store' };
    // HEAD asks whether the export is there, not for one: no snapshot is taken and nothing audited.
    // Its length is left out, since only the snapshot would know it.
    if (c.req.method === 'HEAD') return new Response(null, { status: 200, headers });
    const file = await fleet.exportStream(name, { actor: c.get('actor') });
    return new Response(Readable.toWeb(file.stream) as ReadableStream<Uint8Array>, {
      status: 200,
      headers: { ...headers, 'Content-Length': String(file.sizeBytes) },
    });
  });

  app.openapi(importRoute, async (c) => {
    const token = c.get('token');
    requireScope(token, 'write');
    const { name } = c.req.valid('param');
    const query = c.req.valid('query');
    assertJurisdiction(token, query.jurisdiction);
    const type = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase();
    if (type !== undefined && type !== '' && !SQLITE_UPLOAD_TYPES.includes(type)) {
      throw new ApiError('UNSUPPORTED_MEDIA_TYPE', `Send the SQLite file as the body with Content-Type ${SQLITE_UPLOAD_TYPES.join(', ')}.`);
    }
    const body = c.req.raw.body;
    if (!body) throw new SiloError('INVALID_INPUT', 'Send the SQLite file as the request body.');
    const maxBytes = fleet.settings.importMaxBytes;
    const declared = Number(c.req.header('content-length') ?? '0');
    if (maxBytes !== undefined && declared > maxBytes) throw tooLarge(maxBytes);
    const staged = uploadStagingFile(fleet, { name, jurisdiction: query.jurisdiction, ...(query.region ? { region: query.region } : {}) });
    try {
      await pipeline(Readable.fromWeb(body as NodeReadableStream<Uint8Array>), byteLimit(maxBytes), createWriteStream(staged, { mode: 0o600 }));
      const instance = await takingName(fleet, token, () =>
        fleet.importFile(name, staged, {
          jurisdiction: query.jurisdiction,
          ...(query.region ? { region: query.region } : {}),
          ...(query.displayName ? { displayName: query.displayName } : {}),
          actor: c.get('actor'),
          // A client gone before the file is in place leaves nothing: no instance, the name free.
          signal: c.req.raw.signal,
        }),
      );
      return c.json(publicInstance(instance), 201);
    } finally {
      await rm(staged, { force: true });
    }
  });

  app.openapi(queryRoute, async (c) => {
    const token = c.get('token');
    const { name } = c.req.valid('param');
    const body = c.req.valid('json');
    const readOnly = body.readOnly ?? true;
    if (!readOnly) requireScope(token, 'write');
    visibleInstance(fleet, token, name);
    // A client that goes away stops the query: its process is freed for the next one.
    const result = await fleet.query(name, body.sql, body.args, { readOnly, actor: c.get('actor'), signal: c.req.raw.signal });
    return c.json(jsonResult(result), 200);
  });

  // NDJSON has no typed answer in @hono/zod-openapi: the route is documented from its schema
  // and served by hand, validated with the same schema.
  app.openAPIRegistry.registerPath(queryAllRoute);
  app.openAPIRegistry.register('QueryAllLine', QueryAllLineSchema);
  app.post(queryAllRoute.path, async (c) => {
    const token = c.get('token');
    const body = await validJson(c.req, QueryAllBodySchema);
    assertJurisdiction(token, body.filter?.jurisdiction);
    // A mistyped jurisdiction or region would match nothing and look like an empty fleet.
    fleet.regions.assertKnown(body.filter ?? {});
    const filter = { ...body.filter, ...(token.jurisdiction === null ? {} : { jurisdiction: token.jurisdiction }) };
    const events = fleet.queryAll(body.sql, {
      filter,
      actor: c.get('actor'),
      // A client that goes away stops the instances' queries under way, not only the ones to come.
      signal: c.req.raw.signal,
      ...(body.args ? { args: body.args } : {}),
      ...(body.concurrency ? { concurrency: body.concurrency } : {}),
    });
    return ndjson(
      (async function* () {
        for await (const event of events) yield event.status === 'ok' ? { ...jsonResult(event), instance: event.instance, status: event.status } : { ...event, error: clipMessage(forSurface(event.error, 'api')) };
      })(),
    );
  });
}

function tooLarge(maxBytes: number): ApiError {
  return new ApiError('PAYLOAD_TOO_LARGE', `The file is larger than ${maxBytes} bytes, the fleet's import limit (SILO_IMPORT_MAX_BYTES).`);
}

/** Fails the upload once it passes the limit, whatever Content-Length said. */
function byteLimit(maxBytes: number | undefined): Transform {
  let total = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      total += chunk.length;
      if (maxBytes !== undefined && total > maxBytes) done(tooLarge(maxBytes));
      else done(null, chunk);
    },
  });
}
