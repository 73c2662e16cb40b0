import { chmodSync, lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silo, tempDir } from './helpers';

/** Security finding 8 from the terminal: the CLI writes owner-only files, warns about loose ones, and doctor fixes them. */
function looseUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .map((entry) => path.join(entry.parentPath, entry.name))
    .filter((file) => (lstatSync(file).mode & 0o777) !== (lstatSync(file).isDirectory() ? 0o700 : 0o600));
}

describe('silo and file permissions', () => {
  let dir: string;
  let cleanup: () => void;
  const run = (...args: string[]) => silo(dir, args);

  beforeAll(() => {
    ({ dir, cleanup } = tempDir());
  });
  afterAll(() => cleanup());

  it('creates owner-only folders and files, warns once about a loose file, and doctor --fix-permissions fixes it', async () => {
    const created = await run('create', 'acme', '--jurisdiction', 'eu');
    expect(created.code).toBe(0);
    expect(created.stderr).toBe('');
    expect(looseUnder(dir)).toEqual([]);

    chmodSync(path.join(dir, 'catalog.db'), 0o644);
    const listed = await run('instances', 'list');
    expect(listed.code).toBe(0);
    // Exactly one line on stderr, and nothing else there.
    const warnings = listed.stderr.split('\n').filter((line) => line !== '');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^silo: warning: 1 file\(s\) or folder\(s\) of the fleet can be read by other users/);
    expect(warnings[0]).toContain(path.join(dir, 'catalog.db'));
    expect(warnings[0]).toContain('silo doctor --fix-permissions');

    const checked = await run('doctor');
    expect(checked.code).toBe(1);
    expect(checked.stdout).toContain('can be read by other users');

    const fixed = await run('doctor', '--fix-permissions');
    expect(fixed.code, fixed.stdout + fixed.stderr).toBe(0);
    expect(fixed.stdout).toMatch(/made owner-only/);
    expect(looseUnder(dir)).toEqual([]);
    expect((await run('instances', 'list')).stderr).toBe('');
  });
});
