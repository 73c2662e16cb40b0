import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { createClient as createLibsqlClient, Transaction, TransactionMode } from '@libsql/client';
import { createClient as createPlatformClient } from '@tursodatabase/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSiloError, openFleet, settingsFromEnv, type Fleet, type QueryAllEvent, type Region, type TursoSettingsInput } from '../src/index';
import { TursoEngine, resolveTursoSettings } from '../src/internal';
import { sampleSchema, tempDir, regionsIn } from './helpers';
import { STANDIN_GROUPS, startStandinProcess, type StandinProcess } from './turso-standin';

/**
 * The Turso engine beyond the contract: configuration, secrets, readiness, and a whole fleet
 * on Turso (the stand-in). One stand-in serves this file; each test uses its own names.
 */
let standin: StandinProcess;
let settings: TursoSettingsInput;
let standinDir: string;

/** A folder for the whole file (tempDir() folders go after each test). */
function suiteDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

beforeAll(async () => {
  standinDir = suiteDir('silo-turso-standin-');
  standin = await startStandinProcess(standinDir, { notReadyMs: 400 });
  settings = standin.settings;
});

afterAll(async () => {
  await standin.stop();
  rmSync(standinDir, { recursive: true, force: true });
});

/** Everything an error carries that could reach a log, a page or an audit row. */
function everythingIn(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  while (current instanceof Error) {
    parts.push(current.message, JSON.stringify(current, Object.getOwnPropertyNames(current)));
    current = current.cause;
  }
  if (current !== undefined) parts.push(String(current));
  return parts.join('\n');
}

function regionAt(regions: readonly Region[], index: number): Region {
  const region = regions[index];
  if (!region) throw new Error(`no region ${index}`);
  return region;
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

describe('turso configuration', () => {
  const complete = {
    SILO_ENGINE: 'turso',
    SILO_TURSO_ORG: 'acme',
    SILO_TURSO_API_TOKEN: 'api-token-secret-value',
    SILO_TURSO_GROUPS: 'eu=silo-eu,us=silo-us',
  };

  it('reads SILO_ENGINE and the SILO_TURSO_* variables', () => {
    const input = settingsFromEnv({ ...complete, SILO_TURSO_TLS: '0', SILO_TURSO_DB_PREFIX: 'prod-', SILO_TURSO_API_URL: 'http://127.0.0.1:9/v1/' });
    expect(input.engineKind).toBe('turso');
    expect(input.turso).toMatchObject({
      org: 'acme',
      groups: { eu: 'silo-eu', us: 'silo-us' },
      tls: false,
      databasePrefix: 'prod-',
      apiUrl: 'http://127.0.0.1:9',
      readyTimeoutMs: 30_000,
    });
    expect(settingsFromEnv(complete).turso?.apiUrl).toBe('https://api.turso.tech');
    expect(settingsFromEnv({}).engineKind).toBeUndefined();
  });

  it('names the variable that is missing or wrong', () => {
    for (const variable of ['SILO_TURSO_ORG', 'SILO_TURSO_API_TOKEN', 'SILO_TURSO_GROUPS'] as const) {
      expect(() => settingsFromEnv({ ...complete, [variable]: undefined })).toThrow(new RegExp(`${variable}: `));
    }
    expect(() => settingsFromEnv({ ...complete, SILO_TURSO_GROUPS: 'eu' })).toThrow(/SILO_TURSO_GROUPS: entry 1 should look like "eu=silo-eu"/);
    expect(() => settingsFromEnv({ ...complete, SILO_TURSO_GROUPS: 'eu=Bad_Group' })).toThrow(/SILO_TURSO_GROUPS/);
    expect(() => settingsFromEnv({ ...complete, SILO_TURSO_API_URL: 'ftp://x' })).toThrow(/SILO_TURSO_API_URL/);
    expect(() => settingsFromEnv({ ...complete, SILO_TURSO_TLS: 'maybe' })).toThrow(/SILO_TURSO_TLS must be 1 or 0/);
    expect(() => settingsFromEnv({ ...complete, SILO_TURSO_READY_TIMEOUT_MS: 'soon' })).toThrow(/SILO_TURSO_READY_TIMEOUT_MS/);
    expect(() => settingsFromEnv({ SILO_ENGINE: 'postgres' })).toThrow(/SILO_ENGINE must be "local" or "turso"/);
  });

  it('never repeats a token in a configuration error', () => {
    const secret = 'eyJhbGciOiJFZERTQSJ9.group-token-secret';
    for (const env of [
      { ...complete, SILO_TURSO_GROUP_TOKENS: `silo-asia=${secret}` },
      { ...complete, SILO_TURSO_GROUP_TOKENS: `${secret}` },
      { ...complete, SILO_TURSO_GROUP_TOKENS: `silo-eu=${secret},silo-eu=${secret}` },
      { ...complete, SILO_TURSO_ORG: '', SILO_TURSO_API_TOKEN: secret },
    ]) {
      const error = (() => {
        try {
          settingsFromEnv(env);
        } catch (caught) {
          return caught;
        }
        throw new Error('expected a configuration error');
      })();
      expect(isSiloError(error, 'CONFIG_INVALID')).toBe(true);
      expect(everythingIn(error)).not.toContain(secret);
      expect(everythingIn(error)).not.toContain('api-token-secret-value');
    }
  });

  it('stops at start-up when a group does not exist, or a jurisdiction has none', async () => {
    const regions = regionsIn(tempDir());
    const missingGroup = await failure(
      TursoEngine.open({ settings: resolveTursoSettings({ ...settings, groups: { eu: 'silo-eu', us: 'no-such-group' } }), regions }),
    );
    expect(missingGroup).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringMatching(/SILO_TURSO_GROUPS names group "no-such-group", which does not exist/) });
    const unmapped = await failure(TursoEngine.open({ settings: resolveTursoSettings({ ...settings, groups: { eu: 'silo-eu' } }), regions }));
    expect(unmapped).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringMatching(/no group for jurisdiction "us"/) });
  });
});

