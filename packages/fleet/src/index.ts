/**
 * @silo/fleet: one SQLite database per tenant. The public, semver-covered API: what an app
 * needs (openFleet, Fleet, settings, errors, schema and config helpers) and the types its
 * methods take and return. Silo's own tools reach further through `@silo/fleet/internal`.
 * test/public-api.test.ts pins this list: a new export is a decision, not an accident.
 */
export { Fleet, openFleet, type Readiness } from './fleet';
export type { FleetStats } from './stats';
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
export type { ActiveTenants, UsageDay } from './catalog/instance-activity';
export type { SavedQueries, SavedQuery } from './catalog/saved-queries';
export type { AdminCredentials, AdminDirectory, AdminUser, QueryHistoryEntry } from './catalog/admin-directory';
export { API_TOKEN_SCOPES } from './catalog/api-tokens';
export type { ApiToken, ApiTokens, ApiTokenScope, IdempotentResponse, NewApiToken } from './catalog/api-tokens';
export type { TokenGenerations } from './catalog/token-generations';
export { DEFAULT_REGIONS, resolveSettings, settingsFromEnv } from './config';
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
export type { TursoSettings, TursoSettingsInput } from './engines/turso-config';
export { formatBytes } from './format';
export { SiloError, isSiloError } from './errors';
export type { SiloErrorCode, SiloErrorDetails } from './errors';
export type { InstanceMigrationResult, MigrateAllOptions, MigrateAllReport, MigrateProgress } from './migrate-all';
export { NAME_MAX_LENGTH, NAME_MIN_LENGTH, NAME_PATTERN, RESERVED_NAMES, validateName } from './names';
export { DISPLAY_NAME_MAX_LENGTH, validateDisplayName } from './unsafe-text';
export type { InstanceMoveResult, MoveOptions, MoveProgress, MoveReport, MoveStatus } from './move/move-fleet';
export type { DoctorOptions, DoctorReport } from './reconcile';
export type { OrphanBackupSet, OrphanScan } from './backups/orphans';
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
export type { ResidencyReportFile, WrittenReport } from './residency/report';
export { defineTenantSchema } from './schema';
export type { Migration, TenantSchema } from './schema';
export { defineConfig } from './app-config/define-config';
export type { MigrationsFolderInput, SchemaInput, SchemaModuleInput, SiloConfig } from './app-config/define-config';
export { loadSiloConfig, type LoadedSiloConfig } from './app-config/load-config';
export { findConfigFile, type ConfigSearchOptions, type FoundConfig } from './app-config/discovery';
export type { MetricDefinition, MetricInput } from './app-config/metrics';
export { appUrlFor } from './app-config/app-url';
