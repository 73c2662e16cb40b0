import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { hostname } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SiloError, type Fleet } from '@silo/fleet';
import { takingName } from '../src/api/context';
import { createApiApp } from '../src/api/app';
import { withParserFraming } from '../src/api/json-body-limit';
import { createServer, type RunningServer } from '../src/index';
import { startApi, type ApiHarness } from './api-harness';

/** The API contract over real HTTP on loopback: routes, error codes, idempotency, scopes. */
// One fleet for the whole file (the fleet helpers close theirs after each test).
let api: ApiHarness;
let fleet: Fleet;
let server: RunningServer;
let dataDir: string;
let tokens: ApiHarness['tokens'];

beforeAll(async () => {
  api = await startApi({ rateLimits: { perTokenPerMinute: 10_000 } });
  ({ fleet, server, dataDir, tokens } = api);
});
afterAll(async () => {
  await api?.close();
});

async function call(method: string, route: string, token: string | undefined, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(`${server.url}${route}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: response.headers };
}

/** Uploads `body` as a new instance `name` in eu, as `call` answers. */
async function upload(token: string, name: string, body: Uint8Array): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${server.url}/v1/instances/${name}/import?jurisdiction=eu`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
    body,
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

/** An eu instance with a backup point, and a snapshot of it: what the name-taking routes start from. */
let taker: Promise<{ source: string; snapshot: Uint8Array }> | undefined;
async function nameTaker(): Promise<string> {
  taker ??= (async () => {
    const source = 'taker-eu';
    expect((await call('POST', '/v1/instances', tokens.eu, { name: source, jurisdiction: 'eu' })).status).toBe(201);
    expect((await call('POST', `/v1/instances/${source}/backups`, tokens.eu)).status).toBe(201);
    const exported = await fetch(`${server.url}/v1/instances/${source}/export`, { headers: { authorization: `Bearer ${tokens.eu}` } });
    expect(exported.status).toBe(200);
    const snapshot = new Uint8Array(await exported.arrayBuffer());
    // Each route makes an instance from it under a free name: only the name can be refused below.
    const made = await takeName(tokens.eu, source, 'taker-free', snapshot);
    expect(Object.values(made).map((answer) => answer.status)).toEqual([201, 201, 201, 200]);
    return { source, snapshot };
  })();
  return (await taker).source;
}

/**
 * Every route that makes an instance under a name the caller chooses (create, clone, import,
 * restore as a new instance), each asked for `name` (suffixed with the route when `snapshot` is
 * given: each then makes its own) with `token`.
 */
async function takeName(token: string, source: string, name: string, snapshot?: Uint8Array): Promise<Record<'create' | 'clone' | 'import' | 'restore', { status: number; json: Record<string, unknown> }>> {
  const named = (route: string): string => (snapshot ? `${name}-${route}` : name);
  const body = snapshot ?? (await taker)?.snapshot;
  if (!body) return expect.fail('nameTaker() first');
  const { status: createStatus, json: createJson } = await call('POST', '/v1/instances', token, { name: named('create'), jurisdiction: 'eu' });
  const { status: cloneStatus, json: cloneJson } = await call('POST', `/v1/instances/${source}/clone`, token, { name: named('clone') });
  const imported = await upload(token, named('import'), body);
  const { status: restoreStatus, json: restoreJson } = await call('POST', `/v1/instances/${source}/restore`, token, { at: Date.now(), as: named('restore') });
  return {
    create: { status: createStatus, json: createJson },
    clone: { status: cloneStatus, json: cloneJson },
    import: imported,
    restore: { status: restoreStatus, json: restoreJson },
  };
}

/** All a scoped token may learn of a name another jurisdiction holds: that it is taken. */
function onlyTaken(name: string): Record<string, unknown> {
  return { error: { code: 'NAME_TAKEN', message: `The name "${name}" is taken. Choose another name.`, details: { name } } };
}

function codeOf(result: { json: Record<string, unknown> }): unknown {
  return (result.json['error'] as { code?: unknown } | undefined)?.code;
}

describe('authentication', () => {
  it('refuses a missing, malformed, unknown or revoked token with 401 UNAUTHORIZED', async () => {
    const missing = await call('GET', '/v1/instances', undefined);
    expect(codeOf(missing)).toBe('UNAUTHORIZED');
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="silo"');
    expect((await call('GET', '/v1/instances', 'nonsense')).status).toBe(401);
    expect((await call('GET', '/v1/instances', `silo_000000000000_${'a'.repeat(43)}`)).status).toBe(401);
    const { token, info } = fleet.apiTokens.create({ scope: 'read' });
    expect((await call('GET', '/v1/instances', token)).status).toBe(200);
    fleet.apiTokens.revoke(info.id);
    expect((await call('GET', '/v1/instances', token)).status).toBe(401);
  });

  it('serves the OpenAPI document without a token', async () => {
    const { status, json } = await call('GET', '/v1/openapi.json', undefined);
    expect(status).toBe(200);
    expect(json['openapi']).toBe('3.1.0');
  });

  it('answers unknown routes with a JSON 404', async () => {
    expect(codeOf(await call('GET', '/v1/nothing', tokens.read))).toBe('NOT_FOUND');
    expect(codeOf(await call('GET', '/elsewhere', undefined))).toBe('NOT_FOUND');
  });
});

describe('instances', () => {
  it('creates, lists, shows, clones, deletes, undeletes and purges, audited as the token', async () => {
    const created = await call('POST', '/v1/instances', tokens.write, { name: 'acme', jurisdiction: 'eu' });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ name: 'acme', state: 'ready', jurisdiction: 'eu' });
    expect(created.json).not.toHaveProperty('dbUrl');

    const page = await call('GET', '/v1/instances?jurisdiction=eu&sort=name&limit=10', tokens.read);
    expect(page.json['total']).toBe(1);

    expect((await call('GET', '/v1/instances/acme', tokens.read)).json).toMatchObject({ name: 'acme', clones: [] });
    const cloned = await call('POST', '/v1/instances/acme/clone', tokens.write, { name: 'acme-copy' });
    expect(cloned.status).toBe(201);
    expect((await call('DELETE', '/v1/instances/acme-copy', tokens.write)).json).toMatchObject({ state: 'deleted' });
    expect((await call('POST', '/v1/instances/acme-copy/undelete', tokens.write)).json).toMatchObject({ state: 'ready' });
    await call('DELETE', '/v1/instances/acme-copy', tokens.write);
    expect((await call('POST', '/v1/instances/acme-copy/purge', tokens.admin)).json).toEqual({ purged: true });

    const writeId = fleet.apiTokens.list().find((token) => token.scope === 'write' && token.jurisdiction === null)?.id;
    expect(fleet.audit({ instance: 'acme', operation: 'create' }).items[0]?.actor).toBe(`token:${writeId}`);
  });

  it('maps fleet errors to their status and code', async () => {
    expect(await call('GET', '/v1/instances/nobody', tokens.read)).toMatchObject({ status: 404, json: { error: { code: 'INSTANCE_NOT_FOUND' } } });
    await call('POST', '/v1/instances', tokens.write, { name: 'taken', jurisdiction: 'eu' });
    expect(await call('POST', '/v1/instances', tokens.write, { name: 'taken', jurisdiction: 'eu' })).toMatchObject({ status: 409, json: { error: { code: 'NAME_TAKEN' } } });
    expect(await call('POST', '/v1/instances', tokens.write, { name: 'Bad Name!', jurisdiction: 'eu' })).toMatchObject({ status: 422, json: { error: { code: 'INVALID_NAME' } } });
    expect(await call('POST', '/v1/instances', tokens.write, { name: 'mars-base', jurisdiction: 'mars' })).toMatchObject({ status: 422, json: { error: { code: 'UNKNOWN_JURISDICTION' } } });
    expect(await call('POST', '/v1/instances', tokens.write, { jurisdiction: 'eu' })).toMatchObject({ status: 422, json: { error: { code: 'INVALID_INPUT' } } });
    expect(await call('POST', '/v1/instances/taken/clone', tokens.write, { name: 'taken-us', region: 'us-east' })).toMatchObject({ status: 403, json: { error: { code: 'JURISDICTION_VIOLATION' } } });
    expect(await call('POST', '/v1/instances/taken/undelete', tokens.write)).toMatchObject({ status: 200 });
    expect(await call('POST', '/v1/instances/taken/purge', tokens.admin)).toMatchObject({ status: 409, json: { error: { code: 'INVALID_STATE' } } });
  });
});

