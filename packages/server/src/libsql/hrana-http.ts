import { isSiloError, type Fleet } from '@silo/fleet';
import { readBodyCapped } from '@silo/web';
import { CursorReqBodySchema, HttpError, PipelineReqBodySchema, StreamRegistry, cursorEntries, type StreamRequest, type StreamResult } from '@silo/turso-standin/hrana';
import type { z } from 'zod';
import { labelRequest } from '../access-log';
import type { InstanceTokenVerifier } from '../instance-tokens';
import { grantOf, type Grant } from './grant';
import { openInstanceStream, type StreamLimits } from './instance-streams';
import type { MetricsRefresher } from './metrics-refresher';
import type { LibsqlRoute } from './routing';
import { StreamHosts, type RemoteStream } from './stream-hosts';
import { TursoForwarder, isTursoBaton, tursoEngineFor, type ForwardedRoute } from './turso-forward';

/** A pipeline of that size is a bulk import, not an app's request. */
const MAX_BODY_BYTES = 32 * 1024 * 1024;

export interface EndpointContext {
  readonly fleet: Fleet;
  readonly verifier: InstanceTokenVerifier;
  readonly metrics: MetricsRefresher;
  readonly limits: StreamLimits;
  readonly streamIdleMs: number;
  /** Streams one database may have open at once (each holds a SQLite connection). */
  readonly maxOpenStreams: number;
  /** How many stream host processes run streams (stream-host.ts). */
  readonly hostProcesses: number;
  /** Each host process's memory limit. */
  readonly hostMaxMemoryBytes: number | undefined;
}

type Entry = ReturnType<StreamRegistry<RemoteStream>['add']>;

/**
 * The HTTP side of Hrana (HTTP_V2_SPEC.md, HRANA_3_SPEC.md "Hrana over HTTP"), as the Turso
 * stand-in serves it (packages/turso-standin/src/sql-endpoint.ts) but over Request/Response,
 * with instance tokens and streams opened through the fleet. Error bodies have sqld's shapes:
 * `{ error }` for a refused request, `{ message, code }` for a protocol error.
 */
