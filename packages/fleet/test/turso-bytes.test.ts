/**
 * Whole databases move to and from Turso as bytes (issue #12): import and `silo move` upload
 * the prepared file into a `database_upload` draft; export reads `/info`, `/export/{generation}`
 * and `/sync/...` as `turso db export` does. Against the stand-in in a child process.
 *
 * The large case is sized for CI (20 MB); SILO_TURSO_BYTES_MB=200 runs the 200 MB.
 */
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient as createPlatformClient } from '@tursodatabase/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFleet, type Fleet, type TursoSettingsInput } from '../src/index';
import { SiloError } from '../src/errors';
import { MAX_UPLOAD_BYTES, prepareForUpload, uploadDatabaseFile } from '../src/engines/turso-upload';
import { foldVersionTable } from '../src/engines/version-table';
import { fileOf, sampleSchema, tempDir, tempFleet } from './helpers';
import { standinHooks } from '@silo/turso-standin';
import { startStandinProcess, type StandinProcess } from './turso-standin';

const LARGE_MB = Number(process.env['SILO_TURSO_BYTES_MB'] ?? 20);

let standin: StandinProcess;
let standinDir: string;
let prefixes = 0;

beforeAll(async () => {
  standinDir = mkdtempSync(path.join(tmpdir(), 'silo-bytes-standin-'));
  // A group of the platform Turso ran on before AWS, which takes no file upload.
  standin = await startStandinProcess(standinDir, { notReadyMs: 50, moreGroups: [{ name: 'legacy-eu', location: 'fra' }] });
});

afterAll(async () => {
  await standin.stop();
  rmSync(standinDir, { recursive: true, force: true });
});

function tursoSettings(): TursoSettingsInput {
  return { ...standin.settings, databasePrefix: `by${++prefixes}-` };
}

async function tursoFleet(dataDir: string, turso: TursoSettingsInput): Promise<Fleet> {
  return openFleet({ dataDir, schema: sampleSchema(), engineKind: 'turso', turso });
}

/**
 * The stand-in's own file of a database (its state file lists them), checkpointed so it holds
 * every commit, in the form an export hands out: Turso's bytes with the version table folded
 * into user_version (version-table.ts), the one change an export makes.
 */
function standinFile(database: string): Buffer {
  const state = JSON.parse(readFileSync(path.join(standinDir, 'standin-state.json'), 'utf8')) as { databases: { name: string; file: string }[] };
  const file = state.databases.find((db) => db.name === database)?.file;
  if (file === undefined) throw new Error(`the stand-in has no database ${database}`);
  const db = new Database(file);
  try {
    expect(db.pragma('wal_checkpoint(TRUNCATE)')).toEqual([{ busy: 0, log: 0, checkpointed: 0 }]);
  } finally {
    db.close();
  }
  const folded = path.join(tempDir(), 'standin-folded.db');
  copyFileSync(file, folded);
  const copy = new Database(folded);
  try {
    foldVersionTable(copy);
  } finally {
    copy.close();
  }
  return readFileSync(folded);
}

interface Facts {
  integrity: string;
  pageCount: number;
  pageSize: number;
  rows: Record<string, number>;
}

/** integrity_check, page count and size, and the rows of every ordinary table (FTS shadow tables included). */
function factsOf(file: string): Facts {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const tables = db
      .prepare<[], { name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name")
      .all()
      .map((row) => row.name);
    const rows: Record<string, number> = {};
    for (const table of tables) rows[table] = Number(db.prepare(`SELECT count(*) FROM "${table}"`).pluck().get());
    return {
      integrity: String(db.pragma('integrity_check', { simple: true })),
      pageCount: Number(db.pragma('page_count', { simple: true })),
      pageSize: Number(db.pragma('page_size', { simple: true })),
      rows,
    };
  } finally {
    db.close();
  }
}

