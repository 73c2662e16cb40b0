import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isSiloError, type Fleet, type InstanceInfo } from '@silo/fleet';
import { z } from 'zod';
import { createInstanceToken, createJurisdictionToken } from '../src/instance-tokens';

/**
 * The part of Turso's Platform API (api.turso.tech/v1, platform-openapi.json) that TursoEngine
 * calls to open and to create, find, list, delete and get tokens for databases, answered from a
 * Silo fleet: a database is an instance, a group is a jurisdiction, a group token is a
 * jurisdiction token, and a database's `Hostname` is the instance's libSQL endpoint on
 * `silo serve` (`127.0.0.1:<port>/db/<name>/`; the engine puts `libsql://` in front, and with
 * TLS off @libsql/client goes to `http://127.0.0.1:<port>/db/<name>/v2/pipeline`).
 *
 * Test support for the Turso user's smoke (turso-user-smoke.test.ts), not a product: shapes are
 * the stand-in's (packages/turso-standin/src/platform-api.ts), which follows the OpenAPI file.
 * A branch (`seed: {type: "database"}`) is a Silo clone. What the shim does not fake answers an
 * error the engine handles as Turso's: point-in-time branches and uploads are refused (400);
 * usage, subscription and
 * plans are not found (404), which the engine treats as best effort; `size_limit` is ignored
 * (the fleet's own instance cap applies).
 */
export interface PlatformShimOptions {
  readonly fleet: Fleet;
  /** `http://127.0.0.1:<port>` of the `silo serve` whose libSQL endpoint serves the databases. */
  readonly serveUrl: string;
  /** Where that server's token secret comes from (its `tokenSecretDir`). */
  readonly tokenSecretDir: string;
  /** Turso group → the jurisdiction it stands for. */
  readonly groups: Readonly<Record<string, string>>;
  readonly org?: string;
  readonly apiToken?: string;
}

export interface PlatformShim {
  /** The Platform API's base, for the engine's `apiUrl`. */
  readonly apiUrl: string;
  readonly org: string;
  readonly apiToken: string;
  close(): Promise<void>;
}

class PlatformError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const CreateDatabaseBody = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
  group: z.string(),
  seed: z.object({ type: z.string(), name: z.string().optional(), timestamp: z.string().optional() }).optional(),
  size_limit: z.string().optional(),
});

