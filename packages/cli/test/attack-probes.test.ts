import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silo, tempDir, TERMINAL_ACTIVE as ACTIVE } from './helpers';

/**
 * Issue #13, finding 9, tried again on the merged CLI: a hostile display name and audit actor
 * written straight into the catalog (rows older than the fleet's check), then every command
 * that prints them. Not one control byte may reach the terminal.
 */
const HOSTILE = 'Acme\x1b[2J\x1b]0;pwned\x07\r\n\u202eevil\u2066x\x9b31m';

describe('terminal escapes on every output path', () => {
  let dir: string;
  let cleanup: () => void;
  const run = (...args: string[]) => silo(dir, args);

  beforeAll(async () => {
    ({ dir, cleanup } = tempDir());
    expect((await run('create', 'hostile', '--jurisdiction', 'eu')).code).toBe(0);
    expect((await run('backup', 'now', 'hostile')).code).toBe(0);
    const catalog = new Database(path.join(dir, 'catalog.db'));
    catalog.prepare('UPDATE instances SET display_name = ? WHERE name = ?').run(HOSTILE, 'hostile');
    catalog.prepare('UPDATE audit_log SET actor = ?').run(HOSTILE);
    catalog.close();
  });
  afterAll(() => cleanup());

  it('audit, backups, doctor, clone, delete and undelete print it escaped', async () => {
    for (const args of [
      ['audit'],
      ['audit', '--json'],
      ['backup', 'list', 'hostile'],
      ['backup', 'status'],
      ['backup', 'status', 'hostile'],
      ['doctor'],
      ['instances', 'list', '--json'],
      ['clone', 'hostile'],
      ['delete', 'hostile', '--yes'],
      ['instances', 'list', '--deleted'],
      ['undelete', 'hostile'],
      ['restore', 'hostile'],
      ['show', 'hostile'],
    ]) {
      const result = await run(...args);
      expect(result.stdout, args.join(' ')).not.toMatch(ACTIVE);
      expect(result.stderr, args.join(' ')).not.toMatch(ACTIVE);
    }
    expect((await run('audit')).stdout).toContain('\\u001b');
  });
});
