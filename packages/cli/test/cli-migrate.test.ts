import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineTenantSchema, openFleet, type MigrateAllReport } from '@silo/fleet';
import { json, silo, tempDir } from './helpers';

interface StatusJson {
  latestVersion: number;
  behind: number;
  pending: { version: number; name: string; instances: number }[];
}

/**
 * Instances made by an older release: a "todos" schema with no migrations yet (version 0),
 * so the CLI (which ships the current todo schema) finds them behind and really migrates them.
 */
async function makeOldInstances(dataDir: string, names: readonly string[], broken: readonly string[] = []): Promise<void> {
  const fleet = await openFleet({ schema: defineTenantSchema({ id: 'todos', migrations: [] }), dataDir, actor: 'test:old-release' });
  try {
    for (const name of names) await fleet.create(name, { jurisdiction: 'eu' });
    // A table in the way makes the first migration fail on these.
    for (const name of broken) await fleet.withInstance(name, (db) => db.execute('CREATE TABLE todos (x)'));
  } finally {
    await fleet.close();
  }
}

describe('silo migrate', () => {
  let dir: string;
  let cleanup: () => void;
  const run = (...args: string[]) => silo(dir, args);

  beforeAll(async () => {
    ({ dir, cleanup } = tempDir());
    await makeOldInstances(dir, ['old-one', 'old-two', 'old-broken'], ['old-broken']);
  });

  afterAll(() => cleanup());

  it('reports what is behind, dry-runs, migrates, and exits 1 for the instance that fails', async () => {
    const before = json<StatusJson>(await run('migrate', '--status', '--json'));
    expect(before.behind).toBe(3);
    expect(before.pending[0]).toMatchObject({ version: 1, instances: 3 });
    const list = await run('instances', 'list');
    expect(list.stdout).toContain('0 (behind)');

    const dry = await run('migrate', '--dry-run');
    expect(dry.stdout).toContain('Dry run: 2 instances would migrate');
    expect(dry.code).toBe(1);
    expect(json<StatusJson>(await run('migrate', '--status', '--json')).behind).toBe(3);

    const migrate = await run('migrate', '--concurrency', '2');
    expect(migrate.code).toBe(1);
    expect(migrate.stdout).toContain('Migrated 2 instances to version 2');
    expect(migrate.stdout).toMatch(/old-broken.*todos already exists/);
    expect(migrate.stderr).toContain('run `silo migrate` again');

    const after = json<StatusJson>(await run('migrate', '--status', '--json'));
    expect(after.behind).toBe(1);
    const query = await run('query', 'old-one', 'SELECT count(*) AS n FROM todos', '--json');
    expect(query.code).toBe(0);

    const again = json<MigrateAllReport>(await run('migrate', '--json'));
    expect(again.results.map((result) => [result.instance, result.status])).toEqual([['old-broken', 'failed']]);
  });
});
