import { realpathSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Region } from '../regions';
import { SiloError } from '../errors';

/**
 * Where and how backups are kept. Every region has one backup location (a folder by default,
 * `<region folder>/backups`, or an S3-compatible bucket); each location states its
 * jurisdiction, and a location outside its region's jurisdiction is refused at start-up.
 */
const jurisdiction = z.string().regex(/^[a-z]{2,16}$/, 'jurisdictions are 2–16 lowercase letters');

export const folderLocationSchema = z.object({
  kind: z.literal('folder'),
  path: z.string().min(1),
  /** Defaults to the region's; stating another one is refused. */
  jurisdiction: jurisdiction.optional(),
});

export const s3LocationSchema = z.object({
  kind: z.literal('s3'),
  bucket: z.string().min(3),
  /** Key prefix inside the bucket, e.g. "silo/eu-west". */
  prefix: z.string().default(''),
  /** An S3-compatible endpoint (MinIO, R2, Scaleway, ...); AWS when absent. */
  endpoint: z
    .string()
    .url()
    .refine((value) => {
      const url = new URL(value);
      return url.username === '' && url.password === '';
    }, 'An S3 endpoint must not carry credentials (they would show wherever the location is named): give them as accessKeyId and secretAccessKey, or through the AWS SDK (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, a profile)')
    .optional(),
  /** The bucket's region as the S3 API names it (e.g. eu-central-1). */
  region: z.string().min(1).default('us-east-1'),
  forcePathStyle: z.boolean().default(false),
  /** Where the bucket's data lives. Required: Silo cannot know it from an endpoint. */
  jurisdiction,
  /** Explicit credentials; otherwise the AWS SDK's usual chain (AWS_ACCESS_KEY_ID, profiles, ...). */
  accessKeyId: z.string().min(1).optional(),
  secretAccessKey: z.string().min(1).optional(),
});

export const locationSchema = z.discriminatedUnion('kind', [folderLocationSchema, s3LocationSchema]);
export type LocationInput = z.input<typeof locationSchema>;

export const backupSettingsSchema = z
  .object({
    /** Off: no scheduler starts, `backup now` still works. */
    enabled: z.boolean().default(true),
    /** How often the scheduler looks for changed instances. The RPO is this plus one cycle. */
    intervalMs: z.number().int().min(100).default(15_000),
    /** Every backup point is kept this long... */
    fullHistoryHours: z.number().min(0).default(48),
    /** ...then the last point of each UTC day, this many days back. */
    dailyDays: z.number().min(0).default(30),
    /** A purged instance's backups are removed this long after the purge (erasure requests). */
    purgeAfterDays: z.number().min(0).default(30),
    /** Instances whose latest backup the scheduled verification restores and checks. */
    verifySample: z.number().int().min(0).default(5),
    verifyIntervalMs: z.number().int().min(1_000).default(6 * 60 * 60 * 1_000),
    /** How often retention thins points and removes expired backups. */
    retentionIntervalMs: z.number().int().min(1_000).default(60 * 60 * 1_000),
    /** Instances backed up at once. */
    concurrency: z.number().int().min(1).max(64).default(4),
    /** Per region id; regions not named get a folder inside their region folder. */
    locations: z.record(z.string(), locationSchema).default({}),
    /** The catalog's backups (metadata only, no tenant data); default `<data>/backups/catalog`. */
    catalogLocation: locationSchema.optional(),
  })
  // Parsed like an empty object when absent, so every field takes its default.
  .prefault({});

export type BackupSettingsInput = z.input<typeof backupSettingsSchema>;

export type FolderLocation = { kind: 'folder'; path: string; jurisdiction: string };
export type S3Location = Omit<z.output<typeof s3LocationSchema>, 'kind'> & { kind: 's3' };
export type BackupLocation = FolderLocation | S3Location;

export interface RetentionPolicy {
  readonly fullHistoryMs: number;
  readonly dailyDays: number;
  readonly purgeAfterMs: number;
}

export interface BackupSettings {
  readonly enabled: boolean;
  readonly intervalMs: number;
  readonly retention: RetentionPolicy;
  readonly verifySample: number;
  readonly verifyIntervalMs: number;
  readonly retentionIntervalMs: number;
  readonly concurrency: number;
  /** One location per configured region, keyed by region id. */
  readonly locations: ReadonlyMap<string, BackupLocation>;
  readonly catalogLocation: BackupLocation;
}

const HOUR = 60 * 60 * 1_000;
const DAY = 24 * HOUR;

