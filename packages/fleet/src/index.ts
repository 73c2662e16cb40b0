/**
 * @silo/fleet: one SQLite database per tenant. The public API; nothing else is imported by
 * the apps or the CLI.
 */
export { Fleet, openFleet, type Readiness } from './fleet';
export { checkStorage, diskFullError, diskSpace, diskWarnPercent, isDiskFull, type DiskSpace, type StorageCheck } from './disk-space';
export type {
  ActorOption,
  CloneOptions,
  CreateOptions,
  ExportedFile,
  ExportOptions,
  FleetOptions,
  ImportOptions,
  InstanceDetails,
  InstanceHandle,
  PurgeExpiredReport,
  QueryAllEvent,
  QueryAllOptions,
  QueryOptions,
} from './fleet';
export type {
  AuditEntry,
  AuditQuery,
  FleetOverview,
  InstanceFilter,
  InstanceInfo,
  PurgeIntent,
  InstanceState,
  ListPage,
  ListQuery,
  SortKey,
} from './catalog/catalog';
export { SORT_KEYS } from './catalog/catalog';
export type { AdminCredentials, AdminDirectory, AdminUser, QueryHistoryEntry } from './catalog/admin-directory';
export { DEFAULT_REGIONS, resolveSettings, settingsFromEnv } from './config';
export { pushCatalog, type CatalogPushReport } from './catalog/push-catalog';
export type { CatalogLocation } from './catalog/catalog-db';
export type { FleetSettings, FleetSettingsInput, QueryLimits, Region } from './config';
export type {
  Engine,
  EngineBackupSupport,
  EngineCapabilities,
  EngineKind,
  DatabaseQuota,
  ExecuteResult,
  ImportReport,
  ImportSource,
  MigrationOutcome,
  QueryRequest,
  QueryResult,
  Row,
  SqlArgs,
  SqlValue,
  Statement,
  TenantConnection,
} from './engine';
export { LocalEngine, RoutingEngine, TursoEngine, withLocalFiles } from './engines/open-engine';
export type { LocalEngineOptions, TursoEngineOptions } from './engines/open-engine';
export { Backups } from './backups/backups';
export { recoverCatalog } from './backups/catalog-recovery';
export type {
  BackupOverview,
  BackupPoint,
  CycleReport,
  InstanceBackupStatus,
  RestoreOptions,
  RestoreResult,
  RetentionReport,
  VerificationReport,
} from './backups/backup-types';
export type { VerificationRecord } from './catalog/backup-records';
export type { BackupLocation, BackupSettings, BackupSettingsInput, LocationInput, RetentionPolicy } from './backups/backup-config';
export { parseLocations } from './backups/backup-config';
export type { BackupStore, StoredObject } from './backups/store';
export { FolderStore } from './backups/store';
export { S3Store } from './backups/s3-store';
export { DEFAULT_TURSO_API_URL, TURSO_ENV, resolveTursoSettings, tursoSettingsFromEnv } from './engines/turso-config';
export type { TursoSettings, TursoSettingsInput } from './engines/turso-config';
export { formatBytes } from './format';
export { SiloError, isSiloError } from './errors';
export type { SiloErrorCode, SiloErrorDetails } from './errors';
export type { InstanceMigrationResult, MigrateAllOptions, MigrateAllReport, MigrateProgress } from './migrate-all';
export { NAME_MAX_LENGTH, NAME_MIN_LENGTH, RESERVED_NAMES, validateName } from './names';
export { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, STARTUP_CHECK_DEPTH, loosePermissionsMessage, restrictUmask } from './permissions';
export type { PermissionReport } from './permissions';
export { DISPLAY_NAME_MAX_LENGTH, escapeChar, unsafeCharPattern, validateDisplayName } from './unsafe-text';
export type { InstanceMoveResult, MoveOptions, MoveProgress, MoveReport, MoveStatus } from './move/move-fleet';
export type { DoctorOptions, DoctorReport } from './reconcile';
export type { OrphanBackupSet, OrphanScan } from './backups/orphans';
export { uploadStagingFile, type UploadPlacement } from './residency/staging';
export { stagingDirOf } from './staging';
export { residencyHash, verifyResidencyReport } from './residency/residency';
export type {
  InstanceResidency,
  PlaceKind,
  ResidencyBucket,
  ResidencyErasure,
  ResidencyFolder,
  ResidencyListing,
  ResidencyOptions,
  ResidencyOrphan,
  ResidencyPlace,
  ResidencyViolation,
  ResidencyWarning,
} from './residency/residency';
export type { Filesystem } from './residency/mounts';
export { residencyMarkdown } from './residency/report';
export type { ResidencyReportFile, WrittenReport } from './residency/report';
export { defineTenantSchema } from './schema';
export type { Migration, TenantSchema } from './schema';
export { defineConfig, parseSiloConfig } from './app-config/define-config';
export type { MigrationsFolderInput, ParsedSiloConfig, SchemaInput, SchemaModuleInput, SiloConfig } from './app-config/define-config';
export { loadSiloConfig, type LoadedSiloConfig } from './app-config/load-config';
export { CONFIG_FILE_NAMES, findConfigFile, type ConfigSearchOptions, type FoundConfig } from './app-config/discovery';
export { loadMigrationsFolder } from './app-config/migrations-folder';
export { metricsSqlOf, type MetricDefinition, type MetricInput } from './app-config/metrics';
export { appUrlFor } from './app-config/app-url';
