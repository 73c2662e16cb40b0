import type { IncomingMessage, ServerResponse } from 'node:http';
import { openConnection } from './database-files';
import type { z } from 'zod';
import { CursorReqBodySchema, cursorEntries, PipelineReqBodySchema, type StreamResult } from './hrana-proto';
import { isReplicaSync, serveReplicaSync } from './replica-sync';
import { bearerToken, HttpError, ProtocolError, readBody, sendJson } from './http-util';
import type { DatabaseRecord, PlatformState } from './platform-state';
import { SqlStream } from './sql-stream';
import type { StreamRegistry } from './stream-registry';
import { verifyToken, type TokenClaims } from './tokens';
import { handleUpload, isUploadRoute, type UploadRegistry } from './upload';

export interface SqlContext {
  state: PlatformState;
  streams: StreamRegistry;
  tokenSecret: Buffer;
  clock: () => number;
  busyTimeoutMs: number;
  uploads: UploadRegistry;
  transactionTimeoutMs: number;
  maxResponseBytes: number;
}

/** Databases are served under `/databases/<name>-<org>/`, the path part of their Hostname. */
export const DATABASE_PATH_PREFIX = '/databases/';

/** The SQL error shape (HRANA_3_SPEC.md "Errors"): `{ message, code }`. */
function sqlError(status: number, message: string, code: string): HttpError {
  return new HttpError(status, { message, code });
}

/**
 * SQL over HTTP for one database: `GET v2`, `GET v3` (version probes), `POST v2/pipeline`
 * (HTTP_V2_SPEC.md), `POST v3/pipeline` and `POST v3/cursor` (HRANA_3_SPEC.md, JSON), and
 * the endpoints embedded replicas sync from (replica-sync.ts). Anything else under
 * the database's path is a 404, which is how @libsql/hrana-client learns that `v3-protobuf`
 * is not offered and falls back to v2.
 */
export async function handleSql(
  ctx: SqlContext,
  req: IncomingMessage,
  res: ServerResponse,
  db: DatabaseRecord | undefined,
  rest: string,
): Promise<void> {
  // A database that does not exist yet (or any more) answers 404, like Turso in the first
  // seconds after create; the error shape follows what Turso's edge returns.
  // The upload routes serve a database_upload draft, which nothing else does (upload.ts).
  if (db !== undefined && isUploadRoute(rest)) return handleUpload(ctx, req, res, db, rest, authorize(ctx, req, db));
  if (db === undefined || db.awaitingUpload || ctx.clock() < db.readyAt) {
    throw new HttpError(404, { error: 'Namespace does not exist' });
  }
  const method = req.method ?? 'GET';
  if (method === 'GET' && (rest === 'v2' || rest === 'v3')) {
    res.writeHead(200, { 'content-type': 'text/plain' }).end();
    return;
  }
  if (method === 'GET' && isReplicaSync(rest)) {
    authorize(ctx, req, db);
    return serveReplicaSync(res, db, rest);
  }
  if (method === 'POST' && rest === 'v3/cursor') return serveCursor(ctx, req, res, db);
  if (method !== 'POST' || (rest !== 'v2/pipeline' && rest !== 'v3/pipeline')) {
    throw new HttpError(404, { error: `no route for ${method} ${rest}` });
  }
  const claims = authorize(ctx, req, db);
  const body = parseBody(PipelineReqBodySchema, await readBody(req), 'pipeline');
  const entry = streamFor(ctx, db, claims, body.baton, rest === 'v3/pipeline' ? 3 : 2);
  const results: StreamResult[] = [];
  let baton: string | null;
  try {
    for (const request of body.requests) results.push(await entry.stream.handle(request));
  } catch (error) {
    // A request refused as a whole (403) ends its stream too, as in sqld, where the stream
    // guard is dropped without being released.
    entry.stream.close();
    throw error;
  } finally {
    // The baton is renewed (or the stream dropped) even if something threw unexpectedly.
    baton = ctx.streams.release(entry);
  }
  sendJson(res, 200, { baton, base_url: null, results });
}

