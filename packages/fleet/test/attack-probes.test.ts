import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { defineTenantSchema, type SqlValue } from '../src/index';
import { guardStatement } from '../src/query/statement-guard.mjs';
import { fileOf, filesUnder, tempDir, tempFleet } from './helpers';

/**
 * The outside review's probes (issue #13), tried again on the merged code as an attacker would:
 * spellings the first fixes' tests did not try, checked on the disk rather than by the answer.
 */
describe('finding 1: a read-only query changes nothing on disk, whatever its spelling', () => {
  it('leaves the database bytes, its mtime and the set of files under the data dir as they were', async () => {
    const { fleet, dataDir } = await tempFleet();
    const acme = await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.query('acme', "INSERT INTO notes (body) VALUES ('secret')", [], { readOnly: false });
    const file = fileOf(acme.dbUrl, dataDir);
    const outside = tempDir('silo-outside-');
    const target = path.join(outside, 'copy.db');
    await fleet.close();
    const { fleet: reopened } = await tempFleet({ dataDir });
    // One plain read first: SQLite's own -wal and -shm beside the file may appear for it.
    await reopened.query('acme', 'SELECT count(*) FROM notes');
    const before = { bytes: readFileSync(file), mtime: statSync(file).mtimeMs, files: filesUnder(path.join(dataDir, 'regions')).sort() };

    const attempts: [sql: string, args?: SqlValue[]][] = [
      [`VACUUM INTO '${target}'`],
      [`/* c */ VaCuUm /* c */ "main" /* c */ InTo '${target}'`],
      [`VACUUM main INTO ?`, [target]],
      [`EXPLAIN VACUUM INTO '${target}'`],
      [`ATTACH ? AS x`, [target]],
      ['PRAGMA main.user_version = 7'],
      ['PRAGMA main.journal_mode(DELETE)'],
      ['PRAGMA "main"."writable_schema" = 1'],
      ['PRAGMA user_version(7)'],
      ["SELECT load_extension('/tmp/nothing')"],
      ["WITH x AS (SELECT 'cte') INSERT INTO notes (body) SELECT * FROM x"],
      ["INSERT INTO notes (body) VALUES ('r') RETURNING id"],
      ["UPDATE notes SET body = 'x' RETURNING *"],
      ['CREATE TEMP TABLE t (x)'],
      ['CREATE TEMP TRIGGER tt AFTER INSERT ON notes BEGIN SELECT 1; END'],
      ["SELECT 1; INSERT INTO notes (body) VALUES ('second')"],
      ["EXPLAIN INSERT INTO notes (body) VALUES ('e')"],
      ['BEGIN IMMEDIATE'],
      ['ANALYZE'],
      ['REINDEX'],
      ['VACUUM'],
    ];
    for (const [sql, args] of attempts) {
      await expect(reopened.query('acme', sql, args ?? [], { readOnly: true }), sql).rejects.toThrow();
    }
    // Plain reads still run.
    expect((await reopened.query('acme', 'WITH x AS (SELECT body FROM notes) SELECT * FROM x')).rows).toEqual([['secret']]);
    expect((await reopened.query('acme', 'SELECT * FROM pragma_table_info(?)', ['notes'])).rows.length).toBeGreaterThan(0);
    await reopened.close();

    expect(readdirSync(outside)).toEqual([]);
    expect(readFileSync(file).equals(before.bytes)).toBe(true);
    expect(statSync(file).mtimeMs).toBe(before.mtime);
    // (The catalog's own -wal and -shm go when the fleet closes; the tenants' folders are compared.)
    expect(filesUnder(path.join(dataDir, 'regions')).sort()).toEqual(before.files);
    expect(statSync(`${file}-wal`).size).toBe(0);
  });
});

