import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { defineTenantSchema, openFleet } from '../src/index';
import { normaliseSql } from '../src/engines/schema-match';
import { CREATE_VERSION_TABLE } from '../src/engines/version-table';
import { sampleSchema, tempDir, tempFleet } from './helpers';

/** Issue #13, finding 2, through the fleet: what an upload must be, and what stays exempt. */
describe('import checks the schema objects of an upload', () => {
  it('re-imports a real export, also one from an older release, which is then migrated', async () => {
    const dataDir = tempDir();
    const old = await openFleet({ dataDir, schema: sampleSchema(1) });
    await old.create('old-one', { jurisdiction: 'eu' });
    await old.query('old-one', "INSERT INTO notes (body) VALUES ('from v1')", [], { readOnly: false });
    const v1File = path.join(tempDir(), 'v1.sqlite');
    await old.exportTo('old-one', v1File);
    await old.close();

    const { fleet } = await tempFleet();
    const imported = await fleet.importFile('from-v1', v1File, { jurisdiction: 'eu' });
    expect(imported).toMatchObject({ state: 'ready', schemaVersion: 2 });
    const current = path.join(tempDir(), 'v2.sqlite');
    await fleet.exportTo('from-v1', current);
    expect(await fleet.importFile('again', current, { jurisdiction: 'eu' })).toMatchObject({ state: 'ready' });
    expect((await fleet.query('again', 'SELECT body, tag FROM notes')).rows).toEqual([['from v1', null]]);
  });

  it('refuses an export whose instance gained a table by a console write, but restores that instance from its backups', async () => {
    const { fleet } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.query('acme', 'CREATE TABLE scratch (x TEXT)', [], { readOnly: false });
    await fleet.query('acme', "INSERT INTO notes (body) VALUES ('kept')", [], { readOnly: false });
    const file = path.join(tempDir(), 'acme.sqlite');
    await fleet.exportTo('acme', file);
    await expect(fleet.importFile('upload', file, { jurisdiction: 'eu' })).rejects.toMatchObject({
      code: 'IMPORT_REJECTED',
      message: expect.stringContaining('unexpected table "scratch"'),
    });
    expect(fleet.list().items.map((instance) => instance.name)).toEqual(['acme']);

    await fleet.backups.runCycle();
    const restored = await fleet.backups.restore('acme', { at: Date.now(), as: 'acme-copy' });
    expect(restored.instance).toMatchObject({ name: 'acme-copy', state: 'ready' });
    expect((await fleet.query('acme-copy', 'SELECT body FROM notes')).rows).toEqual([['kept']]);
    expect((await fleet.query('acme-copy', 'SELECT count(*) FROM scratch')).rows).toEqual([[0]]);
  });

  it('refuses rows that break foreign keys, for any app schema', async () => {
    const schema = defineTenantSchema({
      id: 'shop',
      migrations: [
        {
          version: 1,
          name: 'orders',
          sql: 'CREATE TABLE customers (id INTEGER PRIMARY KEY) STRICT; CREATE TABLE orders (id INTEGER PRIMARY KEY, customer INTEGER NOT NULL REFERENCES customers (id)) STRICT;',
        },
      ],
    });
    const { fleet } = await tempFleet({ schema });
    const file = path.join(tempDir(), 'orphans.sqlite');
    const db = new Database(file);
    db.exec(`${schema.migrations[0]?.sql ?? ''} PRAGMA user_version = 1; PRAGMA foreign_keys = OFF; INSERT INTO orders (customer) VALUES (42);`);
    db.close();
    await expect(fleet.importFile('shop', file, { jurisdiction: 'eu' })).rejects.toMatchObject({
      code: 'IMPORT_REJECTED',
      message: expect.stringContaining('break foreign keys (orders → customers)'),
    });
  });

  it('normalises spelling only: a missing keyword, type or constraint never matches', () => {
    const reference = normaliseSql('CREATE TABLE t (a INTEGER NOT NULL CHECK (a > 0), b TEXT DEFAULT \'x\') STRICT');
    expect(normaliseSql('create table "T"(a integer not null check(a>0),b text default \'x\')strict -- c')).toBe(reference);
    for (const weaker of [
      'CREATE TABLE t (a INTEGER NOT NULL CHECK (a > 0), b TEXT DEFAULT \'x\')',
      'CREATE TABLE t (a INTEGER CHECK (a > 0), b TEXT DEFAULT \'x\') STRICT',
      'CREATE TABLE t (a INTEGER NOT NULL CHECK (a >= 0), b TEXT DEFAULT \'x\') STRICT',
      'CREATE TABLE t (a INTEGER NOT NULL CHECK (a > 0), b TEXT DEFAULT \'X\') STRICT',
      'CREATE TABLE t (a INTEGER NOT NULL CHECK (a > 0), b TEXT DEFAULT "x") STRICT',
      'CREATE TABLE t (a ANY NOT NULL CHECK (a > 0), b TEXT DEFAULT \'x\') STRICT',
    ]) {
      expect(normaliseSql(weaker), weaker).not.toBe(reference);
    }
  });
});