describe('idempotency', () => {
  it('returns the first answer to a retried create and refuses the key for another body', async () => {
    const headers = { 'idempotency-key': 'create-once-1' };
    const first = await call('POST', '/v1/instances', tokens.write, { name: 'once', jurisdiction: 'eu' }, headers);
    const again = await call('POST', '/v1/instances', tokens.write, { name: 'once', jurisdiction: 'eu' }, headers);
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.json).toEqual(first.json);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(fleet.audit({ instance: 'once', operation: 'create' }).total).toBe(1);
    const other = await call('POST', '/v1/instances', tokens.write, { name: 'twice', jurisdiction: 'eu' }, headers);
    expect(other).toMatchObject({ status: 422, json: { error: { code: 'IDEMPOTENCY_KEY_REUSED' } } });
  });

  it('creates once when retries race the first request', async () => {
    const headers = { 'idempotency-key': 'raced-1' };
    const results = await Promise.all(Array.from({ length: 5 }, () => call('POST', '/v1/instances', tokens.write, { name: 'raced', jurisdiction: 'eu' }, headers)));
    for (const result of results) expect([201, 409]).toContain(result.status);
    expect(results.some((result) => result.status === 201)).toBe(true);
    expect(results.filter((result) => result.status === 409).every((result) => codeOf(result) === 'IDEMPOTENCY_IN_PROGRESS')).toBe(true);
    expect(fleet.audit({ instance: 'raced', operation: 'create' }).total).toBe(1);
  });

  it('a retry after the server died between making the instance and keeping the answer gets the instance, not NAME_TAKEN', async () => {
    /** The key's row as a server killed at that moment leaves it: no answer, an owner that is gone. */
    const dieBeforeAnswerKept = (key: string): void => {
      const catalog = new Database(path.join(dataDir, 'catalog.db'));
      catalog.prepare('UPDATE api_idempotency SET status = NULL, response = NULL, owner = ? WHERE key = ?').run(`${hostname()}/an-earlier-boot/1.1`, key);
      catalog.close();
    };
    for (const [key, path_, body, name] of [
      ['crash-create-1', '/v1/instances', { name: 'crashed-create', jurisdiction: 'eu' }, 'crashed-create'],
      ['crash-clone-1', '/v1/instances/once/clone', { name: 'crashed-clone' }, 'crashed-clone'],
    ] as const) {
      const headers = { 'idempotency-key': key };
      const first = await call('POST', path_, tokens.write, body, headers);
      expect(first.status).toBe(201);
      dieBeforeAnswerKept(key);
      const retried = await call('POST', path_, tokens.write, body, headers);
      expect(retried.status, JSON.stringify(retried.json)).toBe(201);
      expect(retried.json['name']).toBe(name);
      expect(fleet.audit({ instance: name, operation: path_.endsWith('clone') ? 'clone' : 'create', outcome: 'ok' }).total).toBe(1);
      // Kept now: the next retry is a replay.
      const replayed = await call('POST', path_, tokens.write, body, headers);
      expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    }
    // A clone without a name: the retry must not make a second one.
    const nameless = { 'idempotency-key': 'crash-clone-unnamed-1' };
    const first = await call('POST', '/v1/instances/once/clone', tokens.write, {}, nameless);
    expect(first.status).toBe(201);
    const clonesBefore = fleet.audit({ operation: 'clone', outcome: 'ok' }).total;
    dieBeforeAnswerKept('crash-clone-unnamed-1');
    const retried = await call('POST', '/v1/instances/once/clone', tokens.write, {}, nameless);
    expect(retried).toMatchObject({ status: 201, json: { name: first.json['name'] } });
    expect(fleet.audit({ operation: 'clone', outcome: 'ok' }).total).toBe(clonesBefore);
    // Another request that finds the name taken is still told so, key or not.
    expect(await call('POST', '/v1/instances', tokens.write, { name: 'crashed-create', jurisdiction: 'eu' }, { 'idempotency-key': 'someone-else-1' })).toMatchObject({
      status: 409,
      json: { error: { code: 'NAME_TAKEN' } },
    });
  });

  it('returns the first clone to a retried clone', async () => {
    const headers = { 'idempotency-key': 'clone-once-1' };
    const first = await call('POST', '/v1/instances/once/clone', tokens.write, {}, headers);
    const again = await call('POST', '/v1/instances/once/clone', tokens.write, {}, headers);
    expect(first.status).toBe(201);
    expect(again.json['name']).toBe(first.json['name']);
  });
});

