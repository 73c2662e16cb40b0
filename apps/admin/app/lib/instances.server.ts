import { formatBytes } from '@silo/fleet/format';
import { SORT_KEYS, isSiloError, type Fleet, type InstanceInfo, type InstanceState, type ListQuery, type SortKey } from '@silo/fleet';
import { uploadStagingFile } from '@silo/fleet/internal';
import { appLink, type AdminView } from './app-config.server';
import { adminConfig } from './config.server';
import { PAGE_SIZES, STATES, type InstanceRowView } from './instances';
import { badForm, type UploadOptions } from './upload.server';

export { PAGE_SIZES, STATES, type InstanceRowView };

/** One instance for the browser; `view` supplies the app link. */
export function toRowView(instance: InstanceInfo, view: AdminView): InstanceRowView {
  return {
    name: instance.name,
    displayName: instance.displayName,
    state: instance.state,
    jurisdiction: instance.jurisdiction,
    region: instance.region,
    dbUrl: instance.dbUrl,
    schemaVersion: instance.schemaVersion,
    sizeBytes: instance.sizeBytes,
    clonedFrom: instance.clonedFrom ? (instance.clonedFrom.name ?? '(purged)') : null,
    createdAt: instance.createdAt,
    lastActiveAt: instance.lastActiveAt,
    deletedAt: instance.deletedAt,
    error: instance.error,
    metrics: Object.fromEntries(view.metrics.map((metric) => [metric.name, instance.metrics[metric.name] ?? 0])),
    appUrl: appLink(view, instance.name),
  };
}

export interface ListParams {
  q: string;
  state: InstanceState | '';
  jurisdiction: string;
  region: string;
  sort: SortKey;
  order: 'asc' | 'desc';
  page: number;
  size: number;
}

/** The table's state lives in the URL: shareable, and the back button works. Bad values fall back. */
export function parseListParams(url: URL, fleet: Fleet, view: AdminView): ListParams {
  const get = (key: string): string => url.searchParams.get(key)?.trim() ?? '';
  const state = get('state');
  const jurisdiction = get('jurisdiction');
  const region = get('region');
  const sort = get('sort');
  const size = Number(get('size'));
  const page = Number(get('page'));
  return {
    q: get('q').slice(0, 100),
    state: (STATES as readonly string[]).includes(state) ? (state as InstanceState) : '',
    jurisdiction: fleet.regions.jurisdictions.includes(jurisdiction) ? jurisdiction : '',
    region: fleet.regions.all.some((r) => r.id === region) ? region : '',
    sort: isSortKey(sort, view) ? sort : 'name',
    order: get('order') === 'desc' ? 'desc' : 'asc',
    page: Number.isSafeInteger(page) && page > 0 ? page : 1,
    size: (PAGE_SIZES as readonly number[]).includes(size) ? size : 25,
  };
}

/** The fleet's own sort keys and `metric:<name>` of each configured metric: the table's sortable columns. */
function isSortKey(value: string, view: AdminView): value is SortKey {
  return (SORT_KEYS as readonly string[]).includes(value) || view.metrics.some((metric) => `metric:${metric.name}` === value);
}

export function toListQuery(params: ListParams): ListQuery {
  return {
    ...(params.q ? { search: params.q } : {}),
    ...(params.state ? { state: params.state } : {}),
    ...(params.jurisdiction ? { jurisdiction: params.jurisdiction } : {}),
    ...(params.region ? { region: params.region } : {}),
    sort: params.sort,
    order: params.order,
    limit: params.size,
    offset: (params.page - 1) * params.size,
  };
}

/**
 * How the import form's upload is read: the console's own limit, or the fleet's import limit
 * when that is smaller (a bigger file would only be refused after the whole upload).
 */
/** Why an import upload is refused for its size (the form says it before uploading, the server on the way). */
export function importTooLargeMessage(fleet: Fleet): string {
  const consoleMax = adminConfig().ADMIN_UPLOAD_MAX_BYTES;
  const fleetMax = fleet.settings.importMaxBytes;
  return fleetMax < consoleMax
    ? `The file is larger than ${formatBytes(fleetMax)}, the fleet's import limit (SILO_IMPORT_MAX_BYTES).`
    : `The upload is larger than ${formatBytes(consoleMax)}; import the file with \`silo import\` instead.`;
}

export function importUploadOptions(fleet: Fleet): UploadOptions {
  const consoleMax = adminConfig().ADMIN_UPLOAD_MAX_BYTES;
  const fleetMax = fleet.settings.importMaxBytes;
  const message = importTooLargeMessage(fleet);
  return {
    fileField: 'file',
    maxFileBytes: Math.min(consoleMax, fleetMax),
    tooLarge: () => new Response(message, { status: 413, headers: { 'Content-Type': 'text/plain; charset=utf-8' } }),
    stagingFile: (fieldsBefore) => importStagingFile(fleet, fieldsBefore),
  };
}

/**
 * The upload goes straight into the staging folder of the region it is imported into, so its
 * bytes never sit outside their jurisdiction (not in TMPDIR either). The form renders the
 * jurisdiction and region before the file input, as it renders the CSRF token first.
 */
function importStagingFile(fleet: Fleet, fieldsBefore: FormData): string {
  const jurisdiction = fieldsBefore.get('jurisdiction');
  if (typeof jurisdiction !== 'string' || jurisdiction === '') {
    throw badForm('The form\'s jurisdiction field must come before the file: the upload is written only inside its jurisdiction. Send csrf, intent, name, jurisdiction and region first, then the file.');
  }
  const region = fieldsBefore.get('region');
  const name = fieldsBefore.get('name');
  try {
    return uploadStagingFile(fleet, {
      jurisdiction,
      region: typeof region === 'string' ? region : undefined,
      name: typeof name === 'string' ? name : undefined,
    });
  } catch (error) {
    if (isSiloError(error)) throw badForm(error.message);
    throw error;
  }
}

export function regionOptions(fleet: Fleet): { id: string; jurisdiction: string }[] {
  return fleet.regions.all.map((region) => ({ id: region.id, jurisdiction: region.jurisdiction }));
}