/** Resolves and checks backup settings against the regions: the jurisdiction rule is enforced here. */
export function resolveBackupSettings(
  input: z.output<typeof backupSettingsSchema>,
  regions: readonly Region[],
  dataDir: string,
): BackupSettings {
  const byId = new Map(regions.map((region) => [region.id, region]));
  for (const regionId of Object.keys(input.locations)) {
    if (!byId.has(regionId)) {
      throw new SiloError('CONFIG_INVALID', `A backup location is configured for region "${regionId}", which is not a configured region.`);
    }
  }
  const locations = new Map<string, BackupLocation>();
  for (const region of regions) {
    const configured = input.locations[region.id];
    const location = configured ? resolveLocation(configured, dataDir, region.jurisdiction) : defaultLocation(region);
    assertLocationJurisdiction(location, region, regions);
    locations.set(region.id, location);
  }
  assertNoSharedStorage(locations);
  const catalogLocation = input.catalogLocation
    ? resolveLocation(input.catalogLocation, dataDir, input.catalogLocation.jurisdiction ?? 'none')
    : { kind: 'folder' as const, path: path.join(dataDir, 'backups', 'catalog'), jurisdiction: 'none' };
  return {
    enabled: input.enabled,
    intervalMs: input.intervalMs,
    retention: { fullHistoryMs: input.fullHistoryHours * HOUR, dailyDays: input.dailyDays, purgeAfterMs: input.purgeAfterDays * DAY },
    verifySample: input.verifySample,
    verifyIntervalMs: input.verifyIntervalMs,
    retentionIntervalMs: input.retentionIntervalMs,
    concurrency: input.concurrency,
    locations,
    catalogLocation,
  };
}

function defaultLocation(region: Region): BackupLocation {
  return { kind: 'folder', path: path.join(region.dataDir, 'backups'), jurisdiction: region.jurisdiction };
}

function resolveLocation(input: z.output<typeof locationSchema>, dataDir: string, fallbackJurisdiction: string): BackupLocation {
  if (input.kind === 'folder') {
    return { kind: 'folder', path: path.resolve(dataDir, input.path), jurisdiction: input.jurisdiction ?? fallbackJurisdiction };
  }
  return { ...input, kind: 's3' };
}

/**
 * A location must be in its region's jurisdiction, and a folder must not sit inside another
 * jurisdiction's region folder (which would put EU backups on US storage by path).
 */
export function assertLocationJurisdiction(location: BackupLocation, region: Region, regions: readonly Region[]): void {
  if (location.jurisdiction !== region.jurisdiction) {
    throw new SiloError(
      'JURISDICTION_VIOLATION',
      `The backup location of region "${region.id}" (${describeLocation(location)}) is in jurisdiction "${location.jurisdiction}", but the region is in "${region.jurisdiction}". Backups never leave their jurisdiction: configure a location in "${region.jurisdiction}".`,
      { details: { region: region.id, jurisdiction: region.jurisdiction, location: location.jurisdiction } },
    );
  }
  if (location.kind === 'folder') {
    for (const other of regions) {
      if (other.jurisdiction === region.jurisdiction) continue;
      if (within(location.path, other.dataDir)) {
        throw new SiloError(
          'JURISDICTION_VIOLATION',
          `The backup folder of region "${region.id}" (${location.path}) is inside region "${other.id}" of jurisdiction "${other.jurisdiction}". Choose a folder on "${region.jurisdiction}" storage.`,
          { details: { region: region.id, jurisdiction: region.jurisdiction, location: other.jurisdiction } },
        );
      }
    }
  }
}

/**
 * Two regions of different jurisdictions cannot share storage: each location states its
 * jurisdiction, and the same folder (or bucket prefix) cannot be in two. A folder inside
 * another's, or overlapping prefixes of one bucket, count as the same storage.
 */
function assertNoSharedStorage(locations: ReadonlyMap<string, BackupLocation>): void {
  const entries = [...locations];
  for (const [index, [regionId, location]] of entries.entries()) {
    for (const [otherId, other] of entries.slice(index + 1)) {
      if (location.jurisdiction === other.jurisdiction || !sameStorage(location, other)) continue;
      throw new SiloError(
        'JURISDICTION_VIOLATION',
        `The backup locations of region "${regionId}" (${describeLocation(location)}, jurisdiction "${location.jurisdiction}") and region "${otherId}" (${describeLocation(other)}, jurisdiction "${other.jurisdiction}") are the same storage, which cannot be in both jurisdictions. Give each jurisdiction its own location.`,
        { details: { regions: [regionId, otherId], jurisdictions: [location.jurisdiction, other.jurisdiction] } },
      );
    }
  }
}

