import type { IncomingMessage, ServerResponse } from 'node:http';
import { openConnection } from './database-files';
import { PipelineReqBodySchema, type StreamResult } from './hrana-proto';
import { bearerToken, HttpError, readBody, sendJson } from './http-util';
import type { DatabaseRecord, PlatformState } from './platform-state';
import { SqlStream } from './sql-stream';
import type { StreamRegistry } from './stream-registry';
import { verifyToken, type TokenClaims } from './tokens';

export interface SqlContext {
  state: PlatformState;
  streams: StreamRegistry;
  tokenSecret: Buffer;
  clock: () => number;
  busyTimeoutMs: number;
}

/** Databases are served under `/databases/<name>-<org>/`, the path part of their Hostname. */
export const DATABASE_PATH_PREFIX = '/databases/';

/** The SQL error shape (HRANA_3_SPEC.md "Errors"): `{ message, code }`. */
function sqlError(status: number, message: string, code: string): HttpError {
  return new HttpError(status, { message, code });
}

/**
 * SQL over HTTP for one database: `GET v2`, `GET v3` (version probes), `POST v2/pipeline`
 * (HTTP_V2_SPEC.md) and `POST v3/pipeline` (HRANA_3_SPEC.md, JSON). Anything else under
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
  if (db === undefined || ctx.clock() < db.readyAt) {
    throw new HttpError(404, { error: 'Namespace does not exist' });
  }
  const method = req.method ?? 'GET';
  if (method === 'GET' && (rest === 'v2' || rest === 'v3')) {
    res.writeHead(200, { 'content-type': 'text/plain' }).end();
    return;
  }
  if (method !== 'POST' || (rest !== 'v2/pipeline' && rest !== 'v3/pipeline')) {
    throw new HttpError(404, { error: `no route for ${method} ${rest}` });
  }
  const claims = authorize(ctx, req, db);
  const version = rest === 'v3/pipeline' ? 3 : 2;

  let parsed: unknown;
  try {
    parsed = JSON.parse(await readBody(req));
  } catch {
    throw sqlError(400, 'The request body is not valid JSON', 'PROTO_ERROR');
  }
  const body = PipelineReqBodySchema.safeParse(parsed);
  if (!body.success) {
    const issue = body.error.issues[0];
    throw sqlError(400, `Invalid pipeline request: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(), 'PROTO_ERROR');
  }

  let entry;
  if (body.data.baton === undefined || body.data.baton === null) {
    const stream = new SqlStream(openConnection(db.file), db.hooks(ctx.clock), {
      version,
      readOnly: claims.access === 'read-only',
      busyTimeoutMs: ctx.busyTimeoutMs,
    });
    entry = ctx.streams.add(db.id, stream);
  } else {
    const taken = ctx.streams.take(body.data.baton, db.id);
    if (taken.kind === 'expired') throw sqlError(400, 'The stream has expired due to inactivity', 'STREAM_EXPIRED');
    if (taken.kind === 'invalid') throw sqlError(400, 'The baton is not valid for any open stream', 'INVALID_BATON');
    entry = taken.entry;
  }

  const results: StreamResult[] = [];
  let baton: string | null;
  try {
    for (const request of body.data.requests) results.push(await entry.stream.handle(request));
  } finally {
    // The baton is renewed (or the stream dropped) even if something threw unexpectedly.
    baton = ctx.streams.release(entry);
  }
  sendJson(res, 200, { baton, base_url: null, results });
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
