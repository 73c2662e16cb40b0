import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAS_SCRIPT, json, silo, siloOnTerminal, tempDir, TERMINAL_ACTIVE as ACTIVE } from './helpers';

/**
 * Security finding 9: data reaching the operator's terminal must be shown, never obeyed. The
 * hostile name is written straight into the catalog, as a row older than the fleet's check
 * would be, so only the CLI's output layer stands between it and the terminal.
 */
const HOSTILE = 'Acme\x1b[2J\x1b]0;pwned\x07\r\nstate     ready\u202eevil\u2066x\u2069\x9b31m';


describe('terminal escapes in CLI output', () => {
  let dir: string;
  let cleanup: () => void;
  const run = (...args: string[]) => silo(dir, args);

  beforeAll(async () => {
    ({ dir, cleanup } = tempDir());
    expect((await run('create', 'hostile', '--jurisdiction', 'eu')).code).toBe(0);
    const catalog = new Database(path.join(dir, 'catalog.db'));
    catalog.prepare('UPDATE instances SET display_name = ? WHERE name = ?').run(HOSTILE, 'hostile');
    catalog.close();
  });

  afterAll(() => cleanup());

  it('silo show escapes a hostile display name: no ESC, CR, C1 or bidi control reaches the terminal', async () => {
    const shown = await run('show', 'hostile');
    expect(shown.code).toBe(0);
    expect(shown.stdout).not.toMatch(ACTIVE);
    expect(shown.stdout).toContain('Acme\\u001b[2J\\u001b]0;pwned\\u0007\\u000d\\u000astate     ready\\u202eevil\\u2066x\\u2069\\u009b31m');
    // The escaped line break keeps the fake "state ready" on the display name's own line.
    const displayLine = shown.stdout.split('\n').find((line) => line.includes('display name'));
    expect(displayLine).toContain('pwned');
  });

  it('the instances table and JSON output are escaped too, and JSON still decodes to the stored name', async () => {
    const listed = await run('instances', 'list', '--search', 'Acme');
    expect(listed.code).toBe(0);
    expect(listed.stdout).not.toMatch(ACTIVE);

    const asJson = await run('show', 'hostile', '--json');
    expect(asJson.stdout).not.toMatch(ACTIVE);
    expect(json<{ displayName: string }>(asJson).displayName).toBe(HOSTILE);
  });

  it('query results in tables, JSON, and errors echoing input, are escaped', async () => {
    const select = "SELECT char(27) || '[31mred' || char(13) || char(8238) AS v";
    for (const format of [[], ['--json']]) {
      const result = await run('query', 'hostile', select, ...format);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).not.toMatch(ACTIVE);
      expect(result.stdout).toContain('\\u001b[31mred');
    }
    const failed = await run('query', 'hostile', 'SELECT \x1b[2J');
    expect(failed.code).toBe(1);
    expect(failed.stderr).not.toMatch(ACTIVE);
    expect(failed.stderr).toContain('\\u001b');
  });

  it('CSV into a pipe keeps every byte (a CR or tab in a cell is data), and CSV on a terminal is escaped', async () => {
    const select = "SELECT 'a' || char(13) || char(10) || 'b' || char(9) || 'c' || char(27) || '[1m' AS v";
    const piped = await run('query', 'hostile', select, '--csv');
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stdout).toBe('v\n"a\r\nb\tc\x1b[1m"\n');
    const listed = await run('instances', 'list', '--csv', '--all');
    expect(listed.stdout).toContain(HOSTILE.replace(/"/g, '""'));

    if (!HAS_SCRIPT) return;
    const shown = await siloOnTerminal(dir, ['query', 'hostile', select, '--csv'], '\u0000', '');
    expect(shown.code).toBe(0);
    expect(shown.output).toContain('\\u000d');
    expect(shown.output).toContain('\\u001b[1m');
  });

  it('a table whose cells and headings hold control characters keeps its borders in line (escaped before the layout is measured)', async () => {
    const select = "SELECT char(27) || '[31mred' || char(7) AS \"v\x1b[2J\", 'x' AS w, NULL AS n";
    const envs: Record<string, string>[] = [{}, { COLUMNS: '30' }];
    for (const env of envs) {
      const result = await silo(dir, ['query', 'hostile', select], { env });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).not.toMatch(ACTIVE);
      const table = result.stdout.split('\n').filter((line) => /^[┌│└]/.test(line));
      expect(table.length).toBeGreaterThanOrEqual(4);
      // Every line as wide as the top border, with its column rules in the same places.
      const rules = (line: string): number[] => [...line].flatMap((char, index) => ('┌┬┐│└┴┘'.includes(char) ? [index] : []));
      for (const line of table) {
        expect([...line].length, line).toBe([...(table[0] ?? '')].length);
        expect(rules(line), line).toEqual(rules(table[0] ?? ''));
      }
      expect(result.stdout).toContain('\\u001b[31m');
    }
  });

  it('the fleet refuses a display name with control characters at the door', async () => {
    const created = await run('create', 'other', '--jurisdiction', 'eu', '--display-name', 'Evil\x1b[2J');
    // INVALID_NAME: a bad argument, so a usage error.
    expect(created.code).toBe(2);
    expect(created.stderr).toContain('U+001B');
    expect(created.stderr).not.toMatch(ACTIVE);
  });
});
