/**
 * How `silo` finds the app's config (issue #14): the nearest silo.config.* from the working
 * folder up, SILO_CONFIG over that, --config over both; a clear error when there is none;
 * SILO_* variables over the file's settings and --data-dir over everything.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { json, silo, tempDir } from './helpers';

interface Listed {
  readonly items: readonly { readonly name: string }[];
}

/** A project folder whose one table is `table`, with its config and (empty) data beside it. */
function project(root: string, name: string, table: string, extra: Record<string, unknown> = {}): string {
  const dir = path.join(root, name);
  mkdirSync(path.join(dir, 'migrations'), { recursive: true });
  mkdirSync(path.join(dir, 'src', 'deep'), { recursive: true });
  writeFileSync(path.join(dir, 'migrations', '0001_init.sql'), `CREATE TABLE ${table} (id INTEGER PRIMARY KEY, body TEXT);\n`);
  writeFileSync(
    path.join(dir, 'silo.config.ts'),
    `export default ${JSON.stringify({ schema: { migrations: './migrations' }, metrics: [{ name: 'rows', label: 'Rows', sql: `SELECT count(*) FROM ${table}` }], ...extra }, null, 2)};\n`,
  );
  return dir;
}

describe('silo finds silo.config.ts', () => {
  const temp = tempDir('silo-cli-config-');
  afterAll(temp.cleanup);
  const notes = project(temp.dir, 'notes-app', 'notes');
  const tasks = project(temp.dir, 'tasks-app', 'tasks', { dataDir: './file-data' });
  // The search's own tests: no SILO_CONFIG, no SILO_DATA_DIR (the file's dataDir applies).
  const bare = { SILO_CONFIG: '', SILO_DATA_DIR: '' };

  it('from a subfolder of the project, with the data beside the config', async () => {
    const created = await silo(temp.dir, ['create', 'acme', '--jurisdiction', 'eu'], { cwd: path.join(notes, 'src', 'deep'), env: bare });
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(existsSync(path.join(notes, 'data', 'catalog.db'))).toBe(true);
    const query = await silo(temp.dir, ['query', 'acme', 'SELECT count(*) AS n FROM notes', '--json'], { cwd: notes, env: bare });
    expect(query.code).toBe(0);
  });

  it('silo demo in another app’s fleet creates nothing and says why; its hints are the TODO app’s only', async () => {
    const other = project(temp.dir, 'other-app', 'projects');
    const demo = await silo(temp.dir, ['demo'], { cwd: other, env: bare });
    expect(demo.code).toBe(1);
    expect(demo.stderr).toContain('silo demo makes sample lists of the TODO app (schema "todos")');
    expect(demo.stderr).toContain('nothing was created');
    const empty = await silo(temp.dir, ['instances', 'list'], { cwd: other, env: bare });
    expect(empty.stdout).toContain('No instances yet. Create one with `silo create <name> --jurisdiction eu`.');
    expect(empty.stdout).not.toContain('silo demo');
    const listed = await silo(temp.dir, ['instances', 'list', '--all', '--json'], { cwd: other, env: bare });
    expect((JSON.parse(listed.stdout) as Listed).items).toEqual([]);
  });

  it('SILO_CONFIG wins over the search, and --config over SILO_CONFIG', async () => {
    const viaEnv = await silo(temp.dir, ['create', 'beta', '--jurisdiction', 'eu'], { cwd: notes, env: { ...bare, SILO_CONFIG: path.join(tasks, 'silo.config.ts') } });
    expect(viaEnv.code).toBe(0);
    expect(existsSync(path.join(tasks, 'file-data', 'catalog.db'))).toBe(true);
    const inTasks = (args: string[], env: Record<string, string>) => silo(temp.dir, args, { cwd: notes, env: { ...bare, ...env } });
    expect((await inTasks(['query', 'beta', 'SELECT count(*) FROM tasks'], { SILO_CONFIG: path.join(tasks, 'silo.config.ts') })).code).toBe(0);

    const viaOption = await silo(temp.dir, ['--config', '../tasks-app/silo.config.ts', 'instances', 'list', '--json'], {
      cwd: notes,
      env: { ...bare, SILO_CONFIG: path.join(notes, 'silo.config.ts') },
    });
    expect(viaOption.code).toBe(0);
    expect(json<Listed>(viaOption).items.map((item) => item.name)).toEqual(['beta']);
  });

  it('fails with where it looked and how to create one when there is no config', async () => {
    const empty = path.join(temp.dir, 'empty');
    mkdirSync(empty, { recursive: true });
    const run = await silo(empty, ['instances', 'list'], { cwd: empty, env: bare });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`No silo.config.ts (or .mts, .mjs, .js, .json) in ${empty} or any folder above it`);
    expect(run.stderr).toContain("export default defineConfig({ schema: { migrations: './migrations' } });");
    expect(run.stderr).toContain('--config <file> or SILO_CONFIG=<file>');
    expect(run.stderr).not.toMatch(/\n\s+at /);

    const missing = await silo(empty, ['--config', 'nope.ts', 'instances', 'list'], { cwd: empty, env: bare });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`--config names ${path.join(empty, 'nope.ts')}, which does not exist`);
  });

  it('lets SILO_* variables override the file, and --data-dir override both', async () => {
    const envData = path.join(temp.dir, 'env-data');
    const fromEnv = await silo(temp.dir, ['create', 'gamma', '--jurisdiction', 'eu'], { cwd: tasks, env: { ...bare, SILO_DATA_DIR: envData } });
    expect(fromEnv.code).toBe(0);
    expect(existsSync(path.join(envData, 'catalog.db'))).toBe(true);
    const fileList = json<Listed>(await silo(temp.dir, ['instances', 'list', '--json'], { cwd: tasks, env: bare }));
    expect(fileList.items.map((item) => item.name)).toEqual(['beta']);

    const optionData = path.join(temp.dir, 'option-data');
    mkdirSync(optionData);
    const fromOption = await silo(temp.dir, ['--data-dir', optionData, 'instances', 'list', '--json'], { cwd: tasks, env: { ...bare, SILO_DATA_DIR: envData } });
    expect(json<Listed>(fromOption).items).toEqual([]);
    expect(existsSync(path.join(optionData, 'catalog.db'))).toBe(true);

    // A bad variable is reported as without a file, naming the variable.
    const badRegions = await silo(temp.dir, ['instances', 'list'], { cwd: tasks, env: { ...bare, SILO_REGIONS: 'nonsense' } });
    expect(badRegions.code).toBe(1);
    expect(badRegions.stderr).toContain('SILO_REGIONS');
  });
});
