import path from 'node:path';
import os from 'node:os';
import { z } from 'zod';
import { SiloError } from './errors';
import { defaultHandleCap, openFileLimit } from './handle-budget';
import { backupSettingsSchema, parseLocation, parseLocations, resolveBackupSettings, type BackupSettings } from './backups/backup-config';
import { resolveTursoSettings, tursoSettingsFromEnv, type TursoSettings, type TursoSettingsInput } from './engines/turso-config';
import { catalogSettingsFromEnv, resolveCatalogLocation, type CatalogSettingsInput } from './catalog/catalog-config';
import type { CatalogLocation } from './catalog/catalog-db-types';
import type { Region } from './regions';
import { assertSettings, readSetting } from './settings/check';
import { CHECK_TIMEOUT_DEFAULT_SEC, CHECK_TIMEOUT_MAX_SEC } from './settings/table';

// Region lives in regions.ts so that backup-config.ts can name it without importing this module
// (which imports backup-config.ts); re-exported for the modules that take it from here.
export type { Region } from './regions';

export interface QueryLimits {
  /** A query running longer is stopped and reported as QUERY_TIMEOUT. */
  timeoutMs: number;
  maxRows: number;
  maxBytes: number;
}

/**
 * 1 GiB per instance by default: thousands of times what a TODO list needs, far below a disk,
 * and Turso's free plan has 5 GB for all databases together. A limit that is on by default
 * stops one runaway or hostile tenant from filling the disk every tenant shares.
 */
export const DEFAULT_INSTANCE_MAX_BYTES = 1024 * 1024 * 1024;
/** Smaller than a few pages would make every instance unwritable. */
const MIN_INSTANCE_MAX_BYTES = 64 * 1024;

/**
 * 512 MiB per process that runs tenant SQL (console and fleet queries, the libSQL endpoint):
 * a hundred times what a result may hold (SILO_QUERY_MAX_BYTES), while a statement that builds
 * gigabyte values cannot take the machine's memory from every tenant.
 */
export const DEFAULT_QUERY_MAX_MEMORY_BYTES = 512 * 1024 * 1024;
const MIN_QUERY_MAX_MEMORY_BYTES = 128 * 1024 * 1024;

const regionSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{1,31}$/, 'region ids are 2–32 chars of a–z, 0–9, -'),
  jurisdiction: z.string().regex(/^[a-z]{2,16}$/, 'jurisdictions are 2–16 lowercase letters'),
  dataDir: z.string().min(1).optional(),
});

export const settingsSchema = z.object({
  dataDir: z.string().min(1),
  regions: z.array(regionSchema).min(1).optional(),
  handleCap: z.number().int().min(1).max(10_000).optional(),
  handleWaitMs: z.number().int().min(0).default(5_000),
  retentionDays: z.number().min(0).default(7),
  /** Audit entries older than this many days are removed; 0 keeps them forever. */
  auditRetentionDays: z.number().min(0).default(365),
  /** The most failed admin sign-ins the audit log keeps, the oldest going first. */
  auditMaxFailedSignIns: z.number().int().min(10).default(10_000),
  touchFlushMs: z.number().int().min(10).default(2_000),
  queryTimeoutMs: z.number().int().min(10).default(5_000),
  queryMaxRows: z.number().int().min(1).default(1_000),
  queryMaxBytes: z.number().int().min(1_024).default(5 * 1024 * 1024),
  queryWorkers: z.number().int().min(1).max(64).default(2),
  /** Each query process's memory limit (memory/memory-limit.ts): a Node process alone takes ~60 MB. */
  queryMaxMemoryBytes: z.number().int().min(MIN_QUERY_MAX_MEMORY_BYTES).default(DEFAULT_QUERY_MAX_MEMORY_BYTES),
  /** A file check's time limit: this many seconds, plus as many again per GiB of the file. */
  checkTimeoutSec: z.number().int().min(1).max(CHECK_TIMEOUT_MAX_SEC).default(CHECK_TIMEOUT_DEFAULT_SEC),
  /** Threads (migrate-all) and query processes (query-all) for fleet-wide work on local files. */
  fleetWorkers: z.number().int().min(1).max(64).optional(),
  importMaxBytes: z.number().int().min(1).default(4 * 1024 * 1024 * 1024),
  /** The size cap of one instance's database (size-cap.ts); 0 turns it off. */
  instanceMaxBytes: z
    .number()
    .int()
    .refine((value) => value === 0 || value >= MIN_INSTANCE_MAX_BYTES, `SILO_INSTANCE_MAX_BYTES must be 0 (no limit) or at least ${MIN_INSTANCE_MAX_BYTES} bytes`)
    .default(DEFAULT_INSTANCE_MAX_BYTES),
  backups: backupSettingsSchema,
  /** Where tenant databases live: SQLite files on this machine, or databases on Turso. */
  engineKind: z.enum(['local', 'turso']).default('local'),
  /** Required with `engineKind: 'turso'`; validated by turso-config.ts. */
  turso: z.custom<TursoSettingsInput>((value) => typeof value === 'object' && value !== null).optional(),
  /** The catalog on Turso (validated by catalog-config.ts); without it, `<dataDir>/catalog.db`. */
  catalog: z.custom<CatalogSettingsInput>((value) => typeof value === 'object' && value !== null).optional(),
});

