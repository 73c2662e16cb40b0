/**
 * The catalog on Turso: several app servers (here, fleets with data folders of their own) read
 * one catalog database through embedded replicas, and write to its primary. The stand-in runs
 * in a child process, as a replica's sync blocks the process that opens it.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createCatalogDatabase } from '@silo/turso-standin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSiloError, openFleet, resolveSettings, settingsFromEnv, type Fleet } from '../src/index';
import { Catalog } from '../src/catalog/catalog';
import { sampleSchema } from './helpers';
import { startStandinProcess, type StandinProcess } from './turso-standin';

let standin: StandinProcess;
let suite: string;
let catalogEnv: { SILO_CATALOG_URL: string; SILO_CATALOG_AUTH_TOKEN: string };
const fleets: Fleet[] = [];
let servers = 0;

beforeAll(async () => {
  suite = mkdtempSync(path.join(tmpdir(), 'silo-catalog-replica-'));
  standin = await startStandinProcess(path.join(suite, 'standin'), { notReadyMs: 50 });
  catalogEnv = await createCatalogDatabase({ platformUrl: standin.platform.url, org: standin.platform.org, apiToken: standin.platform.apiToken });
});

afterAll(async () => {
  for (const fleet of fleets) await fleet.close().catch(() => undefined);
  await standin?.stop();
  if (suite) rmSync(suite, { recursive: true, force: true });
});

function catalogSettings(syncIntervalSec: number): { url: string; authToken: string; syncIntervalSec: number } {
  return { url: catalogEnv.SILO_CATALOG_URL, authToken: catalogEnv.SILO_CATALOG_AUTH_TOKEN, syncIntervalSec };
}

/** One app server: its own data folder, tenants and catalog on the stand-in. */
async function server(dataDir = path.join(suite, `server-${++servers}`), syncIntervalSec = 0.2): Promise<Fleet> {
  const fleet = await openFleet({
    dataDir,
    schema: sampleSchema(),
    engineKind: 'turso',
    turso: { ...standin.settings, databasePrefix: 'cr-' },
    catalog: catalogSettings(syncIntervalSec),
  });
  fleets.push(fleet);
  return fleet;
}

