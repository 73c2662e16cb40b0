import type { QueryLimits } from './config';
import { SiloError } from './errors';
import type { Region } from './regions';
import type { TenantSchema } from './schema';

/**
 * The engine seam: where tenant databases live. The local engine keeps one SQLite file per
 * instance; a Turso engine keeps one libSQL database per instance. Callers (the fleet, the
 * apps) only see this interface, so switching engines is configuration, not code.
 *
 * Every engine must pass the contract suite in packages/fleet/test/engine-contract.test.ts,
 * which runs each case over every engine and checks what `capabilities` promises.
 */

/**
 * The engines Silo has. A database URL starts with its engine's kind (`local:…`, `turso:…`), and
 * the catalog records it per instance, so a kind is a closed set, not any string.
 */
export type EngineKind = 'local' | 'turso';

export type SqlValue = null | number | bigint | string | Uint8Array;
export type SqlArgs = readonly SqlValue[] | Readonly<Record<string, SqlValue>>;
export type Row = Record<string, SqlValue>;

export interface Statement {
  readonly sql: string;
  readonly args?: SqlArgs;
}

export interface ExecuteResult {
  readonly rows: Row[];
  readonly rowsAffected: number;
  readonly lastInsertRowid: number | bigint | undefined;
}

/** An open connection to one tenant database. Async so that remote engines fit the same shape. */
export interface TenantConnection {
  execute(sql: string, args?: SqlArgs): Promise<ExecuteResult>;
  /** Runs the statements in one transaction: all of them commit, or none. */
  batch(statements: readonly Statement[]): Promise<ExecuteResult[]>;
  /**
   * `batch` for work too long for the caller's thread (a write over a whole list, a read of
   * all of it): a local file is opened on a connection of its own in a worker thread, which the
   * statements hold instead of the main thread; a remote engine's batch is network I/O already.
   * A batch that writes holds the database's write lock meanwhile, so writes of this process
   * to the same database should wait for it (a main-thread write would wait in SQLite's busy
   * handler, which blocks its thread).
   */
  batchOffThread(statements: readonly Statement[]): Promise<ExecuteResult[]>;
  /**
   * For a handle nobody has used for a while: gives back the disk its write-ahead log holds
   * (local files; a remote engine has none to give back). Never waits for a lock. True when
   * the log was truncated, so the instance's size on disk changed.
   */
  trimIdle?(): boolean;
  close(): void;
}

export interface QueryRequest {
  readonly sql: string;
  readonly args?: SqlArgs;
  readonly readOnly: boolean;
  readonly limits: QueryLimits;
  /** With `readOnly: false`: `sql` may hold several statements, run as one transaction. */
  readonly script?: boolean;
  /**
   * One of many queries of a fleet-wide run (`queryAll`): an engine with a pool for fleet-wide
   * work runs it there, beside the console's queries rather than ahead of them.
   */
  readonly fleetWide?: boolean;
  /**
   * The caller gave up (Ctrl+C, a client that went away): once it fires the query is rejected
   * with QUERY_ABORTED and its work stopped where the engine can (local files: dropped from the
   * queue, or its process killed; Turso: the HTTP request aborted).
   */
  readonly signal?: AbortSignal;
}

/** A result shaped for tables and CSV: column names plus rows as arrays. */
export interface QueryResult {
  readonly columns: string[];
  readonly rows: SqlValue[][];
  readonly truncated: boolean;
  /** Rows changed by a write statement; 0 for reads. */
  readonly rowsAffected: number;
  /** How many statements a script ran (absent for one statement). */
  readonly statements?: number;
  readonly durationMs: number;
}

export interface MigrationOutcome {
  readonly from: number;
  readonly to: number;
  /** The database's size after the migration, when the engine measured it on the way. */
  readonly sizeBytes?: number;
}

/**
 * Fleet-wide work spread over workers of this machine (the local engine's threads and query
 * processes): `parallelism` is how many instances are worked on at once. Remote engines have
 * none and keep their own concurrency.
 */