export function hranaEndpoint(ctx: EndpointContext): { serve(route: LibsqlRoute, request: Request): Promise<Response>; close(): void } {
  const streams = new StreamRegistry<RemoteStream>(ctx.streamIdleMs);
  const hosts = new StreamHosts(ctx.hostProcesses, ctx.hostMaxMemoryBytes);
  const forwarder = new TursoForwarder(ctx.streamIdleMs);

  async function serve(route: LibsqlRoute, request: Request): Promise<Response> {
    try {
      const { method } = request;
      if (method === 'GET' && (route.rest === 'v2' || route.rest === 'v3')) return new Response(null, { status: 200, headers: { 'content-type': 'text/plain' } });
      if (method === 'POST' && (route.rest === 'v2/pipeline' || route.rest === 'v3/pipeline')) return await pipeline(route, request, route.rest === 'v3/pipeline' ? 3 : 2);
      if (method === 'POST' && route.rest === 'v3/cursor') return await cursor(route, request);
      // v3-protobuf among them: the 404 is how @libsql/client learns to fall back to JSON.
      return json(404, { error: `no route for ${method} ${route.rest}` });
    } catch (error) {
      return errorResponse(error);
    }
  }

  async function pipeline(route: LibsqlRoute, request: Request, version: 2 | 3): Promise<Response> {
    const grant = await authorize(route, request);
    const { body, raw } = parseBody(PipelineReqBodySchema, await readBody(request), 'pipeline');
    const entry = await streamOrForward(grant, version, version === 3 ? 'v3/pipeline' : 'v2/pipeline', raw, body.requests, body.baton);
    if (entry instanceof Response) return entry;
    let results: StreamResult[];
    let baton: string | null;
    try {
      results = await entry.stream.handle(body.requests);
    } catch (error) {
      // A request refused as a whole (403 for a read-only token) ends its stream, as in sqld.
      entry.stream.close();
      throw error;
    } finally {
      baton = streams.release(entry);
    }
    return json(200, { baton, base_url: null, results });
  }

  /** `POST v3/cursor`: the batch runs to the end, then its entries go out as JSON lines. */
  async function cursor(route: LibsqlRoute, request: Request): Promise<Response> {
    const grant = await authorize(route, request);
    const { body, raw } = parseBody(CursorReqBodySchema, await readBody(request), 'cursor');
    const entry = await streamOrForward(grant, 3, 'v3/cursor', raw, [{ type: 'batch', batch: body.batch }], body.baton);
    if (entry instanceof Response) return entry;
    let result: StreamResult | undefined;
    let baton: string | null;
    try {
      [result] = await entry.stream.handle([{ type: 'batch', batch: body.batch }]);
    } catch (error) {
      entry.stream.close();
      throw error;
    } finally {
      baton = streams.release(entry);
    }
    const lines: unknown[] = [{ baton, base_url: null }];
    if (result === undefined || result.type === 'error') lines.push({ type: 'error', error: result?.error ?? { message: 'The batch did not run', code: 'INTERNAL' } });
    else if (result.response.type === 'batch') lines.push(...cursorEntries(result.response.result));
    return new Response(lines.map((line) => `${JSON.stringify(line)}\n`).join(''), { status: 200, headers: { 'content-type': 'text/plain' } });
  }

  async function authorize(route: LibsqlRoute, request: Request): Promise<Grant> {
    const token = bearerToken(request.headers.get('authorization'));
    if (token === undefined) throw new HttpError(401, { error: 'Unauthorized: `unauthorized access attempt on database: empty JWT token`' });
    const claims = await ctx.verifier.verify(token);
    // A token for another instance (or jurisdiction) is refused like a bad one: no hint that either exists.
    const grant = claims === undefined ? undefined : grantOf(claims, route, (name) => ctx.fleet.find(name));
    if (grant === undefined) throw new HttpError(401, { error: 'Unauthorized: `the token is invalid, expired, revoked or not valid for this database`' });
    ctx.metrics.touched(grant.instance);
    labelRequest(request, { instance: grant.instance });
    return grant;
  }

  /**
   * The stream a request runs on: the one its baton names, or a new one opened through the
   * fleet (`fleet.open` makes the state and schema checks; one open per request serves both the
   * Turso check and the stream). An instance on Turso is served by Turso: the request goes
   * there (turso-forward.ts), holding the instance's lease while it runs, and its answer comes
   * back as a Response.
   */
  async function streamOrForward(
    grant: Grant,
    version: 2 | 3,
    route: ForwardedRoute,
    raw: Record<string, unknown>,
    requests: StreamRequest[],
    baton: string | null | undefined,
  ): Promise<Entry | Response> {
    // A local stream's baton: the instance was local when the stream opened, and the stream goes on here.
    if (baton !== undefined && baton !== null && !isTursoBaton(baton)) return takeStream(grant, baton);
    const handle = await ctx.fleet.open(grant.instance);
    let handedOver = false;
    try {
      // A purged and re-created instance of the same name is another database.
      if (!grant.admits(handle.instance)) throw new HttpError(401, { error: 'Unauthorized: `the token is not valid for this database`' });
      const { dbUrl, name } = handle.instance;
      const engine = tursoEngineFor(ctx.fleet, dbUrl);
      if (engine === undefined) {
        if (isTursoBaton(baton)) throw invalidBaton();
        // Each stream holds a SQLite connection for up to its idle time: a client opening them
        // without closing would take the stream host's files, for every tenant. Counted per
        // database, whichever token (instance or jurisdiction) opened them.
        const database = handle.instance.id;
        if (streams.openFor(database) >= ctx.maxOpenStreams) {
          throw new HttpError(429, {
            error: `Too many open streams on this database (${ctx.maxOpenStreams}): close streams you are done with (a "close" request), or let them idle out after ${Math.round(ctx.streamIdleMs / 1000)} s, then retry.`,
          });
        }
        const stream = openInstanceStream(ctx.fleet, hosts, handle, version, grant.access === 'read-only', ctx.limits, ctx.metrics);
        handedOver = true;
        return streams.add(grant.owner, stream, database);
      }
      const access = grant.access === 'read-only' ? 'read' : 'full';
      const statements = requests.filter((request) => request.type === 'execute' || request.type === 'batch' || request.type === 'sequence').length;
      const response = await forwarder.forward({
        route,
        body: raw,
        requests,
        timeoutMs: ctx.limits.statementTimeoutMs * Math.max(1, statements),
        resolve: () => engine.connectionInfo(dbUrl, access),
      });
      if (response.status === 200 && access === 'full') ctx.metrics.changed(name);
      return response;
    } finally {
      if (!handedOver) handle.release();
    }
  }

  function takeStream(grant: Grant, baton: string): Entry {
    const taken = streams.take(baton, grant.owner);
    if (taken.kind === 'expired') throw new HttpError(400, { message: 'The stream has expired due to inactivity', code: 'STREAM_EXPIRED' });
    if (taken.kind === 'invalid') throw invalidBaton();
    const { entry } = taken;
    // A stream lives no longer than its instance: deleted, purged or re-created under its name
    // (by any process) since the stream opened, the stream ends and the request gets what a
    // new stream would. Its connection would otherwise go on reading the old file, and
    // writing into one a purge has removed.
    try {
      if (ctx.fleet.servable(grant.instance).id !== entry.countedAs) throw invalidBaton();
    } catch (error) {
      entry.stream.close();
      streams.release(entry);
      throw error;
    }
    return entry;
  }

  return {
    serve,
    close: () => {
      streams.closeAll();
      hosts.close();
    },
  };
}

