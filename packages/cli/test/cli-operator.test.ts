/**
 * The operator papercuts of the CLI (issue 17): JSON errors with codes, "did you mean",
 * export to stdout, a missing data dir refused, the shell, query --file, completion, tables
 * that fit the terminal, audit --since, demo --json, moments with offsets and spans.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { HAS_SCRIPT, SILO_BIN, TODO_CONFIG, json, silo, siloTyping, siloWithInput, tempDir } from './helpers';


interface DemoJson {
  created: { name: string; owner: { email: string; password: string } }[];
  skipped: { name: string; reason: string }[];
  instances: { name: string }[];
}

describe('silo for operators', () => {
  let dir: string;
  let cleanup: () => void;
  const run = (...args: string[]) => silo(dir, args);

  beforeAll(async () => {
    ({ dir, cleanup } = tempDir('silo-cli-operator-'));
    const demo = await run('demo', '--json');
    expect(demo.code).toBe(0);
    const made = json<DemoJson>(demo);
    expect(made.created.map((sample) => sample.name)).toEqual(['acme', 'globex', 'initech', 'umbrella']);
    expect(made.created[0]?.owner.email).toBe('owner@acme.example');
  });

  afterAll(() => cleanup());

  it('demo --json is one JSON value, and says what it skipped on a second run', async () => {
    const again = json<DemoJson>(await run('demo', '--json'));
    expect(again.created).toEqual([]);
    expect(again.skipped.map((sample) => sample.name)).toEqual(['acme', 'globex', 'initech', 'umbrella']);
    expect(again.instances).toHaveLength(4);
  });

  it('--json failures print {"error": {code, message}} on stderr; human errors end with the code', async () => {
    const missing = await run('query', 'nobody', 'SELECT 1', '--json');
    expect(missing.code).toBe(3);
    expect(missing.stdout).toBe('');
    expect(JSON.parse(missing.stderr)).toEqual({ error: { code: 'INSTANCE_NOT_FOUND', message: expect.stringContaining('No instance named "nobody"') } });

    const usage = await run('instances', 'list', '--bogus', '--json');
    expect(usage.code).toBe(2);
    expect(JSON.parse(usage.stderr)).toEqual({ error: { code: 'USAGE', message: "unknown option '--bogus'" } });

    const readOnly = await run('query', 'acme', 'DELETE FROM todos', '--json');
    expect(readOnly.code).toBe(1);
    expect(JSON.parse(readOnly.stderr).error.code).toBe('QUERY_READ_ONLY');

    // Nothing but the error object, even from a command that says what it is doing (on a terminal only).
    const push = await run('catalog', 'push', '--json');
    expect(push.code).toBe(1);
    expect(push.stdout).toBe('');
    expect(JSON.parse(push.stderr)).toEqual({ error: { code: 'CONFIG_INVALID', message: expect.stringContaining('SILO_CATALOG_URL') } });
    expect((await run('catalog', 'push')).stderr).toMatch(/^silo: Set SILO_CATALOG_URL .*\[CONFIG_INVALID\]\n$/);

    const human = await run('query', 'nobody', 'SELECT 1');
    expect(human.stderr).toMatch(/^silo: No instance named "nobody".*\[INSTANCE_NOT_FOUND\]\n$/);
    expect((await run('instances', 'list', '--bogus')).stderr).toMatch(/^silo: unknown option '--bogus' \[USAGE\]/);
  });

  it('suggests close instance names', async () => {
    const typo = await run('show', 'acm');
    expect(typo.code).toBe(3);
    expect(typo.stderr).toContain('Did you mean "acme"?');
    const swapped = await run('query', 'glbex', 'SELECT 1');
    expect(swapped.stderr).toContain('Did you mean "globex"?');
    expect((await run('show', 'zzzzzz')).stderr).not.toContain('Did you mean');
    expect((await run('show', 'ACME')).stderr).toContain('Did you mean "acme"?');
  });

  it('refuses a filter naming a jurisdiction or region the fleet does not have, rather than matching nothing', async () => {
    for (const [args, code] of [
      [['instances', 'list', '--jurisdiction', 'EU'], 'UNKNOWN_JURISDICTION'],
      [['instances', 'list', '--region', 'nowhere'], 'UNKNOWN_REGION'],
      [['query-all', 'SELECT 1', '--jurisdiction', 'mars'], 'UNKNOWN_JURISDICTION'],
      [['migrate', '--region', 'nowhere'], 'UNKNOWN_REGION'],
    ] as const) {
      const refused = await run(...args);
      expect(refused.code, args.join(' ')).toBe(1);
      expect(refused.stderr, args.join(' ')).toContain(`[${code}]`);
    }
    expect((await run('instances', 'list', '--jurisdiction', 'eu')).code).toBe(0);
  });

  it('says that a name belongs to a deleted instance, and how to bring it back', async () => {
    expect((await run('create', 'gone-co', '--jurisdiction', 'eu')).code).toBe(0);
    expect((await run('delete', 'gone-co')).code).toBe(0);
    try {
      const asked = await run('query', 'gone-co', 'SELECT 1');
      expect(asked.code).toBe(3);
      expect(asked.stderr).toContain('"gone-co" is deleted; `silo undelete gone-co` brings it back');
      expect(asked.stderr).not.toContain('Did you mean');
    } finally {
      expect((await run('purge', 'gone-co', '--yes')).code).toBe(0);
    }
  });

  it('never mentions the console\'s write-mode switch', async () => {
    const refused = await run('query', 'acme', 'DELETE FROM todos');
    expect(refused.stderr).toContain('Pass --write');
    expect(refused.stderr).not.toMatch(/write mode/i);
  });

  it('query-all refuses a write once per distinct error, and points at what changes data fleet-wide (it has no --write)', async () => {
    const refused = await run('query-all', 'DELETE FROM todos');
    expect(refused.code).toBe(1);
    expect(refused.stderr).not.toContain('--write');
    expect(refused.stderr).toContain('silo migrate');
    // Four instances, one line for all of them.
    expect(refused.stderr).toMatch(/4 instances \(acme, globex, initech, …\): QUERY_READ_ONLY: A fleet-wide query only reads/);
    expect(refused.stderr.match(/QUERY_READ_ONLY/g)).toHaveLength(1);
  });

  it('export -o - writes the database to stdout', () => {
    // Binary output: read it as bytes, not text.
    const result = spawnSync(process.execPath, [SILO_BIN, 'export', 'acme', '-o', '-'], {
      cwd: dir,
      env: { ...process.env, SILO_DATA_DIR: dir, SILO_CONFIG: TODO_CONFIG, NO_COLOR: '1' },
    });
    expect(result.status).toBe(0);
    expect(result.stdout.subarray(0, 16).toString('latin1')).toBe('SQLite format 3\0');
    const file = path.join(dir, 'from-stdout.sqlite');
    writeFileSync(file, result.stdout);
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT count(*) AS n FROM todos').get()).toEqual({ n: 5 });
    db.close();
    expect(result.stderr.toString()).toContain('Exported "acme" to stdout');
  });

  it('refuses a data dir that does not exist instead of making an empty fleet', async () => {
    const nowhere = path.join(dir, 'no-such-folder');
    const listed = await silo(dir, ['--data-dir', nowhere, 'instances', 'list', '--json']);
    expect(listed.code).toBe(1);
    expect(JSON.parse(listed.stderr).error.code).toBe('DATA_DIR_MISSING');
    expect(listed.stderr).toContain(nowhere);
    // Commands that make instances still start a fleet there.
    expect((await silo(dir, ['--data-dir', nowhere, 'create', 'fresh', '--jurisdiction', 'eu'])).code).toBe(0);
  });

  it('says a data dir that is a file is not a folder, naming the ways it is set, and leaves the file alone', async () => {
    const aFile = path.join(dir, 'a-file-not-a-folder');
    writeFileSync(aFile, 'notes\n');
    const listed = await silo(dir, ['--data-dir', aFile, 'instances', 'list']);
    expect(listed.code).toBe(1);
    expect(listed.stderr).toContain(`${aFile} is a file, not a folder: point the data folder (dataDir, SILO_DATA_DIR or --data-dir) at a folder.`);
    expect(readFileSync(aFile, 'utf8')).toBe('notes\n');
  });

  it('silo shell: dot-commands, modes, multi-line statements, .read, read-only unless --write', async () => {
    const script = path.join(dir, 'two.sql');
    writeFileSync(script, "SELECT 'from file' AS source;\n-- a comment; with a semicolon\nSELECT count(*) AS n FROM todos;\n");
    const session = await siloWithInput(
      dir,
      ['shell', 'acme'],
      ['.tables', '.schema todos', 'SELECT id,', '  title FROM todos', '  ORDER BY id LIMIT 1;', '.mode json', 'SELECT 41 + 1 AS answer;', '.mode csv', `.read ${script}`, 'DELETE FROM todos;', '.mode nonsense', '.quit', 'SELECT 1;'].join('\n'),
    );
    expect(session.stdout).toMatch(/│ todos +│/);
    expect(session.stdout).toContain('CREATE TABLE todos');
    expect(session.stdout).toContain('Order more anvils');
    expect(session.stdout).toContain('"answer": 42');
    expect(session.stdout).toContain('source\nfrom file\n');
    expect(session.stdout).toContain('n\n5\n');
    expect(session.stderr).toContain('[QUERY_READ_ONLY]');
    expect(session.stderr).toContain('.mode: use one of table, csv, json, line');
    // A piped script that hit errors ends with exit code 1, and nothing after .quit runs.
    expect(session.code).toBe(1);
    expect((await run('query', 'acme', 'SELECT count(*) AS n FROM todos', '--json')).stdout).toContain('"n": 5');

    const writer = await siloWithInput(dir, ['shell', 'globex', '--write'], "INSERT INTO todos (title, completed, created_at, updated_at) VALUES ('via shell', 0, 1, 1);\n");
    expect(writer.code).toBe(0);
    expect(writer.stdout).toContain('1 row affected');
  });

  it.skipIf(!HAS_SCRIPT)('silo shell on a terminal: Ctrl+C drops the statement being typed, and leaving never runs an unfinished one', async () => {
    const count = async (): Promise<unknown> => json<{ rows: { n: number }[] }>(await run('query', 'initech', 'SELECT count(*) AS n FROM todos', '--json')).rows[0]?.n;
    const before = await count();
    expect(before).toBeGreaterThan(0);
    const env = { SILO_HISTORY: path.join(dir, 'history') };
    const session = await siloTyping(
      dir,
      ['shell', 'initech', '--write'],
      [
        ['initech> ', 'DELETE FROM todos\r'],
        ['...> ', 'WHERE 1\u0003'],
        // A fresh prompt: the shell goes on, with nothing pending.
        ['initech> ', 'SELECT count(*) AS n FROM todos;\r'],
        ['1 row', ''],
        ['initech> ', 'DELETE FROM todos\r'],
        ['...> ', '\u0004'],
      ],
      env,
    );
    expect(session.code, session.output).toBe(0);
    expect(session.output).toContain('^C');
    expect(session.output).toMatch(new RegExp(`│ +${String(before)} │`));
    expect(session.output).toContain('The unfinished statement was not run');
    expect(session.output).not.toMatch(/rows? affected/);
    expect(await count()).toBe(before);
  });

  it('query --file runs each statement of a file, and - reads stdin', async () => {
    const file = path.join(dir, 'report.sql');
    writeFileSync(file, 'SELECT count(*) AS total FROM todos;\nSELECT count(*) AS open FROM todos WHERE completed = 0;\n');
    const results = json<{ columns: string[] }[]>(await run('query', 'acme', '--file', file, '--json'));
    expect(results.map((result) => result.columns)).toEqual([['total'], ['open']]);
    const piped = await siloWithInput(dir, ['query', 'acme', '--file', '-', '--csv'], 'SELECT 7 AS seven;');
    expect(piped.stdout).toBe('seven\n7\n');
    expect((await run('query', 'acme', 'SELECT 1', '--file', file)).code).toBe(2);
  });

  it('query --file says which statement failed and that the ones before it stay applied, with their results', async () => {
    const file = path.join(dir, 'partly.sql');
    writeFileSync(file, "INSERT INTO todos (title, completed, created_at, updated_at) VALUES ('from a script', 0, 1, 1);\nUPDATE nope SET x = 1;\nDELETE FROM todos;\n");
    const count = async (): Promise<number> => json<{ rows: { n: number }[] }>(await run('query', 'acme', 'SELECT count(*) AS n FROM todos', '--json')).rows[0]?.n ?? -1;
    const before = await count();
    const failed = await run('query', 'acme', '--file', file, '--write', '--json');
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stderr.trim().split('\n').at(-1) ?? '')).toEqual({ error: { code: 'QUERY_FAILED', message: expect.stringMatching(/^Statement 2 of 3 failed, and the 1 statement before it was applied and stays: .*no such table: nope/) } });
    expect(json<{ rowsAffected: number }[]>(failed)).toEqual([expect.objectContaining({ rowsAffected: 1 })]);
    expect(await count()).toBe(before + 1);
  });

  it('completes commands, options and instance names, and prints scripts for bash, zsh and fish', async () => {
    expect((await run('__complete', '--', 'sh')).stdout).toBe('shell\nshow\n');
    expect((await run('__complete', '--', 'query', 'gl')).stdout).toBe('globex\n');
    expect((await run('__complete', '--', 'audit', '--instance', 'ini')).stdout).toBe('initech\n');
    expect((await run('__complete', '--', 'export', 'acme', '--fo')).stdout).toBe('--force\n');
    for (const shell of ['bash', 'zsh', 'fish']) {
      const script = await run('completion', shell);
      expect(script.code).toBe(0);
      expect(script.stdout).toContain('silo __complete --');
    }
    // The bash script, sourced in a real bash, fills COMPREPLY from the fleet.
    const bin = path.join(dir, 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(path.join(bin, 'silo'), `#!/bin/sh\nexec "${process.execPath}" "${SILO_BIN}" "$@"\n`, { mode: 0o755 });
    const bash = spawnSync('bash', ['-c', 'source <(silo completion bash); COMP_WORDS=(silo show um); COMP_CWORD=2; _silo_complete; echo "${COMPREPLY[@]}"'], {
      cwd: dir,
      env: { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? ''}`, SILO_DATA_DIR: dir, SILO_CONFIG: TODO_CONFIG },
      encoding: 'utf8',
    });
    expect(bash.stdout.trim()).toBe('umbrella');
  });

  it('fits tables to the terminal width, and labels every column', async () => {
    const wide = await run('instances', 'list');
    const narrow = await silo(dir, ['instances', 'list'], { env: { COLUMNS: '80' } });
    expect(Math.max(...wide.stdout.split('\n').map((line) => line.length))).toBeGreaterThan(80);
    const lines = narrow.stdout.split('\n').filter((line) => line.startsWith('│') || line.startsWith('┌'));
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(80);
    expect(narrow.stdout).toContain('acme');
    expect(narrow.stdout).toMatch(/columns left out to fit 80 columns/);
    const unnamed = await run('query', 'acme', 'SELECT 1 AS "", 2');
    expect(unnamed.stdout).toMatch(/│ column 1 │ 2 │/);
  });

  it('audit --since takes a span or an ISO time with an offset; JSON durations are whole milliseconds', async () => {
    const recent = json<{ total: number }>(await run('audit', '--since', '1h', '--json'));
    expect(recent.total).toBeGreaterThan(0);
    const withOffset = json<{ total: number }>(await run('audit', '--since', '2000-01-01T00:00:00+02:00', '--json'));
    expect(withOffset.total).toBeGreaterThanOrEqual(recent.total);
    // A moment in the future would match nothing, silently: refused (cli-arguments.test.ts has more).
    const future = await run('audit', '--since', '2999-01-01T00:00:00+02:00', '--json');
    expect(future.code).toBe(2);
    expect(JSON.parse(future.stderr).error.message).toContain('2998-12-31T22:00:00.000Z, in the future');
    const bad = await run('audit', '--since', 'yesterday');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('a span ago (15m, 2h, 3d)');

    const timed = json<{ durationMs: number }>(await run('query-all', 'SELECT 1', '--json'));
    expect(Number.isInteger(timed.durationMs)).toBe(true);
  });

  it('clone --at accepts a span like every --at', async () => {
    const clone = await run('clone', 'acme', 'acme-then', '--at', '1h');
    // Local files keep no history: the span is parsed, and the engine says what it cannot do.
    expect(clone.stderr).not.toContain('is not a time');
    expect(clone.stderr).not.toContain('error: option');
    const bad = await run('clone', 'acme', 'acme-then', '--at', 'last tuesday');
    expect(bad.code).toBe(2);
  });
});
