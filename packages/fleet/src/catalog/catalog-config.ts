import { createHash } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { SiloError } from '../errors';
import type { CatalogLocation } from './catalog-db-types';
import { readSetting } from '../settings/check';

/**
 * Where the catalog lives. By default a SQLite file in the data folder; with SILO_CATALOG_URL
 * a Turso database that every app server reads through an embedded replica, so several servers
 * share one catalog. The token is a secret: nothing here prints it.
 */
export const catalogSettingsSchema = z.object({
  /** The catalog database on Turso: `libsql://<hostname>` as Turso gives it (or https://, or http:// for a local stand-in). */
  url: z.string().regex(/^(libsql|https?):\/\/[^\s/]+/, 'must be a libsql://, https:// or http:// URL'),
  authToken: z.string().min(1, 'a database or group token for the catalog database is required'),
  /** How often the replica pulls what other servers wrote (it also pulls after each of our writes). */
  syncIntervalSec: z.number().min(0.1).max(3_600).default(2),
});

export type CatalogSettingsInput = z.input<typeof catalogSettingsSchema>;

export const CATALOG_ENV = {
  SILO_CATALOG_URL: 'url',
  SILO_CATALOG_AUTH_TOKEN: 'authToken',
  SILO_CATALOG_SYNC_INTERVAL_SEC: 'syncIntervalSec',
} as const;

/** The SILO_CATALOG_* variables, or undefined when the catalog is the local file. */
export function catalogSettingsFromEnv(env: NodeJS.ProcessEnv): CatalogSettingsInput | undefined {
  const value = (name: keyof typeof CATALOG_ENV): string | undefined => env[name]?.trim() || undefined;
  const url = value('SILO_CATALOG_URL');
  if (url === undefined) {
    if (value('SILO_CATALOG_AUTH_TOKEN') !== undefined) {
      throw new SiloError('CONFIG_INVALID', 'SILO_CATALOG_AUTH_TOKEN is set but SILO_CATALOG_URL is not: set both to keep the catalog on Turso.');
    }
    return undefined;
  }
  const interval = readSetting(env, 'SILO_CATALOG_SYNC_INTERVAL_SEC');
  return {
    url,
    authToken: value('SILO_CATALOG_AUTH_TOKEN') ?? '',
    ...(interval === undefined ? {} : { syncIntervalSec: interval }),
  };
}

/**
 * The location the Catalog opens. The replica's folder is named after the primary's URL: a
 * replica only ever continues from its own primary, so pointing SILO_CATALOG_URL elsewhere
 * starts a fresh one instead of mixing two databases' pages.
 */
export function resolveCatalogLocation(input: CatalogSettingsInput | undefined, dataDir: string, tls: boolean): CatalogLocation {
  if (input === undefined) return { kind: 'file', file: path.join(dataDir, 'catalog.db') };
  const parsed = catalogSettingsSchema.safeParse(input);
  if (!parsed.success) {
    const variable = (key: PropertyKey | undefined): string => Object.entries(CATALOG_ENV).find(([, setting]) => setting === key)?.[0] ?? 'catalog';
    const issues = parsed.error.issues.map((issue) => `${variable(issue.path[0])}: ${issue.message}`);
    throw new SiloError('CONFIG_INVALID', `Invalid catalog configuration: ${issues.join('; ')}`);
  }
  const { url, authToken, syncIntervalSec } = parsed.data;
  // libsql appends its sync paths to the URL as is: a trailing slash breaks them without an error.
  const trimmed = url.replace(/\/+$/, '');
  const syncUrl = trimmed.startsWith('libsql://') ? `${tls ? 'https' : 'http'}://${trimmed.slice('libsql://'.length)}` : trimmed;
  const folder = `catalog-replica-${createHash('sha256').update(syncUrl).digest('hex').slice(0, 12)}`;
  return { kind: 'turso', syncUrl, authToken, syncIntervalSec, replicaDir: path.join(dataDir, folder) };
}
