import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { appUrlFor, defineConfig, findConfigFile, loadSiloConfig, type SiloError } from '../src/index';
import { loadMigrationsFolder, metricsSqlOf, parseSiloConfig } from '../src/internal';
import { FIXTURES, json, project } from './app-config-helpers';

const NO_ENV: NodeJS.ProcessEnv = {};

/** The SiloError a call throws (sync or async), for checking its code and message. */
async function failure(work: () => unknown): Promise<SiloError> {
  try {
    await work();
  } catch (error) {
    return error as SiloError;
  }
  throw new Error('expected an error');
}

describe('migrations folder', () => {
  it('reads wrangler D1 migrations numbered from 0001 as versions 1..N', () => {
    const migrations = loadMigrationsFolder(path.join(FIXTURES, 'd1'));
    expect(migrations.map((m) => [m.version, m.name])).toEqual([
      [1, '0001_create_notes'],
      [2, '0002_pin_notes'],
    ]);
    expect(migrations[1]?.sql).toContain('ALTER TABLE notes ADD COLUMN pinned');
  });

  it('reads drizzle-kit output numbered from 0000, skipping meta/ and keeping breakpoints as comments', () => {
    const migrations = loadMigrationsFolder(path.join(FIXTURES, 'drizzle'));
    expect(migrations.map((m) => [m.version, m.name])).toEqual([
      [1, '0000_first_todos'],
      [2, '0001_add_files'],
    ]);
    expect(migrations[0]?.sql).toContain('--> statement-breakpoint');
  });

  it('orders by number, not by name, and ignores files that are not .sql', () => {
    const files = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`m/${i + 1}_step.sql`, `SELECT ${i + 1};`]));
    const root = project({ ...files, 'm/README.md': '# notes', 'm/.gitkeep': '' });
    const migrations = loadMigrationsFolder(path.join(root, 'm'));
    expect(migrations.map((m) => m.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(migrations[9]).toEqual({ version: 10, name: '10_step', sql: 'SELECT 10;' });
  });

  it.each([
    ['a gap', { '0001_a.sql': 'SELECT 1;', '0003_c.sql': 'SELECT 3;' }, /numbering jumps from 0001_a\.sql to 0003_c\.sql/],
    ['a duplicate number', { '0001_a.sql': 'SELECT 1;', '0001_b.sql': 'SELECT 2;' }, /0001_a\.sql and 0001_b\.sql have the same number 1/],
    ['a name without a number', { '0001_a.sql': 'SELECT 1;', 'schema.sql': 'SELECT 2;' }, /"schema\.sql" does not look like NNNN_name\.sql/],
    ['a late start', { '0002_b.sql': 'SELECT 2;' }, /the first migration is 0002_b\.sql/],
    ['a migration folder', { '0001_a.sql': 'SELECT 1;', '20260101000000_b/migration.sql': 'SELECT 2;' }, /"20260101000000_b" is a folder/],
    ['an empty migration', { '0001_a.sql': '  \n' }, /has no SQL/],
  ])('refuses %s, naming the files', async (_case, files, message) => {
    const root = project(Object.fromEntries(Object.entries(files).map(([file, sql]) => [`migrations/${file}`, sql])));
    const error = await failure(() => loadSiloConfig({ cwd: root, env: NO_ENV, path: writeConfig(root) }));
    expect(error.code).toBe('SCHEMA_INVALID');
    expect(error.message).toMatch(message);
  });

  it('refuses a missing or empty folder with what to do', async () => {
    const missing = await failure(() => loadMigrationsFolder('/nonexistent/migrations'));
    expect(missing.message).toMatch(/Migrations folder \/nonexistent\/migrations: it cannot be read \(ENOENT\)/);
    const root = project({ 'migrations/README.md': 'none yet' });
    const empty = await failure(() => loadMigrationsFolder(path.join(root, 'migrations')));
    expect(empty.message).toMatch(/holds no NNNN_name\.sql migrations.*0001_create\.sql/);
  });
});

/** A JSON config next to `root`'s migrations folder. */
function writeConfig(root: string): string {
  return path.join(project({ 'silo.config.json': json({ schema: { migrations: path.join(root, 'migrations') } }) }), 'silo.config.json');
}

