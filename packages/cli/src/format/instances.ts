import { formatBytes, type AuditEntry, type InstanceDetails, type InstanceInfo, type InstanceState, type MetricDefinition } from '@silo/fleet';
import { formatCount } from '@silo/fleet/format';
import { plain, type Style } from './style';
import { renderPairs, renderTable } from './table';
import { formatDate, formatRelative } from './time';

/** How instances look in `silo instances list`, `silo show` and the demo. */

/** A metric of the app's config (silo.config.ts) as a column: its heading and how it is shown. */
export type MetricColumn = Pick<MetricDefinition, 'name' | 'label' | 'format'>;

/** The table's headings: the fixed columns with one per configured metric after the size. */
export function instanceColumns(metrics: readonly MetricColumn[] = []): string[] {
  return ['name', 'state', 'jurisdiction', 'region', 'schema', 'size', ...metrics.map((metric) => metric.label), 'last active', 'created', 'cloned from'];
}

export function stateText(state: InstanceState, style: Style = plain): string {
  switch (state) {
    case 'ready':
      return style.green(state);
    case 'deleted':
      return style.yellow(state);
    case 'failed':
      return style.red(state);
    case 'provisioning':
    case 'moving':
      return style.cyan(state);
  }
}

/** "1", or "0 (behind)" when older than the schema this CLI ships. */
export function schemaText(version: number, latestVersion: number, style: Style = plain): string {
  return version < latestVersion ? style.yellow(`${version} (behind)`) : String(version);
}

/** One metric the app recorded, as its config formats it; "—" before any was recorded. */
export function metricText(metrics: Readonly<Record<string, number>>, metric: MetricColumn): string {
  const value = metrics[metric.name];
  if (value === undefined) return '—';
  return metric.format === 'bytes' ? formatBytes(value) : formatCount(value);
}

/** '"acme" in eu-west (eu)' */
export function placed(instance: Pick<InstanceInfo, 'name' | 'region' | 'jurisdiction'>): string {
  return `"${instance.name}" in ${instance.region} (${instance.jurisdiction})`;
}

export function clonedFromText(instance: Pick<InstanceInfo, 'clonedFrom'>): string {
  if (!instance.clonedFrom) return '';
  return instance.clonedFrom.name ?? '(purged)';
}

export function instanceRow(instance: InstanceInfo, latestVersion: number, now: number, style: Style = plain, metrics: readonly MetricColumn[] = []): string[] {
  return [
    style.bold(instance.name),
    stateText(instance.state, style),
    instance.jurisdiction,
    instance.region,
    schemaText(instance.schemaVersion, latestVersion, style),
    formatBytes(instance.sizeBytes),
    ...metrics.map((metric) => metricText(instance.metrics, metric)),
    formatRelative(instance.lastActiveAt, now),
    formatDate(instance.createdAt),
    clonedFromText(instance),
  ];
}

export function renderInstanceTable(
  items: readonly InstanceInfo[],
  latestVersion: number,
  options: { now?: number; style?: Style; metrics?: readonly MetricColumn[]; width?: number | undefined } = {},
): string {
  const now = options.now ?? Date.now();
  const style = options.style ?? plain;
  const metrics = options.metrics ?? [];
  return renderTable(
    instanceColumns(metrics),
    items.map((instance) => instanceRow(instance, latestVersion, now, style, metrics)),
    { style, align: ['left', 'left', 'left', 'left', 'right', 'right', ...metrics.map(() => 'right' as const)], ...(options.width ? { width: options.width } : {}) },
  );
}

/** "showing 1–50 of 1,234" (an en dash, like a printed range). */
export function pageFooter(offset: number, shown: number, total: number): string {
  if (total === 0) return 'no instances match';
  if (shown === 0) return `no instances on this page (offset ${formatCount(offset)} of ${formatCount(total)})`;
  return `showing ${formatCount(offset + 1)}–${formatCount(offset + shown)} of ${formatCount(total)}`;
}

