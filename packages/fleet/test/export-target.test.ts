/**
 * An export is written where the caller says, `--force` included, but never over the fleet's
 * own files: a tenant's database (another jurisdiction's, even), the catalog, the secret or a
 * backup. The top of the data folder takes other files (`silo export` run there).
 */
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isSiloError } from '../src/index';
import { fileOf, tempDir, tempFleet } from './helpers';

describe('export targets', () => {
  it('refuses a file inside the data folder, a region or a backup folder, however the path is spelled', async () => {
    const { fleet, dataDir } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    const other = await fleet.create('initech', { jurisdiction: 'us' });
    await fleet.query('initech', "INSERT INTO notes (body) VALUES ('initech only')", undefined, { readOnly: false });
    const outside = tempDir();
    symlinkSync(dataDir, path.join(outside, 'looks-outside'));
    const targets = [
      fileOf(other.dbUrl, dataDir),
      path.join(dataDir, 'catalog.db'),
      path.join(dataDir, 'regions', '..', 'catalog.db'),
      path.join(outside, 'looks-outside', 'catalog.db'),
      path.join(dataDir, 'secret.key'),
      path.join(dataDir, 'staging', 'acme.sqlite'),
      dataDir,
    ];
    for (const target of targets) {
      const refused = await fleet.exportTo('acme', target).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(isSiloError(refused, 'INVALID_INPUT'), target).toBe(true);
    }
    expect(existsSync(path.join(dataDir, 'staging', 'acme.sqlite'))).toBe(false);
    expect((await fleet.query('initech', 'SELECT body FROM notes')).rows).toEqual([['initech only']]);
    expect(fleet.list().total).toBe(2);

    const elsewhere = path.join(outside, 'exports');
    mkdirSync(elsewhere);
    expect((await fleet.exportTo('acme', path.join(elsewhere, 'acme.sqlite'))).sizeBytes).toBeGreaterThan(0);
    // The data folder is also where `silo export` writes when run there: a file of its own name is fine.
    expect((await fleet.exportTo('acme', path.join(dataDir, 'acme.sqlite'))).sizeBytes).toBeGreaterThan(0);
  });
});
