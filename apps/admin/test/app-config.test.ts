/**
 * The admin is generic (issue #14): another app's silo.config.ts, with its own migrations and
 * metrics, gives the admin its columns, labels, sort keys, figures, links and starting queries.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSiloConfig, openFleet } from '@silo/fleet';
import { formatBytes } from '@silo/fleet/format';
import { removeDir, rowNames, signedInAdmin, tempDataDir, text, type AdminServer, type Client } from './helpers';

const PASSWORD = 'correct-horse-battery-staple';

/** A notes app: its own folder, migrations and metrics, nothing of the TODO app. */
function notesProject(root: string): string {
  mkdirSync(path.join(root, 'migrations'), { recursive: true });
  writeFileSync(path.join(root, 'migrations', '0001_notes.sql'), 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);\n');
  writeFileSync(path.join(root, 'migrations', '0002_tags.sql'), 'CREATE TABLE tags (note_id INTEGER NOT NULL, tag TEXT NOT NULL);\n');
  const config = {
    schema: { migrations: './migrations' },
    metrics: [
      { name: 'notes', label: 'Notes', sql: 'SELECT count(*) FROM notes' },
      { name: 'body_bytes', label: 'Text size', sql: 'SELECT coalesce(sum(length(body)), 0) FROM notes', format: 'bytes' },
    ],
    appUrl: 'https://notes.example.com/w/{name}',
  };
  const file = path.join(root, 'silo.config.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

describe('admin with another app\'s silo.config', () => {
  let server: AdminServer;
  let root: string;
  let dataDir: string;
  let admin: Client;

  beforeAll(async () => {
    root = tempDataDir();
    dataDir = path.join(root, 'fleet');
    const configFile = notesProject(path.join(root, 'notes-app'));
    const config = await loadSiloConfig({ path: configFile, env: { SILO_DATA_DIR: dataDir } });
    const fleet = await openFleet({ ...config.fleet, actor: 'seed' });
    for (const [name, notes] of [['alpha', 1], ['beta', 3], ['gamma', 2]] as const) {
      await fleet.create(name, { jurisdiction: 'eu', actor: 'seed' });
      for (let n = 0; n < notes; n++) await fleet.query(name, "INSERT INTO notes (body) VALUES (printf('%.1000c', 'x'))", undefined, { readOnly: false });
      fleet.touch(name, { notes, body_bytes: notes * 1000 });
    }
    await fleet.flushActivity();
    await fleet.close();

    ({ server, admin } = await signedInAdmin({ dataDir, password: PASSWORD, env: { SILO_CONFIG: configFile } }));
  });

  afterAll(async () => {
    await server?.stop();
    if (root) removeDir(root);
  });

  it('shows the configured metric columns with their labels and formats, and links to the configured app', async () => {
    const html = await (await admin.get('/')).text();
    const page = text(html);
    expect(page).toContain('Notes');
    expect(page).toContain('Text size');
    expect(page).not.toContain('TODOs');
    expect(page).toContain(formatBytes(3000));
    expect(html).toContain('href="https://notes.example.com/w/beta"');
    expect(html).not.toContain('/t/beta');
  });

  it('sorts by a configured metric, and ignores a metric the config does not have', async () => {
    expect(rowNames(await (await admin.get('/?sort=metric:notes&order=desc')).text())).toEqual(['beta', 'gamma', 'alpha']);
    expect(rowNames(await (await admin.get('/?sort=metric:body_bytes&order=asc')).text())).toEqual(['alpha', 'gamma', 'beta']);
    // Not configured here: the list falls back to sorting by name, in the order asked.
    expect(rowNames(await (await admin.get('/?sort=metric:todos&order=desc')).text())).toEqual(['gamma', 'beta', 'alpha']);
  });

  it('shows the metrics as the instance\'s figures, with a link to the app', async () => {
    const html = await (await admin.get('/instances/beta')).text();
    expect(html).toMatch(/<dt>Notes<\/dt><dd data-metric="notes">3<\/dd>/);
    expect(html).toContain(`<dd data-metric="body_bytes">${formatBytes(3000)}</dd>`);
    expect(html).toContain('href="https://notes.example.com/w/beta"');
    expect(text(html)).not.toContain('TODO');
  });

  it('starts the console on the schema\'s first table and the fleet query on the metrics\' SQL', async () => {
    const consoleHtml = text(await (await admin.get('/instances/beta/console')).text());
    expect(consoleHtml).toContain('SELECT * FROM "notes" LIMIT 50');
    const query = text(await (await admin.get('/query')).text());
    expect(query).toContain('AS "notes"');
    expect(query).not.toContain('todos');
  });
});