/** How a libSQL client connects to the instance through `silo serve` (not the catalog's file URL). */
export interface LibsqlConnection {
  libsqlUrl: string;
  libsqlTokenCommand: string;
}

export interface DetailsView {
  details: InstanceDetails;
  libsql?: LibsqlConnection;
  audit: readonly AuditEntry[];
  latestVersion: number;
  retentionMs: number;
  now?: number;
  style?: Style;
}

/** `silo show`: every fact about one instance, its lineage both ways, metrics and recent audit entries. */
export function renderInstanceDetails(view: DetailsView): string {
  const { details, latestVersion } = view;
  const now = view.now ?? Date.now();
  const style = view.style ?? plain;
  const when = (at: number | null): string => (at === null ? 'never' : `${formatDate(at)} (${formatRelative(at, now)})`);

  const pairs: [string, string][] = [
    ['display name', details.displayName],
    ['state', stateText(details.state, style)],
    ['jurisdiction', details.jurisdiction],
    ['region', details.region],
    ['schema', `${schemaText(details.schemaVersion, latestVersion, style)} (latest ${latestVersion})`],
    ['size', formatBytes(details.sizeBytes)],
    ['database (catalog)', details.dbUrl],
    ...(view.libsql
      ? ([
          ['libSQL URL (serve)', `${view.libsql.libsqlUrl}  ${style.dim('(silo serve; for @libsql/client)')}`],
          ['libSQL token', view.libsql.libsqlTokenCommand],
        ] satisfies [string, string][])
      : []),
    ['engine', details.engine],
    ['created', when(details.createdAt)],
    ['updated', when(details.updatedAt)],
    ['last active', when(details.lastActiveAt)],
  ];
  if (details.deletedAt !== null) {
    pairs.push(['deleted', when(details.deletedAt)]);
    if (details.state === 'deleted') pairs.push(['purged after', when(details.deletedAt + view.retentionMs)]);
  }
  if (details.error) pairs.push(['error', style.red(details.error)]);
  pairs.push(['cloned from', clonedFromText(details) || '—']);
  pairs.push(['clones', details.clones.length ? details.clones.map((clone) => `${clone.name} (${clone.state})`).join(', ') : '—']);

  const sections = [`${style.bold(details.name)}  ${style.dim(details.id)}`, renderPairs(pairs)];

  const metrics = Object.entries(details.metrics).sort(([a], [b]) => a.localeCompare(b));
  sections.push('', style.bold('Metrics'));
  sections.push(metrics.length ? renderPairs(metrics.map(([key, value]) => [key, formatCount(value)])) : style.dim('  none recorded'));

  sections.push('', style.bold('Recent activity'));
  sections.push(view.audit.length ? renderAuditTable(view.audit, { now, style, showInstance: false }) : style.dim('  no audit entries'));
  return sections.join('\n');
}

/** A short, readable summary of an audit entry's detail object. */
export function auditDetailText(entry: Pick<AuditEntry, 'error' | 'detail'>, max = 60): string {
  const text = entry.error ?? (entry.detail && Object.keys(entry.detail).length ? JSON.stringify(entry.detail) : '');
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

export function renderAuditTable(
  entries: readonly AuditEntry[],
  options: { now?: number; style?: Style; showInstance?: boolean; width?: number | undefined } = {},
): string {
  const now = options.now ?? Date.now();
  const style = options.style ?? plain;
  const showInstance = options.showInstance ?? true;
  const head = ['when', 'actor', 'operation', ...(showInstance ? ['instance'] : []), 'outcome', 'detail'];
  const rows = entries.map((entry) => [
    `${formatDate(entry.at)} (${formatRelative(entry.at, now)})`,
    entry.actor,
    entry.operation,
    ...(showInstance ? [entry.instance ?? '—'] : []),
    entry.outcome === 'ok' ? style.green('ok') : style.red('error'),
    auditDetailText(entry),
  ]);
  return renderTable(head, rows, { style, ...(options.width ? { width: options.width } : {}) });
}
