/**
 * `silo move`: instances move from local files to Turso (the stand-in on loopback) and keep
 * serving their data; a process killed at any step leaves each instance fully local or fully
 * on Turso, and running the move again finishes the job.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient as createPlatformClient } from '@tursodatabase/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Catalog } from '../src/catalog/catalog';
import { CATALOG_MIGRATIONS } from '../src/catalog/catalog-migrations';
import { CATALOG_PRAGMAS, migrateSync, openSqlite } from '../src/sqlite';
import type { FailpointName } from '../src/failpoints';
import { HandleCache } from '../src/handle-cache';
import { compareFingerprints } from '../src/move/seal';
import { openFleet, type Fleet, type MoveReport, type TursoSettingsInput } from '../src/index';
import { REPO_ROOT } from './fixtures/children';
import { fileOf, sampleSchema, tempDir, tempFleet, tempLeftovers } from './helpers';
import { STANDIN_GROUPS, startStandinProcess, type StandinProcess } from './turso-standin';

const MOVE_CHILD = fileURLToPath(new URL('./fixtures/move-child.ts', import.meta.url));

let standin: StandinProcess;
let standinDir: string;
let prefixes = 0;

beforeAll(async () => {
  standinDir = mkdtempSync(path.join(tmpdir(), 'silo-move-standin-'));
  standin = await startStandinProcess(standinDir, { notReadyMs: 50 });
});

afterAll(async () => {
  await standin.stop();
  rmSync(standinDir, { recursive: true, force: true });
});

/** Turso settings with a prefix of their own, so tests sharing the stand-in never share names. */
function tursoSettings(): TursoSettingsInput {
  return { ...standin.settings, databasePrefix: `mv${++prefixes}-` };
}

/** A fleet on local files with one note per instance (the instance's name), closed. */
async function localFleet(names: readonly string[], notesEach = 1): Promise<string> {
  const { fleet, dataDir } = await tempFleet();
  for (const [index, name] of names.entries()) {
    await fleet.create(name, { jurisdiction: index % 2 === 0 ? 'eu' : 'us' });
    await fleet.withInstance(name, (db) =>
      db.batch(Array.from({ length: notesEach }, (_, n) => ({ sql: 'INSERT INTO notes (body) VALUES (?)', args: [n === 0 ? name : `${name} ${n}`] }))),
    );
  }
  await fleet.close();
  return dataDir;
}

/** The same fleet as the app servers and the CLI open it once SILO_ENGINE=turso is set. */
async function tursoFleet(dataDir: string, turso: TursoSettingsInput, reconcileOnOpen = true): Promise<Fleet> {
  return openFleet({ dataDir, schema: sampleSchema(), engineKind: 'turso', turso, reconcileOnOpen });
}

async function firstNote(fleet: Fleet, name: string): Promise<unknown> {
  return fleet.withInstance(name, async (db) => (await db.execute('SELECT body FROM notes ORDER BY id LIMIT 1')).rows[0]?.['body']);
}