describe('scopes and jurisdictions', () => {
  it('a read token cannot write', async () => {
    expect(await call('POST', '/v1/instances', tokens.read, { name: 'r1', jurisdiction: 'eu' })).toMatchObject({ status: 403, json: { error: { code: 'FORBIDDEN' } } });
    expect(await call('DELETE', '/v1/instances/once', tokens.read)).toMatchObject({ status: 403 });
    expect(await call('POST', '/v1/instances/once/query', tokens.read, { sql: 'DELETE FROM notes', readOnly: false })).toMatchObject({ status: 403 });
  });

  it('a write token cannot purge, migrate or read the audit log', async () => {
    expect((await call('POST', '/v1/instances/once/purge', tokens.write)).status).toBe(403);
    expect((await call('POST', '/v1/migrations/run', tokens.write, {})).status).toBe(403);
    expect((await call('GET', '/v1/audit', tokens.write)).status).toBe(403);
  });

  it('an eu token neither sees nor touches us instances', async () => {
    await call('POST', '/v1/instances', tokens.admin, { name: 'yankee', jurisdiction: 'us' });
    expect((await call('GET', '/v1/instances/yankee', tokens.eu)).status).toBe(404);
    const listed = await call('GET', '/v1/instances?limit=1000', tokens.eu);
    expect((listed.json['items'] as { jurisdiction: string }[]).every((item) => item.jurisdiction === 'eu')).toBe(true);
    expect((await call('GET', '/v1/instances?jurisdiction=us', tokens.eu)).status).toBe(403);
    expect(await call('POST', '/v1/instances', tokens.eu, { name: 'us2', jurisdiction: 'us' })).toMatchObject({ status: 403, json: { error: { code: 'JURISDICTION_VIOLATION' } } });
    expect((await call('DELETE', '/v1/instances/yankee', tokens.eu)).status).toBe(404);
    expect((await call('POST', '/v1/instances/yankee/query', tokens.eu, { sql: 'SELECT 1' })).status).toBe(404);
    expect((await call('GET', '/v1/audit', tokens.euAdmin)).status).toBe(403);
    expect((await call('GET', '/v1/audit?instance=yankee', tokens.euAdmin)).status).toBe(404);
    const lines = await ndjsonLines(await fetch(`${server.url}/v1/query-all`, { method: 'POST', headers: { authorization: `Bearer ${tokens.eu}`, 'content-type': 'application/json' }, body: JSON.stringify({ sql: 'SELECT 1 AS one' }) }));
    expect(lines.map((line) => line['instance'])).not.toContain('yankee');
  });
});

