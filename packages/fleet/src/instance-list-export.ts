import type { InstanceInfo, ListPage, ListQuery } from './catalog/catalog';

/**
 * The instance list as a download (the admin's CSV/JSON links, `silo instances list --csv`):
 * one column set for both tools, times in UTC ISO 8601, metrics last. Both write it with the
 * one CSV writer of `@silo/fleet/format` (toCsv/csvLine).
 */
export interface ListedInstance {
  name: string;
  display_name: string;
  state: string;
  jurisdiction: string;
  region: string;
  schema_version: number;
  size_bytes: number;
  created_at: string;
  last_active_at: string | null;
  deleted_at: string | null;
  cloned_from: string | null;
  db_url: string;
  error: string | null;
  metrics: Record<string, number>;
}

const FIXED_COLUMNS = [
  'name',
  'display_name',
  'state',
  'jurisdiction',
  'region',
  'schema_version',
  'size_bytes',
  'created_at',
  'last_active_at',
  'deleted_at',
  'cloned_from',
  'db_url',
  'error',
] as const satisfies readonly Exclude<keyof ListedInstance, 'metrics'>[];

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function listedInstance(instance: InstanceInfo, metricNames: readonly string[]): ListedInstance {
  return {
    name: instance.name,
    display_name: instance.displayName,
    state: instance.state,
    jurisdiction: instance.jurisdiction,
    region: instance.region,
    schema_version: instance.schemaVersion,
    size_bytes: instance.sizeBytes,
    created_at: new Date(instance.createdAt).toISOString(),
    last_active_at: iso(instance.lastActiveAt),
    deleted_at: iso(instance.deletedAt),
    cloned_from: instance.clonedFrom ? (instance.clonedFrom.name ?? '(purged)') : null,
    db_url: instance.dbUrl,
    error: instance.error,
    metrics: Object.fromEntries(metricNames.map((metric) => [metric, instance.metrics[metric] ?? 0])),
  };
}

/** The CSV header: the fixed columns, then `metric:<name>` per configured metric. */
export function listedInstanceColumns(metricNames: readonly string[]): string[] {
  return [...FIXED_COLUMNS, ...metricNames.map((metric) => `metric:${metric}`)];
}

export function listedInstanceCells(row: ListedInstance, metricNames: readonly string[]): (string | number | null)[] {
  return [...FIXED_COLUMNS.map((column) => row[column]), ...metricNames.map((metric) => row.metrics[metric] ?? 0)];
}

/** Rows asked for per page: the most Catalog.list gives. */
const BATCH = 1_000;

/**
 * Every instance `query` matches, in its sort order, a page at a time: no paging limit for
 * the caller and never the whole list in memory. Its own limit and offset are ignored; the
 * next page starts after the rows the last one gave, however many the list chose to give.
 */
export function* eachListed(list: (query: ListQuery) => ListPage, query: ListQuery): Generator<InstanceInfo> {
  for (let offset = 0; ; ) {
    const page = list({ ...query, limit: BATCH, offset });
    yield* page.items;
    offset += page.items.length;
    if (page.items.length === 0 || offset >= page.total) return;
  }
}