describe('silo move --to turso', () => {
  it('moves instances with their data; the fleet serves both engines meanwhile and Turso afterwards', async () => {
    const names = ['alpha', 'bravo', 'charlie'];
    const dataDir = await localFleet([...names, 'gone'], 3);
    const turso = tursoSettings();
    const fleet = await tursoFleet(dataDir, turso);
    // An app server: another fleet on the same catalog, with a warm handle from before the move.
    const app = await tursoFleet(dataDir, turso);
    try {
      expect(await firstNote(app, 'charlie')).toBe('charlie');
      await fleet.delete('gone');
      // Before the move: new instances go to Turso, old ones are still served from their files.
      await fleet.create('newcomer', { jurisdiction: 'eu' });
      expect(fleet.require('newcomer').engine).toBe('turso');
      expect(await firstNote(fleet, 'alpha')).toBe('alpha');

      // A handle an app request holds across the move: its writes are refused once the move starts.
      const held = await fleet.open('bravo');
      const report = await fleet.moveInstances({ to: 'turso', concurrency: 2 });
      expect(report.failed).toBe(0);
      expect(report.moved).toBe(3);
      expect(report.alreadyMoved).toBe(1);
      expect(report.results.find((result) => result.instance === 'gone')).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/deleted/) });
      await expect(held.db.execute("INSERT INTO notes (body) VALUES ('late')")).rejects.toThrow(/being moved/);
      held.release();

      for (const name of names) {
        const instance = fleet.require(name);
        expect(instance).toMatchObject({ state: 'ready', engine: 'turso', dbUrl: expect.stringMatching(new RegExp(`^turso:silo-(eu|us)/${turso.databasePrefix}${name}$`)) });
        expect(await firstNote(fleet, name)).toBe(name);
        expect((await fleet.query(name, 'SELECT count(*) FROM notes')).rows).toEqual([[3]]);
        // Writes go to Turso now.
        await fleet.withInstance(name, (db) => db.execute("INSERT INTO notes (body) VALUES ('after the move')"));
        expect(fleet.audit({ instance: name, operation: 'move' }).items[0]).toMatchObject({ outcome: 'ok' });
      }
      // The local files of moved instances are gone; the deleted one keeps its file (restorable).
      const doctor = await fleet.doctor({ scanFiles: true, deep: true, purgeExpired: false });
      expect(doctor).toMatchObject({ orphans: [], missing: [], integrity: [], movesRolledBack: [] });
      expect(existsSync(fileOf(fleet.require('gone').dbUrl, dataDir))).toBe(true);
      expect(tempLeftovers(dataDir)).toEqual([]);

      // The app server's cached handle was opened for the local file: it reopens on Turso.
      await app.withInstance('charlie', (db) => db.execute("INSERT INTO notes (body) VALUES ('through the app')"));
      expect((await fleet.query('charlie', "SELECT count(*) FROM notes WHERE body = 'through the app'")).rows).toEqual([[1]]);

      // Running it again is a no-op that says so.
      const again = await fleet.moveInstances({ to: 'turso' });
      expect(again).toMatchObject({ moved: 0, failed: 0, alreadyMoved: 4, localFilesRemoved: 0 });
    } finally {
      await app.close();
      await fleet.close();
    }
    // Another process (a restarted app server) sees the same.
    const reopened = await tursoFleet(dataDir, turso);
    try {
      expect((await reopened.query('alpha', 'SELECT count(*) FROM notes')).rows).toEqual([[4]]);
    } finally {
      await reopened.close();
    }
  });

  it('takes an instance out of service while it moves: open says moving, the apps show maintenance', async () => {
    const dataDir = await localFleet(['busy']);
    const fleet = await tursoFleet(dataDir, tursoSettings());
    const catalog = new Catalog({ kind: 'file', file: path.join(dataDir, 'catalog.db') });
    try {
      const { id } = fleet.require('busy');
      expect(catalog.beginMove(id, 'local')).toBe(true);
      await expect(fleet.open('busy')).rejects.toMatchObject({ code: 'INSTANCE_NOT_READY', details: { state: 'moving' }, message: expect.stringMatching(/being moved/) });
      await expect(fleet.delete('busy')).rejects.toMatchObject({ code: 'INVALID_STATE', message: expect.stringMatching(/being moved/) });
      // Another mover finds it taken.
      const report = await fleet.moveInstances({ to: 'turso', only: ['busy'] });
      expect(report.results).toEqual([expect.objectContaining({ status: 'skipped', reason: expect.stringMatching(/another silo move/) })]);
      expect(fleet.overview().byState).toMatchObject({ moving: 1 });
      expect(catalog.endMove(id)).toBe(true);
      expect(await firstNote(fleet, 'busy')).toBe('busy');
    } finally {
      catalog.close();
      await fleet.close();
    }
  });

  it('reports bad input and what it cannot move, changing nothing', async () => {
    const dataDir = await localFleet(['keeper', 'other']);
    // An instance behind the schema is not moved: the move copies, it does not migrate.
    const old = await openFleet({ dataDir, schema: sampleSchema(1) });
    await old.create('behind', { jurisdiction: 'eu' });
    await old.close();

    const local = await openFleet({ dataDir, schema: sampleSchema() });
    try {
      await expect(local.moveInstances({ to: 'turso' })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringMatching(/SILO_ENGINE=turso/) });
    } finally {
      await local.close();
    }

    const fleet = await tursoFleet(dataDir, tursoSettings());
    try {
      const dry = await fleet.moveInstances({ to: 'turso', dryRun: true });
      expect(dry.results.map((result) => [result.instance, result.status]).sort()).toEqual([
        ['behind', 'skipped'],
        ['keeper', 'would-move'],
        ['other', 'would-move'],
      ]);
      expect(dry.results.find((result) => result.instance === 'behind')?.reason).toMatch(/silo migrate first/);
      const only = await fleet.moveInstances({ to: 'turso', only: ['keeper', 'no-such-instance'] });
      expect(only.results.map((result) => [result.instance, result.status]).sort()).toEqual([
        ['keeper', 'moved'],
        ['no-such-instance', 'failed'],
      ]);
      expect(only.results.find((result) => result.status === 'failed')?.reason).toMatch(/No instance named "no-such-instance"/);
      expect(fleet.require('other')).toMatchObject({ engine: 'local', state: 'ready' });
      expect(fleet.require('keeper').engine).toBe('turso');
    } finally {
      await fleet.close();
    }
  });

  it('rolls a failed upload back: the instance stays on its file, writable, and a database of the same name elsewhere is untouched', async () => {
    const dataDir = await localFleet(['clash']);
    const turso = tursoSettings();
    // Someone else's database with the target's name, in the other jurisdiction's group.
    const platform = createPlatformClient({ org: String(turso.org), token: String(turso.apiToken), baseUrl: String(turso.apiUrl) });
    await platform.databases.create(`${turso.databasePrefix}clash`, { group: STANDIN_GROUPS.us });
    const fleet = await tursoFleet(dataDir, turso);
    try {
      const report = await fleet.moveInstances({ to: 'turso' });
      expect(report.results).toEqual([expect.objectContaining({ instance: 'clash', status: 'failed', reason: expect.stringMatching(/already exists|409/) })]);
      expect(fleet.require('clash')).toMatchObject({ state: 'ready', engine: 'local' });
      await fleet.withInstance('clash', (db) => db.execute("INSERT INTO notes (body) VALUES ('still local')"));
      expect((await fleet.query('clash', 'SELECT count(*) FROM notes')).rows).toEqual([[2]]);
      expect((await platform.databases.get(`${turso.databasePrefix}clash`)).group).toBe(STANDIN_GROUPS.us);
      expect(fleet.audit({ instance: 'clash', operation: 'move' }).items[0]).toMatchObject({ outcome: 'error' });
      expect(tempLeftovers(dataDir)).toEqual([]);
    } finally {
      await fleet.close();
    }
  });

  it('compares fingerprints table by table', () => {
    const expected = { userVersion: 2, rows: { notes: 3, tags: 1 } };
    expect(compareFingerprints(expected, { userVersion: 2, rows: { notes: 3, tags: 1 } })).toEqual([]);
    expect(compareFingerprints(expected, { userVersion: 1, rows: { notes: 2, extra: 0 } })).toEqual([
      'schema version 1, expected 2',
      'table notes: 2 rows, expected 3',
      'table tags: missing rows, expected 1',
      'table extra: 0 rows, expected none',
    ]);
  });

  it('keeps the local files with keepLocal, sealed, and a later run removes them', async () => {
    const dataDir = await localFleet(['kept']);
    const turso = tursoSettings();
    const fleet = await tursoFleet(dataDir, turso);
    try {
      const localUrl = fleet.require('kept').dbUrl;
      const report = await fleet.moveInstances({ to: 'turso', keepLocal: true });
      expect(report.results).toEqual([expect.objectContaining({ status: 'moved', reason: expect.stringMatching(/kept/) })]);
      expect(existsSync(fileOf(localUrl, dataDir))).toBe(true);
      // The kept copy refuses writes: nobody can mistake it for the live database.
      const stale = fleet.engine.connect(localUrl);
      await expect(stale.execute("INSERT INTO notes (body) VALUES ('x')")).rejects.toThrow(/being moved/);
      stale.close();
      const again = await fleet.moveInstances({ to: 'turso' });
      expect(again).toMatchObject({ localFilesRemoved: 1, moved: 0 });
      expect(existsSync(fileOf(localUrl, dataDir))).toBe(false);
      expect(await firstNote(fleet, 'kept')).toBe('kept');
    } finally {
      await fleet.close();
    }
  });
});