describe('a scoped token and what other jurisdictions hold', () => {
  it('gets the same answer, word for word, for another jurisdiction\'s instance as for a name nobody has, on every per-instance route', async () => {
    expect((await call('POST', '/v1/instances', tokens.admin, { name: 'foreign-us', jurisdiction: 'us' })).status).toBe(201);
    const routes: [string, (name: string) => string, unknown?][] = [
      ['GET', (name) => `/v1/instances/${name}`],
      ['GET', (name) => `/v1/instances/${name}/export`],
      ['POST', (name) => `/v1/instances/${name}/query`, { sql: 'SELECT 1' }],
      ['POST', (name) => `/v1/instances/${name}/clone`, { name: 'never-made' }],
      ['DELETE', (name) => `/v1/instances/${name}`],
      ['POST', (name) => `/v1/instances/${name}/undelete`],
      ['POST', (name) => `/v1/instances/${name}/purge`],
      ['GET', (name) => `/v1/instances/${name}/backups`],
      ['GET', (name) => `/v1/audit?instance=${name}`],
    ];
    for (const [method, route, body] of routes) {
      const foreign = await call(method, route('foreign-us'), tokens.euAdmin, body);
      const missing = await call(method, route('nobody-here'), tokens.euAdmin, body);
      expect(foreign.status, `${method} ${route('…')}`).toBe(404);
      expect(JSON.stringify(foreign.json).replaceAll('foreign-us', 'NAME'), `${method} ${route('…')}`).toBe(JSON.stringify(missing.json).replaceAll('nobody-here', 'NAME'));
    }
    // And the message names the API's remedy, not the CLI's.
    const missing = await call('GET', '/v1/instances/nobody-here', tokens.euAdmin);
    expect((missing.json['error'] as { message: string }).message).toContain('GET /v1/instances');
    expect((missing.json['error'] as { message: string }).message).not.toContain('silo ');
  });

  it('is not shown another jurisdiction\'s refused clone into one of its names, which would name the source there', async () => {
    expect((await call('POST', '/v1/instances', tokens.admin, { name: 'clone-src-us', jurisdiction: 'us' })).status).toBe(201);
    expect((await call('POST', '/v1/instances', tokens.euAdmin, { name: 'clone-dst-eu', jurisdiction: 'eu' })).status).toBe(201);
    expect((await call('POST', '/v1/instances/clone-src-us/clone', tokens.admin, { name: 'clone-dst-eu' })).status).toBe(409);
    expect(fleet.audit({ instance: 'clone-dst-eu', operation: 'clone' }).items).toHaveLength(1);
    const scoped = await call('GET', '/v1/audit?instance=clone-dst-eu', tokens.euAdmin);
    expect((scoped.json['items'] as { operation: string }[]).map((entry) => entry.operation)).toEqual(['create']);
    expect(JSON.stringify(scoped.json)).not.toContain('clone-src-us');
  });

  it('reads only its instance\'s own audit entries, not those of an earlier instance of the name elsewhere', async () => {
    expect((await call('POST', '/v1/instances', tokens.admin, { name: 'reused', jurisdiction: 'us' })).status).toBe(201);
    expect((await call('POST', '/v1/instances/reused/query', tokens.admin, { sql: "INSERT INTO notes (body) VALUES ('us-private')", readOnly: false })).status).toBe(200);
    expect((await call('DELETE', '/v1/instances/reused', tokens.admin)).status).toBe(200);
    expect((await call('POST', '/v1/instances/reused/purge', tokens.admin)).status).toBe(200);
    expect((await call('POST', '/v1/instances', tokens.euAdmin, { name: 'reused', jurisdiction: 'eu' })).status).toBe(201);
    // Another jurisdiction's refused attempt at the name is not this token's either.
    expect((await call('POST', '/v1/instances', tokens.admin, { name: 'reused', jurisdiction: 'us' })).status).toBe(409);
    const all = fleet.audit({ instance: 'reused' });
    expect(all.items.some((entry) => JSON.stringify(entry.detail).includes('us'))).toBe(true);

    const scoped = await call('GET', '/v1/audit?instance=reused', tokens.euAdmin);
    expect(scoped.status).toBe(200);
    const items = scoped.json['items'] as { operation: string; outcome: string; detail: unknown }[];
    expect(items.map((entry) => `${entry.operation} ${entry.outcome}`)).toEqual(['create ok']);
    expect(scoped.json['total']).toBe(1);
    expect(JSON.stringify(items)).not.toContain('us-private');
    // An unscoped admin token still reads the name's whole history.
    expect(((await call('GET', '/v1/audit?instance=reused', tokens.admin)).json['total'] as number) >= 5).toBe(true);
  });

  it('learns that a name is taken in another jurisdiction, but not its state', async () => {
    expect((await call('POST', '/v1/instances', tokens.admin, { name: 'held-us', jurisdiction: 'us' })).status).toBe(201);
    expect((await call('DELETE', '/v1/instances/held-us', tokens.admin)).status).toBe(200);
    const foreign = await call('POST', '/v1/instances', tokens.eu, { name: 'held-us', jurisdiction: 'eu' });
    expect(foreign).toMatchObject({ status: 409, json: { error: { code: 'NAME_TAKEN', details: { name: 'held-us' } } } });
    expect(JSON.stringify(foreign.json)).not.toMatch(/deleted|undelete/);
    const clone = await call('POST', '/v1/instances/reused/clone', tokens.eu, { name: 'held-us' });
    expect(clone.status).toBe(409);
    expect(JSON.stringify(clone.json)).not.toMatch(/deleted|undelete/);
    // Its own deleted instance's state it is told.
    await call('POST', '/v1/instances', tokens.eu, { name: 'held-eu', jurisdiction: 'eu' });
    await call('DELETE', '/v1/instances/held-eu', tokens.eu);
    expect(await call('POST', '/v1/instances', tokens.eu, { name: 'held-eu', jurisdiction: 'eu' })).toMatchObject({
      status: 409,
      json: { error: { code: 'NAME_TAKEN', details: { name: 'held-eu', state: 'deleted' } } },
    });
  });

  it('learns nothing but "taken" of another jurisdiction\'s holder through create, clone, import or restore', async () => {
    const source = await nameTaker();
    for (const [holder, deleted] of [['gone-us', true], ['live-us', false]] as const) {
      expect((await call('POST', '/v1/instances', tokens.admin, { name: holder, jurisdiction: 'us' })).status).toBe(201);
      if (deleted) expect((await call('DELETE', `/v1/instances/${holder}`, tokens.admin)).status).toBe(200);
      for (const [route, answer] of Object.entries(await takeName(tokens.eu, source, holder))) {
        expect({ route, ...answer }).toEqual({ route, status: 409, json: onlyTaken(holder) });
      }
      // Nothing was made or changed under the name.
      expect(fleet.find(holder)).toMatchObject({ jurisdiction: 'us', state: deleted ? 'deleted' : 'ready' });
    }
  });

  it('learns nothing but "taken" of another jurisdiction\'s holder still being provisioned', async () => {
    const source = await nameTaker();
    let release!: () => void;
    let started!: () => void;
    const seeding = new Promise<void>((resolve) => (started = resolve));
    const gate = new Promise<void>((resolve) => (release = resolve));
    const provisioning = fleet.create('busy-us', { jurisdiction: 'us', seed: async () => (started(), gate) });
    try {
      await seeding;
      expect(fleet.find('busy-us')).toMatchObject({ jurisdiction: 'us', state: 'provisioning' });
      for (const [route, answer] of Object.entries(await takeName(tokens.eu, source, 'busy-us'))) {
        expect({ route, ...answer }).toEqual({ route, status: 409, json: onlyTaken('busy-us') });
      }
      // An unscoped token is told the state, on every route.
      for (const [route, answer] of Object.entries(await takeName(tokens.write, source, 'busy-us'))) {
        expect({ route, ...answer }).toMatchObject({ route, status: 409, json: { error: { code: 'NAME_TAKEN', details: { name: 'busy-us', state: 'provisioning' } } } });
      }
    } finally {
      release();
    }
    // The refused attempts left the holder's create alone.
    expect(await provisioning).toMatchObject({ name: 'busy-us', jurisdiction: 'us', state: 'ready' });
  });

  it('is told the holder\'s state on every route when the holder is its own, and an unscoped token always', async () => {
    const source = await nameTaker();
    expect((await call('POST', '/v1/instances', tokens.admin, { name: 'parked-us', jurisdiction: 'us' })).status).toBe(201);
    expect((await call('DELETE', '/v1/instances/parked-us', tokens.admin)).status).toBe(200);
    expect((await call('POST', '/v1/instances', tokens.eu, { name: 'parked-eu', jurisdiction: 'eu' })).status).toBe(201);
    expect((await call('DELETE', '/v1/instances/parked-eu', tokens.eu)).status).toBe(200);
    for (const [token, holder] of [[tokens.eu, 'parked-eu'], [tokens.write, 'parked-eu'], [tokens.write, 'parked-us']] as const) {
      for (const [route, answer] of Object.entries(await takeName(token, source, holder))) {
        expect({ route, ...answer }).toMatchObject({ route, status: 409, json: { error: { code: 'NAME_TAKEN', details: { name: holder, state: 'deleted' } } } });
        expect((answer.json['error'] as { message: string }).message).toContain('undelete it');
      }
    }
  });

  it('keeps the fleet\'s own words when no name is named (no free clone name)', async () => {
    const eu = fleet.apiTokens.authenticate(tokens.eu);
    if (!eu) return expect.fail('the eu token does not authenticate');
    const nameless = new SiloError('NAME_TAKEN', 'Could not find a free name for a clone of "x"; pass one explicitly.');
    await expect(takingName(fleet, eu, () => Promise.reject(nameless))).rejects.toBe(nameless);
  });

  it('counts migration status over its own jurisdiction only', async () => {
    const live = { state: ['ready', 'deleted'] as ('ready' | 'deleted')[], limit: 1 };
    const count = (status: { json: Record<string, unknown> }) => (status.json['byVersion'] as { count: number }[]).reduce((sum, entry) => sum + entry.count, 0);
    expect(count(await call('GET', '/v1/migrations', tokens.eu))).toBe(fleet.list({ ...live, jurisdiction: 'eu' }).total);
    expect(count(await call('GET', '/v1/migrations', tokens.read))).toBe(fleet.list(live).total);
    expect(fleet.list({ ...live, jurisdiction: 'us' }).total).toBeGreaterThan(0);
  });
});

