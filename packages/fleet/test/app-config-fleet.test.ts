import { afterEach, describe, expect, it } from 'vitest';
import { loadSiloConfig, openFleet, type Fleet } from '../src/index';
import { json, project } from './app-config-helpers';

const open: Fleet[] = [];
afterEach(async () => {
  for (const fleet of open.splice(0)) await fleet.close();
});

describe('a fleet from silo.config', () => {
  it('migrates instances from the drizzle folder and reads the configured metrics', async () => {
    const root = project(
      {
        'silo.config.json': json({
          schema: { migrations: './drizzle' },
          regions: [{ id: 'eu-west', jurisdiction: 'eu' }],
          backups: { enabled: false },
          metrics: [
            { name: 'todos', label: 'TODOs', sql: 'SELECT count(*) FROM todos' },
            { name: 'done', label: 'Done', sql: 'SELECT count(*) FROM todos WHERE done = 1' },
            { name: 'stored', label: 'Stored', sql: 'SELECT coalesce(sum(bytes), 0) FROM files', format: 'bytes' },
          ],
          appUrl: 'https://app.example.com/t/{name}',
        }),
      },
      { drizzle: 'drizzle' },
      'todo-saas',
    );
    const config = await loadSiloConfig({ cwd: root, env: {} });
    const fleet = await openFleet({ ...config.fleet, checkPermissionsOnOpen: false });
    open.push(fleet);
    expect(fleet.settings.dataDir).toBe(`${root}/data`);

    await fleet.create('acme', { jurisdiction: 'eu' });
    expect(fleet.require('acme')).toMatchObject({ region: 'eu-west', schemaVersion: 2 });
    await fleet.withInstance('acme', async (db) => {
      await db.execute("INSERT INTO todos (title, done) VALUES ('a', 0), ('b', 1), ('c', 1)");
      await db.execute('INSERT INTO files (bytes) VALUES (1000), (24)');
    });
    await fleet.refreshMetrics('acme');
    expect(fleet.require('acme').metrics).toEqual({ todos: 3, done: 2, stored: 1024 });
  });

  it('is what openFleet() opens with no options: the silo.config found from the working folder', async () => {
    const root = project({ 'silo.config.json': json({ schema: { migrations: './drizzle' }, regions: [{ id: 'eu-west', jurisdiction: 'eu' }], backups: { enabled: false } }) }, { drizzle: 'drizzle' }, 'no-args');
    const cwd = process.cwd();
    const configVariable = process.env['SILO_CONFIG'];
    delete process.env['SILO_CONFIG'];
    process.chdir(`${root}/drizzle`);
    try {
      const fleet = await openFleet();
      open.push(fleet);
      expect(fleet.settings.dataDir).toBe(`${root}/data`);
      expect(fleet.schema).toMatchObject({ id: 'no-args', latestVersion: 2 });
      await fleet.create('acme', { jurisdiction: 'eu' });
      expect(fleet.require('acme').schemaVersion).toBe(2);
    } finally {
      process.chdir(cwd);
      if (configVariable !== undefined) process.env['SILO_CONFIG'] = configVariable;
    }
  });
});
