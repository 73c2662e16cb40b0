import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { bearerToken, platformError, readJson, sendJson } from './http-util';
import { parseSizeLimit } from './database-files';
import { LOCATIONS, type DatabaseRecord, type GroupRecord, type PlatformState } from './platform-state';
import { issueToken, parseAccess, parseExpiration } from './tokens';

export interface PlatformContext {
  state: PlatformState;
  org: string;
  apiToken: string;
  tokenSecret: Buffer;
  clock: () => number;
  hostnameOf(db: DatabaseRecord): string;
  /** Ends the SQL streams of a deleted database. */
  onDatabaseDeleted(db: DatabaseRecord): void;
  /** Page size of the database list when the request gives no `limit`. */
  listPageSize: number;
  plan: { name: string; databases: number | null };
}

const CreateDatabaseBody = z.object({
  name: z.unknown(),
  group: z.unknown(),
  seed: z
    .object({
      type: z.string(),
      name: z.string().optional(),
      timestamp: z.string().optional(),
    })
    .optional(),
  size_limit: z.string().optional(),
});

const CreateGroupBody = z.object({ name: z.unknown(), location: z.unknown() });

/**
 * The Platform API subset (platform-openapi.json), under `/v1/`. Every error is
 * `{ "error": "<message>" }` with the status the OpenAPI file gives the operation.
 */