async function ndjsonLines(response: Response): Promise<Record<string, unknown>[]> {
  expect(response.headers.get('content-type')).toContain('application/x-ndjson');
  return (await response.text())
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('data', () => {
  it('queries one instance and every instance (NDJSON)', async () => {
    const one = await call('POST', '/v1/instances/once/query', tokens.read, { sql: 'SELECT 1 AS one, ? AS two', args: ['x'] });
    expect(one.json).toMatchObject({ columns: ['one', 'two'], rows: [[1, 'x']] });
    expect(await call('POST', '/v1/instances/once/query', tokens.read, { sql: 'CREATE TABLE t (a)' })).toMatchObject({ status: 422 });
    const all = await ndjsonLines(await fetch(`${server.url}/v1/query-all`, { method: 'POST', headers: { authorization: `Bearer ${tokens.read}`, 'content-type': 'application/json' }, body: JSON.stringify({ sql: 'SELECT 1 AS one' }) }));
    expect(all.length).toBeGreaterThan(1);
    expect(all.every((line) => line['status'] === 'ok')).toBe(true);
  });

  it('words a refused write for the API, not for the console, on one instance and across the fleet', async () => {
    const one = await call('POST', '/v1/instances/once/query', tokens.write, { sql: "INSERT INTO notes (body) VALUES ('x')" });
    expect(one).toMatchObject({ status: 422, json: { error: { code: 'QUERY_READ_ONLY' } } });
    const message = (one.json['error'] as { message: string }).message;
    expect(message).toContain('`readOnly: false`');
    expect(message).not.toMatch(/write mode|--write/);
    const all = await ndjsonLines(
      await fetch(`${server.url}/v1/query-all`, {
        method: 'POST',
        // A JSON media type with a suffix is JSON here as on every other route.
        headers: { authorization: `Bearer ${tokens.read}`, 'content-type': 'application/vnd.api+json' },
        body: JSON.stringify({ sql: "INSERT INTO notes (body) VALUES ('x')" }),
      }),
    );
    const refused = all.filter((line) => line['status'] === 'error');
    expect(refused.length).toBeGreaterThan(0);
    for (const line of refused) expect(String(line['error'])).not.toMatch(/write mode/);
  });

  it('exports a snapshot and imports it as a new instance (streamed)', async () => {
    const response = await fetch(`${server.url}/v1/instances/once/export`, { headers: { authorization: `Bearer ${tokens.read}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/vnd.sqlite3');
    const bytes = new Uint8Array(await response.arrayBuffer());
    expect(Buffer.from(bytes.subarray(0, 15)).toString()).toBe('SQLite format 3');
    const file = path.join(dataDir, 'once.sqlite');
    writeFileSync(file, bytes);
    const imported = await fetch(`${server.url}/v1/instances/imported/import?jurisdiction=eu`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.write}`, 'content-type': 'application/octet-stream' },
      body: readFileSync(file),
    });
    expect(imported.status).toBe(201);
    const rejected = await fetch(`${server.url}/v1/instances/junk/import?jurisdiction=eu`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.write}`, 'content-type': 'application/octet-stream' },
      body: 'not a database at all',
    });
    expect(rejected.status).toBe(422);
    expect(((await rejected.json()) as { error: { code: string } }).error.code).toBe('IMPORT_REJECTED');
    expect(fleet.find('junk')).toBeUndefined();
  });
});

describe('migrations, backups, audit', () => {
  it('reports migration status and streams a run', async () => {
    expect((await call('GET', '/v1/migrations', tokens.read)).json).toMatchObject({ behind: 0 });
    const lines = await ndjsonLines(await fetch(`${server.url}/v1/migrations/run`, { method: 'POST', headers: { authorization: `Bearer ${tokens.admin}`, 'content-type': 'application/json' }, body: '{}' }));
    expect(lines.at(-1)).toMatchObject({ type: 'report', failed: 0 });
  });

  it('takes a backup point, lists it and restores it as a new instance', async () => {
    const point = await call('POST', '/v1/instances/once/backups', tokens.write);
    expect(point.status).toBe(201);
    const listed = await call('GET', '/v1/instances/once/backups', tokens.read);
    expect((listed.json['items'] as { id: string }[]).map((item) => item.id)).toContain(point.json['id']);
    const restored = await call('POST', '/v1/instances/once/restore', tokens.write, { at: Date.now(), as: 'once-restored' });
    expect(restored).toMatchObject({ status: 200, json: { mode: 'new-instance', instance: { name: 'once-restored' } } });
    expect(await call('POST', '/v1/instances/once/restore', tokens.write, { at: 1, as: 'too-early' })).toMatchObject({ status: 404, json: { error: { code: 'BACKUP_NOT_FOUND' } } });
  });

  it('refuses a restore time no date can hold with 422, not a server error', async () => {
    expect(await call('POST', '/v1/instances/once/restore', tokens.write, { at: -8_640_000_000_000_001, as: 'never' })).toMatchObject({
      status: 422,
      json: { error: { code: 'INVALID_INPUT' } },
    });
  });

  it('answers HEAD on an export without taking one', async () => {
    const before = fleet.audit({ instance: 'once', operation: 'export' }).total;
    const head = await fetch(`${server.url}/v1/instances/once/export`, { method: 'HEAD', headers: { authorization: `Bearer ${tokens.read}` } });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('application/vnd.sqlite3');
    expect(head.headers.get('content-disposition')).toBe('attachment; filename="once.sqlite"');
    expect(fleet.audit({ instance: 'once', operation: 'export' }).total).toBe(before);
    expect((await fetch(`${server.url}/v1/instances/nobody/export`, { method: 'HEAD', headers: { authorization: `Bearer ${tokens.read}` } })).status).toBe(404);
  });

  it('reads the audit log with filters', async () => {
    const page = await call('GET', '/v1/audit?operation=create&limit=5', tokens.admin);
    expect(page.status).toBe(200);
    expect((page.json['items'] as { actor: string }[]).every((item) => item.actor.startsWith('token:'))).toBe(true);
  });

  it('refuses an operation no entry can have, naming those a filter may ask for', async () => {
    expect((await call('POST', '/v1/instances', tokens.write, { name: 'audited', jurisdiction: 'eu' })).status).toBe(201);
    const held = fleet.auditOperations();
    expect(held).toEqual(expect.arrayContaining(['create', 'token create']));
    const listed = held.join(', ');
    // A misremembered name (`migrate all` is recorded as `migrate-all`), another case, an empty one.
    for (const operation of ['migrate all', 'Create', '', 'create ']) {
      const answer = await call('GET', `/v1/audit?operation=${encodeURIComponent(operation)}`, tokens.admin);
      expect(answer, JSON.stringify(operation)).toMatchObject({ status: 422, json: { error: { code: 'INVALID_INPUT' } } });
      expect((answer.json['error'] as { message: string }).message).toBe(`Invalid query: operation: one of ${listed} (the operations the audit log records)`);
    }
    // One the log holds, with no entry for this instance, is an empty page, not a refusal; so is
    // one the fleet records that has not happened yet.
    expect(await call('GET', '/v1/audit?instance=audited&operation=token%20create', tokens.admin)).toMatchObject({ status: 200, json: { items: [], total: 0 } });
    expect(await call('GET', '/v1/audit?operation=backup-undo', tokens.admin)).toMatchObject({ status: 200, json: { items: [], total: 0 } });
    expect(await call('GET', '/v1/audit?instance=audited&operation=create', tokens.admin)).toMatchObject({ status: 200, json: { total: 1 } });
    // A scoped admin token reading its instance is held to the same names.
    expect(await call('GET', '/v1/audit?instance=audited&operation=migrate%20all', tokens.euAdmin)).toMatchObject({ status: 422, json: { error: { code: 'INVALID_INPUT' } } });
    // Without the admin scope, the scope is the answer, not the names the log holds.
    expect(await call('GET', '/v1/audit?operation=migrate%20all', tokens.write)).toMatchObject({ status: 403, json: { error: { code: 'FORBIDDEN' } } });
  });
});

describe('access log', () => {
  it('names the route and the token of every call, a streamed body or none at all included', async () => {
    const lines: Record<string, unknown>[] = [];
    const logged = await createServer({ fleet, port: 0, shutdownTimeoutMs: 0, log: { info: (fields) => lines.push(fields) } });
    try {
      const auth = { authorization: `Bearer ${tokens.write}` };
      const body = JSON.stringify({ name: 'streamed', jurisdiction: 'eu' });
      // A body sent as a stream goes out chunked, with no Content-Length.
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(body));
          controller.close();
        },
      });
      const created = await fetch(`${logged.url}/v1/instances`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: stream, duplex: 'half' } as RequestInit);
      expect(created.status).toBe(201);
      expect((await fetch(`${logged.url}/v1/instances/streamed`, { method: 'DELETE', headers: auth })).status).toBe(200);
      const writeId = fleet.apiTokens.list().find((token) => tokens.write.startsWith(`silo_${token.id}_`))?.id;
      expect((await fetch(`${logged.url}/v1/openapi.json`)).status).toBe(200);
      expect(lines.map(({ method, route, actor }) => ({ method, route, actor }))).toEqual([
        { method: 'POST', route: '/v1/instances', actor: `token:${writeId}` },
        { method: 'DELETE', route: '/v1/instances/{name}', actor: `token:${writeId}` },
        { method: 'GET', route: '/v1/openapi.json', actor: undefined },
      ]);
    } finally {
      await logged.close();
    }
  });
});

describe('rate limits', () => {
  it('limits calls per token with 429 and Retry-After, other tokens unaffected', async () => {
    const limited = await createServer({ fleet, port: 0, shutdownTimeoutMs: 0, rateLimits: { perTokenPerMinute: 3, failedAuthPerMinute: 2 } });
    try {
      const get = (token?: string) => fetch(`${limited.url}/v1/migrations`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      for (let i = 0; i < 3; i++) expect((await get(tokens.read)).status).toBe(200);
      const refused = await get(tokens.read);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('RATE_LIMITED');
      expect((await get(tokens.admin)).status).toBe(200);
      // Guessing tokens from one address is throttled as well.
      expect((await get('silo_guess')).status).toBe(401);
      expect((await get('silo_guess')).status).toBe(401);
      expect((await get('silo_guess')).status).toBe(429);
    } finally {
      await limited.close();
    }
  });
});

describe('limits', () => {
  it('refuses bodies over the JSON limit with 413, closing the connection as it says', async () => {
    const result = await call('POST', '/v1/instances', tokens.write, { name: 'big', jurisdiction: 'eu', displayName: 'x'.repeat(300_000) });
    expect(result).toMatchObject({ status: 413, json: { error: { code: 'PAYLOAD_TOO_LARGE' } } });
    // The body was left unread: a kept-alive socket would take the next request into its close.
    expect(result.headers.get('connection')).toBe('close');
    expect((await call('GET', '/v1/migrations', tokens.read)).status).toBe(200);
  });

  it('counts a chunked body, which declares no size, as it arrives: over the limit 413, within it served', async () => {
    const chunked = (body: string) =>
      fetch(`${server.url}/v1/instances`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens.write}`, 'content-type': 'application/json' },
        body: new Blob([body]).stream(),
        duplex: 'half',
      } as RequestInit);
    const big = await chunked(JSON.stringify({ name: 'big-chunked', jurisdiction: 'eu', displayName: 'x'.repeat(300_000) }));
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { code: string } }).error.code).toBe('PAYLOAD_TOO_LARGE');
    const small = await chunked(JSON.stringify({ name: 'small-chunked', jurisdiction: 'eu' }));
    expect(small.status).toBe(201);
    expect(((await small.json()) as { name: string }).name).toBe('small-chunked');
  });

  it('holds a request handed to the app in process to the limit whatever Content-Length it claims', async () => {
    const app = createApiApp(fleet);
    const stream = () => new Blob([JSON.stringify({ name: 'in-process-big', jurisdiction: 'eu', displayName: 'x'.repeat(300_000) })]).stream();
    for (const headers of [{}, { 'content-length': 'many' }]) {
      const response = await app.fetch(
        new Request('http://localhost/v1/instances', {
          method: 'POST',
          headers: { authorization: `Bearer ${tokens.write}`, 'content-type': 'application/json', ...headers },
          body: stream(),
          duplex: 'half',
        } as RequestInit),
      );
      expect(response.status).toBe(413);
    }
  });
});