/**
 * An outside attack probe (session 37): SQL of an upload's own ran inside the server before
 * its schema was checked, and objects under the version table's name in another case were
 * never checked at all.
 */
describe('an upload runs none of its own SQL before its schema is known to be the app’s', () => {
  /** Silo's version table exactly as Silo makes it, at version 2: how a file from Turso carries its version. */
  const AS_FROM_TURSO = `${CREATE_VERSION_TABLE}; INSERT INTO _silo_schema VALUES (1, 2);`;

  /** A real export of a fresh instance, with `extra` SQL run on it (foreign keys off, as a crafted file has them). */
  async function exportWith(extra: string): Promise<{ fleet: Awaited<ReturnType<typeof tempFleet>>['fleet']; file: string }> {
    const { fleet } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.query('acme', "INSERT INTO notes (body) VALUES ('kept')", [], { readOnly: false });
    const file = path.join(tempDir(), 'crafted.sqlite');
    await fleet.exportTo('acme', file);
    const db = new Database(file);
    db.pragma('foreign_keys = OFF');
    db.exec(extra);
    db.close();
    return { fleet, file };
  }

  it('refuses a table, index or trigger under the version table’s name in another case, which the app’s writes would fire', async () => {
    const { fleet, file } = await exportWith(`
      CREATE TABLE _SILO_SCHEMA (id INTEGER PRIMARY KEY, note INTEGER REFERENCES notes (id) ON DELETE CASCADE);
      INSERT INTO _SILO_SCHEMA (note) SELECT id FROM notes;
      CREATE TRIGGER _silo_schema_gone AFTER DELETE ON _SILO_SCHEMA BEGIN INSERT INTO notes (body) VALUES ('written by a smuggled trigger'); END;`);
    await expect(fleet.importFile('smuggled', file, { jurisdiction: 'eu' })).rejects.toMatchObject({
      code: 'IMPORT_REJECTED',
      message: expect.stringMatching(/table "_SILO_SCHEMA".*trigger "_silo_schema_gone".*version table/),
    });
    expect(fleet.find('smuggled')).toBeUndefined();
  });

  it('refuses Silo’s own version table with anything attached to it', async () => {
    const { fleet, file } = await exportWith(`
      ${AS_FROM_TURSO}
      CREATE TRIGGER on_version AFTER UPDATE ON _silo_schema BEGIN SELECT 1; END;`);
    await expect(fleet.importFile('attached', file, { jurisdiction: 'eu' })).rejects.toThrow(/trigger "on_version" under the name of Silo's version table/);
  });

  it('checks the schema before the version table is dropped: a cascade into a trigger of the file never runs', async () => {
    // Dropping the version table with foreign keys on deleted its rows first, cascading into
    // `c`, whose trigger ran here: RAISE stands for anything it could do (an endless query).
    const { fleet, file } = await exportWith(`
      ${AS_FROM_TURSO}
      CREATE TABLE c (v INTEGER REFERENCES _silo_schema (id) ON DELETE CASCADE);
      INSERT INTO c VALUES (1);
      CREATE TRIGGER t AFTER DELETE ON c BEGIN SELECT RAISE(ABORT, 'the file''s trigger ran'); END;`);
    const refused = fleet.importFile('cascade', file, { jurisdiction: 'eu' });
    await expect(refused).rejects.toMatchObject({ code: 'IMPORT_REJECTED' });
    await expect(refused).rejects.toThrow(/unexpected table "c"/);
  });

  it('checks the schema before the integrity check, which would evaluate an extra table’s CHECK constraints', async () => {
    const { fleet, file } = await exportWith(`
      CREATE TABLE heavy (x INTEGER CHECK (x < 0));
      PRAGMA ignore_check_constraints = ON;
      INSERT INTO heavy VALUES (1);`);
    const refused = fleet.importFile('checked', file, { jurisdiction: 'eu' });
    await expect(refused).rejects.toThrow(/unexpected table "heavy"/);
  });

  it('still imports a file that came from Turso, with the version table exactly as Silo makes it', async () => {
    const { fleet, file } = await exportWith(`
      ${AS_FROM_TURSO}
      PRAGMA user_version = 0;`);
    await expect(fleet.importFile('from-turso', file, { jurisdiction: 'eu' })).resolves.toMatchObject({ state: 'ready', schemaVersion: 2 });
    expect((await fleet.query('from-turso', 'SELECT body FROM notes')).rows).toEqual([['kept']]);
    expect((await fleet.query('from-turso', "SELECT count(*) FROM sqlite_schema WHERE name = '_silo_schema'")).rows).toEqual([[0]]);
  });
});

describe('names SQLite keeps apart are never taken for the app’s (an outside review, session 37)', () => {
  it('refuses objects named with the Kelvin sign, which JavaScript lower-cases to k and SQLite does not', async () => {
    const schema = defineTenantSchema({
      id: 'tasks',
      migrations: [
        {
          version: 1,
          name: 'tasks',
          sql: `CREATE TABLE tasks (id INTEGER PRIMARY KEY, title TEXT NOT NULL CHECK (length(title) <= 100)) STRICT;
                CREATE TABLE log (id INTEGER PRIMARY KEY, msg TEXT) STRICT;
                CREATE TRIGGER tasks_log AFTER INSERT ON tasks BEGIN INSERT INTO log (msg) VALUES ('added'); END;`,
        },
      ],
    });
    const { fleet } = await tempFleet({ schema });
    const kelvin = '\u212A';
    const file = path.join(tempDir(), 'kelvin.sqlite');
    const db = new Database(file);
    // A weak tasks table with a trigger of the file's, then the app's objects under Kelvin-sign names.
    db.exec(`
      CREATE TABLE tasks (id INTEGER PRIMARY KEY, title);
      CREATE TABLE log (id INTEGER PRIMARY KEY, msg TEXT) STRICT;
      CREATE TRIGGER tas${kelvin}s_log AFTER INSERT ON tasks BEGIN INSERT INTO log (msg) SELECT 'the file''s trigger ran'; END;
      CREATE TABLE tas${kelvin}s (id INTEGER PRIMARY KEY, title TEXT NOT NULL CHECK (length(title) <= 100)) STRICT;
      CREATE TRIGGER tasks_log AFTER INSERT ON tas${kelvin}s BEGIN INSERT INTO log (msg) VALUES ('added'); END;
      PRAGMA user_version = 1;`);
    db.close();
    await expect(fleet.importFile('kelvin', file, { jurisdiction: 'eu' })).rejects.toMatchObject({ code: 'IMPORT_REJECTED' });
    expect(fleet.find('kelvin')).toBeUndefined();
  });
});

describe('an import of a large file', () => {
  it('is copied, checked and migrated off the main thread: the process goes on serving meanwhile', async () => {
    const { fleet } = await tempFleet();
    await fleet.create('big', { jurisdiction: 'eu' });
    await fleet.query(
      'big',
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000) INSERT INTO notes (body) SELECT hex(randomblob(40)) || i FROM n",
      [],
      { readOnly: false, limits: { timeoutMs: 60_000 } },
    );
    const file = path.join(tempDir(), 'big.sqlite');
    await fleet.exportTo('big', file);
    // The longest the event loop was held while the import ran, against the import's time: on
    // the main thread the integrity check alone held it for most of the import.
    let last = performance.now();
    let longest = 0;
    const ticks = setInterval(() => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
    }, 2);
    const started = performance.now();
    try {
      await fleet.importFile('copy', file, { jurisdiction: 'eu' });
    } finally {
      clearInterval(ticks);
    }
    // Up to the end: a loop held to the last moment never ran the interval at all.
    longest = Math.max(longest, performance.now() - last);
    const took = performance.now() - started;
    expect(longest, `held ${Math.round(longest)} ms of a ${Math.round(took)} ms import`).toBeLessThan(took / 2);
    expect((await fleet.query('copy', 'SELECT count(*) FROM notes')).rows).toEqual([[300000]]);
  });
});

