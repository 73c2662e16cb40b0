/**
 * The Turso pieces that code outside engines/ uses directly, because it talks to Turso without
 * being a tenant engine: the catalog on Turso (its primary's schema version, `silo catalog
 * push`), the residency report (the Platform API's view of groups and locations) and `silo move`
 * (the version table its seal leaves alone, the plan-quota warning). Re-exported here so the
 * lint rule can name one door instead of a list of engine modules (see open-engine.ts).
 */
export { TursoPlatform } from './turso-platform';
export { SecretScrubber } from './turso-secrets';
export { uploadFrom } from './turso-dump';
export { quotaWarning } from './turso-quota';
export { VERSION_TABLE, isVersionTable, readRemoteVersion, writeRemoteVersion } from './version-table';
