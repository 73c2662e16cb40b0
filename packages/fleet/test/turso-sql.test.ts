import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient as createPlatformClient } from '@tursodatabase/api';
import { classifyStatement, splitStatements } from '@silo/turso-standin';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineTenantSchema, type QueryRequest, type Region } from '../src/index';
import { TursoEngine, resolveTursoSettings } from '../src/internal';
import { migrateSync } from '../src/sqlite';
import { runBoundedQuery } from '../src/engines/turso-query';
import { SecretScrubber } from '../src/engines/turso-secrets';
import type { TursoStatementGuard } from '../src/engines/turso-statement-guard';
import { stampVersionTable } from '../src/engines/version-table';
import { Catalog } from '../src/catalog/catalog';
import { CATALOG_MIGRATIONS } from '../src/catalog/catalog-migrations';
import { schemaDifferences, schemaObjects } from '../src/engines/schema-match';
import { SAMPLE_MIGRATIONS, sampleSchema, regionsIn } from './helpers';
import { STANDIN_GROUPS, startStandinProcess, type StandinProcess } from './turso-standin';

/**
 * The Turso engine against the stand-in's sqld strictness (issue #12): the schema version in a
 * table, since Turso refuses PRAGMA user_version; pragmas sqld counts as writes kept away from
 * the read-only token; a 403 for a read-only request reported like SQLite's read-only refusal.
 */
let standin: StandinProcess;
let dir: string;
let regions: Region[];
let engine: TursoEngine;
const LIMITS: QueryRequest['limits'] = { timeoutMs: 5_000, maxRows: 100, maxBytes: 1_000_000 };

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'silo-turso-sql-'));
  standin = await startStandinProcess(path.join(dir, 'standin'), { notReadyMs: 0 });
  regions = regionsIn(dir);
  engine = await TursoEngine.open({ settings: resolveTursoSettings(standin.settings), regions });
});

afterAll(async () => {
  await engine.close();
  await standin.stop();
  rmSync(dir, { recursive: true, force: true });
});

function region(): Region {
  const first = regions[0];
  if (!first) throw new Error('no region');
  return first;
}

const schema = sampleSchema();
const LATEST = schema.latestVersion;

describe('the schema version on Turso', () => {
  it('lives in the _silo_schema table: set on create, read by schemaVersion, bumped by migrate in its transaction', async () => {
    const url = engine.locate('version-table', region());
    await engine.create(url, schema);
    expect(await engine.schemaVersion(url)).toBe(LATEST);
    const db = engine.connect(url);
    try {
      expect((await db.execute('SELECT version FROM _silo_schema')).rows).toEqual([{ version: LATEST }]);
      const next = defineTenantSchema({
        id: schema.id,
        migrations: [...SAMPLE_MIGRATIONS, { version: LATEST + 1, name: 'tags', sql: 'CREATE TABLE tags (name TEXT PRIMARY KEY) STRICT;' }],
      });
      expect(await engine.migrate(url, next, { dryRun: true })).toEqual({ from: LATEST, to: LATEST + 1 });
      expect(await engine.schemaVersion(url)).toBe(LATEST);
      // Two migrators at once: the version is read inside each write transaction, so one applies.
      const outcomes = await Promise.all([engine.migrate(url, next, { dryRun: false }), engine.migrate(url, next, { dryRun: false })]);
      expect(outcomes).toContainEqual({ from: LATEST, to: LATEST + 1 });
      expect(outcomes).toContainEqual({ from: LATEST + 1, to: LATEST + 1 });
      expect(await engine.schemaVersion(url)).toBe(LATEST + 1);
    } finally {
      db.close();
    }
  });

  it('goes back to user_version in a snapshot, and into the table again on import', async () => {
    const url = engine.locate('round-trip', region());
    await engine.create(url, schema);
    const file = path.join(dir, 'round-trip.db');
    await engine.snapshot(url, file);
    const local = new Database(file, { readonly: true });
    try {
      expect(local.pragma('user_version', { simple: true })).toBe(LATEST);
      expect(local.prepare("SELECT count(*) FROM sqlite_schema WHERE name = '_silo_schema'").pluck().get()).toBe(0);
    } finally {
      local.close();
    }
    const copy = engine.locate('round-trip-copy', region());
    const report = await engine.importFile(file, copy, schema, 1 << 30);
    expect(report).toMatchObject({ fromVersion: LATEST, toVersion: LATEST });
    expect(await engine.schemaVersion(copy)).toBe(LATEST);
  });

  it('imports a raw copy of a Turso database, whose version is in the table and not in user_version', async () => {
    const file = path.join(dir, 'raw-turso.db');
    const db = new Database(file);
    migrateSync(db, SAMPLE_MIGRATIONS);
    stampVersionTable(db);
    db.pragma('user_version = 0');
    db.close();
    const url = engine.locate('raw-copy', region());
    expect(await engine.importFile(file, url, schema, 1 << 30)).toMatchObject({ fromVersion: LATEST, toVersion: LATEST });
    expect(await engine.schemaVersion(url)).toBe(LATEST);
  });
});

