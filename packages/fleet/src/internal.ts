/**
 * @silo/fleet/internal: the pieces Silo's own CLI, admin console, tests and benchmarks use
 * beyond the public API (engines, backup stores, residency and permission helpers). Not
 * covered by semver: anything here may change or go in any release. Apps import
 * `@silo/fleet` (and the browser-safe `@silo/fleet/schema`, `@silo/fleet/format` and
 * `@silo/fleet/unsafe-chars`).
 */
export { instanceNotFound } from './errors';
export { checkStorage, diskFullError, diskSpace, diskWarnPercent, isDiskFull, type DiskSpace, type StorageCheck } from './disk-space';
export { pushCatalog, type CatalogPushReport } from './catalog/push-catalog';
export { LocalEngine, RoutingEngine, TursoEngine, withLocalFiles } from './engines/open-engine';
export type { LocalEngineOptions, TursoConnectionInfo, TursoEngineOptions } from './engines/open-engine';
export { Backups } from './backups/backups';
export { recoverCatalog } from './backups/catalog-recovery';
export { parseLocations } from './backups/backup-config';
export type { BackupStore, StoredObject } from './backups/store';
export { FolderStore } from './backups/store';
export { S3Store } from './backups/s3-store';
export { DEFAULT_TURSO_API_URL, TURSO_ENV, resolveTursoSettings, tursoSettingsFromEnv } from './engines/turso-config';
export { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, STARTUP_CHECK_DEPTH, loosePermissionsMessage, restrictUmask } from './permissions';
export type { PermissionReport } from './permissions';
export { escapeChar, unsafeCharPattern } from './unsafe-chars';
export { uploadStagingFile, type UploadPlacement } from './residency/staging';
export { stagingDirOf } from './staging';
// The CLI removes its own temp files when interrupted (only names of this process); tests plant others'.
export { OWN_TEMP_TAG, tempNameOf } from './files';
export { residencyHash, verifyResidencyReport } from './residency/residency';
export { residencyMarkdown } from './residency/report';
export { parseSiloConfig } from './app-config/define-config';
export type { ParsedSiloConfig } from './app-config/define-config';
export { CONFIG_FILE_NAMES } from './app-config/discovery';
export { loadMigrationsFolder } from './app-config/migrations-folder';
export { metricsSqlOf } from './app-config/metrics';
// The one table of environment settings: docs, `silo --help` and start-up checks (settings/).
export {
  QUERY_TIMEOUT_MAX_MS,
  SETTINGS,
  SETTING_NAMES,
  assertSettings,
  checkSettings,
  cliEnvironmentHelp,
  readSetting,
  settingSchema,
  settingsGroupsIn,
  settingsTable,
  withSettingsTables,
} from './settings/index';
export type { Setting, SettingGroup, SettingName, SettingProblem, SettingValue } from './settings/index';
// One statement splitter for every surface (console scripts, the Turso engine, the CLI's --file and shell).
export { splitStatements } from './query/split-statements.mjs';
export { refWhileBusy } from './child-ref';
export { childModulePath, sourceExecArgv } from './source-mode';
// The libSQL endpoint's stream hosts run tenant SQL too, under the same memory limit.
export { MEMORY_LIMIT_SIGNAL, memoryLimitFlags, memoryLimitMessage } from './memory/memory-limit';
export { eachListed, listedInstance, listedInstanceCells, listedInstanceColumns, type ListedInstance } from './instance-list-export';
