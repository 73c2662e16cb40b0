/**
 * A purge erases every copy of the instance the fleet holds, including the ones a killed
 * export, backup or restore left in its region's staging folder (an outside crash probe,
 * session 36: a 198 MB backup copy survived the purge and failed `silo residency`).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempSibling } from '../src/files';
import { deadTempOf, tempFleet } from './helpers';

describe('purge and staged copies', () => {
  it('removes the abandoned staged copies of the purged instance, and only those', async () => {
    const { fleet } = await tempFleet();
    const acme = await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.create('acme-2', { jurisdiction: 'eu' });
    const staging = path.join(fleet.regions.get(acme.region).dataDir, 'staging');
    mkdirSync(staging, { recursive: true });
    // Named as tempSibling names them, by a process of this machine that is gone.
    const left = ['acme.backup.db', 'acme.export.db'].map((name) => deadTempOf(path.join(staging, name)));
    const others = [deadTempOf(path.join(staging, 'acme-2.export.db')), tempSibling(path.join(staging, 'acme.export.db'))];
    for (const file of [...left, ...others]) writeFileSync(file, 'SQLite format 3\0 tenant bytes');
    writeFileSync(`${left[0] ?? ''}-wal`, 'wal bytes');

    await fleet.delete('acme');
    await fleet.purge('acme');

    for (const file of left) expect(existsSync(file), file).toBe(false);
    expect(existsSync(`${left[0] ?? ''}-wal`)).toBe(false);
    // Another instance's copy, and one whose process is alive (this one), stay.
    for (const file of others) expect(existsSync(file), file).toBe(true);
  });
});
