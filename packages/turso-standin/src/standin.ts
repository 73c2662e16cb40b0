import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout } from 'node:timers/promises';
import { z } from 'zod';
import { HttpError, ProtocolError, sendJson, sendText } from './http-util';
import { handlePlatform, type PlatformContext } from './platform-api';
import { PlatformState } from './platform-state';
import { DATABASE_PATH_PREFIX, handleSql, type SqlContext } from './sql-endpoint';
import { StreamRegistry } from './stream-registry';
import { HOOK_PREFIX, TestHooks } from './faults';
import { UploadRegistry } from './upload';

const OptionsSchema = z.object({
  dataDir: z.string().min(1),
  org: z.string().regex(/^[a-z0-9][a-z0-9-]*$/).default('silo-standin'),
  apiToken: z.string().min(1).optional(),
  groups: z
    .array(z.object({ name: z.string(), location: z.string() }))
    .default([{ name: 'default', location: 'aws-us-east-1' }]),
  notReadyMs: z.number().int().nonnegative().default(300),
  /** Databases per page of `GET databases` when the request gives no `limit` (Turso pages its list). */
  listPageSize: z.number().int().positive().max(1000).default(50),
  /** Commits per sync generation of embedded replicas; 0 keeps one generation (see replication-log.ts). */
  replicaGenerationCommits: z.number().int().nonnegative().default(0),
  /** The organization's plan, as `subscription` and `plans` answer it; `databases: null` is a plan without a cap (PlanQuotas.databases is nullable). */
  plan: z.object({ name: z.string().default('scaler'), databases: z.number().int().positive().nullable().default(10_000) }).prefault({}),
  /** sqld expires a stream (its baton) after 10 s without a request. */
  streamIdleMs: z.number().int().positive().default(10_000),
  busyTimeoutMs: z.number().int().nonnegative().default(5_000),
  /** sqld's TXN_TIMEOUT: an interactive transaction holds the write lock for 5 s at most. */
  transactionTimeoutMs: z.number().int().positive().default(5_000),
  /** sqld's default max_response_size ("10MB"): a larger result is RESPONSE_TOO_LARGE. */
  maxResponseBytes: z.number().int().positive().default(10_000_000),
  history: z
    .object({
      intervalMs: z.number().int().nonnegative().default(1_000),
      limit: z.number().int().positive().default(50),
      retentionMs: z.number().int().positive().default(24 * 3_600_000),
    })
    .prefault({}),
  /**
   * A network round trip to simulate: each request (test hooks aside) is answered this much
   * later, as from a Turso region that far away. 0 (the default) answers at loopback speed.
   */
  roundTripMs: z.number().int().nonnegative().default(0),
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65_535).default(0),
});

export type TursoStandinOptions = z.input<typeof OptionsSchema>;

export interface TursoStandin {
  /** Base URL of the Platform API, ending in `/v1/` (what @tursodatabase/api's `baseUrl` needs). */
  platformUrl: string;
  org: string;
  apiToken: string;
  /** Pass to `createClient` of @tursodatabase/api as is. */
  apiClientConfig: { org: string; token: string; baseUrl: string };
  close(): Promise<void>;
}

/**
 * Starts the stand-in on one loopback port: the Platform API under `/v1/` and every
 * database's SQL endpoint under `/databases/<name>-<org>/` (its Hostname is
 * `127.0.0.1:<port>/databases/<name>-<org>/`, so `libsql://<Hostname>` plus `tls: false`
 * reaches it).
 */
export async function startTursoStandin(input: TursoStandinOptions): Promise<TursoStandin> {
  const options = OptionsSchema.parse(input);
  const clock = (): number => Date.now();
  const state = new PlatformState({
    dataDir: options.dataDir,
    org: options.org,
    notReadyMs: options.notReadyMs,
    history: options.history,
    replicaGenerationCommits: options.replicaGenerationCommits,
    clock,
    apiToken: options.apiToken,
  });
  const { apiToken, tokenSecret } = state;
  for (const group of options.groups) {
    if (!state.groups.has(group.name)) state.createGroup(group.name, group.location);
  }
  const streams = new StreamRegistry(options.streamIdleMs);
  const uploads = new UploadRegistry();

  let authority = '';
  const platform: PlatformContext = {
    state,
    org: options.org,
    apiToken,
    tokenSecret,
    clock,
    hostnameOf: (db) => `${authority}${DATABASE_PATH_PREFIX}${db.name}-${options.org}/`,
    onDatabaseDeleted: (db) => {
      streams.closeDatabase(db.id);
      uploads.dropDatabase(db.name);
    },
    listPageSize: options.listPageSize,
    plan: options.plan,
  };
  const hooks = new TestHooks(apiToken, state);
  const sql: SqlContext = {
    state,
    streams,
    tokenSecret,
    clock,
    busyTimeoutMs: options.busyTimeoutMs,
    transactionTimeoutMs: options.transactionTimeoutMs,
    maxResponseBytes: options.maxResponseBytes,
    uploads,
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://standin.invalid');
    if (url.pathname.startsWith(HOOK_PREFIX)) return hooks.handle(req, res, url.pathname);
    if (options.roundTripMs > 0) await setTimeout(options.roundTripMs);
    if (hooks.intercept(req, res, url.pathname)) return;
    if (url.pathname.startsWith('/v1/')) return handlePlatform(platform, req, res, url);
    if (url.pathname.startsWith(DATABASE_PATH_PREFIX)) {
      const [key = '', ...rest] = url.pathname.slice(DATABASE_PATH_PREFIX.length).split('/');
      const suffix = `-${options.org}`;
      const db = key.endsWith(suffix) ? state.databases.get(key.slice(0, -suffix.length)) : undefined;
      return handleSql(sql, req, res, db, rest.join('/'));
    }
    throw new HttpError(404, { error: 'not found' });
  };

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      if (res.headersSent) return res.destroy();
      if (error instanceof ProtocolError) return sendText(res, error.status, error.message);
      if (error instanceof HttpError) return sendJson(res, error.status, error.body);
      if (error instanceof URIError) return sendJson(res, 400, { error: 'malformed percent-encoding in the path' });
      sendJson(res, 500, { error: error instanceof Error ? error.message : String(error) });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  authority = `${options.host}:${port}`;
  const platformUrl = `http://${authority}/v1/`;

  return {
    platformUrl,
    org: options.org,
    apiToken,
    apiClientConfig: { org: options.org, token: apiToken, baseUrl: platformUrl },
    close: async () => {
      streams.closeAll();
      uploads.closeAll();
      state.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
