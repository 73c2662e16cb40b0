/**
 * A create's seed (issue #21, item 2): the app's first writes run inside provisioning, so an
 * instance comes into being with them or not at all — also under kill -9.
 */
import path from 'node:path';
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { FailpointName } from '../src/failpoints';
import { openFleet, type InstanceInfo } from '../src/index';
import { killAllChildren, runChild } from './fixtures/children';
import { expectSoundFleet, fileOf, filesUnder, sampleSchema, tempFleet } from './helpers';

afterEach(killAllChildren);

async function bodies(fleet: Awaited<ReturnType<typeof tempFleet>>['fleet'], name: string): Promise<unknown[]> {
  return (await fleet.query(name, 'SELECT body FROM notes ORDER BY id')).rows.map((row) => row[0]);
}

describe('create with a seed', () => {
  it('writes the seed before the instance is ready; nobody can open it meanwhile', async () => {
    const { fleet } = await tempFleet();
    const during: { state: string | undefined; open: unknown; id: string } = { state: undefined, open: undefined, id: '' };
    const created = await fleet.create('acme', {
      jurisdiction: 'eu',
      seed: async (db, instance) => {
        during.state = fleet.find('acme')?.state;
        during.open = await fleet.open('acme').catch((error: unknown) => error);
        during.id = instance.id;
        await db.batch([
          { sql: 'INSERT INTO notes (body) VALUES (?)', args: [`owner of ${instance.name}`] },
          { sql: "INSERT INTO notes (body) VALUES ('welcome')" },
        ]);
      },
    });
    expect(during.state).toBe('provisioning');
    expect(during.open).toMatchObject({ code: 'INSTANCE_NOT_READY' });
    expect(during.id).toBe(created.id);
    expect(created.state).toBe('ready');
    expect(await bodies(fleet, 'acme')).toEqual(['owner of acme', 'welcome']);
    expect(fleet.audit({ instance: 'acme', operation: 'create' }).items[0]).toMatchObject({ outcome: 'ok', detail: { seeded: true } });
  });

  it('a seed that throws fails the create with SEED_FAILED, leaving no row, no file and a free name', async () => {
    const { fleet, dataDir } = await tempFleet();
    let url = '';
    const failing = fleet.create('acme', {
      jurisdiction: 'eu',
      seed: async (db) => {
        url = fleet.find('acme')?.dbUrl ?? '';
        await db.execute("INSERT INTO notes (body) VALUES ('half')");
        throw new Error('the app changed its mind');
      },
    });
    await expect(failing).rejects.toMatchObject({ code: 'SEED_FAILED', message: expect.stringContaining('the app changed its mind') });
    expect(fleet.find('acme')).toBeUndefined();
    expect(existsSync(fileOf(url, dataDir))).toBe(false);
    expect(fleet.audit({ instance: 'acme', operation: 'create' }).items[0]).toMatchObject({ outcome: 'error' });
    await fleet.create('acme', { jurisdiction: 'eu' });
    expect(await bodies(fleet, 'acme')).toEqual([]);
    await expectSoundFleet(fleet, dataDir);
  });
});

describe('a create killed inside or after its seed', () => {
  const cases: { label: string; failpoint?: FailpointName; dieInSeed: boolean }[] = [
    { label: 'inside the seed (between its two writes)', dieInSeed: true },
    { label: 'after the seed, before ready (create:after-seed)', failpoint: 'create:after-seed', dieInSeed: false },
    { label: 'after the seed, at create:before-ready', failpoint: 'create:before-ready', dieInSeed: false },
  ];

  it.each(cases)('$label: reconciled to failed with no file, and the name works again', async ({ failpoint, dieInSeed }) => {
    const { fleet: setup, dataDir } = await tempFleet();
    await setup.create('bystander', { jurisdiction: 'eu' });
    await setup.close();

    const exit = await runChild({ command: 'create-seeded', dataDir, name: 'victim', dieInSeed }, failpoint ? { failpoint } : {});
    expect(exit.signal, exit.stderr).toBe('SIGKILL');

    const fleet = await openFleet({ dataDir, schema: sampleSchema() });
    try {
      const row: InstanceInfo | undefined = fleet.find('victim');
      expect(row?.state).toBe('failed');
      expect(filesUnder(dataDir).filter((file) => path.basename(file).startsWith('victim.db'))).toEqual([]);
      expect(fleet.list({ state: 'ready' }).items.map((instance) => instance.name)).toEqual(['bystander']);
      await fleet.create('victim', {
        jurisdiction: 'eu',
        seed: async (db) => {
          await db.execute("INSERT INTO notes (body) VALUES ('seed 1')");
        },
      });
      expect((await fleet.query('victim', 'SELECT body FROM notes')).rows).toEqual([['seed 1']]);
      await expectSoundFleet(fleet, dataDir);
    } finally {
      await fleet.close();
    }
  });

  it('a create that finished has its whole seed', async () => {
    const { fleet: setup, dataDir } = await tempFleet();
    await setup.close();
    const exit = await runChild({ command: 'create-seeded', dataDir, name: 'victim', dieInSeed: false });
    expect(exit.code, exit.stderr).toBe(0);
    const { fleet } = await tempFleet({ dataDir });
    expect((await fleet.query('victim', 'SELECT body FROM notes ORDER BY id')).rows).toEqual([['seed 1'], ['seed 2']]);
  });
});