describe('turso by configuration alone', () => {
  it('opens a fleet on Turso from environment variables, as the apps and the CLI do', async () => {
    const env = {
      SILO_DATA_DIR: tempDir(),
      SILO_ENGINE: 'turso',
      SILO_TURSO_ORG: String(settings.org),
      SILO_TURSO_API_TOKEN: String(settings.apiToken),
      SILO_TURSO_API_URL: String(settings.apiUrl),
      SILO_TURSO_GROUPS: `eu=${STANDIN_GROUPS.eu},us=${STANDIN_GROUPS.us}`,
      SILO_TURSO_TLS: '0',
      SILO_TURSO_DB_PREFIX: 'env-',
    };
    const fleet = await openFleet({ schema: sampleSchema(), ...settingsFromEnv(env) });
    try {
      expect(fleet.engine.kind).toBe('turso');
      expect((await fleet.create('from-env', { jurisdiction: 'us' })).dbUrl).toBe(`turso:${STANDIN_GROUPS.us}/env-from-env`);
    } finally {
      await fleet.close();
    }
  });
});

describe('turso secrets', () => {
  it('keeps a refused API token out of the error', async () => {
    const wrong = 'wrong-api-token-0123456789';
    const error = await failure(TursoEngine.open({ settings: resolveTursoSettings({ ...settings, apiToken: wrong }), regions: regionsIn(tempDir()) }));
    expect(error).toMatchObject({ code: 'ENGINE_FAILURE', message: expect.stringMatching(/HTTP 401/) });
    expect(everythingIn(error)).not.toContain(wrong);
  });

  it('keeps group tokens out of errors, whether configured or minted', async () => {
    const platform = createPlatformClient({ org: String(settings.org), token: String(settings.apiToken), baseUrl: String(settings.apiUrl) });
    const { jwt: euToken } = await platform.groups.createToken(STANDIN_GROUPS.eu);
    const { jwt: usToken } = await platform.groups.createToken(STANDIN_GROUPS.us);
    const regions = regionsIn(tempDir());
    const engine = await TursoEngine.open({
      settings: resolveTursoSettings({ ...settings, groupTokens: { [STANDIN_GROUPS.eu]: euToken, [STANDIN_GROUPS.us]: usToken } }),
      regions,
    });
    try {
      const url = engine.locate('secret-keeper', regionAt(regions, 0));
      await engine.create(url, sampleSchema());
      const db = engine.connect(url);
      const sqlError = await failure(db.execute('SELECT * FROM nowhere'));
      expect(sqlError).toMatchObject({ code: 'QUERY_FAILED' });
      expect(everythingIn(sqlError)).not.toContain(euToken);
      db.close();
      // Invalidate every token of the group: the configured one now fails, and says so without showing it.
      await platform.groups.rotateTokens(STANDIN_GROUPS.eu);
      const refused = await failure(engine.connect(url).execute('SELECT 1'));
      expect(refused).toMatchObject({ code: 'ENGINE_FAILURE' });
      expect(everythingIn(refused)).not.toContain(euToken);
      const created = await failure(engine.create(engine.locate('after-rotation', regionAt(regions, 0)), sampleSchema()));
      expect(created).toMatchObject({ code: 'ENGINE_FAILURE', message: expect.stringMatching(/refused the group token/) });
      expect(everythingIn(created)).not.toContain(euToken);
      expect(await engine.exists(engine.locate('after-rotation', regionAt(regions, 0)))).toBe(false);
    } finally {
      await engine.close();
    }
  });
});