export async function startPlatformShim(options: PlatformShimOptions): Promise<PlatformShim> {
  const org = options.org ?? 'silo-shim';
  const apiToken = options.apiToken ?? 'shim-platform-api-token';
  const { fleet } = options;
  const groupOf = new Map(Object.entries(options.groups).map(([group, jurisdiction]) => [jurisdiction, group]));
  const endpoint = new URL(options.serveUrl);

  const database = (info: InstanceInfo): Record<string, unknown> => ({
    Name: info.name,
    DbId: info.id,
    Hostname: `${endpoint.host}/db/${info.name}/`,
    group: groupOf.get(info.jurisdiction),
    regions: [info.region],
    primaryRegion: info.region,
    type: 'logical',
    version: 'silo-shim',
    block_reads: false,
    block_writes: false,
    allow_attach: false,
    archived: false,
    sleeping: false,
    parent: null,
  });

  const jurisdictionOf = (group: string): string => {
    const jurisdiction = options.groups[group];
    if (jurisdiction === undefined) throw new PlatformError(404, 'group not found');
    return jurisdiction;
  };

  /** A database Turso would serve: a ready instance (a soft-deleted one is gone, as on Turso). */
  const instance = (name: string): InstanceInfo => {
    const info = fleet.find(name);
    if (info === undefined || info.state !== 'ready') throw new PlatformError(404, `could not find database with name ${name}: record not found`);
    return info;
  };

  async function route(method: string, parts: string[], url: URL, req: IncomingMessage): Promise<unknown> {
    const [collection, name, sub, action] = parts;
    const key = `${method} ${collection ?? ''}${name === undefined ? '' : '/:name'}${sub === undefined ? '' : `/${sub}`}${action === undefined ? '' : `/${action}`}`;
    switch (key) {
      case 'GET groups/:name': {
        const jurisdiction = jurisdictionOf(name as string);
        const regions = fleet.regions.all.filter((region) => region.jurisdiction === jurisdiction).map((region) => region.id);
        return { group: { name, uuid: `jurisdiction-${jurisdiction}`, version: 'silo-shim', locations: regions, primary: regions[0], archived: false, delete_protection: false } };
      }
      case 'POST groups/:name/auth/tokens': {
        const jurisdiction = jurisdictionOf(name as string);
        const created = await createJurisdictionToken(fleet, {
          tokenSecretDir: options.tokenSecretDir,
          jurisdiction,
          readOnly: accessOf(url) === 'read-only',
          ...lifetimeOf(url),
        });
        return { jwt: created.token };
      }
      case 'GET databases': {
        const group = url.searchParams.get('group');
        const all = fleet
          .list({ state: 'ready', limit: 100_000, ...(group === null ? {} : { jurisdiction: jurisdictionOf(group) }) })
          .items.filter((info) => groupOf.has(info.jurisdiction))
          .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        const page = pageOf(all, url);
        return { databases: page.items.map(database), pagination: { next: page.next } };
      }
      case 'POST databases': {
        const body = CreateDatabaseBody.safeParse(await readJson(req));
        if (!body.success) throw new PlatformError(400, `invalid request body: ${body.error.issues[0]?.message ?? 'malformed'}`);
        const { seed } = body.data;
        // A branch is a Silo clone; branches as of a moment and uploads are not faked.
        if (seed !== undefined && (seed.type !== 'database' || seed.timestamp !== undefined || seed.name === undefined)) {
          throw new PlatformError(400, `seed ${JSON.stringify(seed)} is not supported by the Silo shim (only a branch of a database as it is now)`);
        }
        const jurisdiction = jurisdictionOf(body.data.group);
        try {
          let created: InstanceInfo;
          if (seed?.name === undefined) created = await fleet.create(body.data.name, { jurisdiction });
          else {
            if (instance(seed.name).jurisdiction !== jurisdiction) throw new PlatformError(400, `database ${seed.name} is not in group ${body.data.group}`);
            created = await fleet.clone(seed.name, body.data.name);
          }
          return { database: { DbId: created.id, Hostname: database(created)['Hostname'], Name: created.name } };
        } catch (error) {
          if (isSiloError(error, 'NAME_TAKEN')) throw new PlatformError(409, `database with name ${body.data.name} already exists`);
          throw error;
        }
      }
      case 'GET databases/:name':
        return { database: database(instance(name as string)) };
      case 'DELETE databases/:name': {
        instance(name as string);
        // Turso's delete is for good: Silo's soft delete, then the purge.
        await fleet.delete(name as string);
        await fleet.purge(name as string);
        return { database: name };
      }
      case 'POST databases/:name/auth/tokens': {
        const created = await createInstanceToken(fleet, {
          tokenSecretDir: options.tokenSecretDir,
          instance: instance(name as string).name,
          readOnly: accessOf(url) === 'read-only',
          ...lifetimeOf(url),
        });
        return { jwt: created.token };
      }
      default:
        throw new PlatformError(404, 'not found');
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://shim');
      if (req.headers.authorization !== `Bearer ${apiToken}`) throw new PlatformError(401, 'Unauthorized: invalid or missing API token');
      const parts = url.pathname.split('/').filter((part) => part !== '').map(decodeURIComponent);
      if (parts[0] !== 'v1' || parts[1] !== 'organizations' || parts[2] !== org) throw new PlatformError(404, 'not found');
      send(res, 200, await route(req.method ?? 'GET', parts.slice(3), url, req));
    } catch (error) {
      if (error instanceof PlatformError) send(res, error.status, { error: error.message });
      else send(res, 500, { error: error instanceof Error ? error.message : String(error) });
    }
  }

  const server: Server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    apiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    org,
    apiToken,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return text === '' ? {} : JSON.parse(text);
  } catch {
    throw new PlatformError(400, 'invalid request body: not JSON');
  }
}

/** `authorization=full-access|read-only` (Turso's default is full access). */
function accessOf(url: URL): 'full-access' | 'read-only' {
  const value = url.searchParams.get('authorization') ?? 'full-access';
  if (value !== 'full-access' && value !== 'read-only') throw new PlatformError(400, `invalid authorization ${JSON.stringify(value)}`);
  return value;
}

const UNIT_SECONDS: Readonly<Record<string, number>> = { w: 604_800, d: 86_400, h: 3_600, m: 60, s: 1 };

/** Turso's `expiration` (`1d`, `2w1d30m`, or `never`, the default) as the token's lifetime. */
function lifetimeOf(url: URL): { expiresInSeconds?: number } {
  const value = url.searchParams.get('expiration') ?? 'never';
  if (value === 'never') return {};
  if (!/^(\d+[wdhms])+$/.test(value)) throw new PlatformError(400, `invalid expiration ${JSON.stringify(value)}`);
  let seconds = 0;
  for (const [, amount, unit] of value.matchAll(/(\d+)([wdhms])/g)) seconds += Number(amount) * (UNIT_SECONDS[unit as string] ?? 0);
  return { expiresInSeconds: seconds };
}

/** `limit` and the opaque `cursor` (the `pagination.next` of the page before), by name; `next` null on the last page. */
function pageOf(all: InstanceInfo[], url: URL): { items: InstanceInfo[]; next: string | null } {
  const limitText = url.searchParams.get('limit');
  const limit = limitText === null || limitText === '' ? 100 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new PlatformError(400, `invalid limit ${JSON.stringify(limitText)}: use 1 to 1000`);
  const cursor = url.searchParams.get('cursor');
  const after = cursor === null || cursor === '' ? undefined : Buffer.from(cursor, 'base64url').toString('utf8');
  const rest = after === undefined ? all : all.filter((info) => info.name > after);
  const items = rest.slice(0, limit);
  const last = items.at(-1);
  return { items, next: rest.length > limit && last ? Buffer.from(last.name).toString('base64url') : null };
}
