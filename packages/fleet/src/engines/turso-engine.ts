import { rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Client, ResultSet, Transaction } from '@libsql/client';
import type { Region } from '../regions';
import { importAborted, stopIfImportAborted, type DatabaseQuota, type Engine, type EngineCapabilities, type ImportReport, type ImportSource, type MigrationOutcome, type QueryRequest, type QueryResult, type TenantConnection } from '../engine';
import { SiloError, errorMessage, isSiloError } from '../errors';
import { splitStatements } from '../query/split-statements.mjs';
import type { TenantSchema } from '../schema';
import { publishAsync, removeDatabaseFiles, tempSibling } from '../files';
import { stagingDirOf, stagingLeftovers } from '../staging';
import { checkUploadHeader } from './sqlite-import';
import { validateImport } from './check-process';
import { maxDatabaseNameLength, type TursoSettings } from './turso-config';
import { TursoConnection, dataPlaneError, isAuthRefused, openClient, type DataPlaneTarget } from './turso-connection';
import { exportDatabaseFile } from './turso-export';
import { uploadFrom } from './turso-dump';
import { prepareForUpload, uploadDatabaseFile, type ByteTarget } from './turso-upload';
import { localFingerprint, compareUpload } from './turso-verify';
import { TursoPlatform, type TursoOrganizationUsage, type TursoUsage } from './turso-platform';
import { checkResidency } from './turso-residency';
import { PendingDeletes } from './turso-pending-deletes';
import { quotaWarning } from './turso-quota';
import { runBoundedQuery, runBoundedScript } from './turso-query';
import { TursoStatementGuard } from './turso-statement-guard';
import { SecretScrubber } from './turso-secrets';
import { GroupTokens, type TokenAccess } from './turso-tokens';
import { databaseName, parseTursoUrl, tursoUrl, type TursoLocation } from './turso-url';
import { foldVersionTable, readRemoteVersion, stampVersionTable, writeRemoteVersion } from './version-table';
import Database from 'better-sqlite3';
import type { SqliteDatabase } from '../sqlite';
import { copyPrivateAsync, makePrivateDir } from '../permissions';
import { isFullError, sizeLimitExceeded } from '../size-cap';

/** A database's Hrana base URL and a group token for it (TursoEngine.connectionInfo). */
export interface TursoConnectionInfo {
  readonly url: string;
  readonly token: string;
  renew(): Promise<boolean>;
}

export interface TursoEngineOptions {
  readonly settings: TursoSettings;
  /** The configured regions: each one's jurisdiction must map to a Turso group. */
  readonly regions: readonly Region[];
  /**
   * Databases in the tenant groups that are not tenants, by URL (the catalog on Turso may
   * share a group): never reported as orphans.
   */
  readonly notTenants?: readonly string[];
  /** The per-instance size cap (SILO_INSTANCE_MAX_BYTES), given to Turso as each database's size_limit. */
  readonly maxBytes?: number | undefined;
  /** The memory limit of the process an import is checked in (SILO_QUERY_MAX_MEMORY_BYTES). */
  readonly queryMaxMemoryBytes?: number | undefined;
  /** The base of that check's time limit (SILO_CHECK_TIMEOUT_SEC); without it, the default. */
  readonly checkTimeoutSec?: number | undefined;
  /** Where warnings go (a plan quota nearly used up, a clean-up delete that failed); default a process warning. */
  readonly warn?: (message: string) => void;
}

/**
 * Tenant databases on Turso: one libSQL database per instance, in the Turso group mapped to
 * the instance's jurisdiction. The control plane (create, branch, delete, list, usage) goes
 * through the Platform API; the data plane through `@libsql/client` with one group token per
 * group, held in memory only.
 *
 * See docs/decisions/0011-turso-engine.md for what differs from local files.
 */
export class TursoEngine implements Engine {
  readonly kind = 'turso';
  readonly capabilities: EngineCapabilities = { backups: false, pointInTime: true, usageMetrics: true, databaseQuota: true };
  readonly #settings: TursoSettings;
  readonly #maxMemoryBytes: number | undefined;
  readonly #checkTimeoutSec: number | undefined;
  readonly #regions: readonly Region[];
  readonly #scrubber = new SecretScrubber();
  readonly #platform: TursoPlatform;
  readonly #tokens: GroupTokens;
  readonly #notTenants: ReadonlySet<string>;
  readonly #hostnames = new Map<string, string>();
  /** The organization's usage, one Platform API call per usageCacheMs for every database. */
  #orgUsage: { at: number; usage: Promise<TursoOrganizationUsage> } | undefined;
  /** DbId by database name: the organization's usage names databases by id. */
  readonly #ids = new Map<string, string>();
  /** Groups whose primary is not on AWS, where Turso takes no file upload (see #takesUploads). */
  readonly #offAws = new Set<string>();
  readonly #pendingDeletes: PendingDeletes;
  readonly #warn: (message: string) => void;
  readonly #guard = new TursoStatementGuard();
  readonly #maxBytes: number | undefined;