/**
 * `POST v3/cursor` (HRANA_3_SPEC.md "Execute a batch using a cursor (JSON)"): the batch's
 * results as newline-separated JSON, `CursorRespBody` first, then the cursor entries. Embedded
 * replicas send their reads inside a transaction this way. The batch runs to the end before
 * the first line is written; the stand-in's results are small.
 */
async function serveCursor(ctx: SqlContext, req: IncomingMessage, res: ServerResponse, db: DatabaseRecord): Promise<void> {
  const claims = authorize(ctx, req, db);
  const body = parseBody(CursorReqBodySchema, await readBody(req), 'cursor');
  const entry = streamFor(ctx, db, claims, body.baton, 3);
  let result;
  let baton: string | null;
  try {
    result = await entry.stream.handle({ type: 'batch', batch: body.batch });
  } catch (error) {
    entry.stream.close();
    throw error;
  } finally {
    baton = ctx.streams.release(entry);
  }
  const lines: unknown[] = [{ baton, base_url: null }];
  if (result.type === 'error') lines.push({ type: 'error', error: result.error });
  else if (result.response.type === 'batch') lines.push(...cursorEntries(result.response.result));
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(lines.map((line) => `${JSON.stringify(line)}\n`).join(''));
}

function streamFor(ctx: SqlContext, db: DatabaseRecord, claims: TokenClaims, baton: string | null | undefined, version: 2 | 3) {
  if (baton === undefined || baton === null) {
    const stream = new SqlStream(openConnection(db.file, db.sizeLimitBytes), db.hooks(ctx.clock), {
      version,
      readOnly: claims.access === 'read-only',
      busyTimeoutMs: ctx.busyTimeoutMs,
      transactionTimeoutMs: ctx.transactionTimeoutMs,
      maxResponseBytes: ctx.maxResponseBytes,
      // Turso's namespace of a database is its ID (the `roa.ns` of an attach token lists IDs).
      namespace: db.id,
      checkDescribe: false,
    });
    return ctx.streams.add(db.id, stream);
  }
  const taken = ctx.streams.take(baton, db.id);
  if (taken.kind === 'expired') throw sqlError(400, 'The stream has expired due to inactivity', 'STREAM_EXPIRED');
  // A forged, replayed or unknown baton is a protocol error in sqld (ProtocolError::BatonInvalid,
  // BatonReused): 400 with a text/plain body; only an expired stream answers JSON.
  if (taken.kind === 'invalid') throw new ProtocolError('Received an invalid baton');
  return taken.entry;
}

function parseBody<T>(schema: z.ZodType<T>, text: string, what: string): T {
  // sqld: ProtocolError::JsonDeserialize, answered 400 text/plain (hrana/http/mod.rs).
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ProtocolError(`Cannot deserialize client message from JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const body = schema.safeParse(parsed);
  if (!body.success) {
    const issue = body.error.issues[0];
    throw new ProtocolError(`Cannot deserialize client message from JSON: ${what} ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim());
  }
  return body.data;
}

function authorize(ctx: SqlContext, req: IncomingMessage, db: DatabaseRecord): TokenClaims {
  const token = bearerToken(req);
  if (token === undefined) {
    throw new HttpError(401, { error: 'Unauthorized: `unauthorized access attempt on database: empty JWT token`' });
  }
  const claims = verifyToken(ctx.tokenSecret, token, ctx.clock());
  const valid =
    claims !== undefined &&
    claims.groupGeneration === db.group.tokenGeneration &&
    ((claims.scope.kind === 'group' && claims.scope.id === db.group.uuid) ||
      (claims.scope.kind === 'database' && claims.scope.id === db.id && claims.databaseGeneration === db.tokenGeneration));
  if (!valid || claims === undefined) {
    throw new HttpError(401, { error: 'Unauthorized: `the token is invalid, expired or not valid for this database`' });
  }
  return claims;
}