describe('turso token rotation', () => {
  it('renews tokens it minted when Turso refuses them after a rotation, for handles, queries and creates alike', async () => {
    const platform = createPlatformClient({ org: String(settings.org), token: String(settings.apiToken), baseUrl: String(settings.apiUrl) });
    const regions = regionsIn(tempDir());
    const engine = await TursoEngine.open({ settings: resolveTursoSettings(settings), regions });
    try {
      const url = engine.locate('rotated', regionAt(regions, 0));
      await engine.create(url, sampleSchema());
      const handle = engine.connect(url);
      await handle.execute("INSERT INTO notes (body) VALUES ('before the rotation')");
      await platform.groups.rotateTokens(STANDIN_GROUPS.eu);
      // The open handle, a console query (read-only token), an export and a create all carry on.
      await handle.execute("INSERT INTO notes (body) VALUES ('after the rotation')");
      const limits = { timeoutMs: 5_000, maxRows: 100, maxBytes: 1 << 20 };
      expect((await engine.query(url, { sql: 'SELECT count(*) FROM notes', readOnly: true, limits })).rows).toEqual([[2]]);
      await engine.snapshot(url, path.join(tempDir(), 'after-rotation.sqlite'));
      await platform.groups.rotateTokens(STANDIN_GROUPS.eu);
      await engine.create(engine.locate('created-after-rotation', regionAt(regions, 0)), sampleSchema());
      handle.close();
    } finally {
      await engine.close();
    }
  });
});

describe('turso readiness and branches', () => {
  it('waits for a new database that answers 404 at first, within a bound', async () => {
    const regions = regionsIn(tempDir());
    const engine = await TursoEngine.open({ settings: resolveTursoSettings(settings), regions });
    const started = performance.now();
    const url = engine.locate('patient', regionAt(regions, 0));
    await engine.create(url, sampleSchema());
    // The stand-in answers 404 for 400 ms after a create.
    expect(performance.now() - started).toBeGreaterThanOrEqual(400);
    expect(await engine.schemaVersion(url)).toBe(2);
    await engine.close();

    const impatient = await TursoEngine.open({ settings: resolveTursoSettings({ ...settings, readyTimeoutMs: 100 }), regions });
    const late = impatient.locate('impatient', regionAt(regions, 0));
    await expect(impatient.create(late, sampleSchema())).rejects.toMatchObject({
      code: 'ENGINE_FAILURE',
      message: expect.stringMatching(/did not answer within 100 ms.*SILO_TURSO_READY_TIMEOUT_MS/),
    });
    expect(await impatient.exists(late)).toBe(false);
    await impatient.close();
  });

  it('resolves hostnames through the Platform API, so a fresh engine serves databases it did not create', async () => {
    const regions = regionsIn(tempDir());
    const first = await TursoEngine.open({ settings: resolveTursoSettings(settings), regions });
    const url = first.locate('lookup', regionAt(regions, 2));
    expect(url).toBe(`turso:${STANDIN_GROUPS.us}/lookup`);
    await first.create(url, sampleSchema());
    await first.connect(url).execute("INSERT INTO notes (body) VALUES ('from the first engine')");
    await first.close();
    const second = await TursoEngine.open({ settings: resolveTursoSettings(settings), regions });
    expect((await second.connect(url).execute('SELECT body FROM notes')).rows).toEqual([{ body: 'from the first engine' }]);
    await expect(second.connect('turso:silo-us/never-created').execute('SELECT 1')).rejects.toMatchObject({
      code: 'ENGINE_FAILURE',
      message: expect.stringMatching(/no database "never-created"/),
    });
    await second.close();
  });

  it('branches a database as it was at a point in time', async () => {
    const regions = regionsIn(tempDir());
    const engine = await TursoEngine.open({ settings: resolveTursoSettings(settings), regions });
    const source = engine.locate('timeline', regionAt(regions, 0));
    await engine.create(source, sampleSchema());
    const db = engine.connect(source);
    await db.execute("INSERT INTO notes (body) VALUES ('before')");
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const point = new Date();
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await db.execute("INSERT INTO notes (body) VALUES ('after')");
    const branch = engine.locate('timeline-then', regionAt(regions, 0));
    await engine.cloneAt(source, branch, point);
    expect((await engine.connect(branch).execute('SELECT body FROM notes')).rows).toEqual([{ body: 'before' }]);
    db.close();
    await engine.close();
  });
});

