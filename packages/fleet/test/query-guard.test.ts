import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { QueryAllEvent } from '../src/index';
import { fileOf, tempDir, tempFleet } from './helpers';

/**
 * Issue #13, finding 1: "read-only" must mean that no statement changes anything on disk, and
 * no query, in either mode, reaches a file other than its own instance's database.
 */
describe('console and fleet queries reach their own database only', () => {
  async function fleetWithTwo() {
    const { fleet, dataDir } = await tempFleet();
    const acme = await fleet.create('acme', { jurisdiction: 'eu' });
    const globex = await fleet.create('globex', { jurisdiction: 'eu' });
    await fleet.query('globex', "INSERT INTO notes (body) VALUES ('globex secret')", [], { readOnly: false });
    const outside = tempDir('silo-outside-');
    return { fleet, dataDir, acme, globexFile: fileOf(globex.dbUrl, dataDir), outside };
  }

  const modes = [
    { label: 'read-only', readOnly: true },
    { label: 'write', readOnly: false },
  ] as const;

  for (const { label, readOnly } of modes) {
    it(`refuses VACUUM INTO in ${label} mode, and no file appears`, async () => {
      const { fleet, outside } = await fleetWithTwo();
      const target = path.join(outside, 'copy.db');
      await expect(fleet.query('acme', `VACUUM INTO '${target}'`, [], { readOnly })).rejects.toMatchObject({
        code: 'STATEMENT_REFUSED',
        details: { refused: 'VACUUM' },
        message: expect.stringContaining('silo export'),
      });
      // Comments and odd spacing change nothing: SQLite's bytecode is what is checked.
      await expect(fleet.query('acme', `/* x */ vacuum\n main   INTO '${target}' -- y`, [], { readOnly })).rejects.toMatchObject({ code: 'STATEMENT_REFUSED' });
      await expect(fleet.query('acme', 'VACUUM', [], { readOnly })).rejects.toMatchObject({ code: 'STATEMENT_REFUSED' });
      expect(readdirSync(outside)).toEqual([]);
    });

    it(`refuses ATTACH of another tenant's file and of a new path in ${label} mode`, async () => {
      const { fleet, globexFile, outside } = await fleetWithTwo();
      await expect(fleet.query('acme', `ATTACH '${globexFile}' AS other`, [], { readOnly })).rejects.toMatchObject({
        code: 'STATEMENT_REFUSED',
        details: { refused: 'ATTACH' },
      });
      const fresh = path.join(outside, 'new.db');
      await expect(fleet.query('acme', `ATTACH DATABASE '${fresh}' AS n`, [], { readOnly })).rejects.toMatchObject({ code: 'STATEMENT_REFUSED' });
      await expect(fleet.query('acme', 'ATTACH ? AS n', [fresh], { readOnly })).rejects.toMatchObject({ code: 'STATEMENT_REFUSED' });
      await expect(fleet.query('acme', 'DETACH other', [], { readOnly })).rejects.toMatchObject({ code: 'STATEMENT_REFUSED', details: { refused: 'DETACH' } });
      expect(readdirSync(outside)).toEqual([]);
    });

    it(`refuses pragma assignments, writable_schema and unlisted pragmas in ${label} mode`, async () => {
      const { fleet, dataDir, acme } = await fleetWithTwo();
      for (const sql of [
        'PRAGMA writable_schema = 1',
        'PRAGMA writable_schema',
        'PRAGMA user_version = 99',
        'PRAGMA main.user_version(99)',
        'PRAGMA "user_version" = 99',
        'EXPLAIN PRAGMA writable_schema = ON',
        'PRAGMA journal_mode = DELETE',
        "PRAGMA temp_store_directory = '/tmp'",
        'PRAGMA database_list',
        // The same pragmas read as tables answer what the statements would (the file's path).
        'SELECT file FROM pragma_database_list',
        'SELECT * FROM main."pragma_database_list"',
        'SELECT * FROM pragma_temp_store_directory',
        "SELECT file FROM 'pragma_database_list'",
        "SELECT * FROM 'PRAGMA_OPTIMIZE'(65538)",
      ]) {
        await expect(fleet.query('acme', sql, [], { readOnly }), sql).rejects.toMatchObject({ code: 'STATEMENT_REFUSED' });
      }
      const file = new Database(fileOf(acme.dbUrl, dataDir), { readonly: true });
      expect(file.pragma('user_version', { simple: true })).toBe(2);
      expect(file.pragma('journal_mode', { simple: true })).toBe('wal');
      file.close();
    });

    it(`refuses load_extension() in ${label} mode`, async () => {
      const { fleet, outside } = await fleetWithTwo();
      await expect(fleet.query('acme', `SELECT load_extension('${path.join(outside, 'evil.so')}')`, [], { readOnly })).rejects.toMatchObject({
        code: 'STATEMENT_REFUSED',
        details: { refused: 'load_extension' },
      });
      await expect(fleet.query('acme', `SELECT 1 WHERE Load_Extension('${path.join(outside, 'evil.so')}', 'init') IS NULL`, [], { readOnly })).rejects.toMatchObject({
        details: { refused: 'load_extension' },
      });
    });
  }

  it('still runs plain reads: SELECT, WITH, EXPLAIN, EXPLAIN QUERY PLAN and listed pragmas', async () => {
    const { fleet } = await fleetWithTwo();
    expect((await fleet.query('acme', 'SELECT count(*) AS n FROM notes')).rows).toEqual([[0]]);
    expect((await fleet.query('acme', 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3) SELECT x FROM c')).rows).toEqual([[1], [2], [3]]);
    expect((await fleet.query('acme', 'EXPLAIN SELECT * FROM notes')).columns).toContain('opcode');
    expect((await fleet.query('acme', 'EXPLAIN QUERY PLAN SELECT * FROM notes WHERE tag = ?', ['x'])).rows.length).toBeGreaterThan(0);
    expect((await fleet.query('acme', 'PRAGMA table_info(notes)')).rows.map((row) => row[1])).toEqual(['id', 'body', 'created_at', 'tag']);
    expect((await fleet.query('acme', "PRAGMA main.index_list('notes')")).rows.length).toBe(1);
    expect((await fleet.query('acme', 'PRAGMA foreign_key_list(notes)')).rows).toEqual([]);
    expect((await fleet.query('acme', 'PRAGMA integrity_check')).rows).toEqual([['ok']]);
    expect((await fleet.query('acme', 'PRAGMA user_version;')).rows).toEqual([[2]]);
    expect((await fleet.query('acme', "SELECT name FROM pragma_table_info('notes') WHERE pk = 1")).rows).toEqual([['id']]);
    // A string that merely mentions a pragma table is text.
    expect((await fleet.query('acme', "SELECT 'see pragma_database_list' AS t")).rows).toEqual([['see pragma_database_list']]);
    // Ordinary writes keep their own error, and still work in write mode.
    await expect(fleet.query('acme', "INSERT INTO notes (body) VALUES ('x')")).rejects.toMatchObject({ code: 'QUERY_READ_ONLY' });
    await expect(fleet.query('acme', 'CREATE TEMP TABLE t (x)')).rejects.toMatchObject({ code: 'QUERY_READ_ONLY' });
    expect((await fleet.query('acme', "INSERT INTO notes (body) VALUES ('x')", [], { readOnly: false })).rowsAffected).toBe(1);
  });

  it('refuses across the fleet too, and audits every fleet query: who, the SQL, how many instances', async () => {
    const { fleet, outside } = await fleetWithTwo();
    const target = path.join(outside, 'all.db');
    const refused: QueryAllEvent[] = [];
    for await (const event of fleet.queryAll(`VACUUM INTO '${target}'`, { actor: 'admin:eve@example.com' })) refused.push(event);
    expect(refused).toHaveLength(2);
    expect(refused.every((event) => event.status === 'error' && event.code === 'STATEMENT_REFUSED')).toBe(true);
    expect(existsSync(target)).toBe(false);
    for await (const event of fleet.queryAll(`ATTACH '${path.join(outside, 'x.db')}' AS x`)) expect(event).toMatchObject({ status: 'error', code: 'STATEMENT_REFUSED' });
    expect(readdirSync(outside)).toEqual([]);

    const ok: QueryAllEvent[] = [];
    for await (const event of fleet.queryAll('SELECT count(*) FROM notes', { actor: 'admin:ann@example.com', filter: { jurisdiction: 'eu' } })) ok.push(event);
    expect(ok.map((event) => event.status)).toEqual(['ok', 'ok']);

    const audit = fleet.audit({ operation: 'query (fleet)' }).items;
    expect(audit).toHaveLength(3);
    const [select, , vacuum] = audit;
    expect(select).toMatchObject({ actor: 'admin:ann@example.com', outcome: 'ok', instance: null, detail: { sql: 'SELECT count(*) FROM notes', instances: 2, ok: 2, failed: 0 } });
    expect(vacuum).toMatchObject({ actor: 'admin:eve@example.com', outcome: 'error', detail: { sql: `VACUUM INTO '${target}'`, instances: 2, refused: 2 } });
    expect(vacuum?.error).toContain('refused');
  });

  it('audits a fleet query stopped early, with its SQL cut like console writes', async () => {
    const { fleet } = await fleetWithTwo();
    const long = `SELECT 1 -- ${'x'.repeat(5_000)}`;
    for await (const event of fleet.queryAll(long, { concurrency: 1 })) {
      expect(event.status).toBe('ok');
      break;
    }
    const [entry] = fleet.audit({ operation: 'query (fleet)' }).items;
    expect(entry?.detail).toMatchObject({ stoppedEarly: true });
    expect(String(entry?.detail?.['sql']).length).toBe(2_000);
  });
});

/**
 * An outside probe of the HTTP API (session 39): `?1`, `?2` with an array of arguments, which
 * SQLite, the libSQL protocol and @libsql/client bind by index, was refused as "unexplainable".
 */
describe('numbered parameters bind by index from an array, as in SQLite', () => {
  it('?1 and ?2 take the array’s first and second values, in any order and more than once; anonymous ? are unchanged', async () => {
    const { fleet } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    expect((await fleet.query('acme', 'SELECT ?2 AS b, ?1 AS a, ?1 + ?2 AS sum', [1, 2])).rows).toEqual([[2, 1, 3]]);
    expect((await fleet.query('acme', 'SELECT ? AS a, ? AS b', ['x', 'y'])).rows).toEqual([['x', 'y']]);
    // A literal that looks like one is text, not a parameter.
    expect((await fleet.query('acme', "SELECT '?1' AS text, ? AS a", ['v'])).rows).toEqual([['?1', 'v']]);
    await fleet.query('acme', 'INSERT INTO notes (body) VALUES (?1)', ['numbered'], { readOnly: false });
    expect((await fleet.query('acme', 'SELECT body FROM notes WHERE body = ?1', ['numbered'])).rows).toEqual([['numbered']]);
    // Too many values is the caller's mistake, said as such, not a refusal.
    await expect(fleet.query('acme', 'SELECT ?1', [1, 2])).rejects.toMatchObject({ code: 'QUERY_FAILED', message: expect.stringContaining('Too many parameter values') });
    await expect(fleet.query('acme', 'SELECT :missing', [])).rejects.toMatchObject({ code: 'QUERY_FAILED' });
    await fleet.close();
  });
});