async function eventually<T>(read: () => T, accept: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (accept(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the catalog on Turso, read through embedded replicas', () => {
  it('an instance created on one server is served by another at once, and its deletion reaches it', async () => {
    const a = await server();
    const b = await server();
    await a.create('acme', { jurisdiction: 'eu', displayName: 'Acme' });
    await a.withInstance('acme', (db) => db.execute('INSERT INTO notes (body) VALUES (?)', ['from server a']));

    // b has not synced since acme was created: the miss makes it look again before answering.
    expect(b.require('acme')).toMatchObject({ name: 'acme', state: 'ready', jurisdiction: 'eu', displayName: 'Acme' });
    const notes = await b.withInstance('acme', async (db) => (await db.execute('SELECT body FROM notes')).rows.map((row) => row['body']));
    expect(notes).toEqual(['from server a']);
    expect(b.list({ jurisdiction: 'eu', sort: 'name' }).items.map((item) => item.name)).toContain('acme');

    // Activity and metrics recorded on b reach a, sorted by on the primary's data.
    b.touch('acme', { notes: 1 });
    await b.flushActivity();
    const seen = await eventually(() => a.require('acme'), (info) => info.metrics['notes'] === 1);
    expect(seen).toMatchObject({ metrics: { notes: 1 }, lastActiveAt: expect.any(Number) });
    expect(a.list({ sort: 'metric:notes', order: 'desc' }).items[0]?.name).toBe('acme');

    await a.delete('acme');
    expect((await eventually(() => b.require('acme'), (info) => info?.state === 'deleted'))?.state).toBe('deleted');
    // Rows come back as plain objects: no replica bookkeeping leaks into what callers see.
    const entry = b.audit({ instance: 'acme' }).items[0];
    expect(entry && Object.keys(entry)).not.toContain('_metadata');
  });

  it('a purge records its intent on the primary (migration 8) and finishes; a seeded create publishes its seed', async () => {
    const a = await server();
    const b = await server();
    await a.create('erase-me', {
      jurisdiction: 'eu',
      seed: async (db) => {
        await db.execute("INSERT INTO notes (body) VALUES ('seeded')");
      },
    });
    expect((await b.query('erase-me', 'SELECT body FROM notes')).rows).toEqual([['seeded']]);
    await a.delete('erase-me');
    expect(await eventually(() => b.require('erase-me').state, (state) => state === 'deleted')).toBe('deleted');
    expect(await b.purge('erase-me')).toEqual({ purged: true });
    expect(await eventually(() => a.find('erase-me'), (info) => info === undefined)).toBeUndefined();
    expect(b.audit({ instance: 'erase-me', operation: 'purge' }).items[0]).toMatchObject({ outcome: 'ok' });
    expect((await a.create('erase-me', { jurisdiction: 'eu' })).state).toBe('ready');
  });

  it('libSQL token generations (migration 11) are bumped on the primary and reach another server', async () => {
    const a = await server();
    const b = await server();
    const { id } = await a.create('revoked', { jurisdiction: 'eu' });
    expect(b.tokenGenerations.of(id)).toBe(0);
    expect(a.tokenGenerations.bump(id)).toBe(1);
    expect(a.tokenGenerations.bump(id)).toBe(2);
    expect(await eventually(() => b.tokenGenerations.all().get(id), (generation) => generation === 2)).toBe(2);
  });

  it('a name is unique across servers: the primary refuses what a stale replica would allow', async () => {
    const a = await server();
    const b = await server(undefined, 3_600);
    expect(b.find('only-once')).toBeUndefined();
    await a.create('only-once', { jurisdiction: 'us' });
    await expect(b.create('only-once', { jurisdiction: 'us' })).rejects.toMatchObject({ code: 'NAME_TAKEN' });
    // b's sync interval is an hour: a miss looks again (at most once a second) and finds it.
    expect(await eventually(() => b.find('only-once'), (info) => info !== undefined)).toMatchObject({ state: 'ready', jurisdiction: 'us' });
  });

  it('a row seen while provisioning is looked up again, so the instance is served once ready', async () => {
    const writer = await Catalog.open(resolveSettings({ dataDir: path.join(suite, 'writer'), catalog: catalogSettings(3_600) }).catalog);
    const reader = await Catalog.open(resolveSettings({ dataDir: path.join(suite, 'reader'), catalog: catalogSettings(3_600) }).catalog);
    try {
      await writer.beginProvisioning({ id: 'id-settling', name: 'settling', displayName: 'Settling', jurisdiction: 'eu', region: 'eu-west', engine: 'local', dbUrl: 'local:eu-west/00/settling.db' });
      expect(reader.resolve('settling')?.state).toBe('provisioning');
      writer.markReady('id-settling', { schemaVersion: 1, sizeBytes: 4_096 });
      // The reader's sync interval is an hour: only the look-again on a passing state finds it ready.
      expect((await eventually(() => reader.resolve('settling'), (info) => info?.state === 'ready'))?.state).toBe('ready');
    } finally {
      writer.close();
      reader.close();
    }
  });

  it('an admin disabled on one server is signed out on another; failed sign-ins are capped on the primary', async () => {
    // a syncs its replica only hourly by itself: a session lookup syncs first (at most once a second).
    const a = await server(undefined, 3_600);
    const b = await server();
    const ops = a.admins.create('ops@example.com', 'hash-ops');
    a.admins.create('root@example.com', 'hash-root');
    expect(a.admins.createSession(ops.id, 'ops-session', Date.now() + 60_000)).toBe(true);
    expect((await eventually(() => b.admins.session('ops-session'), (found) => found !== undefined))?.user.email).toBe('ops@example.com');

    // Disabling runs in one transaction on the primary; a's next lookup a second later misses the session.
    expect(a.admins.session('ops-session')?.user.email).toBe('ops@example.com');
    expect(b.admins.disable('ops@example.com', 'cli:root')).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(a.admins.session('ops-session')).toBeUndefined();
    expect(() => a.admins.disable('root@example.com')).toThrow(expect.objectContaining({ code: 'LAST_ADMIN' }));

    const capped = await openFleet({
      dataDir: path.join(suite, `server-${++servers}`),
      schema: sampleSchema(),
      engineKind: 'turso',
      turso: { ...standin.settings, databasePrefix: 'cr-' },
      catalog: catalogSettings(0.2),
      auditMaxFailedSignIns: 10,
    });
    fleets.push(capped);
    for (let i = 0; i < 15; i++) capped.admins.recordSignInFailure(`flood-${i}@example.com`, '198.51.100.7', 'unknown email');
    const failures = await eventually(() => b.audit({ operation: 'admin sign-in', outcome: 'error', limit: 100 }), (page) => page.total === 10 && page.items[0]?.detail?.['email'] === 'flood-14@example.com');
    expect(failures.total).toBe(10);
    expect(failures.items.at(-1)?.detail?.['email']).toBe('flood-5@example.com');
  });

  it('a lost replica is rebuilt from the primary', async () => {
    const dataDir = path.join(suite, 'rebuilt');
    const first = await server(dataDir);
    await first.create('survivor', { jurisdiction: 'eu' });
    await first.close();
    const replicas = readdirSync(dataDir).filter((entry) => entry.startsWith('catalog-replica-'));
    expect(replicas).toHaveLength(1);
    expect(existsSync(path.join(dataDir, 'catalog.db'))).toBe(false);
    rmSync(path.join(dataDir, replicas[0] ?? ''), { recursive: true, force: true });

    const again = await server(dataDir);
    expect(again.require('survivor')).toMatchObject({ state: 'ready' });
  });

  it('gives every process on one data folder a replica of its own, and reuses those left by dead ones', async () => {
    const dataDir = path.join(suite, 'shared-folder');
    const first = await server(dataDir);
    const [replicas] = readdirSync(dataDir).filter((entry) => entry.startsWith('catalog-replica-'));
    const replicaDir = path.join(dataDir, replicas ?? '');
    // A slot whose owner died (no such process) is free again.
    mkdirSync(path.join(replicaDir, 'slot-1'), { recursive: true });
    writeFileSync(path.join(replicaDir, 'slot-1', 'owner'), '999999999.1');
    const second = await server(dataDir);
    await first.create('one-folder', { jurisdiction: 'eu' });
    expect(second.require('one-folder')).toMatchObject({ state: 'ready' });
    expect(readdirSync(replicaDir).sort()).toEqual(['slot-0', 'slot-1']);
    await second.close();
    expect(existsSync(path.join(replicaDir, 'slot-1', 'owner'))).toBe(false);
    const third = await server(dataDir);
    expect(third.require('one-folder')).toMatchObject({ state: 'ready' });
    expect(readdirSync(replicaDir).sort()).toEqual(['slot-0', 'slot-1']);
  });

  it('does not take the catalog database for an orphan tenant when it shares a group', async () => {
    // No name prefix: every database of the groups looks like a tenant, the catalog's included.
    const unprefixed = await openFleet({
      dataDir: path.join(suite, 'unprefixed'),
      schema: sampleSchema(),
      engineKind: 'turso',
      turso: { ...standin.settings, databasePrefix: '' },
      catalog: { url: catalogEnv.SILO_CATALOG_URL, authToken: catalogEnv.SILO_CATALOG_AUTH_TOKEN },
    });
    fleets.push(unprefixed);
    const report = await unprefixed.doctor({ scanFiles: true, purgeExpired: false });
    expect(report.orphans).toEqual([]);
  });

  it('a wrong token stops start-up with CATALOG_UNAVAILABLE, and the token is in no message', async () => {
    const wrong = 'eyJ.wrong-catalog-token.sig';
    const error: unknown = await openFleet({
      dataDir: path.join(suite, 'wrong-token'),
      schema: sampleSchema(),
      catalog: { url: catalogEnv.SILO_CATALOG_URL, authToken: wrong },
    }).catch((caught: unknown) => caught);
    expect(isSiloError(error) && error.code).toBe('CATALOG_UNAVAILABLE');
    expect(String((error as Error).message)).not.toContain(wrong);
    expect(String((error as Error).message)).not.toContain(catalogEnv.SILO_CATALOG_AUTH_TOKEN);
  });
});

describe('when the catalog primary is unreachable', () => {
  it('keeps serving from the replica; catalog writes fail with a clear error until it is back', async () => {
    const own = await startStandinProcess(path.join(suite, 'outage-standin'), { notReadyMs: 0 });
    const env = await createCatalogDatabase({ platformUrl: own.platform.url, org: own.platform.org, apiToken: own.platform.apiToken });
    // Tenants on local files here, so only the catalog depends on the stand-in.
    const fleet = await openFleet({
      dataDir: path.join(suite, 'outage'),
      schema: sampleSchema(),
      catalog: { url: env.SILO_CATALOG_URL, authToken: env.SILO_CATALOG_AUTH_TOKEN, syncIntervalSec: 3_600 },
    });
    fleets.push(fleet);
    await fleet.create('steady', { jurisdiction: 'eu' });
    await own.stop();

    expect(fleet.require('steady')).toMatchObject({ state: 'ready' });
    const rows = await fleet.withInstance('steady', async (db) => {
      await db.execute('INSERT INTO notes (body) VALUES (?)', ['written during the outage']);
      return (await db.execute('SELECT body FROM notes')).rows;
    });
    expect(rows).toEqual([{ body: 'written during the outage' }]);
    const refused = await fleet.create('during-outage', { jurisdiction: 'eu' }).catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 'CATALOG_UNAVAILABLE', message: expect.stringMatching(/cannot reach the catalog/i) });
    expect(String((refused as Error).message)).not.toContain(env.SILO_CATALOG_AUTH_TOKEN);
    expect(fleet.find('during-outage')).toBeUndefined();
  });
});