export type FleetSettingsInput = z.input<typeof settingsSchema>;

export interface FleetSettings {
  readonly dataDir: string;
  /** Holds the catalog's token when it is on Turso: never log or render it. */
  readonly catalog: CatalogLocation;
  readonly regions: readonly Region[];
  readonly handleCap: number;
  readonly handleWaitMs: number;
  readonly retentionMs: number;
  /** 0: the audit log is kept forever. */
  readonly auditRetentionMs: number;
  readonly auditMaxFailedSignIns: number;
  readonly touchFlushMs: number;
  readonly query: QueryLimits;
  readonly queryWorkers: number;
  /** The memory limit of each process that runs tenant SQL (SILO_QUERY_MAX_MEMORY_BYTES). */
  readonly queryMaxMemoryBytes: number;
  /** A file check may take this many seconds, plus as many again per GiB of the file (SILO_CHECK_TIMEOUT_SEC). */
  readonly checkTimeoutSec: number;
  readonly fleetWorkers: number;
  readonly importMaxBytes: number;
  /** Per-instance database size cap in bytes; undefined when off. */
  readonly instanceMaxBytes: number | undefined;
  readonly backups: BackupSettings;
  readonly engineKind: 'local' | 'turso';
  /** Present when engineKind is turso. Holds secrets: never log or render it. */
  readonly turso: TursoSettings | undefined;
}

/** Two jurisdictions out of the box, so the placement rule is visible from the first demo. */
export const DEFAULT_REGIONS = [
  { id: 'eu-west', jurisdiction: 'eu' },
  { id: 'eu-central', jurisdiction: 'eu' },
  { id: 'us-east', jurisdiction: 'us' },
] as const;