describe('console queries and sqld’s classification', () => {
  it('refuses PRAGMA user_version in both modes, pointing at the version table', async () => {
    const url = engine.locate('console-version', region());
    await engine.create(url, schema);
    for (const readOnly of [true, false]) {
      await expect(engine.query(url, { sql: 'PRAGMA user_version', readOnly, limits: LIMITS })).rejects.toMatchObject({
        code: 'STATEMENT_REFUSED',
        message: expect.stringContaining('_silo_schema'),
      });
    }
    const version = await engine.query(url, { sql: 'SELECT version FROM _silo_schema', readOnly: true, limits: LIMITS });
    expect(version.rows).toEqual([[LATEST]]);
  });

  it('refuses read-only queries of pragmas sqld serves as writes with QUERY_READ_ONLY; write mode runs them; EXPLAIN is a read', async () => {
    const url = engine.locate('console-pragmas', region());
    await engine.create(url, schema);
    for (const sql of ['PRAGMA integrity_check', 'PRAGMA page_count', 'PRAGMA foreign_key_check', 'EXPLAIN PRAGMA page_count']) {
      await expect(engine.query(url, { sql, readOnly: true, limits: LIMITS }), sql).rejects.toMatchObject({
        code: 'QUERY_READ_ONLY',
        message: expect.stringContaining('write mode'),
      });
    }
    expect((await engine.query(url, { sql: 'PRAGMA integrity_check', readOnly: false, limits: LIMITS })).rows).toEqual([['ok']]);
    // Pure-read pragmas and EXPLAIN stay open to read-only queries (query_analysis.rs counts them as reads).
    expect((await engine.query(url, { sql: 'PRAGMA table_info(notes)', readOnly: true, limits: LIMITS })).rows.length).toBeGreaterThan(0);
    expect((await engine.query(url, { sql: 'PRAGMA schema_version', readOnly: true, limits: LIMITS })).rows.length).toBe(1);
    expect((await engine.query(url, { sql: 'EXPLAIN QUERY PLAN SELECT * FROM notes', readOnly: true, limits: LIMITS })).rows.length).toBeGreaterThan(0);
    // Integrity and size go with the full-access token, never the read-only one.
    expect(await engine.integrityCheck(url)).toEqual([]);
    expect(await engine.sizeOf(url)).toBeGreaterThan(0);
  });

  it('reports a 403 for a read-only request as QUERY_READ_ONLY with the local engine’s message', async () => {
    const url = engine.locate('console-403', region());
    await engine.create(url, schema);
    const api = createPlatformClient({ org: standin.platform.org, token: standin.platform.apiToken, baseUrl: standin.platform.url });
    const database = await api.databases.get(url.split('/').pop() ?? '');
    const readToken = (await api.groups.createToken(STANDIN_GROUPS.eu, { authorization: 'read-only' })).jwt;
    // Past a guard that lets everything through, the read-only token is the wall left.
    const openGuard = { check: async () => undefined } as unknown as TursoStatementGuard;
    const error = await runBoundedQuery({
      request: { sql: "INSERT INTO notes (body) VALUES ('x')", readOnly: true, limits: LIMITS },
      resolve: async () => ({ group: STANDIN_GROUPS.eu, database: database.name, hostname: database.hostname, token: readToken, tls: false }),
      renew: async () => false,
      scrubber: new SecretScrubber(),
      url,
      guard: openGuard,
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({
      code: 'QUERY_READ_ONLY',
      message: 'This connection is read-only, so the statement was refused (attempt to write a readonly database). Switch to write mode to change data.',
    });
    expect((await engine.query(url, { sql: 'SELECT count(*) FROM notes', readOnly: true, limits: LIMITS })).rows).toEqual([[0]]);
  });
});

describe('statements @libsql/client would store on the server', () => {
  it('a batch and a console script with a short non-ASCII statement over 5000 bytes run (sqld stores at most 5000 bytes)', async () => {
    const url = engine.locate('stored-sql', region());
    await engine.create(url, schema);
    // 2,600 "ü" are under @libsql/client's 5000-code-unit cut for stored SQL, but 5,200 bytes.
    const body = 'ü'.repeat(2_600);
    const sql = `INSERT INTO notes (body) VALUES ('${body}')`;
    const db = engine.connect(url);
    try {
      await db.batch([{ sql }, { sql: `UPDATE notes SET tag = '${body}' WHERE tag IS NULL` }]);
      await engine.query(url, { sql: `${sql}; ${sql}`, script: true, readOnly: false, limits: LIMITS });
      expect((await db.execute('SELECT count(*) AS n, count(tag) AS tagged FROM notes')).rows).toEqual([{ n: 3, tagged: 1 }]);
    } finally {
      db.close();
    }
  });
});

describe('migrations Turso must run', () => {
  it('the catalog’s migrations hold nothing sqld refuses (no TEMP tables, no ANALYZE, no pragmas)', () => {
    for (const migration of CATALOG_MIGRATIONS) {
      for (const statement of splitStatements(migration.sql)) {
        expect(classifyStatement(statement), `catalog migration ${migration.version}: ${statement.slice(0, 60)}`).not.toBe('refused');
      }
    }
  });

  it('a local catalog still gets the planner statistics its migrations used to make with ANALYZE', () => {
    const file = path.join(dir, 'catalog.db');
    new Catalog({ kind: 'file', file }).close();
    const db = new Database(file, { readonly: true });
    try {
      expect(db.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'sqlite_stat1'").pluck().get()).toBe(1);
    } finally {
      db.close();
    }
  });

  it('the import’s schema comparison treats the version table as Silo’s, not the app’s', () => {
    const reference = new Database(':memory:');
    const withTable = new Database(':memory:');
    try {
      migrateSync(reference, SAMPLE_MIGRATIONS);
      migrateSync(withTable, SAMPLE_MIGRATIONS);
      stampVersionTable(withTable);
      expect(schemaDifferences(schemaObjects(reference), schemaObjects(withTable))).toEqual([]);
      expect(schemaDifferences(schemaObjects(withTable), schemaObjects(reference))).toEqual([]);
    } finally {
      reference.close();
      withTable.close();
    }
  });
});

describe('Turso’s transaction time limit', () => {
  it('a migration that outlives it fails clearly and leaves the database at its version', async () => {
    // Shrunk from Turso's 5 s, but not below what the create's own migration (several round
    // trips in one transaction) may take on a busy machine.
    const own = await startStandinProcess(path.join(dir, 'standin-short'), { notReadyMs: 0, transactionTimeoutMs: 1_000 });
    const ownEngine = await TursoEngine.open({ settings: resolveTursoSettings(own.settings), regions });
    try {
      const url = ownEngine.locate('slow-migration', region());
      await ownEngine.create(url, schema);
      // The first step takes the write lock; the second computes for longer than the (shrunk)
      // limit (two seconds or so, more on a busy machine), as a big migration would for Turso's 5 s.
      const slow = defineTenantSchema({
        id: schema.id,
        migrations: [
          ...SAMPLE_MIGRATIONS,
          { version: LATEST + 1, name: 'quick', sql: 'CREATE TABLE quick (x);' },
          {
            version: LATEST + 2,
            name: 'slow',
            sql: 'CREATE TABLE slow AS WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 20000000) SELECT count(*) AS c FROM s;',
          },
        ],
      });
      await expect(ownEngine.migrate(url, slow, { dryRun: false })).rejects.toMatchObject({
        code: 'ENGINE_FAILURE',
        message: expect.stringContaining('interactive transaction'),
      });
      expect(await ownEngine.schemaVersion(url)).toBe(LATEST);
      const tables = await ownEngine.query(url, { sql: "SELECT name FROM sqlite_schema WHERE name IN ('quick', 'slow')", readOnly: true, limits: LIMITS });
      expect(tables.rows).toEqual([]);
    } finally {
      await ownEngine.close();
      await own.stop();
    }
  });
});