export async function handlePlatform(ctx: PlatformContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  if (bearerToken(req) !== ctx.apiToken) throw platformError(401, 'Unauthorized: invalid or missing API token');
  const method = req.method ?? 'GET';
  const parts = url.pathname.split('/').filter((p) => p !== '').map(decodeURIComponent);
  // parts[0] === 'v1'
  if (parts.length === 2 && parts[1] === 'locations' && method === 'GET') {
    return sendJson(res, 200, { locations: LOCATIONS });
  }
  if (parts[1] !== 'organizations' || parts[2] === undefined) throw platformError(404, 'not found');
  if (parts[2] !== ctx.org) throw platformError(404, `organization ${parts[2]} not found`);
  const [collection, name, sub, action] = parts.slice(3);
  const actionPart = action === undefined ? '' : sub === 'instances' ? '/:instance' : `/${action}`;
  const route = `${method} ${collection ?? ''}${name === undefined ? '' : '/:name'}${sub === undefined ? '' : `/${sub}`}${actionPart}`;
  const { state } = ctx;

  switch (route) {
    case 'GET databases': {
      const group = url.searchParams.get('group');
      const parent = url.searchParams.get('parent');
      const databases = [...state.databases.values()]
        .filter((db) => group === null || db.group.name === group)
        // "Filter database branches by using their parent database ID" (listDatabases): the ID
        // (DbId), not the name.
        .filter((db) => parent === null || db.parent?.id === parent);
      const page = pageOf(databases, url, ctx.listPageSize);
      return sendJson(res, 200, { databases: page.items.map((db) => databaseJson(ctx, db)), pagination: { next: page.next } });
    }
    case 'POST databases': {
      const body = CreateDatabaseBody.safeParse((await readJson(req)) ?? {});
      if (!body.success) throw platformError(400, `invalid request body: ${body.error.issues[0]?.message ?? 'malformed'}`);
      const { seed } = body.data;
      // turso-cli's `db create --from-file` sends `seed: {type: "database_upload"}` and then
      // uploads the file to the new database's Hostname (upload.ts).
      if (seed !== undefined && seed.type !== 'database' && seed.type !== 'database_upload') {
        throw platformError(400, `seed type ${JSON.stringify(seed.type)} is not supported by the stand-in (only "database" and "database_upload")`);
      }
      if (seed?.type === 'database' && (seed.name === undefined || seed.name === '')) {
        throw platformError(400, 'seed name is required when the seed type is database');
      }
      // The plan's cap counts every database, drafts and branches too. A taken name is still a
      // 409 (state.createDatabase), so a retried create at the cap finds its database. The
      // OpenAPI file documents no status of its own for this; 400 is its refusal of a create.
      const cap = ctx.plan.databases;
      if (cap !== null && typeof body.data.name === 'string' && !state.databases.has(body.data.name) && state.databases.size >= cap) {
        throw platformError(400, `database limit reached: plan ${ctx.plan.name} allows ${cap} databases`);
      }
      const sizeLimit = body.data.size_limit === undefined ? undefined : parseSizeLimit(body.data.size_limit);
      if (body.data.size_limit !== undefined && sizeLimit === undefined) {
        throw platformError(400, `invalid size_limit ${JSON.stringify(body.data.size_limit)}: use bytes, or a number with a unit such as 256mb or 1gb`);
      }
      const db = state.createDatabase(
        body.data.name,
        body.data.group,
        seed === undefined
          ? undefined
          : seed.type === 'database_upload'
            ? { type: 'database_upload' }
            : { type: 'database', name: seed.name as string, timestamp: seed.timestamp },
        sizeLimit,
      );
      return sendJson(res, 200, { database: { DbId: db.id, Hostname: ctx.hostnameOf(db), Name: db.name } });
    }
    case 'GET databases/:name':
      return sendJson(res, 200, { database: databaseJson(ctx, state.database(name as string)) });
    case 'DELETE databases/:name': {
      const db = state.database(name as string);
      ctx.onDatabaseDeleted(db);
      state.deleteDatabase(db.name);
      return sendJson(res, 200, { database: db.name });
    }
    case 'POST databases/:name/auth/tokens': {
      const db = state.database(name as string);
      const now = ctx.clock();
      const jwt = issueToken(
        ctx.tokenSecret,
        {
          scope: { kind: 'database', id: db.id },
          access: parseAccess(url.searchParams.get('authorization')),
          groupGeneration: db.group.tokenGeneration,
          databaseGeneration: db.tokenGeneration,
          expiresAt: parseExpiration(url.searchParams.get('expiration'), now),
        },
        now,
      );
      return sendJson(res, 200, { jwt });
    }
    case 'POST databases/:name/auth/rotate': {
      state.rotateDatabaseTokens(name as string);
      // The OpenAPI file says "No Content", but @tursodatabase/api parses every 2xx body as JSON.
      return sendJson(res, 200, {});
    }
    case 'GET databases/:name/instances': {
      const db = state.database(name as string);
      return sendJson(res, 200, { instances: [instanceJson(ctx, db)] });
    }
    case 'GET databases/:name/instances/:instance': {
      const db = state.database(name as string);
      if (action !== db.group.location) throw platformError(404, `instance ${action} not found`);
      return sendJson(res, 200, { instance: instanceJson(ctx, db) });
    }
    case 'GET databases/:name/usage': {
      const db = state.database(name as string);
      const { from, to } = usagePeriod(url, ctx.clock());
      const { rowsRead, rowsWritten } = db.usage.totals(from, to);
      const usage = { rows_read: rowsRead, rows_written: rowsWritten, storage_bytes: db.storageBytes(), bytes_synced: 0 };
      return sendJson(res, 200, {
        // `total` is the OpenAPI field; @tursodatabase/api's typings call it `usage`: both are sent.
        database: { uuid: db.id, instances: [{ uuid: db.instanceId, usage }], total: usage, usage },
      });
    }
    case 'GET usage': {
      // turso-cli's OrganizationsClient.Usage: the totals, and every database's figures by DbId,
      // for the current period (getOrganizationUsage takes no from/to).
      const { from, to } = usagePeriod(new URL(url.pathname, url), ctx.clock());
      const databases = [...state.databases.values()].map((db) => {
        const { rowsRead, rowsWritten } = db.usage.totals(from, to);
        return { uuid: db.id, usage: { rows_read: rowsRead, rows_written: rowsWritten, storage_bytes: db.storageBytes(), bytes_synced: 0 } };
      });
      const sum = (key: 'rows_read' | 'rows_written' | 'storage_bytes'): number => databases.reduce((total, db) => total + db.usage[key], 0);
      const locations = new Set([...state.groups.values()].map((g) => g.location));
      return sendJson(res, 200, {
        organization: {
          uuid: ctx.org,
          usage: {
            rows_read: sum('rows_read'),
            rows_written: sum('rows_written'),
            storage_bytes: sum('storage_bytes'),
            bytes_synced: 0,
            databases: databases.length,
            locations: locations.size,
            groups: state.groups.size,
          },
          databases,
        },
      });
    }
    case 'GET subscription':
      return sendJson(res, 200, { subscription: { plan: ctx.plan.name, timeline: 'monthly', overages: false } });
    case 'GET plans':
      return sendJson(res, 200, {
        plans: [{ name: ctx.plan.name, price: '0', quotas: { databases: ctx.plan.databases, rowsRead: 0, rowsWritten: 0, storage: 0, locations: 0, groups: 0, bytesSynced: 0 } }],
      });
    case 'GET groups':
      return sendJson(res, 200, { groups: [...state.groups.values()].map(groupJson) });
    case 'POST groups': {
      const body = CreateGroupBody.safeParse((await readJson(req)) ?? {});
      if (!body.success) throw platformError(400, 'invalid request body: expected {name, location}');
      return sendJson(res, 200, { group: groupJson(state.createGroup(body.data.name, body.data.location)) });
    }
    case 'GET groups/:name':
      return sendJson(res, 200, { group: groupJson(state.group(name as string)) });
    case 'DELETE groups/:name': {
      const group = state.group(name as string);
      for (const db of state.databases.values()) if (db.group === group) ctx.onDatabaseDeleted(db);
      state.deleteGroup(group.name);
      return sendJson(res, 200, { group: groupJson(group) });
    }
    case 'POST groups/:name/auth/tokens': {
      const group = state.group(name as string);
      const now = ctx.clock();
      const jwt = issueToken(
        ctx.tokenSecret,
        {
          scope: { kind: 'group', id: group.uuid },
          access: parseAccess(url.searchParams.get('authorization')),
          groupGeneration: group.tokenGeneration,
          databaseGeneration: 0,
          expiresAt: parseExpiration(url.searchParams.get('expiration'), now),
        },
        now,
      );
      return sendJson(res, 200, { jwt });
    }
    case 'POST groups/:name/auth/rotate': {
      state.rotateGroupTokens(name as string);
      return sendJson(res, 200, {});
    }
    default:
      throw platformError(404, 'not found');
  }
}

