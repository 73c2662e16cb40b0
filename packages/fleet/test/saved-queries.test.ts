import { describe, expect, it } from 'vitest';
import { tempFleet } from './helpers';

describe('saved queries', () => {
  it('are per admin, replaced by name, and go with the account', async () => {
    const { fleet } = await tempFleet();
    const ann = fleet.admins.create('ann@example.com', 'a-long-password-for-ann');
    const bob = fleet.admins.create('bob@example.com', 'a-long-password-for-bob');
    fleet.savedQueries.save(ann.id, 'Open todos', 'SELECT 1');
    fleet.savedQueries.save(ann.id, 'open todos v2', 'SELECT 2');
    const replaced = fleet.savedQueries.save(ann.id, 'Open todos', 'SELECT 3');
    fleet.savedQueries.save(bob.id, 'Mine', 'SELECT 4');
    expect(fleet.savedQueries.list(ann.id).map((q) => [q.name, q.sql])).toEqual([
      ['Open todos', 'SELECT 3'],
      ['open todos v2', 'SELECT 2'],
    ]);
    // Another admin's query cannot be removed through this account.
    expect(fleet.savedQueries.remove(bob.id, replaced.id)).toBe(false);
    expect(fleet.savedQueries.remove(ann.id, replaced.id)).toBe(true);
    expect(() => fleet.savedQueries.save(ann.id, ' ', 'SELECT 1')).toThrow(/name/);
    fleet.admins.remove('bob@example.com');
    expect(fleet.savedQueries.list(bob.id)).toEqual([]);
  });
});