describe('catalog configuration', () => {
  const base = { SILO_DATA_DIR: '/srv/silo' };

  it('puts the replica in a folder named after the primary, and turns libsql:// into https://', () => {
    const settings = resolveSettings(settingsFromEnv({ ...base, SILO_CATALOG_URL: 'libsql://catalog-acme.turso.io/', SILO_CATALOG_AUTH_TOKEN: 'secret-token' }));
    expect(settings.catalog).toMatchObject({ kind: 'turso', syncUrl: 'https://catalog-acme.turso.io', syncIntervalSec: 2 });
    expect(settings.catalog.kind === 'turso' && settings.catalog.replicaDir).toMatch(/^\/srv\/silo\/catalog-replica-[0-9a-f]{12}$/);
  });

  it.each([
    [{ SILO_CATALOG_AUTH_TOKEN: 'secret-token' }, /SILO_CATALOG_AUTH_TOKEN is set but SILO_CATALOG_URL is not/],
    [{ SILO_CATALOG_URL: 'libsql://catalog-acme.turso.io' }, /SILO_CATALOG_AUTH_TOKEN: a database or group token/],
    [{ SILO_CATALOG_URL: 'ftp://catalog', SILO_CATALOG_AUTH_TOKEN: 'secret-token' }, /SILO_CATALOG_URL: must be a libsql:\/\//],
    [{ SILO_CATALOG_URL: 'libsql://c.turso.io', SILO_CATALOG_AUTH_TOKEN: 'secret-token', SILO_CATALOG_SYNC_INTERVAL_SEC: 'often' }, /SILO_CATALOG_SYNC_INTERVAL_SEC must be a number/],
  ])('refuses %o, naming the variable and never the token', (env, message) => {
    const attempt = (): unknown => resolveSettings(settingsFromEnv({ ...base, ...env }));
    expect(attempt).toThrow(message);
    try {
      attempt();
    } catch (error) {
      expect(String(error)).not.toContain('secret-token');
    }
  });
});
