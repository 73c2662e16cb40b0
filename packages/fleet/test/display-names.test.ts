import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir, tempFleet } from './helpers';

/** Security finding 9: display names are shown in terminals, so they may not act on them. */
const HOSTILE = ['Evil\x1b[2J', 'two\nlines', 'tab\there', 'carriage\rreturn', 'rtl\u202eevil', 'iso\u2066late\u2069', 'c1\x9bx', 'zero\u200bwidth'];

describe('display names at the fleet door', () => {
  it('create, rename, clone and import refuse control and invisible format characters with INVALID_NAME', async () => {
    const { fleet } = await tempFleet();
    await fleet.create('good', { jurisdiction: 'eu', displayName: 'Good Co' });
    const exported = path.join(tempDir(), 'good.sqlite');
    await fleet.exportTo('good', exported);
    for (const displayName of HOSTILE) {
      await expect(fleet.create('bad', { jurisdiction: 'eu', displayName }), displayName).rejects.toMatchObject({ code: 'INVALID_NAME' });
      await expect(fleet.setDisplayName('good', displayName)).rejects.toMatchObject({ code: 'INVALID_NAME' });
      await expect(fleet.clone('good', 'bad', { displayName })).rejects.toMatchObject({ code: 'INVALID_NAME' });
      await expect(fleet.importFile('bad', exported, { jurisdiction: 'eu', displayName })).rejects.toMatchObject({ code: 'INVALID_NAME' });
    }
    expect(fleet.find('bad')).toBeUndefined();
    expect(fleet.require('good').displayName).toBe('Good Co');
    await expect(fleet.create('bad', { jurisdiction: 'eu', displayName: 'Evil\x1b[2J' })).rejects.toThrow(/U\+001B.*Remove it/);
  });

  it('keeps a refused rename’s asked name in the audit log cut at a display name’s length', async () => {
    const { fleet } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    await expect(fleet.setDisplayName('acme', 'x'.repeat(16_000))).rejects.toMatchObject({ code: 'INVALID_NAME' });
    const [entry] = fleet.audit({ instance: 'acme', operation: 'rename' }).items;
    expect(entry).toMatchObject({ outcome: 'error', detail: { displayName: `${'x'.repeat(200)}…` } });
  });

  it('keeps ordinary Unicode, emoji joiners included', async () => {
    const { fleet } = await tempFleet();
    const name = 'Café Zoë — 東京 👩‍💻';
    expect((await fleet.create('unicode', { jurisdiction: 'eu', displayName: name })).displayName).toBe(name);
  });

  it('a clone of an old row with a hostile display name falls back to the clone name', async () => {
    const { fleet, dataDir } = await tempFleet();
    await fleet.create('old', { jurisdiction: 'eu' });
    const Database = (await import('better-sqlite3')).default;
    const catalog = new Database(path.join(dataDir, 'catalog.db'));
    catalog.prepare('UPDATE instances SET display_name = ? WHERE name = ?').run('Old\x1b[2J', 'old');
    catalog.close();
    expect((await fleet.clone('old', 'old-copy')).displayName).toBe('old-copy');
  });
});

describe('instance names with control characters', () => {
  it('are refused without echoing the character into the message', async () => {
    const { fleet } = await tempFleet();
    const refused: Error = await fleet.create('evil\x1b[2Jname', { jurisdiction: 'eu' }).then(
      () => new Error('accepted'),
      (error: unknown) => error as Error,
    );
    expect(refused).toMatchObject({ code: 'INVALID_NAME' });
    expect(refused.message).toContain('U+001B');
    expect(refused.message).not.toContain('\x1b');
  });
});