describe('a bodyless POST framed by Node\'s parser', () => {
  it('is read as having no body without opening a body stream; a request nobody vouches for is still read and counted', async () => {
    const app = createApiApp(fleet);
    let streamsAsked = 0;
    /** A request that counts who asks for its body as a stream (what turns a socket into web streams). */
    const bodyless = () => {
      const request = new Request('http://localhost/v1/instances', { method: 'POST', headers: { authorization: `Bearer ${tokens.write}` } });
      const prototype: unknown = Object.getPrototypeOf(request);
      return Object.defineProperty(request, 'body', { get: () => ((streamsAsked += 1), Reflect.get(prototype as object, 'body', request) as unknown) });
    };
    const framed = bodyless();
    const answer = await app.fetch(framed, withParserFraming({}, framed));
    expect(answer.status).toBe(422);
    expect(JSON.stringify(await answer.json())).toContain('name');
    expect(streamsAsked).toBe(0);
    // Vouching for another request than the one handed in counts for nothing.
    expect((await app.fetch(bodyless(), withParserFraming({}, framed))).status).toBe(422);
    expect(streamsAsked).toBeGreaterThan(0);
  });

  it('answers a POST sent with neither Content-Length nor Transfer-Encoding, over a socket, as one without a body', async () => {
    const { port } = new URL(server.url);
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.end(`POST /v1/instances HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${tokens.write}\r\nConnection: close\r\n\r\n`);
      });
      let text = '';
      socket.setEncoding('utf8').on('data', (chunk: string) => (text += chunk)).on('end', () => resolve(text)).on('error', reject);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 422 /);
    expect(reply).toContain('name: Invalid input');
  });
});

