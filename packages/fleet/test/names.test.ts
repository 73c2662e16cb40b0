import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateName } from '../src/index';
import { tempFleet } from './helpers';

describe('instance names', () => {
  it.each(['acme', 'a1b', 'my-team-42', 'x'.repeat(63), '123'])('accepts %s', (name) => {
    expect(validateName(name)).toBe(name);
  });

  const refused: [string, unknown, RegExp][] = [
    ['empty', '', /required/],
    ['not a string', 42, /required/],
    ['too short', 'ab', /3–63 characters/],
    ['64 characters', 'x'.repeat(64), /3–63 characters/],
    ['a path escape', '../x', /not a valid name/],
    ['a nested path', 'a/b/c', /not a valid name/],
    ['an encoded path escape', '%2e%2e', /not a valid name/],
    ['an encoded slash', 'abc%2fdef', /not a valid name/],
    ['a Cyrillic look-alike', 'аcme', /U\+0430/],
    ['a full-width look-alike', 'ａcme', /U\+FF41/],
    ['a zero-width space', 'ac\u200bme', /U\+200B/],
    ['uppercase', 'Acme', /lowercase/],
    ['a leading hyphen', '-acme', /not a valid name/],
    ['a trailing hyphen', 'acme-', /not a valid name/],
    ['a punycode-like double hyphen', 'xn--acme', /not a valid name/],
    ['a dot', 'acme.db', /not a valid name/],
    ['a NUL byte', 'acme\0', /U\+0000/],
    ['whitespace', 'ac me', /not a valid name/],
    ['a reserved word', 'admin', /reserved/],
    ['another reserved word', 'api', /reserved/],
  ];

  it.each(refused)('refuses %s with a clear error', (_what, name, message) => {
    expect(() => validateName(name)).toThrow(expect.objectContaining({ code: 'INVALID_NAME', message: expect.stringMatching(message) }));
  });

  it('creates nothing for a refused name: no row, no file, an audit entry', async () => {
    const { fleet, dataDir } = await tempFleet();
    for (const [, name] of refused) {
      await expect(fleet.create(name as string, { jurisdiction: 'eu' })).rejects.toMatchObject({ code: 'INVALID_NAME' });
    }
    expect(fleet.list().total).toBe(0);
    expect(existsSync(path.join(dataDir, 'regions'))).toBe(false);
    expect(readdirSync(dataDir).sort()).toEqual(['catalog.db', 'catalog.db-shm', 'catalog.db-wal']);
    const audit = fleet.audit({ operation: 'create', limit: 100 });
    expect(audit.total).toBe(refused.length);
    expect(audit.items.every((entry) => entry.outcome === 'error')).toBe(true);
  });
});
