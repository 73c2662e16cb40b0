/**
 * Platform API rules of Turso Cloud that a lenient stand-in would hide (issue #12): the paged
 * database list, answers under load (429 with Retry-After, 5xx, bodies that are not the API's
 * JSON), the organization's usage, subscription and plans, and `expiration` on group tokens.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient as createTursoApi } from '@tursodatabase/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { standinHooks, startTursoStandin, type TursoStandin } from '../src/index';
import { usagePeriod } from '../src/platform-api';

let standin: TursoStandin;
let dataDir: string;
let api: ReturnType<typeof createTursoApi>;
let hooks: ReturnType<typeof standinHooks>;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'turso-fidelity-'));
  standin = await startTursoStandin({ dataDir, notReadyMs: 0, listPageSize: 2, plan: { name: 'starter', databases: 500 }, groups: [{ name: 'tenants', location: 'aws-eu-west-1' }] });
  api = createTursoApi(standin.apiClientConfig);
  hooks = standinHooks(standin);
  for (const name of ['db-a', 'db-b', 'db-c', 'db-d', 'db-e']) await api.databases.create(name, { group: 'tenants' });
});

afterAll(async () => {
  await standin?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function get(pathAndQuery: string): Promise<{ status: number; body: unknown; headers: Headers }> {
  const response = await fetch(new URL(`organizations/${standin.org}/${pathAndQuery}`, standin.platformUrl), { headers: { authorization: `Bearer ${standin.apiToken}` } });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: kept as text.
  }
  return { status: response.status, body, headers: response.headers };
}

type Page = { databases: { Name: string }[]; pagination: { next: string | null } };

describe('database list pagination (limit, cursor, pagination.next as turso-cli reads them)', () => {
  it('answers one page at a time; only following pagination.next lists every database', async () => {
    const first = (await get('databases')).body as Page;
    // Before: every database at once, with no pagination object.
    expect(first.databases.map((db) => db.Name)).toEqual(['db-a', 'db-b']);
    expect(first.pagination.next).toEqual(expect.any(String));
    const names: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Page = (await get(`databases?limit=2${cursor ? `&cursor=${cursor}` : ''}`)).body as Page;
      names.push(...page.databases.map((db) => db.Name));
      cursor = page.pagination.next;
    } while (cursor);
    expect(names).toEqual(['db-a', 'db-b', 'db-c', 'db-d', 'db-e']);
    expect(((await get('databases?limit=10')).body as Page).pagination.next).toBeNull();
    // The SDK (@tursodatabase/api 2.0.5) does not page: it sees the first page only.
    expect(await api.databases.list()).toHaveLength(2);
  });

  it('refuses a bad limit or cursor with 400', async () => {
    expect((await get('databases?limit=0')).status).toBe(400);
    expect((await get('databases?limit=5000')).status).toBe(400);
    expect((await get('databases?cursor=bogus')).status).toBe(400);
  });
});

describe('answers under load and failure (test hook /_standin/faults)', () => {
  it('answers 429 with Retry-After, then serves again', async () => {
    await hooks.injectFault({ path: '/databases/db-a', status: 429, retryAfter: '2' });
    const limited = await get('databases/db-a');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(limited.body).toEqual({ error: expect.any(String) });
    expect((await get('databases/db-a')).status).toBe(200);
  });

  it('answers 5xx with a body that is not JSON; the SDK then has no status, only "Status 503" in its message', async () => {
    await hooks.injectFault({ method: 'GET', path: '/databases/db-b', status: 503, body: 'html', times: 2 });
    const failed = await get('databases/db-b');
    expect(failed.status).toBe(503);
    expect(failed.headers.get('content-type')).toBe('text/html');
    const error = await api.databases.get('db-b').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    expect((error as { status?: unknown }).status).toBeUndefined();
    expect((error as Error).message).toMatch(/Status 503/);
    expect((await get('databases/db-b')).status).toBe(200);
  });

  it('with served: true, does the request and then answers with the fault (an answer lost on the way back)', async () => {
    await hooks.injectFault({ method: 'DELETE', path: '/databases/db-lost', status: 502, body: 'text', served: true });
    await api.databases.create('db-lost', { group: 'tenants' });
    const answer = await fetch(`${standin.platformUrl}organizations/${standin.org}/databases/db-lost`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${standin.apiToken}` },
    });
    expect(answer.status).toBe(502);
    expect(await answer.text()).toBe('upstream error 502');
    expect((await get('databases/db-lost')).status).toBe(404);
  });

  it('counts requests, and the hooks need the API token', async () => {
    const before = (await hooks.requests())[`GET /v1/organizations/${standin.org}/databases/db-c`] ?? 0;
    await get('databases/db-c');
    expect((await hooks.requests())[`GET /v1/organizations/${standin.org}/databases/db-c`]).toBe(before + 1);
    expect((await fetch(new URL('/_standin/requests', standin.platformUrl))).status).toBe(401);
  });
});

describe('organization usage, subscription and plans (what `turso plan show` reads)', () => {
  it('reports every database by DbId in one organization usage call, with the totals', async () => {
    const { status, body } = await get('usage');
    expect(status).toBe(200);
    const organization = (body as { organization: { usage: Record<string, number>; databases: { uuid: string; usage: Record<string, number> }[] } }).organization;
    expect(organization.usage).toMatchObject({ databases: 5, groups: 1, locations: 1 });
    const ids = new Set((await Promise.all(['db-a', 'db-e'].map((name) => api.databases.get(name)))).map((db) => db.id));
    expect(organization.databases.filter((db) => ids.has(db.uuid))).toHaveLength(2);
    expect(organization.databases[0]?.usage).toMatchObject({ rows_read: expect.any(Number), rows_written: expect.any(Number), storage_bytes: expect.any(Number) });
  });

  it('names the plan in the subscription and its database quota in the plan list', async () => {
    expect((await get('subscription')).body).toEqual({ subscription: { plan: 'starter', timeline: 'monthly', overages: false } });
    const { plans } = (await get('plans')).body as { plans: { name: string; quotas: { databases: number } }[] };
    expect(plans.find((plan) => plan.name === 'starter')?.quotas.databases).toBe(500);
  });
});

describe('group tokens', () => {
  it('take `expiration` (Turso duration syntax) into the token, and never expire without it', async () => {
    const payload = (jwt: string): { exp?: number; iat: number } => JSON.parse(Buffer.from(jwt.split('.')[1] as string, 'base64url').toString('utf8')) as { exp?: number; iat: number };
    const day = payload((await api.groups.createToken('tenants', { expiration: '1d' })).jwt);
    expect((day.exp ?? 0) - day.iat).toBe(86_400);
    const mixed = payload((await api.groups.createToken('tenants', { expiration: '2w1d30m' })).jwt);
    expect((mixed.exp ?? 0) - mixed.iat).toBe(14 * 86_400 + 86_400 + 1_800);
    expect(payload((await api.groups.createToken('tenants')).jwt).exp).toBeUndefined();
  });
});

describe('point-in-time branches (seed.timestamp)', () => {
  it('take an RFC 3339 timestamp within the retention window, and refuse an older one or another format with 400', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'turso-pitr-'));
    // Turso keeps 24 hours (free) to 90 days; shrunk here to 3 s.
    const own = await startTursoStandin({ dataDir: dir, notReadyMs: 0, history: { intervalMs: 0, retentionMs: 3_000 } });
    try {
      const ownApi = createTursoApi(own.apiClientConfig);
      const created = Date.now();
      await ownApi.databases.create('pitr-source', { group: 'default' });
      const branch = (name: string, timestamp: string): Promise<Response> =>
        fetch(new URL(`organizations/${own.org}/databases`, own.platformUrl), {
          method: 'POST',
          headers: { authorization: `Bearer ${own.apiToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name, group: 'default', seed: { type: 'database', name: 'pitr-source', timestamp } }),
        });
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      // What the engine sends (toISOString, with milliseconds) is RFC 3339.
      expect((await branch('pitr-iso', new Date(Date.now() - 50).toISOString())).status).toBe(200);
      // Date.parse would take these; Turso's RFC 3339 parser does not.
      for (const [name, timestamp] of [
        ['pitr-text', new Date(Date.now() - 50).toString()],
        ['pitr-no-zone', new Date(Date.now() - 50).toISOString().slice(0, 19)],
      ] as const) {
        const refused = await branch(name, timestamp);
        expect(refused.status, timestamp).toBe(400);
        expect(await refused.json()).toEqual({ error: expect.stringContaining('RFC 3339') });
      }
      // A database left unchanged since it was created: its state then is its state now, but the
      // timestamp is past the window, so Turso refuses it anyway.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, created + 3_300 - Date.now())));
      const old = await branch('pitr-old', new Date(created + 200).toISOString());
      expect(old.status).toBe(400);
      expect(await old.json()).toEqual({ error: expect.stringContaining('reaches back 3 seconds') });
    } finally {
      await own.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('usage periods', () => {
  it('default to the current calendar month (getDatabaseUsage: "Defaults to the current calendar month")', () => {
    const now = Date.UTC(2026, 2, 17, 12, 30);
    expect(usagePeriod(new URL('http://x/usage'), now)).toEqual({ from: Date.UTC(2026, 2, 1), to: undefined });
    expect(usagePeriod(new URL('http://x/usage?from=2026-01-01T00:00:00Z'), now)).toEqual({ from: Date.UTC(2026, 0, 1), to: undefined });
  });
});
