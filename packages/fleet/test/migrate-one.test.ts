/** Fleet.migrate(name): one instance, one audit entry (the admin's bulk "Migrate", issue 17). */
import { describe, expect, it } from 'vitest';
import { openFleet } from '../src/index';
import { eachListed, listedInstance, listedInstanceCells, listedInstanceColumns } from '../src/internal';
import { sampleSchema, tempDir, tempFleet } from './helpers';

describe('Fleet.migrate', () => {
  it('migrates only the instance named, audited as its own operation, and refuses one not ready', async () => {
    const dataDir = tempDir();
    const old = await openFleet({ dataDir, schema: sampleSchema(1) });
    for (const name of ['shop-a', 'shop-b', 'shop-ab']) await old.create(name, { jurisdiction: 'eu' });
    await old.create('gone', { jurisdiction: 'eu' });
    await old.delete('gone');
    await old.close();
    const { fleet } = await tempFleet({ dataDir, schema: sampleSchema(2) });

    expect(await fleet.migrate('shop-a', { actor: 'ops' })).toMatchObject({ instance: 'shop-a', status: 'migrated', from: 1, to: 2 });
    expect(fleet.require('shop-a').schemaVersion).toBe(2);
    // A name filter, not a search: shop-ab is untouched.
    expect(fleet.require('shop-ab').schemaVersion).toBe(1);
    expect(await fleet.migrate('shop-a')).toMatchObject({ status: 'up-to-date' });
    expect(fleet.audit({ operation: 'migrate', instance: 'shop-a' }).items[1]).toMatchObject({ actor: 'ops', outcome: 'ok' });
    await expect(fleet.migrate('gone')).rejects.toMatchObject({ code: 'INVALID_STATE' });
    await expect(fleet.migrate('nobody')).rejects.toMatchObject({ code: 'INSTANCE_NOT_FOUND' });
    expect(fleet.audit({ operation: 'migrate', instance: 'gone' }).items[0]).toMatchObject({ outcome: 'error' });
  });
});

describe('the instance list as a download', () => {
  it('pages through every match in the list order, with UTC ISO times', async () => {
    const { fleet } = await tempFleet();
    for (let i = 0; i < 5; i++) await fleet.create(`t-${i}`, { jurisdiction: i === 4 ? 'us' : 'eu' });
    const all = [...eachListed((query) => fleet.list({ ...query, limit: Math.min(query.limit ?? 50, 2) }), { jurisdiction: 'eu', sort: 'name', order: 'desc' })];
    expect(all.map((instance) => instance.name)).toEqual(['t-3', 't-2', 't-1', 't-0']);
    const first = all[0];
    if (!first) throw new Error('no instance listed');
    const row = listedInstance(first, ['todos']);
    expect(row.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(row.last_active_at).toBeNull();
    const columns = listedInstanceColumns(['todos']);
    expect(columns.at(-1)).toBe('metric:todos');
    expect(listedInstanceCells(row, ['todos'])).toHaveLength(columns.length);
  });
});