/** Notes and an FTS5 index over them, until the file holds about `megabytes` MB. */
function fill(file: string, megabytes: number): void {
  const db = new Database(file);
  try {
    db.exec("CREATE VIRTUAL TABLE notes_fts USING fts5(body, content='notes', content_rowid='id')");
    const note = db.prepare('INSERT INTO notes (body, tag) VALUES (?, ?)');
    const indexed = db.prepare('INSERT INTO notes_fts (rowid, body) VALUES (?, ?)');
    const words = ['tenant', 'silo', 'turso', 'upload', 'export', 'page', 'frame', 'generation', 'vacuum', 'checkpoint'];
    for (let batch = 0; Number(db.pragma('page_count', { simple: true })) * 4096 < megabytes * 1024 * 1024; batch++) {
      db.transaction(() => {
        for (let i = 0; i < 2_000; i++) {
          const body = `${Array.from({ length: 40 }, (_, w) => words[(batch * 7 + i * 3 + w) % words.length]).join(' ')} ${randomBytes(60).toString('base64')}`;
          const { lastInsertRowid } = note.run(body, `t${i % 50}`);
          indexed.run(lastInsertRowid, body);
        }
      })();
    }
  } finally {
    db.close();
  }
}

describe('upload size', () => {
  it('refuses a file over the 20 GB turso-cli uploads before anything is created', () => {
    const file = path.join(tempDir('silo-upload-size-'), 'huge.db');
    const db = new Database(file);
    db.exec('CREATE TABLE t (x)');
    db.close();
    // Sparse: the size Turso would be sent, without the disk space.
    truncateSync(file, MAX_UPLOAD_BYTES + 4096);
    expect(() => prepareForUpload(file)).toThrow(expect.objectContaining({ code: 'IMPORT_REJECTED', message: expect.stringContaining('20 GB') }));
  });
});

