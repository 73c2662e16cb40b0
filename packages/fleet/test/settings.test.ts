import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { settingsFromEnv } from '../src/index';
import {
  SETTINGS,
  SETTING_NAMES,
  TURSO_ENV,
  assertSettings,
  checkSettings,
  cliEnvironmentHelp,
  readSetting,
  settingSchema,
  settingsGroupsIn,
  withSettingsTables,
} from '../src/internal';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');

/** Variables read from the environment that are not settings: the platform's, or test hooks. */
// The terminal's and the system's own variables (COLUMNS: the terminal's width, as TERM its kind), not Silo's settings.
const NOT_SETTINGS = new Set(['NODE_ENV', 'NO_COLOR', 'TERM', 'COLUMNS', 'USER', 'LOGNAME', 'USERNAME', 'SILO_FAILPOINT']);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.(ts|tsx|mjs)$/.test(entry.name) && !entry.parentPath.includes('node_modules') && !entry.parentPath.includes('/build'))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

describe('the settings table', () => {
  it('is what the README lists: `npm run docs:settings` regenerates the tables, and they are not stale', () => {
    expect(settingsGroupsIn(readme).sort()).toEqual(['apps', 'backups', 'catalog', 'fleet', 'turso']);
    // Stale: a setting was added or changed in packages/fleet/src/settings/table.ts without `npm run docs:settings`.
    expect(withSettingsTables(readme)).toBe(readme);
    for (const name of SETTING_NAMES) expect(readme).toContain(`| \`${name}\` |`);
  });

  it('names every variable the code reads (a new one goes into the table first)', () => {
    const files = [
      ...['fleet', 'cli', 'web', 'server', 'react-router'].flatMap((pkg) => sources(path.join(root, 'packages', pkg, 'src'))),
      ...['todos', 'admin'].flatMap((app) => [...sources(path.join(root, 'apps', app, 'app')), path.join(root, 'apps', app, 'server.ts')]),
      path.join(root, 'scripts', 'start.mjs'),
    ];
    const read = new Set<string>(Object.keys(TURSO_ENV));
    const pattern = /(?:env\[|readSetting\([^,()]+,\s*|settingSchema\()['"]([A-Z][A-Z0-9_]+)['"]/g;
    for (const file of files) for (const match of readFileSync(file, 'utf8').matchAll(pattern)) read.add(match[1] ?? '');
    const missing = [...read].filter((name) => !NOT_SETTINGS.has(name) && !(name in SETTINGS));
    expect(missing).toEqual([]);
  });

  it('gives `silo --help` every setting the CLI reads, the Turso and catalog ones included', () => {
    const help = cliEnvironmentHelp();
    for (const name of SETTING_NAMES) {
      const setting = SETTINGS[name];
      if (setting.group !== 'apps' || ('cli' in setting && setting.cli)) expect(help).toContain(`  ${name} `);
    }
    expect(help).toContain('SILO_TURSO_ORG');
    expect(help).not.toContain('SILO_TODOS_PAGE_SIZE');
  });
});

describe('start-up validation from the table', () => {
  it('says one line naming the variable and the rule', () => {
    expect(() => assertSettings({ SILO_QUERY_WORKERS: 'many' }, ['fleet'])).toThrow(
      /^Invalid setting: SILO_QUERY_WORKERS must be an integer from 1 to 64; got "many"$/,
    );
    expect(() => assertSettings({ PORT: '70000', SILO_COOKIE_SECURE: 'yes' }, ['apps'])).toThrow(
      /^Invalid settings: PORT must be an integer from 0 to 65535; got "70000"; SILO_COOKIE_SECURE must be one of "auto", "true", "false"; got "yes"$/,
    );
    const error = (() => {
      try {
        assertSettings({ SILO_BACKUPS: 'maybe' }, ['backups']);
      } catch (thrown) {
        return thrown as Error;
      }
      return undefined;
    })();
    expect(error?.message.split('\n')).toHaveLength(1);
  });

  it('never echoes a secret', () => {
    const problems = checkSettings({ SILO_SECRET: 'short-secret-value', ADMIN_PASSWORD: '' }, ['apps']);
    expect(problems).toEqual([{ name: 'SILO_SECRET', message: 'SILO_SECRET must be at least 32 characters' }]);
  });

  it('treats an empty value as unset and checks only the groups asked for', () => {
    expect(checkSettings({ PORT: '', HOST: '  ' }, ['apps'])).toEqual([]);
    expect(checkSettings({ PORT: 'x' }, ['fleet'])).toEqual([]);
    expect(checkSettings({ PORT: 'x' }, ['PORT'])).toHaveLength(1);
  });

  it('gives the apps typed values with the table defaults', () => {
    expect(settingSchema('PORT').parse(undefined)).toBe(3000);
    expect(settingSchema('PORT').parse(' 4400 ')).toBe(4400);
    expect(settingSchema('ADMIN_PASSWORD').parse('')).toBeUndefined();
    expect(settingSchema('SILO_TURSO_TLS').parse('off')).toBe(false);
    expect(settingSchema('SILO_TODOS_PAGE_SIZE').safeParse('2').error?.issues[0]?.message).toBe(
      'SILO_TODOS_PAGE_SIZE must be an integer from 5 to 1000; got "2"',
    );
    expect(readSetting({ SILO_INSTANCE_MAX_BYTES: '0' }, 'SILO_INSTANCE_MAX_BYTES')).toBe(0);
    expect(() => readSetting({ SILO_INSTANCE_MAX_BYTES: '100' }, 'SILO_INSTANCE_MAX_BYTES')).toThrow(/0 \(no cap\) or ≥ 65536/);
  });

  it('is what the fleet reads its variables with', () => {
    expect(() => settingsFromEnv({ SILO_HANDLE_CAP: '0' })).toThrow(/SILO_HANDLE_CAP must be an integer from 1 to 10000; got "0"/);
    expect(() => settingsFromEnv({ SILO_BACKUP_CONCURRENCY: '65' })).toThrow(/SILO_BACKUP_CONCURRENCY must be an integer from 1 to 64/);
    expect(settingsFromEnv({ SILO_QUERY_WORKERS: '3', SILO_BACKUP_INTERVAL_SEC: '2.5', SILO_BACKUPS: 'off' })).toMatchObject({
      queryWorkers: 3,
      backups: { intervalMs: 2_500, enabled: false },
    });
    // The Turso variables are checked only when the Turso engine is chosen, as before.
    expect(() => settingsFromEnv({ SILO_TURSO_TLS: 'maybe' })).not.toThrow();
  });
});
