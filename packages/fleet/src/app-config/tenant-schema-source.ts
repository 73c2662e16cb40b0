import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { errorMessage, SiloError } from '../errors';
import { defineTenantSchema, type TenantSchema } from '../schema';
import { isTenantSchema, type SchemaInput } from './define-config';
import { metricSubquery, metricsSqlOf, type MetricDefinition } from './metrics';
import { loadMigrationsFolder } from './migrations-folder';

export interface SchemaContext {
  /** The config file's folder: relative paths start there. */
  readonly baseDir: string;
  /** The config file, for messages. */
  readonly source: string;
  readonly metrics: readonly MetricDefinition[];
}

/**
 * The config's `schema` as the fleet's TenantSchema, with the config's metrics as its
 * `metricsSql`. Metrics are checked against the migrated schema here, so a misspelt table
 * is reported when the config loads, naming the metric, instead of as zeros in the admin.
 */
export async function resolveTenantSchema(input: SchemaInput, context: SchemaContext): Promise<TenantSchema> {
  const schema = await baseSchema(input, context);
  if (context.metrics.length === 0) return schema;
  if (schema.metricsSql) {
    throw new SiloError('CONFIG_INVALID', `${context.source}: metrics: the tenant schema "${schema.id}" already has its metricsSql; define the metrics in one place.`);
  }
  checkMetrics(schema, context);
  return defineTenantSchema({ ...schema, metricsSql: metricsSqlOf(context.metrics) });
}

/**
 * The schema id names templates and appears in messages; it is not stored with instances, so
 * when it changes (a renamed project folder) only the template is rebuilt.
 */
export function defaultSchemaId(baseDir: string): string {
  const slug = path
    .basename(baseDir)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return slug || 'app';
}

async function baseSchema(input: SchemaInput, context: SchemaContext): Promise<TenantSchema> {
  if (isTenantSchema(input)) return input;
  if ('module' in input) return schemaFromModule(path.resolve(context.baseDir, input.module), input.export ?? 'default', context.source);
  return defineTenantSchema({
    id: input.id ?? defaultSchemaId(context.baseDir),
    migrations: loadMigrationsFolder(path.resolve(context.baseDir, input.migrations)),
    ...(input.uploadCleanup ? { uploadCleanup: input.uploadCleanup } : {}),
  });
}

async function schemaFromModule(file: string, exportName: string, source: string): Promise<TenantSchema> {
  let loaded: Record<string, unknown>;
  try {
    loaded = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    throw new SiloError('CONFIG_INVALID', `${source}: schema.module ${file} could not be imported: ${errorMessage(error)}`, { cause: error });
  }
  const value = loaded[exportName];
  if (!isTenantSchema(value)) {
    throw new SiloError(
      'CONFIG_INVALID',
      `${source}: schema.module ${file} has no tenant schema as its "${exportName}" export (exports: ${Object.keys(loaded).join(', ') || 'none'}). Export defineTenantSchema({ ... }), or name the export with schema.export.`,
    );
  }
  return value;
}

function checkMetrics(schema: TenantSchema, context: SchemaContext): void {
  const db = new Database(':memory:');
  try {
    for (const migration of schema.migrations) {
      try {
        db.exec(migration.sql);
      } catch (error) {
        throw new SiloError('SCHEMA_INVALID', `Migration ${migration.version} (${migration.name}) of "${schema.id}" fails on an empty database: ${errorMessage(error)}`, { cause: error });
      }
    }
    context.metrics.forEach((metric, index) => {
      try {
        db.prepare(`SELECT ${metricSubquery(metric.sql)}`);
      } catch (error) {
        throw new SiloError('CONFIG_INVALID', `${context.source}: metrics.${index}.sql ("${metric.name}"): ${errorMessage(error)}`, { cause: error });
      }
    });
  } finally {
    db.close();
  }
}