describe('Turso byte paths', () => {
  it('imports by upload: the file is prepared (4096-byte pages, no auto_vacuum, WAL), sent as bytes and verified, no rows written', async () => {
    const { fleet: local } = await tempFleet();
    await local.create('source', { jurisdiction: 'eu' });
    await local.withInstance('source', (db) => db.batch(Array.from({ length: 300 }, (_, n) => ({ sql: 'INSERT INTO notes (body) VALUES (?)', args: [`note ${n}`] }))));
    const upload = path.join(tempDir(), 'upload.db');
    await local.exportTo('source', upload);
    await local.close();
    // A file Turso would refuse as it is: 8192-byte pages, auto_vacuum, rollback journal.
    const odd = new Database(upload);
    odd.pragma('journal_mode = DELETE');
    odd.pragma('page_size = 8192');
    odd.pragma('auto_vacuum = FULL');
    odd.exec('VACUUM');
    expect([odd.pragma('page_size', { simple: true }), odd.pragma('auto_vacuum', { simple: true })]).toEqual([8192, 1]);
    odd.close();

    const turso = tursoSettings();
    const fleet = await tursoFleet(tempDir(), turso);
    try {
      await fleet.importFile('imported', upload, { jurisdiction: 'eu' });
      expect((await fleet.query('imported', 'SELECT count(*) FROM notes')).rows).toEqual([[300]]);
      const database = `${turso.databasePrefix}imported`;
      const stored = path.join(tempDir(), 'stored.db');
      const bytes = standinFile(database);
      writeFileSync(stored, bytes);
      expect(factsOf(stored)).toMatchObject({ integrity: 'ok', pageSize: 4096, rows: { notes: 300 } });
      // The upload went around SQL: Turso counted no row written (a replay would have written 300+).
      const api = createPlatformClient({ org: standin.platform.org, token: standin.platform.apiToken, baseUrl: standin.platform.url });
      const usage = (await api.databases.usage(database)) as unknown as { total: { rows_written: number } };
      expect(usage.total.rows_written).toBe(0);
      // The uploaded database is the source file afterwards: the source is untouched.
      expect(statSync(upload).size).toBeGreaterThan(0);
      expect(new Database(upload, { readonly: true }).pragma('page_size', { simple: true })).toBe(8192);
    } finally {
      await fleet.close();
    }
  });

  it('exports byte for byte what Turso holds, FTS5 tables included, with writes after the generation started', async () => {
    const turso = tursoSettings();
    const fleet = await tursoFleet(tempDir(), turso);
    try {
      await fleet.create('searchable', { jurisdiction: 'us' });
      await fleet.withInstance('searchable', async (db) => {
        await db.execute("CREATE VIRTUAL TABLE notes_fts USING fts5(body, content='notes', content_rowid='id')");
        await db.batch(Array.from({ length: 200 }, (_, n) => ({ sql: 'INSERT INTO notes (body) VALUES (?)', args: [`searchable note ${n}`] })));
        await db.execute('INSERT INTO notes_fts (rowid, body) SELECT id, body FROM notes');
      });
      const first = path.join(tempDir(), 'first.db');
      await fleet.exportTo('searchable', first);
      // Writes after the first export arrive as frames of the same generation.
      await fleet.withInstance('searchable', (db) =>
        db.batch([{ sql: "INSERT INTO notes (body) VALUES ('late note')" }, { sql: "INSERT INTO notes_fts (rowid, body) SELECT id, body FROM notes WHERE body = 'late note'" }]),
      );
      const second = path.join(tempDir(), 'second.db');
      await fleet.exportTo('searchable', second);
      expect(factsOf(first).rows['notes']).toBe(200);
      const facts = factsOf(second);
      expect(facts).toMatchObject({ integrity: 'ok', pageSize: 4096, rows: { notes: 201 } });
      const db = new Database(second, { readonly: true });
      expect(db.prepare("SELECT count(*) FROM notes_fts WHERE notes_fts MATCH 'searchable'").pluck().get()).toBe(200);
      expect(db.prepare("SELECT count(*) FROM notes_fts WHERE notes_fts MATCH 'late'").pluck().get()).toBe(1);
      db.close();
      expect(readFileSync(second).equals(standinFile(`${turso.databasePrefix}searchable`))).toBe(true);
    } finally {
      await fleet.close();
    }
  });

  it('reports what Turso says when it refuses an upload (HTTP status and error), and a refused import leaves no database', async () => {
    const api = createPlatformClient({ org: standin.platform.org, token: standin.platform.apiToken, baseUrl: standin.platform.url });
    const turso = tursoSettings();
    const name = `${turso.databasePrefix}raw`;
    // The raw flow, with a file nobody prepared: a rollback-journal database.
    const created = (await fetch(`${standin.platform.url}organizations/${standin.platform.org}/databases`, {
      method: 'POST',
      headers: { authorization: `Bearer ${standin.platform.apiToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name, group: 'silo-eu', seed: { type: 'database_upload' } }),
    }).then((response) => response.json())) as { database: { Hostname: string } };
    const token = (await api.databases.createToken(name, { expiration: '1h' })).jwt;
    const unprepared = path.join(tempDir(), 'unprepared.db');
    const db = new Database(unprepared);
    db.exec('CREATE TABLE t (x)');
    db.close();
    const refused = await uploadDatabaseFile({ database: name, hostname: created.database.Hostname, token, tls: false }, unprepared).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(SiloError);
    expect(refused).toMatchObject({ code: 'ENGINE_FAILURE', details: { status: 400 }, message: expect.stringMatching(/HTTP 400.*not in WAL mode/) });
    expect((refused as Error).message).not.toContain(token);

    // Through the fleet: a UTF-16 file cannot become a Turso database; nothing is left behind.
    const { fleet: local } = await tempFleet();
    await local.create('wide', { jurisdiction: 'eu' });
    const wide = path.join(tempDir(), 'wide.db');
    await local.exportTo('wide', wide);
    await local.close();
    const rebuilt = path.join(tempDir(), 'wide16.db');
    const source = new Database(wide, { readonly: true });
    const target = new Database(rebuilt);
    target.pragma("encoding = 'UTF-16le'");
    for (const { sql } of source.prepare<[], { sql: string }>("SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY rowid").all()) target.exec(sql);
    target.pragma(`user_version = ${Number(source.pragma('user_version', { simple: true }))}`);
    source.close();
    target.close();
    const fleet = await tursoFleet(tempDir(), turso);
    try {
      await expect(fleet.importFile('wide', rebuilt, { jurisdiction: 'eu' })).rejects.toMatchObject({ code: 'IMPORT_REJECTED', message: expect.stringMatching(/UTF-8/) });
      expect((await api.databases.list()).map((database) => database.name)).not.toContain(`${turso.databasePrefix}wide`);
    } finally {
      await fleet.close();
    }
  });

  it('sends finalize once: an answer lost after Turso activated the database keeps it, one lost before leaves nothing', async () => {
    const hooks = standinHooks({ platformUrl: standin.platform.url, apiToken: standin.platform.apiToken });
    const { fleet: local } = await tempFleet();
    await local.create('source', { jurisdiction: 'eu' });
    await local.withInstance('source', (db) => db.batch(Array.from({ length: 50 }, (_, n) => ({ sql: 'INSERT INTO notes (body) VALUES (?)', args: [`note ${n}`] }))));
    const upload = path.join(tempDir(), 'finalize.db');
    await local.exportTo('source', upload);
    await local.close();
    const turso = { ...tursoSettings(), readyTimeoutMs: 1_000 };
    const fleet = await tursoFleet(tempDir(), turso);
    const finalizes = async () =>
      Object.entries(await hooks.requests())
        .filter(([key]) => key.endsWith('/finalize'))
        .reduce((sum, [, count]) => sum + count, 0);
    try {
      // Done by Turso, answered 502 by the proxy in front of it: a second finalize would be
      // refused and the clean-up would delete a good database.
      const before = await finalizes();
      await hooks.injectFault({ method: 'PUT', path: '/finalize', status: 502, body: 'html', served: true });
      await fleet.importFile('kept', upload, { jurisdiction: 'eu' });
      expect(await finalizes()).toBe(before + 1);
      expect((await fleet.query('kept', 'SELECT count(*) FROM notes')).rows).toEqual([[50]]);

      // Not done (the server failed first): the draft never answers and is removed.
      await hooks.injectFault({ method: 'PUT', path: '/finalize', status: 503 });
      await expect(fleet.importFile('lost', upload, { jurisdiction: 'eu' })).rejects.toMatchObject({ code: 'ENGINE_FAILURE', message: expect.stringMatching(/finish the upload.*HTTP 503/) });
      expect(await finalizes()).toBe(before + 2);
      const api = createPlatformClient({ org: standin.platform.org, token: standin.platform.apiToken, baseUrl: standin.platform.url });
      expect((await api.databases.list()).map((database) => database.name)).not.toContain(`${turso.databasePrefix}lost`);
      expect(fleet.find('lost')).toBeUndefined();
    } finally {
      await hooks.clearFaults();
      await fleet.close();
    }
  });

  it('loads a file as SQL into a group off AWS, which takes no upload: rows, FTS index, generated columns and version kept', async () => {
    const { fleet: local, dataDir } = await tempFleet();
    await local.create('legacy', { jurisdiction: 'eu' });
    const file = fileOf(local.require('legacy').dbUrl, dataDir);
    await local.close();
    // Tables the app's schema does not have, as an instance can grow them (a move keeps them).
    const db = new Database(file);
    db.exec("CREATE VIRTUAL TABLE notes_fts USING fts5(body, content='notes', content_rowid='id')");
    db.exec('CREATE TABLE sized (id INTEGER PRIMARY KEY, body TEXT, length INTEGER GENERATED ALWAYS AS (length(body)) STORED)');
    const note = db.prepare('INSERT INTO notes (body) VALUES (?)');
    db.transaction(() => {
      for (let n = 0; n < 120; n++) note.run(`legacy note ${n}`);
    })();
    db.exec("INSERT INTO notes_fts (rowid, body) SELECT id, body FROM notes; INSERT INTO sized (body) VALUES ('four'), ('seven!!')");
    // 12 MB of blobs: more than one batch's worth of bytes, far fewer rows than a batch holds.
    db.exec('CREATE TABLE files (id INTEGER PRIMARY KEY, data BLOB NOT NULL)');
    const blob = db.prepare('INSERT INTO files (data) VALUES (?)');
    for (let n = 0; n < 12; n++) blob.run(randomBytes(1024 * 1024));
    const version = Number(db.pragma('user_version', { simple: true }));
    db.close();

    const turso = { ...tursoSettings(), groups: { eu: 'legacy-eu', us: 'silo-us' }, locations: { eu: ['fra'], us: ['aws-us-*'] } };
    const fleet = await tursoFleet(dataDir, turso);
    const hooks = standinHooks({ platformUrl: standin.platform.url, apiToken: standin.platform.apiToken });
    const uploads = async () => Object.keys(await hooks.requests()).filter((key) => key.includes('/v2/upload/')).length;
    const uploadsBefore = await uploads();
    try {
      const report = await fleet.moveInstances({ to: 'turso', keepLocal: true });
      expect(report, JSON.stringify(report)).toMatchObject({ moved: 1, failed: 0 });
      expect(await uploads()).toBe(uploadsBefore);
      expect(fleet.require('legacy')).toMatchObject({ engine: 'turso', state: 'ready' });
      expect((await fleet.query('legacy', 'SELECT count(*) FROM notes')).rows).toEqual([[120]]);
      expect((await fleet.query('legacy', "SELECT count(*) FROM notes_fts WHERE notes_fts MATCH 'legacy'")).rows).toEqual([[120]]);
      expect((await fleet.query('legacy', 'SELECT body, length FROM sized ORDER BY id')).rows).toEqual([
        ['four', 4],
        ['seven!!', 7],
      ]);
      expect((await fleet.query('legacy', 'SELECT count(*), sum(length(data)) FROM files')).rows).toEqual([[12, 12 * 1024 * 1024]]);
      const exported = path.join(tempDir(), 'legacy-export.db');
      await fleet.exportTo('legacy', exported);
      expect(factsOf(exported)).toMatchObject({ integrity: 'ok', rows: { notes: 120, sized: 2, files: 12 } });
      const copy = new Database(exported, { readonly: true });
      expect(copy.pragma('user_version', { simple: true })).toBe(version);
      copy.close();
    } finally {
      await fleet.close();
    }
  });

  it(`moves a ${LARGE_MB} MB instance with an FTS5 table to Turso and exports it back equal`, async () => {
    const { fleet: local, dataDir } = await tempFleet();
    await local.create('large', { jurisdiction: 'eu' });
    const file = fileOf(local.require('large').dbUrl, dataDir);
    await local.close();
    fill(file, LARGE_MB);
    const before = factsOf(file);
    const sizeMb = statSync(file).size / 1024 / 1024;

    const turso = tursoSettings();
    const fleet = await tursoFleet(dataDir, turso);
    try {
      const moveStarted = performance.now();
      const report = await fleet.moveInstances({ to: 'turso', keepLocal: true });
      const moveMs = performance.now() - moveStarted;
      expect(report).toMatchObject({ moved: 1, failed: 0 });
      expect(fleet.require('large')).toMatchObject({ engine: 'turso', state: 'ready' });

      const exported = path.join(tempDir(), 'large-export.db');
      const exportStarted = performance.now();
      await fleet.exportTo('large', exported);
      const exportMs = performance.now() - exportStarted;
      const after = factsOf(exported);
      expect(after.integrity).toBe('ok');
      expect(after.rows).toEqual(before.rows);
      // The move's seal (triggers added, then dropped from the copy) can leave free pages; the
      // export is Turso's file exactly.
      expect(after.pageCount).toBeGreaterThanOrEqual(before.pageCount);
      expect(readFileSync(exported).equals(standinFile(`${turso.databasePrefix}large`))).toBe(true);
      const search = new Database(exported, { readonly: true });
      expect(search.prepare("SELECT count(*) FROM notes_fts WHERE notes_fts MATCH 'checkpoint'").pluck().get()).toBe(before.rows['notes']);
      search.close();
      // Figures for the report (MB of the source file over wall time).
      console.info(
        `turso-bytes ${sizeMb.toFixed(1)} MB (${before.rows['notes']} notes): move ${(moveMs / 1000).toFixed(1)} s (${(sizeMb / (moveMs / 1000)).toFixed(1)} MB/s), ` +
          `export ${(exportMs / 1000).toFixed(1)} s (${(sizeMb / (exportMs / 1000)).toFixed(1)} MB/s)`,
      );
    } finally {
      await fleet.close();
    }
  }, 600_000);
});
