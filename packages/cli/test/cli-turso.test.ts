import path from 'node:path';
import { createCatalogDatabase, siloTursoEnv, startJurisdictionStandin, type TursoStandin } from '@silo/turso-standin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, silo, tempDir } from './helpers';

/**
 * The `silo` command on Turso by environment variables alone, against the Turso stand-in on
 * loopback: the same commands, tenants in Turso databases of the jurisdiction's group.
 */
let standin: TursoStandin;
let env: Record<string, string>;
const folder = tempDir('silo-cli-turso-');

beforeAll(async () => {
  standin = await startJurisdictionStandin(path.join(folder.dir, 'standin'));
  env = siloTursoEnv(standin);
});

afterAll(async () => {
  await standin?.close();
  folder.cleanup();
});

describe('silo on turso', () => {
  it('creates, queries, clones (also at a past moment), exports, imports and checks the fleet', async () => {
    const dataDir = path.join(folder.dir, 'fleet');
    const run = (args: string[]) => silo(folder.dir, ['--data-dir', dataDir, ...args], { env });
    expect((await run(['create', 'acme', '--jurisdiction', 'eu'])).code).toBe(0);
    expect((await run(['create', 'initech', '--jurisdiction', 'us'])).code).toBe(0);
    const shown = json<{ dbUrl: string; engine: string }>(await run(['instances', 'show', 'acme', '--json']));
    expect(shown).toMatchObject({ dbUrl: 'turso:silo-eu/acme', engine: 'turso' });
    const before = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const write = await run(['query', 'acme', "INSERT INTO todos (title, created_at, updated_at) VALUES ('from the cli', 1, 1)", '--write']);
    expect(write.code, write.stderr).toBe(0);
    const refused = await run(['query', 'acme', 'DELETE FROM todos']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('read-only');

    expect((await run(['clone', 'acme', 'acme-now'])).code).toBe(0);
    expect((await run(['clone', 'acme', 'acme-before', '--at', before])).code).toBe(0);
    expect((await run(['clone', 'acme', 'acme-never', '--at', 'yesterday-ish'])).code).toBe(2);
    const counts = json<{ rows: Record<string, unknown>[] }>(await run(['query-all', 'SELECT count(*) AS n FROM todos', '--json']));
    expect(Object.fromEntries(counts.rows.map((row) => [row['instance'], row['n']]))).toEqual({
      acme: 1,
      'acme-now': 1,
      'acme-before': 0,
      initech: 0,
    });

    const file = path.join(folder.dir, 'acme.sqlite');
    expect((await run(['export', 'acme', '-o', file])).code).toBe(0);
    expect((await run(['import', file, 'acme-again', '--jurisdiction', 'eu'])).code).toBe(0);
    const again = await run(['query', 'acme-again', 'SELECT title FROM todos', '--json']);
    expect(json<{ rows: unknown[] }>(again).rows).toEqual([{ title: 'from the cli' }]);

    const doctor = await run(['doctor', '--scan', '--deep', '--json']);
    expect(doctor.code, doctor.stderr).toBe(0);
    expect(json<{ orphans: string[]; integrity: unknown[] }>(doctor)).toMatchObject({ orphans: [], integrity: [] });
    expect((await run(['delete', 'acme-now'])).code).toBe(0);
    expect((await run(['purge', 'acme-now', '--yes'])).code).toBe(0);
    const listed = json<{ items: { name: string }[] }>(await run(['instances', 'list', '--json']));
    expect(listed.items.map((item) => item.name).sort()).toEqual(['acme', 'acme-again', 'acme-before', 'initech']);
    for (const output of [write, refused, doctor, again]) expect(`${output.stdout}${output.stderr}`).not.toContain(standin.apiToken);
    // Some twenty real `silo` processes on a shared machine: allow for slow starts.
  }, 180_000);

  it('moves a local fleet and then its catalog to Turso; another server sees the same fleet', async () => {
    const first = path.join(folder.dir, 'server-one');
    const second = path.join(folder.dir, 'server-two');
    const local = (args: string[]) => silo(folder.dir, ['--data-dir', first, ...args]);
    expect((await local(['create', 'moving-co', '--jurisdiction', 'eu'])).code).toBe(0);
    expect((await local(['query', 'moving-co', "INSERT INTO todos (title, created_at, updated_at) VALUES ('kept', 1, 1)", '--write'])).code).toBe(0);
    const prefixed = siloTursoEnv(standin, { prefix: 'cat-' });
    const moved = await silo(folder.dir, ['--data-dir', first, 'move', '--to', 'turso'], { env: prefixed });
    expect(moved.code, moved.stderr).toBe(0);

    const catalog = await createCatalogDatabase(standin, { name: 'cli-catalog' });
    const shared = { ...prefixed, ...catalog };
    const pushed = await silo(folder.dir, ['--data-dir', first, 'catalog', 'push'], { env: shared });
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(pushed.stdout).toMatch(/Pushed the catalog to Turso in .*: 1 instance \(rows: .*instances 1/);
    const again = await silo(folder.dir, ['--data-dir', first, 'catalog', 'push'], { env: shared });
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('is not empty');

    const two = (args: string[]) => silo(folder.dir, ['--data-dir', second, ...args], { env: shared });
    const listed = json<{ items: { name: string; engine: string }[] }>(await two(['instances', 'list', '--json']));
    expect(listed.items).toEqual([expect.objectContaining({ name: 'moving-co', engine: 'turso' })]);
    expect(json<{ rows: unknown[] }>(await two(['query', 'moving-co', 'SELECT title FROM todos', '--json'])).rows).toEqual([{ title: 'kept' }]);
    expect((await two(['create', 'born-on-two', '--jurisdiction', 'us'])).code).toBe(0);
    const fromOne = json<{ items: { name: string }[] }>(await silo(folder.dir, ['--data-dir', first, 'instances', 'list', '--json'], { env: shared }));
    expect(fromOne.items.map((item) => item.name).sort()).toEqual(['born-on-two', 'moving-co']);
    for (const output of [pushed, again]) expect(`${output.stdout}${output.stderr}`).not.toContain(catalog.SILO_CATALOG_AUTH_TOKEN);
  });
});
