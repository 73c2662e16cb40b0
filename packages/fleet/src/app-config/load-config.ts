import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { resolveSettings, type FleetSettingsInput } from '../config';
import { errorMessage, isSiloError, SiloError } from '../errors';
import type { TenantSchema } from '../schema';
import { parseSiloConfig } from './define-config';
import { configNotFoundMessage, findConfigFile, type ConfigSearchOptions } from './discovery';
import { withEnvironment } from './environment';
import type { MetricDefinition } from './metrics';
import { resolveTenantSchema } from './tenant-schema-source';

/** What the CLI, the apps and the admin take from the app's config file. */
export interface LoadedSiloConfig {
  /** The config file it came from. */
  readonly path: string;
  /** Everything `openFleet` needs: `openFleet({ ...config.fleet, actor })`. */
  readonly fleet: FleetSettingsInput & { readonly schema: TenantSchema };
  /** The admin's metric columns, in the file's order; `fleet.schema.metricsSql` computes them. */
  readonly metrics: readonly MetricDefinition[];
  /** The template of the admin's "open" links (`appUrlFor`); undefined when not configured. */
  readonly appUrl: string | undefined;
}

/**
 * Finds (see `findConfigFile`), imports and validates the app's config file, reads its tenant
 * schema, and lays the environment over its settings. Every error is a SiloError naming the
 * file: CONFIG_INVALID for the file and the environment, SCHEMA_INVALID for migrations.
 */
export async function loadSiloConfig(options: ConfigSearchOptions = {}): Promise<LoadedSiloConfig> {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const env = options.env ?? process.env;
  const found = findConfigFile({ ...options, cwd, env });
  if (!found) throw new SiloError('CONFIG_INVALID', configNotFoundMessage(cwd), { details: { cwd } });
  const file = found.path;
  const config = parseSiloConfig(await readConfigFile(file), file);
  const baseDir = path.dirname(file);
  const schema = await resolveTenantSchema(config.schema, { baseDir, source: file, metrics: config.metrics });
  const settings = withEnvironment(config.settings, env, baseDir);
  try {
    // Fails now, naming the file, rather than when a command first opens the fleet.
    resolveSettings(settings);
  } catch (error) {
    if (!isSiloError(error, 'CONFIG_INVALID')) throw error;
    throw new SiloError('CONFIG_INVALID', `${file} (with the environment's SILO_* variables): ${error.message}`, { cause: error });
  }
  return { path: file, fleet: { ...settings, schema }, metrics: config.metrics, appUrl: config.appUrl };
}

/** The file's default export (`.ts`/`.mts`/`.mjs`/`.js`) or its parsed JSON. */
async function readConfigFile(file: string): Promise<unknown> {
  if (path.extname(file) === '.json') {
    const text = await readFile(file, 'utf8');
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new SiloError('CONFIG_INVALID', `${file} is not valid JSON: ${errorMessage(error)}`, { cause: error });
    }
  }
  let loaded: { default?: unknown };
  try {
    // Node ≥ 22.18 strips TypeScript types itself, so a .ts config needs no loader.
    loaded = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (error) {
    // defineConfig's own check ran inside the file and could not know its name.
    const problems = isSiloError(error, 'CONFIG_INVALID') ? error.details.problems : undefined;
    if (typeof problems === 'string') throw new SiloError('CONFIG_INVALID', `${file}: ${problems}`, { cause: error });
    throw new SiloError('CONFIG_INVALID', `${file} failed to load: ${errorMessage(error)}`, { cause: error });
  }
  if (loaded.default === undefined) {
    throw new SiloError('CONFIG_INVALID', `${file} has no default export; end it with export default defineConfig({ ... }).`);
  }
  return loaded.default;
}