/** A POST whose body is sent as it is, not as JSON of a value: what `call` cannot send. */
async function post(route: string, token: string, body: string, type = 'application/json'): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${server.url}${route}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': type }, body });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

describe('input echoed in errors', () => {
  const huge = 'a'.repeat(100_000);
  const clipped = `${'a'.repeat(127)}…`;

  it('clips a huge value in details and message to 128 characters, on every route', async () => {
    const violation = await call('POST', '/v1/instances', tokens.eu, { name: 'echo-eu', jurisdiction: huge });
    expect(violation).toMatchObject({ status: 403, json: { error: { code: 'JURISDICTION_VIOLATION', details: { jurisdiction: clipped } } } });
    const viaQueryAll = await call('POST', '/v1/query-all', tokens.eu, { sql: 'SELECT 1', filter: { jurisdiction: huge } });
    expect(viaQueryAll).toMatchObject({ status: 403, json: { error: { details: { jurisdiction: clipped } } } });
    for (const [route, body, code] of [
      ['/v1/instances', { name: 'echo-a', jurisdiction: huge }, 'UNKNOWN_JURISDICTION'],
      ['/v1/instances', { name: 'echo-b', jurisdiction: 'eu', region: huge }, 'UNKNOWN_REGION'],
      ['/v1/instances/once/clone', { region: huge }, 'UNKNOWN_REGION'],
    ] as const) {
      const answer = await call('POST', route, tokens.write, body);
      expect(answer, route).toMatchObject({ status: 422, json: { error: { code } } });
      expect((answer.json['error'] as { message: string }).message, route).toContain(`"${clipped}"`);
    }
    const scoped = await call('GET', `/v1/instances?jurisdiction=${huge.slice(0, 8_000)}`, tokens.eu);
    expect(scoped).toMatchObject({ status: 403, json: { error: { details: { jurisdiction: clipped } } } });
    for (const answer of [violation, viaQueryAll, scoped]) expect(JSON.stringify(answer.json).length).toBeLessThan(1_000);
  });
});