describe('a fleet on turso', () => {
  let fleet: Fleet;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = suiteDir('silo-turso-fleet-');
    fleet = await openFleet({ schema: sampleSchema(), dataDir, engineKind: 'turso', turso: { ...settings, databasePrefix: 'fleet-', usageCacheMs: 0 } });
  });

  afterAll(async () => {
    await fleet.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates in the group of the jurisdiction and serves through the handle cache', async () => {
    const eu = await fleet.create('acme', { jurisdiction: 'eu' });
    const us = await fleet.create('initech', { jurisdiction: 'us' });
    expect(eu).toMatchObject({ engine: 'turso', dbUrl: `turso:${STANDIN_GROUPS.eu}/fleet-acme`, state: 'ready', schemaVersion: 2 });
    expect(us.dbUrl).toBe(`turso:${STANDIN_GROUPS.us}/fleet-initech`);
    expect(eu.sizeBytes).toBeGreaterThan(0);
    await fleet.withInstance('acme', (db) => db.batch([{ sql: "INSERT INTO notes (body) VALUES ('one')" }, { sql: "INSERT INTO notes (body) VALUES ('two')" }]));
    const { rows } = await fleet.withInstance('acme', (db) => db.execute('SELECT count(*) AS n FROM notes'));
    expect(rows).toEqual([{ n: 2 }]);
    // Nothing secret reaches the catalog: the URL is names only.
    expect(JSON.stringify(fleet.require('acme'))).not.toMatch(/eyJ|Bearer|127\.0\.0\.1/);
  });

  it('writes a create’s seed before the instance is ready, and a failing seed leaves no database and a free name', async () => {
    const seeded = await fleet.create('seeded', {
      jurisdiction: 'eu',
      seed: async (db, instance) => {
        await db.batch([{ sql: 'INSERT INTO notes (body) VALUES (?)', args: [`owner of ${instance.name}`] }]);
      },
    });
    expect(seeded.state).toBe('ready');
    expect((await fleet.query('seeded', 'SELECT body FROM notes')).rows).toEqual([['owner of seeded']]);
    const refused = fleet.create('unseeded', {
      jurisdiction: 'eu',
      seed: async (db) => {
        await db.execute("INSERT INTO notes (body) VALUES ('half')");
        throw new Error('the app refused');
      },
    });
    await expect(refused).rejects.toMatchObject({ code: 'SEED_FAILED' });
    expect(fleet.find('unseeded')).toBeUndefined();
    expect(await fleet.engine.exists(fleet.engine.locate('unseeded', fleet.regions.get('eu-west')))).toBe(false);
    await fleet.create('unseeded', { jurisdiction: 'eu' });
    expect((await fleet.query('unseeded', 'SELECT count(*) FROM notes')).rows).toEqual([[0]]);
    // The suite's later tests count this fleet's instances.
    for (const name of ['seeded', 'unseeded']) {
      await fleet.delete(name);
      expect(await fleet.purge(name)).toEqual({ purged: true });
    }
  });

  it('records Turso usage in the catalog metrics on activity', async () => {
    fleet.touch('acme', { todos: 2 });
    await fleet.flushActivity();
    const metrics = fleet.require('acme').metrics;
    expect(metrics['todos']).toBe(2);
    expect(metrics['turso.rowsWritten']).toBeGreaterThanOrEqual(2);
    expect(metrics).toHaveProperty('turso.rowsRead');
  });

  it('clones, exports, imports, deletes and purges', async () => {
    const clone = await fleet.clone('acme', 'acme-branch');
    expect(clone.dbUrl).toBe(`turso:${STANDIN_GROUPS.eu}/fleet-acme-branch`);
    expect(clone.metrics['todos']).toBe(2);
    const file = path.join(dataDir, 'acme.sqlite');
    expect((await fleet.exportTo('acme-branch', file)).sizeBytes).toBeGreaterThan(0);
    const imported = await fleet.importFile('acme-imported', file, { jurisdiction: 'eu' });
    expect(imported.state).toBe('ready');
    expect((await fleet.query('acme-imported', 'SELECT body FROM notes ORDER BY id')).rows).toEqual([['one'], ['two']]);
    await expect(fleet.clone('acme', 'acme-abroad', { jurisdiction: 'us' })).rejects.toMatchObject({ code: 'JURISDICTION_VIOLATION' });
    await fleet.delete('acme-branch');
    await expect(fleet.open('acme-branch')).rejects.toMatchObject({ code: 'INSTANCE_NOT_FOUND' });
    await fleet.undelete('acme-branch');
    await fleet.delete('acme-branch');
    expect(await fleet.purge('acme-branch')).toEqual({ purged: true });
    expect(await fleet.engine.exists(clone.dbUrl)).toBe(false);
    // A point-in-time clone through the fleet: the stand-in keeps the state of a moment ago.
    const before = new Date();
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await fleet.withInstance('acme', (db) => db.execute("INSERT INTO notes (body) VALUES ('three')"));
    const past = await fleet.clone('acme', 'acme-earlier', { at: before });
    expect((await fleet.query(past.name, 'SELECT count(*) FROM notes')).rows).toEqual([[2]]);
    expect(fleet.audit({ instance: 'acme-earlier' }).items[0]?.detail).toMatchObject({ source: 'acme', at: before.toISOString() });
    await expect(fleet.clone('acme', 'acme-future', { at: new Date(Date.now() + 60_000) })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await fleet.withInstance('acme', (db) => db.execute("DELETE FROM notes WHERE body = 'three'"));
    await fleet.delete(past.name);
    await fleet.purge(past.name);
    expect(existsSync(path.join(dataDir, 'regions', 'eu-west', 'staging'))).toBe(true);
  });

  it('queries every instance read-only, and reports a failing one without stopping', async () => {
    const events: QueryAllEvent[] = [];
    for await (const event of fleet.queryAll('SELECT count(*) FROM notes')) events.push(event);
    expect(events.map((e) => [e.instance, e.status, e.status === 'ok' ? e.rows : e.code]).sort()).toEqual([
      ['acme', 'ok', [[2]]],
      ['acme-imported', 'ok', [[2]]],
      ['initech', 'ok', [[0]]],
    ]);
    const writes: QueryAllEvent[] = [];
    for await (const event of fleet.queryAll("DELETE FROM notes")) writes.push(event);
    expect(writes.every((e) => e.status === 'error' && e.code === 'QUERY_READ_ONLY')).toBe(true);
    await fleet.withInstance('initech', (db) => db.execute('DROP TABLE notes'));
    const mixed: QueryAllEvent[] = [];
    for await (const event of fleet.queryAll('SELECT count(*) FROM notes')) mixed.push(event);
    expect(mixed.find((e) => e.instance === 'initech')).toMatchObject({ status: 'error', code: 'QUERY_FAILED' });
    expect(mixed.filter((e) => e.status === 'ok')).toHaveLength(2);
    await fleet.delete('initech');
    await fleet.purge('initech');
  });

  it('migrates the fleet, and a deep doctor finds it sound', async () => {
    const old = await openFleet({ schema: sampleSchema(1), dataDir: tempDir(), engineKind: 'turso', turso: { ...settings, databasePrefix: 'old-' } });
    await old.create('legacy-a', { jurisdiction: 'eu' });
    await old.create('legacy-b', { jurisdiction: 'us' });
    const catalogDir = old.settings.dataDir;
    await old.close();
    const upgraded = await openFleet({ schema: sampleSchema(2), dataDir: catalogDir, engineKind: 'turso', turso: { ...settings, databasePrefix: 'old-' } });
    try {
      expect(upgraded.migrationStatus().behind).toBe(2);
      await expect(upgraded.open('legacy-a')).rejects.toMatchObject({ code: 'SCHEMA_BEHIND' });
      const report = await upgraded.migrateAll({ concurrency: 2 });
      expect(report).toMatchObject({ migrated: 2, failed: 0 });
      expect((await upgraded.migrateAll()).results).toEqual([]);
      expect(await upgraded.engine.schemaVersion(upgraded.require('legacy-a').dbUrl)).toBe(2);
      await upgraded.withInstance('legacy-b', (db) => db.execute("INSERT INTO notes (body, tag) VALUES ('tagged', 'v2')"));
      const doctor = await upgraded.doctor({ scanFiles: true, deep: true });
      expect(doctor).toMatchObject({ orphans: [], missing: [], integrity: [], versionsCorrected: [], leftoversRemoved: [] });
    } finally {
      await upgraded.close();
    }
  });
});