describe('finding 2: an upload brings no state of its own beyond its rows', () => {
  it("drops the upload's planner statistics (sqlite_stat1, sqlite_stat4): hostile ones would steer every query", async () => {
    const { fleet } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.query('acme', "INSERT INTO notes (body, tag) VALUES ('a', 't'), ('b', 't')", [], { readOnly: false });
    const file = path.join(tempDir(), 'acme.sqlite');
    await fleet.exportTo('acme', file);
    const db = new Database(file);
    db.exec('ANALYZE');
    // Statistics that say the tag index finds nothing: SQLite trusts them for every plan.
    db.prepare("UPDATE sqlite_stat1 SET stat = '18446744073709551615 18446744073709551615' WHERE idx = 'notes_tag'").run();
    db.prepare("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('notes', 'no_such_index', ?)").run('9 '.repeat(10_000));
    db.close();

    const imported = await fleet.importFile('uploaded', file, { jurisdiction: 'eu' });
    expect(imported.state).toBe('ready');
    expect((await fleet.query('uploaded', 'SELECT body FROM notes ORDER BY id')).rows).toEqual([['a'], ['b']]);
    const stats = await fleet.query('uploaded', "SELECT name FROM sqlite_schema WHERE name LIKE 'sqlite\\_stat%' ESCAPE '\\'");
    for (const [table] of stats.rows) {
      expect((await fleet.query('uploaded', `SELECT count(*) FROM "${String(table)}"`)).rows, String(table)).toEqual([[0]]);
    }
  });

  it('refuses a file whose schema text matches but whose rows break it (writable_schema), by the integrity check', async () => {
    const { fleet } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    const file = path.join(tempDir(), 'acme.sqlite');
    await fleet.exportTo('acme', file);
    const db = new Database(file);
    const reference = db.prepare<[], { sql: string }>("SELECT sql FROM sqlite_schema WHERE name = 'notes'").get()?.sql ?? '';
    db.exec('DROP INDEX notes_tag; DROP TABLE notes; CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, created_at INTEGER, tag TEXT); CREATE INDEX notes_tag ON notes (tag);');
    db.exec('INSERT INTO notes (body, created_at) VALUES (NULL, NULL)');
    db.unsafeMode(true);
    db.pragma('writable_schema = ON');
    db.prepare("UPDATE sqlite_schema SET sql = ? WHERE name = 'notes'").run(reference);
    db.pragma('writable_schema = OFF');
    db.close();
    await expect(fleet.importFile('forged', file, { jurisdiction: 'eu' })).rejects.toMatchObject({
      code: 'IMPORT_REJECTED',
      message: expect.stringContaining('integrity check'),
    });
    expect(fleet.list().items.map((instance) => instance.name)).toEqual(['acme']);
  });
});

describe('finding 4: a redacted download keeps no removed value anywhere in the file', () => {
  it("not even in the planner's statistics: ANALYZE (a console write) samples index keys into sqlite_stat4", async () => {
    const { fleet } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    const secret = `secret-${'t'.repeat(64)}`;
    await fleet.query('acme', "INSERT INTO notes (body, tag) VALUES ('kept', 'public'), ('gone', ?)", [secret], { readOnly: false });
    await fleet.query('acme', 'ANALYZE', [], { readOnly: false });
    const exported = await fleet.exportStream('acme', { redact: ["DELETE FROM notes WHERE tag LIKE 'secret-%'"] });
    const chunks: Buffer[] = [];
    for await (const chunk of exported.stream) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    expect(bytes.toString('latin1')).not.toContain(secret);
    const file = path.join(tempDir(), 'redacted.sqlite');
    writeFileSync(file, bytes);
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT body FROM notes').all()).toEqual([{ body: 'kept' }]);
    db.close();
  });
});

describe('finding 1: pragmas that act while SQLite prepares them', () => {
  it('are refused however many empty statements come first, before SQLite sees them', () => {
    const db = new Database(':memory:');
    const tempDirBefore = db.pragma('temp_store_directory', { simple: true });
    const elsewhere = tempDir('silo-temp-store-');
    try {
      for (const sql of [
        '; PRAGMA recursive_triggers = 1',
        ';;; ;;; ;;; PRAGMA main.writable_schema = 1',
        ` ; /* c */ ; PRAGMA temp_store_directory = '${elsewhere}'`,
        '; EXPLAIN PRAGMA recursive_triggers = 1',
      ]) {
        const verdict = guardStatement(db, sql, [], true);
        expect(verdict.ok, sql).toBe(false);
        if (!verdict.ok) expect(verdict.refusal.refused, sql).toMatch(/^PRAGMA /);
      }
      // Nothing took effect: not on this connection, and not for the whole process.
      expect(db.pragma('recursive_triggers', { simple: true })).toBe(0);
      expect(db.pragma('temp_store_directory', { simple: true })).toBe(tempDirBefore);
    } finally {
      db.pragma("temp_store_directory = ''");
      db.close();
    }
  });
});

describe('finding 3: what an upload may not bring along', () => {
  it("runs the schema's upload clean-up on an upload, after its migrations", async () => {
    const schema = defineTenantSchema({
      id: 'auth',
      migrations: [
        { version: 1, name: 'users', sql: 'CREATE TABLE users (id INTEGER PRIMARY KEY) STRICT;' },
        { version: 2, name: 'sessions', sql: 'CREATE TABLE sessions (id TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id)) STRICT;' },
      ],
      uploadCleanup: ['DELETE FROM sessions'],
    });
    const { fleet } = await tempFleet({ schema });
    const file = path.join(tempDir(), 'upload.sqlite');
    const db = new Database(file);
    db.exec(`${schema.migrations.map((migration) => migration.sql).join('\n')} PRAGMA user_version = 2;`);
    db.exec(`INSERT INTO users (id) VALUES (1);
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) INSERT INTO sessions SELECT 'made-up-' || i, 1 FROM n;`);
    db.close();
    await fleet.importFile('uploaded', file, { jurisdiction: 'eu' });
    expect((await fleet.query('uploaded', 'SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM sessions)')).rows).toEqual([[1, 0]]);
  });
});