describe('enum-like query parameters', () => {
  it('refuses an unknown sort key, a metric the app lacks included, naming the keys it takes', async () => {
    for (const sort of ['metric:nosuch', 'metric:', 'bogus', 'Name']) {
      const answer = await call('GET', `/v1/instances?sort=${encodeURIComponent(sort)}`, tokens.read);
      expect(answer, sort).toMatchObject({ status: 422, json: { error: { code: 'INVALID_INPUT' } } });
      const { message } = answer.json['error'] as { message: string };
      expect(message, sort).toBe('Invalid query: sort: one of name, created, updated, lastActive, size, state, jurisdiction, region, schemaVersion, metric:notes');
    }
    // The sample schema's one metric (its metricsSql's column), and the fixed keys, sort.
    for (const sort of ['metric:notes', 'lastActive', 'schemaVersion']) expect((await call('GET', `/v1/instances?sort=${sort}&order=desc`, tokens.read)).status, sort).toBe(200);
  });

  it('refuses an unknown order, state, jurisdiction or region rather than answering an empty page', async () => {
    expect(await call('GET', '/v1/instances?order=sideways', tokens.read)).toMatchObject({ status: 422, json: { error: { code: 'INVALID_INPUT' } } });
    expect(await call('GET', '/v1/instances?state=asleep', tokens.read)).toMatchObject({ status: 422, json: { error: { code: 'INVALID_INPUT' } } });
    const jurisdiction = await call('GET', '/v1/instances?jurisdiction=EU', tokens.read);
    expect(jurisdiction).toMatchObject({ status: 422, json: { error: { code: 'UNKNOWN_JURISDICTION' } } });
    expect((jurisdiction.json['error'] as { message: string }).message).toContain('eu, us');
    expect(await call('GET', '/v1/instances?region=mars-1', tokens.read)).toMatchObject({ status: 422, json: { error: { code: 'UNKNOWN_REGION' } } });
    // The same filters in a body: query-all and migrations over nothing would look like success.
    expect(await call('POST', '/v1/query-all', tokens.read, { sql: 'SELECT 1', filter: { jurisdiction: 'EU' } })).toMatchObject({ status: 422, json: { error: { code: 'UNKNOWN_JURISDICTION' } } });
    expect(await call('POST', '/v1/migrations/run', tokens.admin, { filter: { region: 'mars-1' } })).toMatchObject({ status: 422, json: { error: { code: 'UNKNOWN_REGION' } } });
  });
});

describe('repeated query parameters', () => {
  it('names a parameter given more than once, whatever its type', async () => {
    for (const [route, token, name] of [
      ['/v1/instances?limit=1&limit=2', tokens.read, 'limit'],
      ['/v1/instances?sort=name&sort=size', tokens.read, 'sort'],
      ['/v1/instances?state=ready&state=deleted', tokens.read, 'state'],
      ['/v1/instances/once/backups?limit=5&limit=5', tokens.read, 'limit'],
      ['/v1/audit?outcome=ok&operation=create&outcome=error&outcome=ok', tokens.admin, 'outcome'],
    ] as const) {
      const answer = await call('GET', route, token);
      expect(answer, route).toMatchObject({ status: 422, json: { error: { code: 'INVALID_INPUT' } } });
      expect((answer.json['error'] as { message: string }).message, route).toMatch(new RegExp(`^Invalid query: ${name}: given \\d times; give it once$`));
    }
    // The import's query, read before its body is.
    const upload = await fetch(`${server.url}/v1/instances/twice/import?jurisdiction=eu&jurisdiction=us`, { method: 'POST', headers: { authorization: `Bearer ${tokens.write}`, 'content-type': 'application/octet-stream' }, body: 'x' });
    expect(await upload.json()).toEqual({ error: { code: 'INVALID_INPUT', message: 'Invalid query: jurisdiction: given 2 times; give it once' } });
  });
});

describe('empty and malformed JSON bodies', () => {
  it('takes an empty body on a route whose body is optional as no body', async () => {
    for (const [body, type] of [['', 'application/json'], [' \r\n', 'application/json'], ['', 'application/json; charset=utf-8'], ['', 'text/plain;charset=UTF-8']] as const) {
      const cloned = await post('/v1/instances/once/clone', tokens.write, body, type);
      expect(cloned, JSON.stringify([body, type])).toMatchObject({ status: 201, json: { clonedFrom: { name: 'once' } } });
      const migrated = await fetch(`${server.url}/v1/migrations/run`, { method: 'POST', headers: { authorization: `Bearer ${tokens.admin}`, 'content-type': type }, body });
      expect(migrated.status, JSON.stringify([body, type])).toBe(200);
      expect((await ndjsonLines(migrated)).at(-1)).toMatchObject({ type: 'report' });
    }
  });

  it('names the missing fields of an empty body where the body is required', async () => {
    expect(await post('/v1/instances', tokens.write, '')).toMatchObject({
      status: 422,
      json: { error: { code: 'INVALID_INPUT', message: expect.stringContaining('name:') } },
    });
    expect(await post('/v1/query-all', tokens.read, '  ')).toMatchObject({ status: 422, json: { error: { code: 'INVALID_INPUT', message: expect.stringContaining('sql:') } } });
  });

  it('refuses a body that is not JSON with 400 MALFORMED_JSON on every JSON route', async () => {
    for (const [route, token] of [
      ['/v1/instances', tokens.write],
      ['/v1/instances/once/clone', tokens.write],
      ['/v1/instances/once/query', tokens.read],
      ['/v1/instances/once/restore', tokens.write],
      ['/v1/query-all', tokens.read],
      ['/v1/migrations/run', tokens.admin],
    ] as const) {
      const answer = await post(route, token, '{"name": ');
      expect(answer, route).toMatchObject({ status: 400, json: { error: { code: 'MALFORMED_JSON', message: expect.stringContaining('not valid JSON') } } });
    }
  });
});