export interface EngineFleetWork {
  readonly parallelism: number;
  /** Fleet-wide queries (`Fleet.queryAll`) to keep in flight so that none of the workers waits. */
  readonly queriesInFlight: number;
  /** Starts the workers ahead of their first task (they start on first use otherwise). */
  warm(): void;
  /** `Engine.migrate` on a worker: the same transaction, the same outcome and errors. */
  migrate(url: string, schema: TenantSchema, options: { dryRun: boolean }): Promise<MigrationOutcome>;
}

/**
 * Where a file to import comes from. An upload is anyone's file: its schema must be exactly
 * the reference schema of its version. A copy the fleet made itself (a backup point for a
 * restore as a new instance, a live instance moving to another engine) is the instance as it
 * was served, so only the integrity and version checks apply: refusing it would lose data the
 * fleet already holds, and its schema is the instance's own history (write-mode changes
 * included), not an outsider's.
 */
export type ImportSource = 'upload' | 'own-copy';

/**
 * Refuses an import whose `signal` was aborted: IMPORT_REJECTED with reason `aborted`, so the
 * fleet drops its provisioning row (the name stays free) as for any refused file. Engines call
 * it before each step up to the point of no return.
 */
export function stopIfImportAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw importAborted(signal);
}

/** The refusal of an import stopped by its abort signal. */
export function importAborted(signal: AbortSignal): SiloError<'IMPORT_REJECTED'> {
  return new SiloError('IMPORT_REJECTED', 'The import was stopped before the instance was created (its abort signal fired). Nothing was created.', {
    details: { reason: 'aborted' },
    cause: signal.reason,
  });
}

/**
 * The rejection of a query stopped by its abort signal; `outcome` says what became of its
 * statement, and `outcomeUnknown` that the engine may still finish it.
 */
export function queryAborted(signal: AbortSignal, outcome: string, outcomeUnknown = false): SiloError<'QUERY_ABORTED'> {
  return new SiloError('QUERY_ABORTED', `The query was stopped: its abort signal fired (its caller gave up). ${outcome}`, {
    cause: signal.reason,
    ...(outcomeUnknown ? { details: { outcomeUnknown: true } } : {}),
  });
}

/** Refuses a query whose signal fired before it was sent anywhere; `outcome` says what ran (by default, nothing). */
export function stopIfQueryAborted(signal: AbortSignal | undefined, outcome = 'It did not run.'): void {
  if (signal?.aborted) throw queryAborted(signal, outcome);
}

export interface ImportReport {
  readonly fromVersion: number;
  readonly toVersion: number;
  readonly sizeBytes: number;
}

/**
 * What Silo's own backups need from an engine. Optional: an engine whose provider keeps its
 * own point-in-time history (Turso) may leave it out, and its instances are then skipped.
 */
export interface EngineBackupSupport {
  /**
   * A cheap token that changes whenever the database may have changed (for local files: size
   * and modification time of the file and its WAL). Undefined when the database is missing.
   */
  changeToken(url: string): string | undefined;
  /**
   * Writes a consistent single-file snapshot to `destPath` and returns the change token read
   * while the snapshot's lock was held, so a write that lands after it is never mistaken for
   * being in this snapshot, and `takenAt`, `clock` read at that same moment: the snapshot holds
   * every commit made before it and none made after. `settledToken`, when given, is a second
   * token that also means "unchanged since this snapshot": the one the files will show once
   * the engine has tidied them without a commit (a local file's WAL folded in and removed when
   * its last connection closes), so an evicted handle does not look like new data.
   */
  snapshot(url: string, destPath: string, clock: () => number): Promise<{ changeToken: string; settledToken?: string | undefined; takenAt: number }>;
  /**
   * Replaces the live database's content with the SQLite file `sourcePath` as one write
   * transaction: connections of any process see the old content or the new, never a mix.
   */
  replaceContent(url: string, sourcePath: string): Promise<void>;
}

/**
 * What an engine offers beyond the required methods, stated rather than inferred from which
 * optional members happen to exist: a wrapper (RoutingEngine) that forgot to forward one
 * would otherwise silently turn a feature off (the backup cycle backing up nothing). The
 * contract suite checks each flag against the member it promises.
 */