describe('the text encoding in a file’s header', () => {
  it('imports a real UTF-16 database, and explains a header that claims UTF-16 over UTF-8 text beside SQLite’s garbled names', async () => {
    const { fleet } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    const exported = path.join(tempDir(), 'acme.sqlite');
    await fleet.exportTo('acme', exported);
    const source = new Database(exported, { readonly: true });
    const schemaSql = source.prepare<[], { sql: string }>('SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY rowid').all();
    const version = source.pragma('user_version', { simple: true }) as number;
    source.close();

    const utf16 = path.join(tempDir(), 'utf16.sqlite');
    const db = new Database(utf16);
    db.pragma("encoding = 'UTF-16le'");
    for (const { sql } of schemaSql) db.exec(sql);
    db.pragma(`user_version = ${version}`);
    db.prepare('INSERT INTO notes (body, tag) VALUES (?, ?)').run('héllo ✓', 'x');
    db.close();
    await expect(fleet.importFile('from-utf16', utf16, { jurisdiction: 'eu' })).resolves.toMatchObject({ state: 'ready' });
    const { rows } = await fleet.withInstance('from-utf16', (handle) => handle.execute('SELECT body FROM notes'));
    expect(rows).toEqual([{ body: 'héllo ✓' }]);

    const relabelled = path.join(tempDir(), 'relabelled.sqlite');
    const bytes = readFileSync(exported);
    bytes.writeUInt32BE(3, 56); // UTF-16be over a UTF-8 schema
    writeFileSync(relabelled, bytes);
    const refused = fleet.importFile('relabelled', relabelled, { jurisdiction: 'eu' });
    await expect(refused).rejects.toMatchObject({
      code: 'IMPORT_REJECTED',
      message: expect.stringMatching(/malformed database schema .*; its header says its text is UTF-16be \(byte 56\): if the file was written as UTF-8, that byte is damaged/),
    });
    expect(fleet.find('relabelled')).toBeUndefined();
  });
});