/**
 * The engine loads @libsql/client with `require` (src/optional/load-optional.ts), so this
 * module object is the one it calls `createClient` on: replacing that export hands the engine
 * other clients without touching our code.
 */
const libsql = createRequire(import.meta.url)('@libsql/client') as { createClient: typeof createLibsqlClient };

/**
 * While `work` runs, clients as a release of @libsql/client without the private `_getStream()`
 * would make them: the engine's only way to turn foreign keys off before a migration's BEGIN.
 * Everything else is bound to the real objects, whose methods reach their private fields.
 */
async function withClientsLackingGetStream<T>(work: () => Promise<T>): Promise<T> {
  const real = libsql.createClient;
  const bound = <O extends object>(target: O, property: string | symbol): unknown => {
    const value: unknown = Reflect.get(target, property, target);
    return typeof value === 'function' ? value.bind(target) : value;
  };
  const hideStream = (tx: Transaction): Transaction =>
    new Proxy(tx, { get: (target, property) => (property === '_getStream' ? undefined : bound(target, property)), has: (target, property) => property !== '_getStream' && property in target });
  libsql.createClient = (config) =>
    new Proxy(real(config), {
      get: (target, property) => (property === 'transaction' ? async (mode?: TransactionMode) => hideStream(await target.transaction(mode)) : bound(target, property)),
    });
  try {
    return await work();
  } finally {
    libsql.createClient = real;
  }
}