export interface EngineCapabilities {
  /** `backups` is set: Silo takes its own backup points of (some of) this engine's databases. */
  readonly backups: boolean;
  /** `cloneAt` works: the backend keeps history to branch from. */
  readonly pointInTime: boolean;
  /** `usageMetrics` reports figures the service counts itself. */
  readonly usageMetrics: boolean;
  /** `databaseQuota` reads the plan's quota of databases before bulk operations. */
  readonly databaseQuota: boolean;
}

/** The plan's limit on databases, and how many there are, when the backend has one. */
export interface DatabaseQuota {
  readonly plan: string;
  readonly limit: number | undefined;
  readonly used: number | undefined;
}

export interface Engine {
  readonly capabilities: EngineCapabilities;
  /** Backups of this engine's databases; undefined when Silo does not back them up (capabilities.backups). */
  readonly backups?: EngineBackupSupport;
  /** The plan's database quota (capabilities.databaseQuota). */
  databaseQuota?(): Promise<DatabaseQuota>;
  /**
   * Rejects when the service behind the engine does not answer or refuses the credentials
   * (a readiness probe's "the engine is reachable"). Engines on local files have nothing to
   * reach and leave it out; the probe checks their folders instead.
   */
  checkReachable?(): Promise<void>;
  readonly kind: EngineKind;
  /** The database URL an instance of this name gets in this region. Pure: creates nothing. */
  locate(name: string, region: Region): string;
  /** Creates the database at the schema's latest version. On return it is servable; on failure nothing is left. */
  create(url: string, schema: TenantSchema): Promise<void>;
  /** Branches a live database into `targetUrl`, consistent while the source keeps serving. */
  clone(sourceUrl: string, targetUrl: string): Promise<void>;
  /**
   * Branches the database as it was at `at` into `targetUrl`. Only engines whose backend keeps
   * history have it (Turso: 24 hours, or 30 days on some plans).
   */
  cloneAt?(sourceUrl: string, targetUrl: string, at: Date): Promise<void>;
  /**
   * Validates an uploaded SQLite file (format, integrity, a known or migratable schema; for
   * an upload, exactly the schema objects of its version) and creates `targetUrl` from it at
   * the latest version. A refused file leaves nothing behind. `source` defaults to 'upload'.
   *
   * `signal` stops the import between its steps (stopIfImportAborted): an abort is noticed
   * before the next step starts, the step under way (a copy, the check) running to its end
   * first, and refused like a bad file (IMPORT_REJECTED, reason `aborted`), leaving nothing
   * behind. Once the engine starts to put the database in place (a rename, an upload) it is
   * ignored, and the import completes.
   */
  importFile(sourcePath: string, targetUrl: string, schema: TenantSchema, maxBytes: number, source?: ImportSource, signal?: AbortSignal): Promise<ImportReport>;
  /** Writes a consistent single-file SQLite snapshot of the database to `destPath`. */
  snapshot(url: string, destPath: string): Promise<void>;
  /** Removes the database and everything beside it (WAL, shared memory, staging files). Idempotent. */
  remove(url: string): Promise<void>;
  exists(url: string): Promise<boolean>;
  sizeOf(url: string): Promise<number>;
  /** Usage the service counts itself (e.g. Turso's rows read and written), kept as catalog metrics. */
  usageMetrics?(url: string): Promise<Record<string, number>>;
  schemaVersion(url: string): Promise<number>;
  /** Problems found by SQLite's integrity check; empty when the database is sound. */
  integrityCheck(url: string): Promise<string[]>;
  connect(url: string): TenantConnection;
  /** Fleet-wide work on workers of this machine; undefined for remote engines. */
  readonly fleetWork?: EngineFleetWork;
  /** Applies pending migrations in one transaction (rolled back when `dryRun`). */
  migrate(url: string, schema: TenantSchema, options: { dryRun: boolean }): Promise<MigrationOutcome>;
  /** Runs one statement where a runaway can be stopped at the time limit without blocking the caller. */
  query(url: string, request: QueryRequest): Promise<QueryResult>;
  /** Every database URL present in these regions, plus leftovers of interrupted operations. */
  inventory(regions: readonly Region[]): Promise<{ databases: string[]; leftovers: string[] }>;
  /** Deletes one leftover reported by `inventory`. */
  removeLeftover(leftover: string): Promise<void>;
  close(): Promise<void>;
}
