import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as api from '../src/index';
import * as internal from '../src/internal';

/**
 * The main entry is the semver-covered surface. Adding a name here is a decision (it must be
 * kept working for apps); engines, stores and helpers for Silo's own tools belong in
 * `@silo/fleet/internal`.
 */
const PUBLIC_VALUES = [
  'API_TOKEN_SCOPES',
  'DEFAULT_REGIONS',
  'DISPLAY_NAME_MAX_LENGTH',
  'Fleet',
  'NAME_MAX_LENGTH',
  'NAME_MIN_LENGTH',
  'NAME_PATTERN',
  'RESERVED_NAMES',
  'SORT_KEYS',
  'SiloError',
  'appUrlFor',
  'defineConfig',
  'defineTenantSchema',
  'findConfigFile',
  'formatBytes',
  'isSiloError',
  'loadSiloConfig',
  'openFleet',
  'resolveSettings',
  'settingsFromEnv',
  'validateDisplayName',
  'validateName',
];

describe('the public entry of @silo/fleet', () => {
  it('exports exactly the pinned values', () => {
    expect(Object.keys(api).sort()).toEqual([...PUBLIC_VALUES].sort());
  });

  it('lists its exports by name, so a type or value cannot arrive unnoticed through export *', () => {
    expect(readFileSync(new URL('../src/index.ts', import.meta.url), 'utf8')).not.toMatch(/export \*/);
  });

  it('leaves the engines, backup stores and tool helpers to @silo/fleet/internal', () => {
    for (const name of ['LocalEngine', 'RoutingEngine', 'TursoEngine', 'Backups', 'FolderStore', 'S3Store', 'recoverCatalog', 'pushCatalog']) {
      expect(api).not.toHaveProperty(name);
      expect(internal).toHaveProperty(name);
    }
  });

  it('keeps the two entries apart: nothing is both public and internal', () => {
    expect(Object.keys(internal).filter((name) => name in api)).toEqual([]);
  });
});