function sameStorage(a: BackupLocation, b: BackupLocation): boolean {
  if (a.kind === 'folder' && b.kind === 'folder') return within(a.path, b.path) || within(b.path, a.path);
  if (a.kind === 's3' && b.kind === 's3') {
    if (a.bucket !== b.bucket || endpointOf(a) !== endpointOf(b)) return false;
    const prefixA = `${a.prefix.replace(/^\/+|\/+$/g, '')}/`;
    const prefixB = `${b.prefix.replace(/^\/+|\/+$/g, '')}/`;
    return prefixA === '/' || prefixB === '/' || prefixA.startsWith(prefixB) || prefixB.startsWith(prefixA);
  }
  return false;
}

/** One service however its URL is spelled (host case, a default port, a trailing slash). */
function endpointOf(location: S3Location): string {
  if (location.endpoint === undefined) return '';
  try {
    const url = new URL(location.endpoint);
    return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
  } catch {
    return location.endpoint;
  }
}

/**
 * `inner` is `outer` or a folder below it, where the disk has them: a folder reached through a
 * symbolic link is where the link leads, so an "EU" folder that links into a US region's
 * folder is US storage.
 */
function within(inner: string, outer: string): boolean {
  const relative = path.relative(onDisk(outer), onDisk(inner));
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/** The real path of `folder`, through its deepest existing ancestor (it may not exist yet). */
function onDisk(folder: string): string {
  const missing: string[] = [];
  for (let current = path.resolve(folder); ; current = path.dirname(current)) {
    try {
      return path.join(realpathSync(current), ...missing.reverse());
    } catch (error) {
      const parent = path.dirname(current);
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || parent === current) return path.resolve(folder);
      missing.push(path.basename(current));
    }
  }
}

export function describeLocation(location: BackupLocation): string {
  if (location.kind === 'folder') return location.path;
  const prefix = location.prefix ? `/${location.prefix.replace(/^\/+|\/+$/g, '')}` : '';
  return `s3://${location.bucket}${prefix}${location.endpoint ? ` at ${location.endpoint}` : ''}`;
}

/**
 * SILO_BACKUP_LOCATIONS: a comma list of `<region>=<location>`, where a location is an
 * absolute folder, or `s3://bucket/prefix?jurisdiction=eu&region=eu-central-1&endpoint=https://…&path-style=1`.
 */
export function parseLocations(raw: string, variable = 'SILO_BACKUP_LOCATIONS'): Record<string, LocationInput> {
  const result: Record<string, LocationInput> = {};
  for (const entry of raw.split(',').map((part) => part.trim()).filter(Boolean)) {
    const match = /^([a-z0-9][a-z0-9-]*)=(.+)$/.exec(entry);
    if (!match?.[1] || !match[2]) {
      throw new SiloError('CONFIG_INVALID', `${variable}: "${entry}" should look like "eu-west=/srv/backups/eu" or "eu-west=s3://bucket/prefix?jurisdiction=eu".`);
    }
    result[match[1]] = parseLocation(match[2], variable);
  }
  return result;
}

export function parseLocation(raw: string, variable: string): LocationInput {
  if (!raw.startsWith('s3://')) {
    if (!path.isAbsolute(raw)) throw new SiloError('CONFIG_INVALID', `${variable}: the backup folder "${raw}" must be an absolute path.`);
    return { kind: 'folder', path: raw };
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SiloError('CONFIG_INVALID', `${variable}: "${raw}" is not a valid s3:// URL.`);
  }
  const jurisdictionParam = url.searchParams.get('jurisdiction');
  if (!jurisdictionParam) {
    throw new SiloError('CONFIG_INVALID', `${variable}: the S3 location "${raw}" must say where its data lives: add ?jurisdiction=eu (or us, ...).`);
  }
  return {
    kind: 's3',
    bucket: url.hostname,
    prefix: decodeURIComponent(url.pathname.replace(/^\/+/, '')),
    jurisdiction: jurisdictionParam,
    ...(url.searchParams.get('endpoint') ? { endpoint: url.searchParams.get('endpoint') as string } : {}),
    ...(url.searchParams.get('region') ? { region: url.searchParams.get('region') as string } : {}),
    forcePathStyle: url.searchParams.get('path-style') === '1',
  };
}