/**
 * One page of a list: `limit` (1–1000, default the stand-in's page size) and `cursor` (the
 * opaque `pagination.next` of the page before), ordered by name. `next` is null on the last
 * page. A client that ignores `pagination.next` sees only the first page, as on Turso Cloud.
 */
function pageOf(databases: DatabaseRecord[], url: URL, defaultSize: number): { items: DatabaseRecord[]; next: string | null } {
  const limitText = url.searchParams.get('limit');
  const limit = limitText === null || limitText === '' ? defaultSize : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw platformError(400, `invalid limit ${JSON.stringify(limitText)}: use 1 to 1000`);
  const cursor = url.searchParams.get('cursor');
  let after: string | undefined;
  if (cursor !== null && cursor !== '') {
    after = Buffer.from(cursor, 'base64url').toString('utf8');
    if (!after.startsWith('after:')) throw platformError(400, 'invalid cursor');
    after = after.slice('after:'.length);
  }
  const sorted = [...databases].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const rest = after === undefined ? sorted : sorted.filter((db) => db.name > (after as string));
  const items = rest.slice(0, limit);
  const last = items.at(-1);
  return { items, next: rest.length > limit && last ? Buffer.from(`after:${last.name}`).toString('base64url') : null };
}

/**
 * `from` and `to` of a usage request. getDatabaseUsage: "Defaults to the current calendar month
 * if not provided", so rows counted in earlier months are not in an answer without them.
 */
export function usagePeriod(url: URL, now: number): { from: number; to: number | undefined } {
  const today = new Date(now);
  const monthStart = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), 1);
  return { from: dateParam(url, 'from') ?? monthStart, to: dateParam(url, 'to') };
}

function dateParam(url: URL, key: string): number | undefined {
  const value = url.searchParams.get(key);
  if (value === null || value === '') return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms) || !/(Z|[+-]\d\d:\d\d)$/.test(value)) {
    throw platformError(400, `invalid ${key} parameter: ${JSON.stringify(value)} is not an RFC 3339 date-time`);
  }
  return ms;
}

/** The Database schema of the OpenAPI file (plus the fields @tursodatabase/api maps). */
function databaseJson(ctx: PlatformContext, db: DatabaseRecord): Record<string, unknown> {
  return {
    Name: db.name,
    DbId: db.id,
    Hostname: ctx.hostnameOf(db),
    block_reads: false,
    block_writes: false,
    allow_attach: false,
    regions: [db.group.location],
    primaryRegion: db.group.location,
    type: 'logical',
    version: 'turso-standin',
    group: db.group.name,
    delete_protection: false,
    sleeping: false,
    archived: false,
    is_schema: false,
    schema: '',
    parent: db.parent === null ? null : { id: db.parent.id, name: db.parent.name, branched_at: db.parent.branchedAt },
  };
}

/** The Instance schema: one primary in the group's location (the stand-in has no replicas). */
function instanceJson(ctx: PlatformContext, db: DatabaseRecord): Record<string, unknown> {
  const location = db.group.location;
  return { uuid: db.instanceId, name: location, type: 'primary', region: location, hostname: ctx.hostnameOf(db) };
}

function groupJson(group: GroupRecord): Record<string, unknown> {
  return {
    name: group.name,
    uuid: group.uuid,
    version: 'turso-standin',
    locations: [group.location],
    primary: group.location,
    delete_protection: false,
    archived: false,
  };
}
