/**
 * The TODO app on a full data disk (issue #21, item 3): sign-up says so inline with 507,
 * reading a list and its pages keeps working, signing in (which writes a session row) is a
 * 507 page rather than a crash, /readyz answers 503, and once space is freed the same server
 * signs up again. The data folder is a small tmpfs.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mountSmallDisk, smallDiskUnavailable, type SmallDisk } from '../../../packages/fleet/test/fixtures/small-disk';
import { PASSWORD, createFields, createList, get, post, uniqueName } from './http';
import { startServer, type TestServer } from './server';

if (smallDiskUnavailable) console.warn(`Skipping the TODO app's disk-full tests: ${smallDiskUnavailable}`);

describe.skipIf(smallDiskUnavailable !== undefined)('the TODO app on a full data disk', () => {
  let disk: SmallDisk;
  let server: TestServer;

  beforeAll(async () => {
    disk = mountSmallDisk(24);
    server = await startServer({ SILO_DATA_DIR: path.join(disk.dir, 'data') }, { engine: 'local' });
  });

  afterAll(async () => {
    await server?.stop();
    disk?.unmount();
  });

  it('sign-up shows the message with 507, lists stay readable, sign-in is a 507 page, /readyz says so, and freeing space brings sign-up back', async () => {
    const base = server.url;
    const name = uniqueName('full');
    const owner = await createList(base, name);
    const ready = await get(base, '/readyz');
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toMatchObject({ status: 'ready', ready: true, catalog: 'ok' });

    disk.fill();

    const probe = await get(base, '/readyz');
    expect(probe.status).toBe(503);
    expect(probe.headers.get('content-type')).toMatch(/json/);
    const report = JSON.parse(probe.body) as { status: string; storage: { kind: string; level: string }[]; warnings: string[] };
    expect(report.status).toBe('not ready');
    expect(report.storage).toContainEqual(expect.objectContaining({ kind: 'data', level: 'full' }));
    expect(report.warnings.join(' ')).toMatch(/full/);

    const refused = await post(base, '/?index', createFields(uniqueName('refused')));
    expect(refused.status).toBe(507);
    expect(refused.body).toContain('Our server is out of storage space, so your list could not be created.');
    expect(refused.body).toContain('name="name"');

    // Reading needs no space.
    const list = await get(base, `/t/${name}`, owner);
    expect(list.status).toBe(200);
    expect(list.body).toContain(name);
    expect((await get(base, `/t/${name}/active`, owner)).status).toBe(200);

    // Signing in writes a session row into the list's database.
    const signIn = await post(base, `/t/${name}/sign-in`, { email: `owner@${name}.test`, password: PASSWORD });
    expect(signIn.status).toBe(507);
    expect(signIn.body).toContain('you cannot be signed in right now');

    disk.free();
    expect((await get(base, '/readyz')).status).toBe(200);
    const again = await post(base, '/?index', createFields(uniqueName('again')));
    expect(again.status).toBe(302);
    expect((await post(base, `/t/${name}/sign-in`, { email: `owner@${name}.test`, password: PASSWORD })).status).toBe(302);
    expect(server.output()).not.toMatch(/unexpected error|SqliteError/);
  });
});