describe('metrics', () => {
  it('become one statement of scalar subqueries named after the metrics', () => {
    expect(metricsSqlOf([])).toBeUndefined();
    expect(
      metricsSqlOf([
        { name: 'todos', sql: 'SELECT count(*) FROM todos' },
        { name: 'done', sql: 'SELECT count(*) FROM todos WHERE done = 1' },
      ]),
    ).toBe('SELECT (SELECT count(*) FROM todos) AS "todos", (SELECT count(*) FROM todos WHERE done = 1) AS "done"');
  });

  it('keep their labels and formats for the admin, trimming a final semicolon', () => {
    const config = parseSiloConfig(
      { schema: { migrations: './m' }, metrics: [{ name: 'bytes_stored', label: 'Storage', sql: 'SELECT sum(bytes) FROM files;', format: 'bytes' }, { name: 'todos', label: 'TODOs', sql: 'SELECT 1' }] },
      'silo.config.json',
    );
    expect(config.metrics).toEqual([
      { name: 'bytes_stored', label: 'Storage', sql: 'SELECT sum(bytes) FROM files', format: 'bytes' },
      { name: 'todos', label: 'TODOs', sql: 'SELECT 1', format: 'count' },
    ]);
  });

  it.each([
    ['a name that is not an identifier', { name: 'open todos', label: 'x', sql: 'SELECT 1' }, /metrics\.0\.name: a metric name is 1–63 chars/],
    ['a name with quotes', { name: 'a"b', label: 'x', sql: 'SELECT 1' }, /metrics\.0\.name/],
    ['two statements', { name: 'a', label: 'x', sql: 'SELECT 1; DROP TABLE todos' }, /metrics\.0\.sql: one SELECT returning one value/],
    ['a statement that is not a query', { name: 'a', label: 'x', sql: 'DELETE FROM todos' }, /metrics\.0\.sql: must start with SELECT/],
    ['no label', { name: 'a', label: ' ', sql: 'SELECT 1' }, /metrics\.0\.label: a metric needs a label/],
  ])('refuse %s', (_case, metric, message) => {
    expect(() => parseSiloConfig({ schema: { migrations: './m' }, metrics: [metric] }, '/p/silo.config.json')).toThrow(message);
  });

  it('refuse the same name twice', () => {
    const metric = { name: 'todos', label: 'TODOs', sql: 'SELECT 1' };
    expect(() => parseSiloConfig({ schema: { migrations: './m' }, metrics: [metric, metric] }, 'f')).toThrow(/metrics\.1\.name: metric "todos" is defined twice/);
  });

  it('are checked against the migrated schema when the config loads', async () => {
    const root = project(
      { 'silo.config.json': json({ schema: { migrations: './drizzle' }, metrics: [{ name: 'todos', label: 'TODOs', sql: 'SELECT count(*) FROM todo' }] }) },
      { drizzle: 'drizzle' },
    );
    const error = await failure(() => loadSiloConfig({ cwd: root, env: NO_ENV }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toBe(`${path.join(root, 'silo.config.json')}: metrics.0.sql ("todos"): no such table: todo`);
  });
});

describe('app URL', () => {
  it('fills in the encoded instance name', () => {
    expect(appUrlFor('https://app.example.com/t/{name}', 'acme')).toBe('https://app.example.com/t/acme');
    expect(appUrlFor('https://{name}.example.com/', 'a/b?c')).toBe('https://a%2Fb%3Fc.example.com/');
  });

  it.each([
    ['https://app.example.com/t/', /appUrl: must contain \{name\}/],
    ['app.example.com/t/{name}', /appUrl: must be an absolute http:\/\/ or https:\/\/ URL/],
    ['javascript:alert({name})', /appUrl: must be an absolute http/],
  ])('refuses %s', (appUrl, message) => {
    expect(() => parseSiloConfig({ schema: { migrations: './m' }, appUrl }, 'f')).toThrow(message);
  });
});

describe('config validation', () => {
  it('refuses unknown keys, at the top and inside settings, naming the file', () => {
    expect(() => parseSiloConfig({ schema: { migrations: './m' }, metric: [] }, '/p/silo.config.ts')).toThrow('/p/silo.config.ts: unknown key "metric"');
    expect(() => parseSiloConfig({ schema: { migrations: './m' }, regions: [{ id: 'eu-west', jurisdiction: 'eu', datadir: 'x' }] }, 'f')).toThrow('unknown key "regions.0.datadir"');
    expect(() => parseSiloConfig({ schema: { migrations: './m' }, backups: { intervalSec: 5 } }, 'f')).toThrow('unknown key "backups.intervalSec"');
    expect(() => parseSiloConfig({ schema: { migrations: './m', idd: 'x' } }, 'f')).toThrow('unknown key "schema.idd"');
  });

  it("reuses the fleet's own rules for settings", () => {
    expect(() => parseSiloConfig({ schema: { migrations: './m' }, regions: [{ id: 'EU', jurisdiction: 'eu' }] }, 'f')).toThrow(/regions\.0\.id: region ids are 2–32 chars/);
    expect(() => parseSiloConfig({ schema: { migrations: './m' }, engine: 'postgres' }, 'f')).toThrow(/engine: /);
    expect(() => parseSiloConfig({ schema: { migrations: './m' }, queryWorkers: 0 }, 'f')).toThrow(/queryWorkers: /);
  });

  it('requires a schema and an object', () => {
    expect(() => parseSiloConfig({}, 'f')).toThrow(/schema: the tenant schema is required/);
    expect(() => parseSiloConfig([], 'f')).toThrow(/the config must be an object.*got an array/);
  });

  it('defineConfig returns its input and throws on a bad one', () => {
    const config = { schema: { migrations: './migrations' }, appUrl: 'https://app.example.com/t/{name}' };
    expect(defineConfig(config)).toBe(config);
    // Every kind of key a founder writes, type-checked as written inline.
    const full = defineConfig({
      schema: { migrations: './drizzle', id: 'notes', uploadCleanup: ['DELETE FROM sessions'] },
      regions: [{ id: 'eu-west', jurisdiction: 'eu' }],
      metrics: [{ name: 'notes', label: 'Notes', sql: 'SELECT count(*) FROM notes', format: 'count' }],
      engine: 'turso',
      turso: { org: 'acme', groups: { eu: 'acme-eu' } },
      backups: { locations: { 'eu-west': { kind: 'folder', path: '/srv/backups/eu' } } },
      appUrl: 'https://app.example.com/t/{name}',
    });
    expect(full.engine).toBe('turso');
    expect(() => defineConfig({ schema: { migrations: './migrations' }, appUrl: 'https://app.example.com/' })).toThrow(/silo\.config: appUrl: must contain/);
  });
});

describe('discovery', () => {
  it('finds the config in the folder or any folder above', () => {
    const root = project({ 'silo.config.json': json({ schema: { migrations: './migrations' } }), 'src/routes/.keep': '' });
    expect(findConfigFile({ cwd: path.join(root, 'src', 'routes'), env: NO_ENV })).toEqual({ path: path.join(root, 'silo.config.json'), via: 'search' });
    expect(findConfigFile({ cwd: root, env: NO_ENV })?.path).toBe(path.join(root, 'silo.config.json'));
  });

  it('prefers --config, then SILO_CONFIG, resolved against cwd', () => {
    const root = project({ 'silo.config.json': '{}', 'other/app.config.mjs': 'export default {};', 'env.config.json': '{}' });
    expect(findConfigFile({ cwd: root, env: { SILO_CONFIG: 'env.config.json' }, path: 'other/app.config.mjs' })).toEqual({ path: path.join(root, 'other/app.config.mjs'), via: 'option' });
    expect(findConfigFile({ cwd: root, env: { SILO_CONFIG: 'env.config.json' } })).toEqual({ path: path.join(root, 'env.config.json'), via: 'env' });
  });

  it('refuses a named file that is missing or not a config', async () => {
    const root = project({ 'silo.config.yaml': 'schema: x' });
    expect(() => findConfigFile({ cwd: root, env: NO_ENV, path: 'nope.json' })).toThrow(`--config names ${path.join(root, 'nope.json')}, which does not exist.`);
    expect(() => findConfigFile({ cwd: root, env: { SILO_CONFIG: 'silo.config.yaml' } })).toThrow(/SILO_CONFIG names .*silo\.config\.yaml; a config file ends in \.ts, \.mts, \.mjs, \.js, \.json/);
  });

  it('refuses two config files in one folder', () => {
    const root = project({ 'silo.config.ts': 'export default {};', 'silo.config.json': '{}' });
    expect(() => findConfigFile({ cwd: root, env: NO_ENV })).toThrow(/holds silo\.config\.ts and silo\.config\.json; keep one/);
  });

  it('says where it looked and what to create when there is none', async () => {
    const root = project({});
    expect(findConfigFile({ cwd: root, env: NO_ENV })).toBeUndefined();
    const error = await failure(() => loadSiloConfig({ cwd: root, env: NO_ENV }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain(`No silo.config.ts (or .mts, .mjs, .js, .json) in ${root} or any folder above it up to /.`);
    expect(error.message).toContain("export default defineConfig({ schema: { migrations: './migrations' } });");
  });
});

describe('loading', () => {
  it('loads a JSON config: schema from the folder, id from the project folder, paths from the file', async () => {
    const root = project({ 'silo.config.json': json({ schema: { migrations: './migrations' }, appUrl: 'https://app.example.com/t/{name}' }) }, { migrations: 'd1' }, 'My SaaS_2');
    mkdirSync(path.join(root, 'deep', 'er'), { recursive: true });
    const loaded = await loadSiloConfig({ cwd: path.join(root, 'deep', 'er'), env: NO_ENV });
    expect(loaded.path).toBe(path.join(root, 'silo.config.json'));
    expect(loaded.fleet.schema.id).toBe('my-saas-2');
    expect(loaded.fleet.schema.latestVersion).toBe(2);
    expect(loaded.fleet.schema.metricsSql).toBeUndefined();
    expect(loaded.fleet.dataDir).toBe(path.join(root, 'data'));
    expect(loaded.appUrl).toBe('https://app.example.com/t/{name}');
    expect(loaded.metrics).toEqual([]);
  });

  it('loads a TypeScript config with its types', async () => {
    const root = project(
      {
        'silo.config.ts': `
          interface Metric { name: string; label: string; sql: string }
          const todos: Metric = { name: 'todos', label: 'TODOs', sql: 'SELECT count(*) FROM todos' };
          export default { schema: { migrations: './drizzle', id: 'todo-app' }, metrics: [todos], regions: [{ id: 'eu-west', jurisdiction: 'eu' }] } satisfies Record<string, unknown>;
        `,
      },
      { drizzle: 'drizzle' },
    );
    const loaded = await loadSiloConfig({ cwd: root, env: NO_ENV });
    expect(loaded.fleet.schema.id).toBe('todo-app');
    expect(loaded.fleet.schema.metricsSql).toBe('SELECT (SELECT count(*) FROM todos) AS "todos"');
    expect(loaded.fleet.regions).toEqual([{ id: 'eu-west', jurisdiction: 'eu' }]);
    expect(loaded.metrics.map((m) => m.label)).toEqual(['TODOs']);
  });

  it('takes the schema from a module, for JSON configs', async () => {
    const migrations = [{ version: 1, name: 'init', sql: 'CREATE TABLE t (x INTEGER);' }];
    const schemaModule = `export const appSchema = { id: 'mod', migrations: ${JSON.stringify(migrations)}, latestVersion: 1, fingerprint: 'abc' };`;
    const root = project({
      'schema.mjs': schemaModule,
      'silo.config.json': json({ schema: { module: './schema.mjs', export: 'appSchema' }, metrics: [{ name: 'rows', label: 'Rows', sql: 'SELECT count(*) FROM t' }] }),
    });
    const loaded = await loadSiloConfig({ cwd: root, env: NO_ENV });
    expect(loaded.fleet.schema.id).toBe('mod');
    expect(loaded.fleet.schema.metricsSql).toBe('SELECT (SELECT count(*) FROM t) AS "rows"');
    const wrongExport = project({ 'schema.mjs': schemaModule, 'silo.config.json': json({ schema: { module: './schema.mjs' } }) });
    expect((await failure(() => loadSiloConfig({ cwd: wrongExport, env: NO_ENV }))).message).toMatch(/has no tenant schema as its "default" export \(exports: appSchema\)/);
  });

  it('reports a JSON syntax error, a config that throws, and one without a default export', async () => {
    const broken = project({ 'silo.config.json': '{ "schema": { "migrations": "./m" }, }' });
    const syntax = await failure(() => loadSiloConfig({ cwd: broken, env: NO_ENV }));
    expect(syntax.code).toBe('CONFIG_INVALID');
    expect(syntax.message).toMatch(new RegExp(`^${escape(path.join(broken, 'silo.config.json'))} is not valid JSON: `));

    const throwing = project({ 'silo.config.mjs': "throw new Error('DATABASE_URL is not set');" });
    const thrown = await failure(() => loadSiloConfig({ cwd: throwing, env: NO_ENV }));
    expect(thrown.code).toBe('CONFIG_INVALID');
    expect(thrown.message).toBe(`${path.join(throwing, 'silo.config.mjs')} failed to load: DATABASE_URL is not set`);

    const named = project({ 'silo.config.mjs': "export const config = { schema: { migrations: './m' } };" });
    expect((await failure(() => loadSiloConfig({ cwd: named, env: NO_ENV }))).message).toMatch(/silo\.config\.mjs has no default export; end it with export default defineConfig/);
  });

  it("names the file when defineConfig's check fails inside it", async () => {
    const index = path.resolve(FIXTURES, '../../../src/index.ts');
    const root = project({ 'silo.config.ts': `import { defineConfig } from ${JSON.stringify(index)};\nexport default defineConfig({ schema: { migrations: './m' }, appUrl: 'https://x.example/' });` });
    const error = await failure(() => loadSiloConfig({ cwd: root, env: NO_ENV }));
    expect(error.message).toBe(`${path.join(root, 'silo.config.ts')}: appUrl: must contain {name}, where the instance name goes`);
  });
});

describe('environment over the file', () => {
  const file = {
    schema: { migrations: './migrations' },
    dataDir: './var/silo',
    regions: [{ id: 'eu-west', jurisdiction: 'eu' }],
    queryTimeoutMs: 2_000,
    backups: { intervalMs: 60_000, verifySample: 2 },
  };

  it('keeps the file where the environment is silent', async () => {
    const root = project({ 'silo.config.json': json(file) }, { migrations: 'd1' });
    const { fleet } = await loadSiloConfig({ cwd: root, env: NO_ENV });
    expect(fleet.dataDir).toBe(path.join(root, 'var', 'silo'));
    expect(fleet.regions).toEqual([{ id: 'eu-west', jurisdiction: 'eu' }]);
    expect(fleet.queryTimeoutMs).toBe(2_000);
    expect(fleet.backups).toMatchObject({ intervalMs: 60_000, verifySample: 2 });
  });

  it('overrides setting by setting', async () => {
    const root = project({ 'silo.config.json': json(file) }, { migrations: 'd1' });
    const env = { SILO_DATA_DIR: 'elsewhere', SILO_REGIONS: 'us-east=us', SILO_QUERY_TIMEOUT_MS: '9000', SILO_BACKUP_INTERVAL_SEC: '5' };
    const { fleet } = await loadSiloConfig({ cwd: root, env });
    expect(fleet.dataDir).toBe('elsewhere');
    expect(fleet.regions).toEqual([{ id: 'us-east', jurisdiction: 'us' }]);
    expect(fleet.queryTimeoutMs).toBe(9_000);
    expect(fleet.backups).toMatchObject({ intervalMs: 5_000, verifySample: 2 });
  });

  it('reports a bad variable or a bad combination, naming the file', async () => {
    const root = project({ 'silo.config.json': json({ ...file, engine: 'turso', turso: { org: 'acme', groups: { eu: 'acme-eu' } } }) }, { migrations: 'd1' });
    expect((await failure(() => loadSiloConfig({ cwd: root, env: { SILO_QUERY_TIMEOUT_MS: 'soon' } }))).message).toMatch(/SILO_QUERY_TIMEOUT_MS must be an integer/);
    const noToken = await failure(() => loadSiloConfig({ cwd: root, env: NO_ENV }));
    expect(noToken.code).toBe('CONFIG_INVALID');
    expect(noToken.message).toMatch(/silo\.config\.json \(with the environment's SILO_\* variables\): .*turso\.apiToken: a Turso Platform API token is required/);
    const withToken = await loadSiloConfig({ cwd: root, env: { SILO_TURSO_API_TOKEN: 'secret' } });
    expect(withToken.fleet.engineKind).toBe('turso');
    expect(withToken.fleet.turso).toMatchObject({ org: 'acme', apiToken: 'secret', groups: { eu: 'acme-eu' } });
    const local = await loadSiloConfig({ cwd: root, env: { SILO_ENGINE: 'local' } });
    expect(local.fleet.engineKind).toBe('local');
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
