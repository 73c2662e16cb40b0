/**
 * The admin on a nearly full and a full data disk (issue #21, item 3): a banner on every page
 * (threshold SILO_DISK_WARN_PERCENT), /readyz 200 with warnings or 503 when the data disk is
 * full, and both clear once space is freed, without a restart. The data folder is a small tmpfs.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mountSmallDisk, smallDiskUnavailable, type SmallDisk } from '../../../packages/fleet/test/fixtures/small-disk';
import { signedInAdmin, text, type AdminServer, type Client } from './helpers';

const PASSWORD = 'disk-full-test-password-123';

if (smallDiskUnavailable) console.warn(`Skipping the admin's disk-full tests: ${smallDiskUnavailable}`);

describe.skipIf(smallDiskUnavailable !== undefined)('the admin on a small data disk', () => {
  let disk: SmallDisk;
  let server: AdminServer;
  let admin: Client;

  beforeAll(async () => {
    disk = mountSmallDisk(24);
    // Every disk is "nearly full" under a 100 % threshold: the warning shows without filling.
    ({ server, admin } = await signedInAdmin({ dataDir: path.join(disk.dir, 'data'), password: PASSWORD, env: { SILO_DISK_WARN_PERCENT: '100' } }));
  });

  afterAll(async () => {
    await server?.stop();
    disk?.unmount();
  });

  it('warns on every page, /readyz is 200 with warnings, then 503 and a "full" banner once the disk fills, and both clear after freeing space', async () => {
    const page = text(await (await admin.get('/')).text());
    expect(page).toMatch(/The disk of the data folder \(.*\) is nearly full: .* free of .*under the 100 % warning threshold \(SILO_DISK_WARN_PERCENT\)/);
    const ok = await fetch(`${server.url}/readyz`);
    expect(ok.status).toBe(200);
    const okBody = (await ok.json()) as { status: string; warnings: string[] };
    expect(okBody.status).toBe('ready');
    expect(okBody.warnings.join(' ')).toMatch(/data folder: nearly full/);

    disk.fill();
    expect(text(await (await admin.get('/overview')).text())).toMatch(/The disk of the data folder \(.*\) is full: .*reads keep working/);
    const full = await fetch(`${server.url}/readyz`);
    expect(full.status).toBe(503);
    expect(((await full.json()) as { status: string }).status).toBe('not ready');

    disk.free();
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    expect(text(await (await admin.get('/')).text())).not.toMatch(/is full:/);
  });
});
