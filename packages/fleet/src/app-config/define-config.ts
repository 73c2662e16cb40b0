import { z } from 'zod';
import { backupSettingsSchema } from '../backups/backup-config';
import { catalogSettingsSchema } from '../catalog/catalog-config';
import { settingsSchema, type FleetSettingsInput } from '../config';
import { tursoSettingsSchema, type TursoSettingsInput } from '../engines/turso-config';
import { SiloError } from '../errors';
import type { TenantSchema } from '../schema';
import type { CatalogSettingsInput } from '../catalog/catalog-config';
import { appUrlSchema } from './app-url';
import { metricsSchema, type MetricDefinition, type MetricInput } from './metrics';

/** The tenant schema as a folder of numbered SQL migrations (wrangler D1 or drizzle-kit output). */
export interface MigrationsFolderInput {
  /** The folder, relative to the config file: `./migrations`, `./drizzle`. */
  readonly migrations: string;
  /** The schema id (template names, messages); default: the config file's folder name. */
  readonly id?: string;
  /** See `TenantSchema.uploadCleanup`. */
  readonly uploadCleanup?: readonly string[];
}

/** The tenant schema as the export of a module (`defineTenantSchema`), for `.json` configs. */
export interface SchemaModuleInput {
  /** The module, relative to the config file: `./src/schema.ts`. */
  readonly module: string;
  /** Its export holding the schema; default `default`. */
  readonly export?: string;
}

export type SchemaInput = MigrationsFolderInput | SchemaModuleInput | TenantSchema;

/**
 * What `silo.config.ts` (or `.json`) holds: the app's tenant schema, metrics and URL, plus
 * the fleet settings of `FleetSettingsInput` under the same names. Environment variables
 * override the file (`loadSiloConfig`). Secrets may be left out of the file: a Turso API
 * token or catalog token missing here is taken from SILO_TURSO_API_TOKEN / SILO_CATALOG_AUTH_TOKEN.
 */
export type SiloConfig = Omit<FleetSettingsInput, 'dataDir' | 'engineKind' | 'turso' | 'catalog'> & {
  readonly schema: SchemaInput;
  /** Relative to the config file's folder; default `data` there. SILO_DATA_DIR overrides. */
  readonly dataDir?: string;
  /** Where tenant databases live (`engineKind`); SILO_ENGINE overrides. */
  readonly engine?: 'local' | 'turso';
  readonly turso?: Omit<TursoSettingsInput, 'apiToken'> & { apiToken?: string };
  readonly catalog?: Omit<CatalogSettingsInput, 'authToken'> & { authToken?: string };
  /** The admin's columns: `[{ name: 'todos', label: 'TODOs', sql: 'SELECT count(*) FROM todos' }]`. */
  readonly metrics?: readonly MetricInput[];
  /** The app's "open" link of an instance: `https://app.example.com/t/{name}`. */
  readonly appUrl?: string;
};

/** The file's fleet settings after validation (relative paths not yet resolved, tokens maybe left to the environment). */
export type ConfigSettings = Omit<FleetSettingsInput, 'dataDir' | 'turso' | 'catalog'> & Pick<SiloConfig, 'dataDir' | 'turso' | 'catalog'>;

/** A validated config: what `loadSiloConfig` turns into fleet options. */
export interface ParsedSiloConfig {
  readonly schema: SchemaInput;
  readonly settings: ConfigSettings;
  readonly metrics: readonly MetricDefinition[];
  readonly appUrl: string | undefined;
}

const { dataDir, engineKind, regions } = settingsSchema.shape;
const fleetShape = settingsSchema.omit({ dataDir: true, engineKind: true, regions: true, backups: true, turso: true, catalog: true }).shape;

/**
 * The fleet's own validation, made strict: a misspelt key in a file someone wrote by hand is
 * an error, not a setting silently dropped.
 */
const configSchema = z.strictObject({
  ...fleetShape,
  schema: z.unknown().refine((value) => value !== undefined, 'the tenant schema is required: { migrations: "./migrations" }'),
  dataDir: dataDir.optional(),
  engine: engineKind.unwrap().optional(),
  regions: z.array(regions.unwrap().element.strict()).min(1).optional(),
  backups: backupSettingsSchema.unwrap().strict().optional(),
  turso: tursoSettingsSchema.extend({ apiToken: z.string().min(1).optional() }).strict().optional(),
  catalog: catalogSettingsSchema.extend({ authToken: z.string().min(1).optional() }).strict().optional(),
  metrics: metricsSchema.default([]),
  appUrl: appUrlSchema.optional(),
});

const migrationsFolderSchema = z.strictObject({
  migrations: z.string().min(1),
  id: z.string().optional(),
  uploadCleanup: z.array(z.string().min(1)).optional(),
});

const schemaModuleSchema = z.strictObject({
  module: z.string().min(1),
  export: z.string().min(1).optional(),
});

/**
 * Types and checks a config in place: `export default defineConfig({ ... })`. It returns its
 * input, so the loader (which knows the file's name) validates the same object again and
 * names the file in its errors.
 */
export function defineConfig(config: SiloConfig): SiloConfig {
  parseSiloConfig(config, 'silo.config');
  return config;
}

/** Validates a config object; `source` (the file) starts every error message. */
export function parseSiloConfig(raw: unknown, source: string): ParsedSiloConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new SiloError('CONFIG_INVALID', `${source}: the config must be an object (export default defineConfig({ ... })); got ${describe(raw)}.`);
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw invalid(source, parsed.error.issues);
  const { schema, metrics, appUrl, engine, ...settings } = parsed.data;
  return {
    schema: parseSchemaInput(schema, source),
    settings: { ...settings, ...(engine === undefined ? {} : { engineKind: engine }) },
    metrics,
    appUrl,
  };
}

function parseSchemaInput(value: unknown, source: string): SchemaInput {
  if (isTenantSchema(value)) return value;
  const isModule = typeof value === 'object' && value !== null && 'module' in value;
  const parsed = (isModule ? schemaModuleSchema : migrationsFolderSchema).safeParse(value);
  if (!parsed.success) throw invalid(source, parsed.error.issues, ['schema']);
  return parsed.data;
}

/** A `defineTenantSchema` result, recognised by shape: it may come from another copy of this package. */
export function isTenantSchema(value: unknown): value is TenantSchema {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<Record<keyof TenantSchema, unknown>>;
  return typeof candidate.id === 'string' && Array.isArray(candidate.migrations) && typeof candidate.latestVersion === 'number' && typeof candidate.fingerprint === 'string';
}

function invalid(source: string, issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): SiloError {
  const lines = issues.map((issue) => {
    const key = [...prefix, ...issue.path].map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map((name) => (key ? `${key}.${name}` : name));
      return `unknown key${keys.length > 1 ? 's' : ''} ${keys.map((name) => `"${name}"`).join(', ')}`;
    }
    return `${key || 'config'}: ${issue.message}`;
  });
  const problems = lines.join('; ');
  return new SiloError('CONFIG_INVALID', `${source}: ${problems}`, { details: { source, problems } });
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