/** `content-type` exactly `application/json`: @libsql/hrana-client compares it with `===`. */
function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

function invalidBaton(): HttpError {
  return new HttpError(400, { message: 'The baton is not valid for any open stream', code: 'INVALID_BATON' });
}

function errorResponse(error: unknown): Response {
  if (error instanceof HttpError) return json(error.status, error.body);
  if (isSiloError(error, 'INSTANCE_NOT_FOUND')) return json(404, { error: 'Namespace does not exist' });
  if (isSiloError(error, 'INSTANCE_NOT_READY') || isSiloError(error, 'SCHEMA_BEHIND') || isSiloError(error, 'HANDLES_EXHAUSTED') || isSiloError(error, 'FLEET_CLOSED')) {
    return json(503, { error: error.message, code: error.code });
  }
  if (isSiloError(error)) return json(500, { error: error.message, code: error.code });
  return json(500, { error: 'Internal error' });
}

function bearerToken(header: string | null): string | undefined {
  if (header === null) return undefined;
  return /^Bearer\s+(\S+)$/i.exec(header.trim())?.[1];
}

/** A declared length over the limit is refused unread; a body without one is checked once read. */
async function readBody(request: Request): Promise<string> {
  const bytes = await readBodyCapped(request, MAX_BODY_BYTES);
  if (bytes === undefined) throw new HttpError(413, { error: 'request body too large' });
  return bytes.toString('utf8');
}

/** The body as the schema reads it, and as it came (forwarded to Turso unchanged). */
function parseBody<T>(schema: z.ZodType<T>, text: string, what: string): { body: T; raw: Record<string, unknown> } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new HttpError(400, { message: 'The request body is not valid JSON', code: 'PROTO_ERROR' });
  }
  const body = schema.safeParse(parsed);
  if (!body.success) {
    const issue = body.error.issues[0];
    throw new HttpError(400, { message: `Invalid ${what} request: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(), code: 'PROTO_ERROR' });
  }
  return { body: body.data, raw: parsed as Record<string, unknown> };
}