interface MoveChildExit {
  signal: NodeJS.Signals | null;
  code: number | null;
  stdout: string;
  stderr: string;
}

function runMoveChild(dataDir: string, turso: TursoSettingsInput, failpoint?: FailpointName): Promise<MoveChildExit> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['SILO_FAILPOINT'];
  if (failpoint) env['SILO_FAILPOINT'] = failpoint;
  const child = spawn(process.execPath, ['--conditions=@silo/source', '--import', 'tsx', MOVE_CHILD, JSON.stringify({ dataDir, turso })], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

describe('a process killed mid-move', () => {
  const names = ['crash-a', 'crash-b', 'crash-c'];
  const cases: { failpoint: FailpointName; first: 'local' | 'turso' }[] = [
    { failpoint: 'move:after-seal', first: 'local' },
    { failpoint: 'move:after-upload', first: 'local' },
    { failpoint: 'move:after-switch', first: 'turso' },
  ];

  it.each(cases)('at $failpoint leaves the instance fully $first, and a rerun moves everything', async ({ failpoint, first }) => {
    const dataDir = await localFleet(names, 2);
    const turso = tursoSettings();
    const killed = await runMoveChild(dataDir, turso, failpoint);
    expect(killed.signal, killed.stderr).toBe('SIGKILL');

    // What the dead process left, before anyone reconciles: the first instance (name order) is mid-move.
    const raw = await tursoFleet(dataDir, turso, false);
    try {
      const victim = raw.require('crash-a');
      expect(victim.state).toBe(first === 'local' ? 'moving' : 'ready');
      expect(victim.engine).toBe(first);
      for (const name of names.slice(1)) expect(raw.require(name)).toMatchObject({ state: 'ready', engine: 'local' });
    } finally {
      await raw.close();
    }

    // Opening the fleet (an app server starting, or the next silo move) reconciles: the
    // interrupted instance is served again, with its data, where the catalog says it is.
    const fleet = await tursoFleet(dataDir, turso);
    try {
      expect(fleet.startupReport?.movesRolledBack).toEqual(first === 'local' ? ['crash-a'] : []);
      expect(fleet.require('crash-a')).toMatchObject({ state: 'ready', engine: first });
      expect(await firstNote(fleet, 'crash-a')).toBe('crash-a');
      // A rolled-back instance takes writes again (its seal is gone).
      await fleet.withInstance('crash-a', (db) => db.execute("INSERT INTO notes (body) VALUES ('between runs')"));
    } finally {
      await fleet.close();
    }

    const rerun = await runMoveChild(dataDir, turso);
    expect(rerun.code, rerun.stderr).toBe(0);
    const report = JSON.parse(rerun.stdout) as MoveReport;
    expect(report.failed).toBe(0);
    expect(report.moved).toBe(first === 'local' ? 3 : 2);
    expect(report.localFilesRemoved).toBe(first === 'turso' ? 1 : 0);

    const after = await tursoFleet(dataDir, turso);
    try {
      for (const name of names) {
        expect(after.require(name)).toMatchObject({ state: 'ready', engine: 'turso' });
        expect(await firstNote(after, name)).toBe(name);
        const expected = name === 'crash-a' ? 3 : 2;
        expect((await after.query(name, 'SELECT count(*) FROM notes')).rows, name).toEqual([[expected]]);
      }
      const doctor = await after.doctor({ scanFiles: true, deep: true, purgeExpired: false });
      expect(doctor).toMatchObject({ orphans: [], missing: [], integrity: [], leftoversRemoved: [] });
      expect(tempLeftovers(dataDir)).toEqual([]);
    } finally {
      await after.close();
    }
  });
});

describe('catalog migration to the moving state', () => {
  it('rebuilds the instances table and keeps every row and metric', () => {
    const file = path.join(tempDir(), 'catalog.db');
    const db = openSqlite(file, CATALOG_PRAGMAS);
    migrateSync(db, CATALOG_MIGRATIONS.filter((migration) => migration.version <= 3));
    db.prepare(
      `INSERT INTO instances (id, name, display_name, state, jurisdiction, region, engine, db_url, created_at, updated_at)
       VALUES ('id-1', 'metered', 'Metered', 'ready', 'eu', 'eu-west', 'local', 'local:eu-west/00/metered.db', 1, 1)`,
    ).run();
    db.prepare("INSERT INTO instance_metrics (instance_id, key, value, updated_at) VALUES ('id-1', 'todos', 7, 1)").run();
    db.close();
    const catalog = new Catalog({ kind: 'file', file });
    try {
      expect(catalog.find('metered')).toMatchObject({ state: 'ready', metrics: { todos: 7 } });
      expect(catalog.beginMove('id-1', 'local')).toBe(true);
      expect(catalog.find('metered')?.state).toBe('moving');
      expect(catalog.endMove('id-1', { engine: 'turso', dbUrl: 'turso:silo-eu/metered', sizeBytes: 1 })).toBe(true);
      expect(catalog.find('metered')).toMatchObject({ state: 'ready', engine: 'turso', dbUrl: 'turso:silo-eu/metered', metrics: { todos: 7 } });
    } finally {
      catalog.close();
    }
  });
});

describe('handle cache tags', () => {
  it('replaces a cached handle opened for another URL, closing the old one once released', async () => {
    const closed: string[] = [];
    const cache = new HandleCache<string, string>({ cap: 10, waitMs: 100, close: (value) => void closed.push(value) });
    const first = await cache.acquire('id-1', () => 'local handle', 'local:eu-west/00/a.db');
    first.release();
    const same = await cache.acquire('id-1', () => 'unexpected', 'local:eu-west/00/a.db');
    expect(same.value).toBe('local handle');
    // The instance moved while a request still holds the old handle.
    const moved = await cache.acquire('id-1', () => 'turso handle', 'turso:silo-eu/a');
    expect(moved.value).toBe('turso handle');
    expect(closed).toEqual([]);
    same.release();
    expect(closed).toEqual(['local handle']);
    moved.release();
    expect(cache.size).toBe(1);
  });
});
