import { z } from 'zod';
import { splitStatements } from '../query/split-statements.mjs';

/**
 * A metric the admin shows as a column of the instance list (today the TODO counts). Its SQL
 * yields one number for one instance's database; the fleet reads them all with one statement
 * (`metricsSqlOf`) after an import, clone or restore, and the app reports them after writes.
 */
export interface MetricDefinition {
  /** The key in the catalog and in `fleet.touch(name, metrics)`: an SQL identifier. */
  readonly name: string;
  /** The column heading in the admin. */
  readonly label: string;
  /** A query returning one value, e.g. `SELECT count(*) FROM todos`. */
  readonly sql: string;
  /** How the admin renders the number: a plain count (default) or a size in bytes. */
  readonly format: 'count' | 'bytes';
}

export type MetricInput = z.input<typeof metricSchema>;

/**
 * Lowercase identifiers only: the name is a catalog key, an admin sort key (`metric:<name>`)
 * and a column alias, and SQLite compares unquoted identifiers without regard to case, so
 * `Todos` and `todos` would be one column to SQLite and two to the catalog.
 */
const METRIC_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export const metricSchema = z.strictObject({
  name: z.string().regex(METRIC_NAME, 'a metric name is 1–63 chars of a–z, 0–9 and _, not starting with a digit'),
  label: z.string().trim().min(1, 'a metric needs a label for the admin').max(60),
  sql: z
    .string()
    // One statement, its trailing semicolons (and comments) dropped. A semicolon in a string or
    // a quoted name ('%;%', "a;b") is part of the statement, as SQLite reads it.
    .transform((sql) => {
      const statements = splitStatements(sql);
      return statements.length === 1 ? (statements[0] ?? '').replace(/;+$/, '').trim() : sql.trim();
    })
    // The SQL becomes a scalar subquery of one statement: a second statement could not run there.
    .refine((sql) => sql !== '' && splitStatements(sql).length === 1 && !sql.trimEnd().endsWith(';'), 'one SELECT returning one value: a single statement, no second one after a ";"')
    .refine((sql) => /^(select|with|values)\b/i.test(sql), 'must start with SELECT (or WITH/VALUES): it is read as one value'),
  format: z.enum(['count', 'bytes']).default('count'),
});

export const metricsSchema = z.array(metricSchema).superRefine((metrics, context) => {
  const seen = new Set<string>();
  metrics.forEach((metric, index) => {
    if (seen.has(metric.name)) context.addIssue({ code: 'custom', path: [index, 'name'], message: `metric "${metric.name}" is defined twice` });
    seen.add(metric.name);
  });
});

/**
 * The one-row statement `TenantSchema.metricsSql` expects: each metric's SQL as a scalar
 * subquery named after the metric, so one round trip reads them all. Undefined without metrics.
 */
export function metricsSqlOf(metrics: readonly Pick<MetricDefinition, 'name' | 'sql'>[]): string | undefined {
  if (metrics.length === 0) return undefined;
  // Names are validated identifiers, so quoting them cannot be escaped from.
  return `SELECT ${metrics.map((metric) => `${metricSubquery(metric.sql)} AS "${metric.name}"`).join(', ')}`;
}

/** A metric's SQL as a scalar subquery. A line break ends a trailing `-- comment`, which would otherwise swallow the parenthesis. */
export function metricSubquery(sql: string): string {
  return `(${sql}${sql.includes('--') ? '\n' : ''})`;
}
