/**
 * Arguments `silo` must refuse, or take, the same way in every command: a name no instance can
 * have is a usage error (exit 2) wherever a name goes, a moment that cannot be meant is refused
 * by every `--since` and `--at`, and `silo query` binds statement parameters as the HTTP API's
 * `args` does.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, silo, tempDir } from './helpers';

interface QueryJson {
  columns: string[];
  rows: Record<string, unknown>[];
  rowsAffected: number;
}

describe('silo arguments', () => {
  let dir: string;
  let cleanup: () => void;
  const run = (...args: string[]) => silo(dir, args);

  beforeAll(async () => {
    ({ dir, cleanup } = tempDir());
    const created = await run('create', 'acme', '--jurisdiction', 'eu');
    expect(created.code, created.stderr).toBe(0);
  });

  afterAll(() => cleanup());

  it('answers help for a command that does not exist as an unknown command, with a suggestion, not the whole help', async () => {
    for (const args of [['help', 'instancez'], ['instancez']]) {
      const answer = await run(...args);
      expect(answer.code, args.join(' ')).toBe(2);
      expect(answer.stderr, args.join(' ')).toContain("unknown command 'instancez'");
      expect(answer.stderr, args.join(' ')).toContain('instances');
      expect(answer.stderr.split('\n').length, args.join(' ')).toBeLessThan(6);
    }
    const help = await run('help', 'instances');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: silo instances');
  });

  it('refuses a name no instance can have as a usage error (exit 2), in every command that takes one', async () => {
    for (const args of [
      ['create', 'Bad_Name', '--jurisdiction', 'eu'],
      ['create', '../escape', '--jurisdiction', 'eu'],
      ['clone', 'acme', 'Not Valid'],
      ['restore', 'acme', '--at', 'now', '--as', '../escape'],
      ['query', '../../etc/passwd', 'SELECT 1'],
      ['export', '../escape'],
      ['instances', 'show', 'a/b'],
      ['delete', '..'],
      ['undelete', 'acme/../acme'],
      ['purge', '../escape', '--yes'],
      ['backup', 'now', '../escape'],
      ['backup', 'list', 'x'],
      ['token', 'create', '--instance', '../escape'],
    ]) {
      const refused = await run(...args);
      expect(refused.code, `${args.join(' ')}: ${refused.stderr}`).toBe(2);
      expect(refused.stdout, args.join(' ')).toBe('');
      expect(refused.stderr, args.join(' ')).toMatch(/^silo: .*(not a valid name|characters long).*\[INVALID_NAME\]\n$/);
    }
    // Nothing was made, and no file was written where the name pointed.
    expect(json<{ items: { name: string }[] }>(await run('instances', 'list', '--json')).items.map((item) => item.name)).toEqual(['acme']);
    expect(existsSync(path.join(path.dirname(dir), 'escape.sqlite'))).toBe(false);
    expect(readdirSync(dir).filter((entry) => entry.endsWith('.sqlite'))).toEqual([]);

    // --json says the same in its error object.
    const asJson = await run('query', '../x', 'SELECT 1', '--json');
    expect(asJson.code).toBe(2);
    expect(JSON.parse(asJson.stderr)).toEqual({ error: { code: 'INVALID_NAME', message: expect.stringContaining('"../x" is not a valid name') } });
    // A close name is still suggested.
    expect((await run('show', 'ACME')).stderr).toContain('Did you mean "acme"?');
    // A well-formed name nobody has is not found (3), as before; so is a reserved word, which an older release may have allowed.
    expect((await run('show', 'nobody')).code).toBe(3);
    expect((await run('show', 'admin')).code).toBe(3);
  });

  it('refuses a name no instance can have in `audit --instance`, unless the log holds refused attempts under it', async () => {
    const refused = await run('audit', '--instance', '../nowhere');
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/^silo: "\.\.\/nowhere" is not a valid name: .*; no audit entry names it either\. \[INVALID_NAME\]\n$/);
    const asJson = await run('audit', '--instance', '../nowhere', '--json');
    expect(asJson.code).toBe(2);
    expect(JSON.parse(asJson.stderr)).toEqual({ error: { code: 'INVALID_NAME', message: expect.stringContaining('"../nowhere" is not a valid name') } });
    // Upper case meant the instance of that name, as elsewhere.
    expect((await run('audit', '--instance', 'ACME')).stderr).toContain('Did you mean "acme"?');

    // A refused create is recorded under the name it was given: the filter finds it.
    expect((await run('create', '../probe', '--jurisdiction', 'eu')).code).toBe(2);
    const probes = await run('audit', '--instance', '../probe', '--json');
    expect(probes.code, probes.stderr).toBe(0);
    expect(json<{ items: { operation: string; instance: string; outcome: string }[] }>(probes).items).toEqual([
      expect.objectContaining({ operation: 'create', instance: '../probe', outcome: 'error' }),
    ]);

    // A well-formed name nobody has (a reserved word too) just matches nothing.
    for (const name of ['nobody', 'admin']) {
      const none = await run('audit', '--instance', name);
      expect(none.code, none.stderr).toBe(0);
      expect(none.stdout).toBe('No audit entries match.\n');
    }
  });

  it('refuses --since and --at moments that cannot be meant, saying which moment they are', async () => {
    for (const [args, words] of [
      [['audit', '--since', '12345678901234567890'], 'past every date'],
      [['audit', '--since', '99999999d'], 'before 1970'],
      [['audit', '--since', '1969-12-31T23:59:59Z'], '1969-12-31T23:59:59.000Z, before 1970'],
      [['audit', '--since', '2999-01-01'], '2999-01-01T00:00:00.000Z, in the future'],
      [['audit', '--since', '99999999999999'], 'in the future'],
      [['restore', 'acme', '--at', '2999-01-01T00:00:00+02:00', '--as', 'acme-then'], '2998-12-31T22:00:00.000Z, in the future'],
      [['clone', 'acme', 'acme-then', '--at', '12345678901234567890'], 'past every date'],
    ] as const) {
      const refused = await run(...args);
      expect(refused.code, args.join(' ')).toBe(2);
      expect(refused.stderr, args.join(' ')).toMatch(/^silo: option '--(since|at) <time>' argument '.*' is invalid\. /);
      expect(refused.stderr, args.join(' ')).toContain(words);
      expect(refused.stderr, args.join(' ')).toContain('[USAGE]');
    }
    for (const since of ['1h', 'now', '2026-01-01T00:00:00+02:00', '1970-01-01']) {
      const accepted = await run('audit', '--since', since, '--json');
      expect(accepted.code, `${since}: ${accepted.stderr}`).toBe(0);
    }
  });

  it('binds query parameters by position (--arg, --arg-json) and by name (:name=value)', async () => {
    const inserted = json<QueryJson>(
      await run(
        'query', 'acme', 'INSERT INTO todos (title, completed, created_at, updated_at) VALUES (:title, :done, :at, :at)',
        '--arg', ':title=Buy milk; then "cheese" = 2', '--arg', ':done=1', '--arg-json', ':at=1767225600000', '--write', '--json',
      ),
    );
    expect(inserted.rowsAffected).toBe(1);

    // Text by default; --arg-json for a number (an INTEGER, exactly past 2^53 too), a string or null.
    const typed = json<QueryJson>(
      await run(
        'query', 'acme', 'SELECT title, typeof(?) AS text, typeof(?) AS integer, typeof(?) AS real, ? IS NULL AS absent, ? AS big, ? AS quoted FROM todos WHERE completed = ?',
        '--arg', '3', '--arg-json', '3', '--arg-json', '2.5', '--arg-json', 'null', '--arg-json', '9007199254740993', '--arg-json', '":x=y"', '--arg', '1', '--json',
      ),
    );
    expect(typed.rows).toEqual([{ title: 'Buy milk; then "cheese" = 2', text: 'text', integer: 'integer', real: 'real', absent: 1, big: '9007199254740993', quoted: ':x=y' }]);

    // The values really are parameters: a quote in one is data, never SQL.
    const quoted = json<QueryJson>(await run('query', 'acme', 'SELECT count(*) AS n FROM todos WHERE title = ?', '--arg', "x' OR '1'='1", '--json'));
    expect(quoted.rows).toEqual([{ n: 0 }]);

    // query-all takes them too.
    const all = json<{ rows: Record<string, unknown>[] }>(await run('query-all', 'SELECT count(*) AS n FROM todos WHERE created_at >= ?', '--arg-json', '1767225600000', '--json'));
    expect(all.rows).toEqual([{ instance: 'acme', n: 1 }]);
  });

  it('refuses parameters it cannot bind as usage errors, before anything runs', async () => {
    for (const [args, words] of [
      [['--arg', '1', '--arg', ':b=2'], 'by position or every one by :name=value, not both'],
      [['--arg', ':a=1', '--arg-json', ':a=2'], 'The parameter :a is given twice'],
      [['--arg-json', 'true'], 'SQLite has no booleans'],
      [['--arg-json', '[1]'], 'SQLite has no arrays'],
      [['--arg-json', 'milk'], 'Not JSON'],
      [['--arg-json', '99999999999999999999'], "does not fit SQLite's 64-bit integers"],
    ] as const) {
      const refused = await run('query', 'acme', 'SELECT 1', ...args);
      expect(refused.code, args.join(' ')).toBe(2);
      expect(refused.stderr, args.join(' ')).toContain(words);
      expect(refused.stderr, args.join(' ')).toContain('[USAGE]');
    }
    const withFile = await run('query', 'acme', '--file', '-', '--arg', '1');
    expect(withFile.code).toBe(2);
    expect(withFile.stderr).toContain('not with --file');
    // Too few values is SQLite's to say, as over the HTTP API.
    const tooFew = await run('query', 'acme', 'SELECT ?, ?', '--arg', '1');
    expect(tooFew.code).toBe(1);
    expect(tooFew.stderr).toContain('[QUERY_FAILED]');
  });
});