  private constructor(options: TursoEngineOptions) {
    this.#settings = options.settings;
    this.#regions = options.regions;
    this.#platform = new TursoPlatform({
      org: options.settings.org,
      apiToken: options.settings.apiToken,
      apiUrl: options.settings.apiUrl,
      scrubber: this.#scrubber,
    });
    for (const token of Object.values(options.settings.groupTokens)) this.#scrubber.add(token);
    this.#tokens = new GroupTokens(this.#platform, options.settings.groupTokens, options.settings.tokenExpiration);
    this.#warn = options.warn ?? ((message) => process.emitWarning(message, { code: 'SILO_TURSO' }));
    this.#pendingDeletes = new PendingDeletes((name) => this.#platform.deleteDatabase(name), this.#warn);
    this.#notTenants = new Set((options.notTenants ?? []).map(hostKey));
    this.#maxBytes = options.maxBytes;
    this.#maxMemoryBytes = options.queryMaxMemoryBytes;
    this.#checkTimeoutSec = options.checkTimeoutSec;
  }

  /**
   * Checks the configuration against Turso before anything is served: every jurisdiction has a
   * group, every group exists, and every group has a token (configured, or minted now).
   */
  static async open(options: TursoEngineOptions): Promise<TursoEngine> {
    const engine = new TursoEngine(options);
    await engine.#start();
    return engine;
  }

  /** `turso:<group>/<database>`: the group of the region's jurisdiction, and the instance's database name. */
  locate(name: string, region: Region): string {
    return tursoUrl({ group: this.#groupOf(region), database: databaseName(this.#settings.databasePrefix, name, maxDatabaseNameLength(this.#settings)) });
  }

  /** The plan's database quota and the organization's count (clones and point-in-time branches are databases too). */
  async databaseQuota(): Promise<DatabaseQuota> {
    const quota = await this.#platform.planQuota();
    return { plan: quota.plan, limit: quota.databases, used: quota.databasesUsed };
  }

  async create(url: string, schema: TenantSchema): Promise<void> {
    await this.#provision(parseTursoUrl(url));
    try {
      await this.migrate(url, schema, { dryRun: false });
    } catch (error) {
      await this.#cleanUp(parseTursoUrl(url).database);
      throw error;
    }
  }

  /** A Turso branch: the source keeps serving, the copy is consistent as of the branch point. */
  async clone(sourceUrl: string, targetUrl: string): Promise<void> {
    await this.#provision(parseTursoUrl(targetUrl), { database: parseTursoUrl(sourceUrl).database });
  }

  /** A branch of the source as it was at `at` (Turso keeps 24 hours, or 30 days on some plans). */
  async cloneAt(sourceUrl: string, targetUrl: string, at: Date): Promise<void> {
    await this.#provision(parseTursoUrl(targetUrl), { database: parseTursoUrl(sourceUrl).database, timestamp: at });
  }

  /**
   * The upload is validated and migrated as a local file, staged inside a region of the target's
   * jurisdiction, exactly as the local engine does; then brought into the shape Turso accepts
   * (WAL, 4096-byte pages, no auto_vacuum, checkpointed) and uploaded as a file into a
   * `database_upload` draft, which Turso serves only once the upload passed its checks; into a
   * group off AWS, which takes no upload, it is loaded as SQL instead. The copy is then verified
   * against the staged file before it is reported imported.
   *
   * An aborted `signal` is refused before the copy, the check and the upload (the local steps
   * under way run to their end first); nothing has reached Turso by then. Once the upload
   * begins it is ignored, and the import completes.
   */
  async importFile(sourcePath: string, targetUrl: string, schema: TenantSchema, maxBytes: number, source: ImportSource = 'upload', signal?: AbortSignal): Promise<ImportReport> {
    stopIfImportAborted(signal);
    checkUploadHeader(sourcePath, maxBytes);
    const location = parseTursoUrl(targetUrl);
    // Staged on this machine, in a folder of a region of the instance's jurisdiction.
    const staging = stagingDirOf(this.#regionOfGroup(location.group));
    makePrivateDir(staging);
    const temp = tempSibling(path.join(staging, `${location.database}.import.db`));
    try {
      let report: { fromVersion: number; toVersion: number };
      try {
        await copyPrivateAsync(sourcePath, temp);
        stopIfImportAborted(signal);
        report = await validateImport(temp, schema, source, this.#maxMemoryBytes, this.#checkTimeoutSec);
      } catch (error) {
        // A check that failed because of the stop (Ctrl+C reaches the check process too) was stopped, not refused.
        throw signal?.aborted ? importAborted(signal) : error;
      }
      // On Turso the version lives in a table (version-table.ts); the file carries it there.
      withFile(temp, stampVersionTable);
      const asFile = this.#takesUploads(location.group);
      if (asFile) prepareForUpload(temp);
      const expected = localFingerprint(temp, { asSql: !asFile });
      const sizeBytes = statSync(temp).size;
      // The point of no return: once the upload begins, the import completes whatever the signal says.
      stopIfImportAborted(signal);
      await (asFile ? this.#provisionFromFile(location, temp) : this.#provisionBySql(location, temp));
      try {
        const problems = await this.#withDatabase(targetUrl, 'full', (client) => compareUpload(client, expected));
        const version = await this.schemaVersion(targetUrl);
        if (version !== expected.version) problems.push(`schema version ${version} on Turso, ${expected.version} in the file`);
        if (problems.length > 0) {
          throw new SiloError('ENGINE_FAILURE', `The copy of "${location.database}" on Turso differs from the uploaded file: ${problems.join('; ')}.`);
        }
      } catch (error) {
        await this.#cleanUp(location.database);
        throw this.#overCap(targetUrl, dataPlaneError(error, this.#scrubber));
      }
      return { ...report, sizeBytes };
    } finally {
      removeDatabaseFiles(temp);
    }
  }

  /**
   * The database's bytes as `turso db export` reads them (`/info`, `/export/{generation}`,
   * `/sync/...`; turso-export.ts): byte for byte Turso's file, virtual tables included, no SQL
   * transaction held and no rows read. The file stays in WAL mode, as local instance files are.
   */
  async snapshot(url: string, destPath: string): Promise<void> {
    makePrivateDir(path.dirname(destPath));
    const temp = tempSibling(destPath);
    try {
      await this.#withByteTarget(url, 'read', (target) => exportDatabaseFile(target, temp));
      // A local file keeps its version in user_version, whatever way the bytes came down.
      withFile(temp, foldVersionTable);
      await publishAsync(temp, destPath, { ownsSidecars: false });
    } catch (error) {
      removeDatabaseFiles(temp);
      throw dataPlaneError(error, this.#scrubber);
    }
  }

  async remove(url: string): Promise<void> {
    const { database } = parseTursoUrl(url);
    try {
      await this.#platform.deleteDatabase(database);
    } catch (error) {
      // Callers often clean up with `.catch(() => undefined)` (a move rolled back, a create
      // undone): the failure is recorded so the next inventory deletes it, never leaked silently.
      this.#pendingDeletes.record(database, error);
      throw error;
    }
    this.#pendingDeletes.forget(database);
    this.#hostnames.delete(database);
    this.#ids.delete(database);
  }

  async exists(url: string): Promise<boolean> {
    const location = parseTursoUrl(url);
    const found = await this.#platform.getDatabase(location.database);
    if (!found || (found.group !== undefined && found.group !== location.group)) return false;
    this.#hostnames.set(location.database, found.hostname);
    if (found.id) this.#ids.set(location.database, found.id);
    return true;
  }

  /**
   * Storage as Turso's usage reports it; a database too new to have figures is measured in
   * pages, with the full-access token: sqld counts page_count and page_size as writes, which a
   * read-only token may not send (HTTP 403).
   */
  async sizeOf(url: string): Promise<number> {
    try {
      const { storageBytes } = await this.#usageOf(url);
      if (storageBytes > 0) return storageBytes;
    } catch {
      // Usage is best effort; the page count below is exact.
    }
    return this.#withDatabase(url, 'full', async (client) => {
      const [count, size] = await client.batch(['PRAGMA page_count', 'PRAGMA page_size'], 'deferred');
      return Number(firstValue(count)) * Number(firstValue(size));
    }).catch((error: unknown) => {
      throw dataPlaneError(error, this.#scrubber);
    });
  }

  /** Rows read and written as Turso counts them (the current billing period), for the catalog's metrics. */
  async usageMetrics(url: string): Promise<Record<string, number>> {
    const usage = await this.#usageOf(url);
    return { 'turso.rowsRead': usage.rowsRead, 'turso.rowsWritten': usage.rowsWritten };
  }

  /** The version table's figure (Turso refuses PRAGMA user_version, reading included). */
  async schemaVersion(url: string): Promise<number> {
    return this.#withDatabase(url, 'read', (client) => readRemoteVersion(client)).catch(
      (error: unknown) => {
        throw dataPlaneError(error, this.#scrubber);
      },
    );
  }

  /** With the full-access token: sqld serves integrity_check as a write, refused to a read-only token. */
  async integrityCheck(url: string): Promise<string[]> {
    try {
      const result = await this.#withDatabase(url, 'full', (client) => client.execute('PRAGMA integrity_check'));
      const messages = result.rows.map((row) => String(row[0]));
      return messages.length === 1 && messages[0] === 'ok' ? [] : messages;
    } catch (error) {
      return [this.#scrubber.scrub(errorMessage(error))];
    }
  }

  connect(url: string): TenantConnection {
    const connection = new TursoConnection(
      () => this.#target(url),
      (stale) => this.#renewToken(stale),
      this.#scrubber,
    );
    if (this.#maxBytes === undefined) return connection;
    const overCap = (error: unknown): never => {
      throw this.#overCap(url, error);
    };
    return {
      execute: (sql, args) => connection.execute(sql, args).catch(overCap),
      batch: (statements) => connection.batch(statements).catch(overCap),
      batchOffThread: (statements) => connection.batchOffThread(statements).catch(overCap),
      close: () => connection.close(),
    };
  }

  /**
   * Pending migrations in one interactive write transaction, the version read from the version
   * table inside it and bumped there, so two migrators never both apply a step; a dry run rolls
   * back. The transaction must end within Turso's 5 s limit for interactive transactions.
   */
  async migrate(url: string, schema: TenantSchema, options: { dryRun: boolean }): Promise<MigrationOutcome> {
    return this.#withDatabase(url, 'full', async (client) => {
      const tx = await client.transaction('write');
      try {
        await foreignKeysOffBeforeBegin(tx);
        const from = await readRemoteVersion(tx);
        const pending = schema.migrations.filter((migration) => migration.version > from);
        const run = async (): Promise<void> => {
          for (const migration of pending) await tx.executeMultiple(migration.sql);
        };
        const to = pending.at(-1)?.version ?? from;
        if (to !== from) {
          await runCheckingForeignKeys(tx, run, to);
          await writeRemoteVersion(tx, to);
        }
        if (options.dryRun) await tx.rollback();
        else await tx.commit();
        return { from, to };
      } catch (error) {
        await tx.rollback().catch(() => undefined);
        throw error;
      } finally {
        tx.close();
      }
    }).catch((error: unknown) => {
      if (isTransactionTimeout(error)) {
        throw new SiloError(
          'ENGINE_FAILURE',
          `The migration of Turso database "${parseTursoUrl(url).database}" outlived Turso's limit for an interactive transaction (5 s), so Turso rolled it back; the database is unchanged. Split the migration into smaller steps.`,
          { details: { code: 'TRANSACTION_TIMEOUT' } },
        );
      }
      throw this.#overCap(url, dataPlaneError(error, this.#scrubber));
    });
  }

  /**
   * One statement with a time limit kept on our side; read-only by Turso's read-only token. The
   * request's abort signal aborts its HTTP requests, so the caller stops waiting at once; a
   * statement Turso has received may still run to its end on Turso's side (turso-query.ts).
   */
  query(url: string, request: QueryRequest): Promise<QueryResult> {
    const statements = request.script && !request.readOnly ? splitStatements(request.sql) : [];
    const options = {
      request,
      resolve: () => this.#target(url, request.readOnly ? 'read' : 'full'),
      renew: (stale: DataPlaneTarget) => this.#renewToken(stale),
      scrubber: this.#scrubber,
      url,
      guard: this.#guard,
    };
    const run = statements.length > 1 ? runBoundedScript(options, statements) : runBoundedQuery({ ...options, request: { ...request, script: false, sql: statements[0] ?? request.sql } });
    return run.catch((error: unknown) => {
      throw this.#overCap(url, error);
    });
  }

  /** SQLITE_FULL under a cap is the cap: the same SIZE_LIMIT_EXCEEDED as on local files. */
  #overCap(url: string, error: unknown): unknown {
    if (this.#maxBytes === undefined || !isFullError(error)) return error;
    const { database } = parseTursoUrl(url);
    const prefix = this.#settings.databasePrefix;
    return sizeLimitExceeded(database.startsWith(prefix) ? database.slice(prefix.length) : database, this.#maxBytes, error);
  }

  async inventory(regions: readonly Region[]): Promise<{ databases: string[]; leftovers: string[] }> {
    const groups = [...new Set(regions.map((region) => this.#groupOf(region)))];
    const databases: string[] = [];
    // Clean-up deletes that failed earlier are tried again first; those still failing are leftovers.
    await this.#pendingDeletes.retry();
    for (const group of groups) {
      for (const { name, hostname } of await this.#platform.listDatabases(group)) {
        // Only this fleet's databases: others may share the organization and the group.
        if (!name.startsWith(this.#settings.databasePrefix) || this.#notTenants.has(hostKey(hostname))) continue;
        databases.push(tursoUrl({ group, database: name }));
      }
    }
    const leftovers = [...this.#pendingDeletes.names().map((name) => `${PENDING_DELETE}${name}`), ...stagingLeftovers(regions)];
    return { databases, leftovers };
  }

  async removeLeftover(leftover: string): Promise<void> {
    if (leftover.startsWith(PENDING_DELETE)) {
      const name = leftover.slice(PENDING_DELETE.length);
      await this.#platform.deleteDatabase(name);
      this.#pendingDeletes.forget(name);
      return;
    }
    rmSync(leftover, { force: true });
  }

  /** One Platform API read per group (they are few): the API answers, accepts the token, and the groups still exist. */
  async checkReachable(): Promise<void> {
    await Promise.all([...new Set(Object.values(this.#settings.groups))].map((group) => this.#platform.assertGroup(group)));
  }

  async close(): Promise<void> {
    this.#guard.close();
    this.#tokens.close();
    this.#hostnames.clear();
    this.#orgUsage = undefined;
  }

  async #start(): Promise<void> {
    for (const region of this.#regions) this.#groupOf(region);
    const groups = await this.#tokens.start([...new Set(Object.values(this.#settings.groups))]);
    try {
      checkResidency(this.#settings.groups, groups, this.#settings.locations);
    } catch (error) {
      this.#tokens.close();
      throw error;
    }
    for (const group of groups) {
      const primary = group.primary ?? group.locations[0];
      if (primary !== undefined && !primary.startsWith('aws-')) this.#offAws.add(group.name);
    }
    // The quota is advice, not a gate: an account whose plan API cannot be read still serves.
    const warning = await this.databaseQuota().then(
      (quota) => quotaWarning(quota, 0),
      () => undefined,
    );
    if (warning) this.#warn(warning);
  }

  /**
   * Deletes a database this engine just created and could not finish. A failed delete is never
   * dropped: it is recorded, warned about, retried by the next inventory (reconcile, doctor)
   * and reported there as a leftover until it succeeds.
   */
  async #cleanUp(database: string): Promise<void> {
    this.#hostnames.delete(database);
    this.#ids.delete(database);
    await this.#pendingDeletes.delete(database);
  }

  /**
   * Creates the database (empty, or a branch of `seed`) and waits until it answers: Turso can
   * answer 404 for seconds after a create. Whatever fails, nothing is left behind.
   */
  async #provision(location: TursoLocation, seed?: { database: string; timestamp?: Date }): Promise<DataPlaneTarget> {
    this.#tokenOf(location.group); // an unconfigured group fails before anything is created
    this.#checkNameLength(location.database);
    const created = await this.#platform.createDatabase(location.database, location.group, seed, this.#maxBytes);
    this.#hostnames.set(location.database, created.hostname);
    if (created.id) this.#ids.set(location.database, created.id);
    return this.#serving(location, created.hostname);
  }

  /**
   * A `database_upload` draft filled with `file` (turso-upload.ts) with a token minted for this
   * upload alone, as turso-cli does; the group token is what serves it afterwards. Whatever
   * fails, the draft is removed.
   */
  async #provisionFromFile(location: TursoLocation, file: string): Promise<DataPlaneTarget> {
    this.#tokenOf(location.group); // an unconfigured group fails before anything is created
    // Outside the try: a create refused because the name is taken must not delete that database.
    this.#checkNameLength(location.database);
    const created = await this.#platform.createDatabaseForUpload(location.database, location.group, this.#maxBytes);
    this.#hostnames.set(location.database, created.hostname);
    if (created.id) this.#ids.set(location.database, created.id);
    try {
      const token = await this.#platform.mintDatabaseToken(location.database, '1h');
      const upload: ByteTarget = { database: location.database, hostname: created.hostname, token, tls: this.#settings.tls };
      await uploadDatabaseFile(upload, file);
    } catch (error) {
      // A finalize whose answer was lost may have activated the database: Turso serves a draft
      // only once it did, so a database that answers holds the file (#serving removes one that
      // never does). Deleting it unseen could delete a good database.
      if (isSiloError(error, 'ENGINE_FAILURE') && error.details.outcomeUnknown) {
        const served = await this.#serving(location, created.hostname).catch(() => undefined);
        if (served) return served;
      } else {
        await this.#cleanUp(location.database);
      }
      throw error;
    }
    return this.#serving(location, created.hostname);
  }

  /**
   * Turso takes a database file only into a group whose primary location is on AWS (turso-cli,
   * internal/cmd/db_create.go: `isAWS := strings.HasPrefix(group.Primary, "aws-")`, and a SQL
   * dump otherwise); groups created before its move to AWS still run elsewhere.
   */
  #takesUploads(group: string): boolean {
    return !this.#offAws.has(group);
  }

  /** An empty database loaded with the file's schema and rows over SQL (turso-dump.ts); removed if the load fails. */
  async #provisionBySql(location: TursoLocation, file: string): Promise<DataPlaneTarget> {
    const target = await this.#provision(location);
    try {
      await withClient(target, (client) => uploadFrom(file, client));
    } catch (error) {
      await this.#cleanUp(location.database);
      throw error;
    }
    return target;
  }

  /** `<database>-<org>` must stay one DNS label (63 characters at most). */
  #checkNameLength(database: string): void {
    const maxLength = maxDatabaseNameLength(this.#settings);
    if (database.length > maxLength) {
      throw new SiloError(
        'INVALID_INPUT',
        `Turso database name "${database}" is ${database.length} characters; with organization "${this.#settings.org}" at most ${maxLength} fit in a hostname (<database>-<org> is one DNS label of at most 63). Use a shorter instance name or SILO_TURSO_DB_PREFIX.`,
      );
    }
  }

  /** Waits until a new database answers, renewing a refused group token once; removes it otherwise. */
  async #serving(location: TursoLocation, hostname: string): Promise<DataPlaneTarget> {
    const targetNow = (): DataPlaneTarget => ({
      group: location.group,
      database: location.database,
      hostname,
      token: this.#tokenOf(location.group),
      tls: this.#settings.tls,
    });
    let target = targetNow();
    try {
      try {
        await this.#waitUntilServing(target);
      } catch (error) {
        if (!isTokenRefusal(error) || !(await this.#renewToken(target))) throw error;
        target = targetNow();
        await this.#waitUntilServing(target);
      }
    } catch (error) {
      await this.#cleanUp(location.database);
      throw error;
    }
    return target;
  }

  async #waitUntilServing(target: DataPlaneTarget): Promise<void> {
    const started = Date.now();
    let delay = 50;
    await withClient(target, async (client) => {
      for (;;) {
        try {
          await client.execute('SELECT 1');
          return;
        } catch (error) {
          const status = (error as { cause?: { status?: unknown } }).cause?.status;
          const refused = status === 401 || status === 403;
          if (refused || Date.now() - started + delay > this.#settings.readyTimeoutMs) {
            throw new SiloError(
              'ENGINE_FAILURE',
              this.#scrubber.scrub(
                refused
                  ? `Turso refused the group token for database "${target.database}": ${errorMessage(error)}. Check SILO_TURSO_GROUP_TOKENS.`
                  : `Turso database "${target.database}" did not answer within ${this.#settings.readyTimeoutMs} ms of its creation (${errorMessage(error)}). Raise SILO_TURSO_READY_TIMEOUT_MS or try again.`,
              ),
              { details: { tokenRefused: refused } },
            );
          }
          await new Promise((resolve) => setTimeout(resolve, delay));
          delay = Math.min(delay * 2, 1_000);
        }
      }
    });
  }

  /**
   * Where a database answers Hrana over HTTP, with a group token of the given access: for the
   * libSQL endpoint, which forwards its clients' requests there so Turso enforces the access.
   * `renew` replaces a token Turso refused (rotated); true if a new one is held.
   */
  async connectionInfo(url: string, access: TokenAccess): Promise<TursoConnectionInfo> {
    const target = await this.#target(url, access);
    return {
      url: `${target.tls ? 'https' : 'http'}://${target.hostname}`,
      token: target.token,
      renew: () => this.#renewToken(target),
    };
  }

  /** Hostname (from Turso, cached) and token of a database, checking it lives in the group its URL names. */
  async #target(url: string, access: TokenAccess = 'full'): Promise<DataPlaneTarget> {
    const location = parseTursoUrl(url);
    const token = this.#tokenOf(location.group, access);
    let hostname = this.#hostnames.get(location.database);
    if (hostname === undefined) {
      const found = await this.#platform.getDatabase(location.database);
      if (!found) {
        throw new SiloError('ENGINE_FAILURE', `Turso has no database "${location.database}" for this instance. Run \`silo doctor\`.`);
      }
      if (found.group !== undefined && found.group !== location.group) {
        throw new SiloError(
          'ENGINE_FAILURE',
          `Turso database "${location.database}" is in group "${found.group}", not "${location.group}" as the catalog says; it is not served until that is resolved.`,
        );
      }
      hostname = found.hostname;
      this.#hostnames.set(location.database, hostname);
      if (found.id) this.#ids.set(location.database, found.id);
    }
    return { group: location.group, database: location.database, hostname, token, tls: this.#settings.tls };
  }

  /** Runs `work` with a client for the database, renewing a refused token once (see #renewToken). */
  async #withDatabase<T>(url: string, access: TokenAccess, work: (client: Client) => Promise<T>): Promise<T> {
    const target = await this.#target(url, access);
    try {
      return await withClient(target, work);
    } catch (error) {
      if (!isAuthRefused(error) || !(await this.#renewToken(target))) throw error;
      return withClient(await this.#target(url, access), work);
    }
  }

  /** The same for the byte endpoints (upload, export), which answer a refused token with 401 too. */
  async #withByteTarget<T>(url: string, access: TokenAccess, work: (target: ByteTarget) => Promise<T>): Promise<T> {
    const target = await this.#target(url, access);
    try {
      return await work(target);
    } catch (error) {
      if (!isAuthRefused(error) || !(await this.#renewToken(target))) throw error;
      return work(await this.#target(url, access));
    }
  }

  #renewToken(stale: DataPlaneTarget): Promise<boolean> {
    return this.#tokens.renew(stale.group, stale.token);
  }

  /**
   * A database's figures from the organization's usage report: one Platform API call per
   * usageCacheMs for the whole fleet (the catalog asks on every activity flush, for every
   * active instance; one call per database would be thousands of calls).
   */
  async #usageOf(url: string): Promise<TursoUsage> {
    const { database } = parseTursoUrl(url);
    let id = this.#ids.get(database);
    if (id === undefined) {
      id = (await this.#platform.getDatabase(database))?.id;
      if (id !== undefined) this.#ids.set(database, id);
    }
    const report = await this.#organizationUsage();
    return (id === undefined ? undefined : report.databases.get(id)) ?? { rowsRead: 0, rowsWritten: 0, storageBytes: 0 };
  }

  #organizationUsage(): Promise<TursoOrganizationUsage> {
    const cached = this.#orgUsage;
    if (cached && Date.now() - cached.at < this.#settings.usageCacheMs) return cached.usage;
    const usage = this.#platform.organizationUsage();
    const entry = { at: Date.now(), usage };
    this.#orgUsage = entry;
    usage.catch(() => {
      if (this.#orgUsage === entry) this.#orgUsage = undefined;
    });
    return usage;
  }

  #groupOf(region: Region): string {
    const group = this.#settings.groups[region.jurisdiction];
    if (!group) {
      throw new SiloError(
        'CONFIG_INVALID',
        `SILO_TURSO_GROUPS has no group for jurisdiction "${region.jurisdiction}" (region ${region.id}); add ${region.jurisdiction}=<group>.`,
      );
    }
    return group;
  }

  #tokenOf(group: string, access: TokenAccess = 'full'): string {
    return this.#tokens.get(group, access);
  }

  /** A region whose jurisdiction maps to `group`: where transient files of its databases are staged. */
  #regionOfGroup(group: string): Region {
    const region = this.#regions.find((candidate) => this.#settings.groups[candidate.jurisdiction] === group);
    if (!region) throw new SiloError('CONFIG_INVALID', `No configured region maps to Turso group "${group}".`);
    return region;
  }
}

/** How a clean-up delete that keeps failing is reported by inventory (a leftover that removeLeftover deletes). */
const PENDING_DELETE = 'turso-pending-delete:';

/** Turso took the write lock away from a transaction past its time limit (sqld's TRANSACTION_TIMEOUT). */
function isTransactionTimeout(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'TRANSACTION_TIMEOUT';
}

function isTokenRefusal(error: unknown): boolean {
  return isSiloError(error, 'ENGINE_FAILURE') && error.details.tokenRefused === true;
}

/**
 * Foreign keys off on the transaction's own connection (its Hrana stream, which commit and
 * rollback close), before its BEGIN: the pragma does nothing inside a transaction. As on local
 * files (pool/migrate-steps.mjs) and as SQLite's procedure for schema changes says
 * (https://www.sqlite.org/lang_altertable.html#otheralter): with them on, the DROP TABLE of a
 * rebuilt parent table cascades into its children. libSQL's own `client.migrate()` sends the
 * same `PRAGMA foreign_keys=off` ahead of its BEGIN (@libsql/client, hrana.js
 * executeHranaBatch), so Turso takes it. The transaction starts with its first statement.
 */
async function foreignKeysOffBeforeBegin(tx: Transaction): Promise<void> {
  const stream = (tx as Partial<{ _getStream(): { run(sql: string): Promise<unknown> } }>)._getStream?.();
  if (!stream) throw new SiloError('ENGINE_FAILURE', 'This @libsql/client gives no access to a transaction\'s stream, so a migration cannot turn foreign keys off.');
  await stream.run('PRAGMA foreign_keys = OFF');
}

/**
 * Runs the migrations (foreign keys off), then fails them when they leave more rows breaking a
 * foreign key than the database had before, as on local files (pool/migrate-steps.mjs): the count
 * before is read only when rows break a key after, by undoing the migrations to a savepoint.
 */
async function runCheckingForeignKeys(tx: Transaction, run: () => Promise<void>, to: number): Promise<void> {
  const brokenRows = async () => (await tx.execute('PRAGMA foreign_key_check')).rows;
  await tx.execute('SAVEPOINT silo_migrations');
  await run();
  const after = await brokenRows();
  if (after.length > 0) {
    await tx.execute('ROLLBACK TO silo_migrations');
    const before = (await brokenRows()).length;
    await run();
    if (after.length > before) {
      const pairs = [...new Set(after.map((row) => `${String(row['table'])} → ${String(row['parent'])}`))];
      throw new SiloError(
        'QUERY_FAILED',
        `The migrations up to version ${to} leave ${after.length} row(s) breaking foreign keys (${pairs.slice(0, 5).join(', ')}${pairs.length > 5 ? ', …' : ''})${before > 0 ? `, ${before} before they ran` : ''}. ` +
          'Migrations run with foreign keys off, as SQLite advises for schema changes, and are checked before they commit: delete or fix the child rows in the migration itself.',
        { details: { sqliteCode: 'SQLITE_CONSTRAINT_FOREIGNKEY' } },
      );
    }
  }
  await tx.execute('RELEASE silo_migrations');
}

async function withClient<T>(target: DataPlaneTarget, work: (client: Client) => Promise<T>): Promise<T> {
  const client = openClient(target);
  try {
    return await work(client);
  } finally {
    client.close();
  }
}

/**
 * Runs `work` on a local SQLite file of ours (a staged import or snapshot), keeping its journal
 * mode: a snapshot stays one self-contained file. Closing the last connection folds a WAL back.
 */
function withFile<T>(file: string, work: (db: SqliteDatabase) => T): T {
  const db = new Database(file, { fileMustExist: true });
  try {
    return work(db);
  } finally {
    db.close();
  }
}

function firstValue(result: ResultSet | undefined): unknown {
  return result?.rows[0]?.[0] ?? null;
}

/** A database's address without scheme or trailing slash, to compare a Hostname with a URL. */
function hostKey(address: string): string {
  return address.replace(/^[a-z]+:\/\//, '').replace(/\/+$/, '');
}