describe('turso migrations on a @libsql/client without _getStream()', () => {
  it('fail with a clear error and change nothing, then migrate once the client has it again', async () => {
    const dataDir = tempDir();
    const turso = { ...settings, databasePrefix: 'nostream-' };
    const old = await openFleet({ schema: sampleSchema(1), dataDir, engineKind: 'turso', turso });
    await old.create('keys', { jurisdiction: 'eu' });
    await old.withInstance('keys', (db) => db.execute("INSERT INTO notes (body) VALUES ('kept')"));
    await old.close();

    const upgraded = await openFleet({ schema: sampleSchema(2), dataDir, engineKind: 'turso', turso });
    try {
      const url = upgraded.require('keys').dbUrl;
      const report = await withClientsLackingGetStream(() => upgraded.migrateAll());
      expect(report).toMatchObject({ migrated: 0, failed: 1 });
      expect(JSON.stringify(report.results)).toMatch(/gives no access to a transaction's stream, so a migration cannot turn foreign keys off/);
      // The engine's own error, before the fleet words it for the report.
      const direct = await withClientsLackingGetStream(() => failure(upgraded.engine.migrate(url, sampleSchema(2), { dryRun: false })));
      expect(direct).toMatchObject({ code: 'ENGINE_FAILURE', message: expect.stringMatching(/no access to a transaction's stream/) });

      // Nothing of version 2 reached the database, nor the catalog.
      expect(await upgraded.engine.schemaVersion(url)).toBe(1);
      expect(upgraded.require('keys').schemaVersion).toBe(1);
      const raw = upgraded.engine.connect(url);
      try {
        expect((await raw.execute("SELECT name FROM pragma_table_info('notes') WHERE name = 'tag'")).rows).toEqual([]);
        expect((await raw.execute("SELECT name FROM sqlite_schema WHERE name = 'notes_tag'")).rows).toEqual([]);
        expect((await raw.execute('SELECT body FROM notes')).rows).toEqual([{ body: 'kept' }]);
      } finally {
        raw.close();
      }

      // The failure was the client's alone: the real one migrates the same database.
      expect(await upgraded.migrateAll()).toMatchObject({ migrated: 1, failed: 0 });
      expect(await upgraded.engine.schemaVersion(url)).toBe(2);
      expect(await upgraded.withInstance('keys', async (db) => (await db.execute('SELECT body, tag FROM notes')).rows)).toEqual([{ body: 'kept', tag: null }]);
    } finally {
      await upgraded.close();
    }
  });
});