export function resolveSettings(input: FleetSettingsInput): FleetSettings {
  const parsed = settingsSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'settings'}: ${issue.message}`);
    throw new SiloError('CONFIG_INVALID', `Invalid fleet configuration: ${issues.join('; ')}`);
  }
  const settings = parsed.data;
  const dataDir = path.resolve(settings.dataDir);
  const regions = (settings.regions ?? DEFAULT_REGIONS).map((region) => ({
    id: region.id,
    jurisdiction: region.jurisdiction,
    dataDir: path.resolve(dataDir, 'dataDir' in region && region.dataDir ? region.dataDir : path.join('regions', region.id)),
  }));
  if (settings.engineKind === 'turso' && !settings.turso) {
    throw new SiloError('CONFIG_INVALID', 'The turso engine needs its settings (SILO_TURSO_ORG, SILO_TURSO_API_TOKEN, SILO_TURSO_GROUPS).');
  }
  const turso = settings.engineKind === 'turso' && settings.turso ? resolveTursoSettings(settings.turso) : undefined;
  const seen = new Set<string>();
  for (const region of regions) {
    if (seen.has(region.id)) throw new SiloError('CONFIG_INVALID', `Region "${region.id}" is configured twice.`);
    seen.add(region.id);
  }
  return {
    dataDir,
    catalog: resolveCatalogLocation(settings.catalog, dataDir, turso?.tls ?? true),
    regions,
    handleCap: settings.handleCap ?? defaultHandleCap(openFileLimit()),
    handleWaitMs: settings.handleWaitMs,
    retentionMs: settings.retentionDays * 24 * 60 * 60 * 1000,
    auditRetentionMs: settings.auditRetentionDays * 24 * 60 * 60 * 1000,
    auditMaxFailedSignIns: settings.auditMaxFailedSignIns,
    touchFlushMs: settings.touchFlushMs,
    query: { timeoutMs: settings.queryTimeoutMs, maxRows: settings.queryMaxRows, maxBytes: settings.queryMaxBytes },
    queryWorkers: settings.queryWorkers,
    queryMaxMemoryBytes: settings.queryMaxMemoryBytes,
    checkTimeoutSec: settings.checkTimeoutSec,
    fleetWorkers: settings.fleetWorkers ?? Math.min(64, os.availableParallelism()),
    importMaxBytes: settings.importMaxBytes,
    instanceMaxBytes: settings.instanceMaxBytes === 0 ? undefined : settings.instanceMaxBytes,
    backups: resolveBackupSettings(settings.backups, regions, dataDir),
    engineKind: settings.engineKind,
    turso,
  };
}

const ENV_NUMBERS = {
  SILO_HANDLE_CAP: 'handleCap',
  SILO_RETENTION_DAYS: 'retentionDays',
  SILO_AUDIT_RETENTION_DAYS: 'auditRetentionDays',
  SILO_AUDIT_MAX_FAILED_SIGNINS: 'auditMaxFailedSignIns',
  SILO_QUERY_TIMEOUT_MS: 'queryTimeoutMs',
  SILO_QUERY_MAX_ROWS: 'queryMaxRows',
  SILO_QUERY_WORKERS: 'queryWorkers',
  SILO_QUERY_MAX_MEMORY_BYTES: 'queryMaxMemoryBytes',
  SILO_CHECK_TIMEOUT_SEC: 'checkTimeoutSec',
  SILO_FLEET_WORKERS: 'fleetWorkers',
  SILO_IMPORT_MAX_BYTES: 'importMaxBytes',
  SILO_INSTANCE_MAX_BYTES: 'instanceMaxBytes',
} as const satisfies Record<string, keyof FleetSettingsInput>;

/**
 * Reads the fleet's settings from environment variables (see the README's configuration
 * reference). Fails fast, naming the variable, rather than starting half-configured.
 *
 * SILO_REGIONS is a comma list of `id=jurisdiction` or `id=jurisdiction:/path`. SILO_ENGINE
 * picks where tenant databases live (`local`, the default, or `turso` with its SILO_TURSO_*
 * variables), so the apps and the CLI switch engines without a code change.
 */
export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): FleetSettingsInput {
  const input: FleetSettingsInput = { dataDir: env['SILO_DATA_DIR'] || 'data' };
  for (const [variable, key] of Object.entries(ENV_NUMBERS) as [keyof typeof ENV_NUMBERS, (typeof ENV_NUMBERS)[keyof typeof ENV_NUMBERS]][]) {
    const value = readSetting(env, variable);
    if (value !== undefined) input[key] = value;
  }
  const regions = env['SILO_REGIONS'];
  if (regions) input.regions = parseRegions(regions);
  const backups = backupSettingsFromEnv(env);
  if (Object.keys(backups).length > 0) input.backups = backups;
  const engine = readSetting(env, 'SILO_ENGINE');
  if (engine) {
    input.engineKind = engine;
    if (engine === 'turso') {
      assertSettings(env, ['turso']);
      input.turso = tursoSettingsFromEnv(env);
    }
  }
  const catalog = catalogSettingsFromEnv(env);
  if (catalog) input.catalog = catalog;
  return input;
}

const BACKUP_ENV_NUMBERS = {
  SILO_BACKUP_INTERVAL_SEC: ['intervalMs', 1_000],
  SILO_BACKUP_FULL_HISTORY_HOURS: ['fullHistoryHours', 1],
  SILO_BACKUP_DAILY_DAYS: ['dailyDays', 1],
  SILO_BACKUP_PURGE_AFTER_DAYS: ['purgeAfterDays', 1],
  SILO_BACKUP_VERIFY_SAMPLE: ['verifySample', 1],
  SILO_BACKUP_VERIFY_INTERVAL_MIN: ['verifyIntervalMs', 60_000],
  SILO_BACKUP_CONCURRENCY: ['concurrency', 1],
} as const;

function backupSettingsFromEnv(env: NodeJS.ProcessEnv): NonNullable<FleetSettingsInput['backups']> {
  const backups: NonNullable<FleetSettingsInput['backups']> = {};
  for (const [variable, [key, factor]] of Object.entries(BACKUP_ENV_NUMBERS) as [keyof typeof BACKUP_ENV_NUMBERS, (typeof BACKUP_ENV_NUMBERS)[keyof typeof BACKUP_ENV_NUMBERS]][]) {
    const value = readSetting(env, variable);
    if (value !== undefined) backups[key] = factor === 1 ? value : Math.round(value * factor);
  }
  const enabled = readSetting(env, 'SILO_BACKUPS');
  if (enabled !== undefined) backups.enabled = enabled === 'on';
  const locations = env['SILO_BACKUP_LOCATIONS'];
  if (locations) backups.locations = parseLocations(locations);
  const catalogLocation = env['SILO_BACKUP_CATALOG_LOCATION'];
  if (catalogLocation) backups.catalogLocation = parseLocation(catalogLocation, 'SILO_BACKUP_CATALOG_LOCATION');
  return backups;
}

function parseRegions(raw: string): NonNullable<FleetSettingsInput['regions']> {
  return raw.split(',').map((entry) => {
    const match = /^\s*([^=\s]+)=([^:\s]+)(?::(.+))?\s*$/.exec(entry);
    if (!match?.[1] || !match[2]) {
      throw new SiloError('CONFIG_INVALID', `SILO_REGIONS: "${entry}" should look like "eu-west=eu" or "eu-west=eu:/srv/eu".`);
    }
    return match[3] ? { id: match[1], jurisdiction: match[2], dataDir: match[3] } : { id: match[1], jurisdiction: match[2] };
  });
}
