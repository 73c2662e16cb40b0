import { readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Client, ResultSet } from '@libsql/client';
import type { Region } from '../config';
import type { Engine, ImportReport, ImportSource, MigrationOutcome, QueryRequest, QueryResult, TenantConnection } from '../engine';
import { SiloError, errorMessage } from '../errors';
import { tokenAlive } from '../processes';
import type { TenantSchema } from '../schema';
import { isTempFile, publish, removeDatabaseFiles, tempOwner, tempSibling } from './local-files';
import { ImportValidator, checkUploadHeader } from './sqlite-import';
import type { TursoSettings } from './turso-config';
import { TursoConnection, dataPlaneError, isAuthRefused, openClient, type DataPlaneTarget } from './turso-connection';
import { downloadInto, uploadFrom } from './turso-dump';
import { TursoPlatform, type TursoUsage } from './turso-platform';
import { runBoundedQuery } from './turso-query';
import { TursoStatementGuard } from './turso-statement-guard';
import { SecretScrubber } from './turso-secrets';
import { GroupTokens, type TokenAccess } from './turso-tokens';
import { databaseName, parseTursoUrl, tursoUrl, type TursoLocation } from './turso-url';
import { foldVersionTable, readRemoteVersion, stampVersionTable, writeRemoteVersion } from './version-table';
import Database from 'better-sqlite3';
import type { SqliteDatabase } from '../sqlite';
import { copyPrivate, makePrivateDir } from '../permissions';
import { isFullError, sizeLimitExceeded } from '../size-cap';

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
  readonly #settings: TursoSettings;
  readonly #regions: readonly Region[];
  readonly #scrubber = new SecretScrubber();
  readonly #platform: TursoPlatform;
  readonly #tokens: GroupTokens;
  readonly #notTenants: ReadonlySet<string>;
  readonly #hostnames = new Map<string, string>();
  readonly #usage = new Map<string, { at: number; usage: Promise<TursoUsage> }>();
  readonly #validator = new ImportValidator();
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
    this.#tokens = new GroupTokens(this.#platform, options.settings.groupTokens);
    this.#notTenants = new Set((options.notTenants ?? []).map(hostKey));
    this.#maxBytes = options.maxBytes;
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
    return tursoUrl({ group: this.#groupOf(region), database: databaseName(this.#settings.databasePrefix, name) });
  }

  async create(url: string, schema: TenantSchema): Promise<void> {
    await this.#provision(parseTursoUrl(url));
    try {
      await this.migrate(url, schema, { dryRun: false });
    } catch (error) {
      await this.remove(url).catch(() => undefined);
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
   * jurisdiction, exactly as the local engine does; only a file that passed becomes a database.
   */
  async importFile(sourcePath: string, targetUrl: string, schema: TenantSchema, maxBytes: number, source: ImportSource = 'upload'): Promise<ImportReport> {
    checkUploadHeader(sourcePath, maxBytes);
    const location = parseTursoUrl(targetUrl);
    const staging = this.stagingDir(this.#regionOfGroup(location.group));
    makePrivateDir(staging);
    const temp = tempSibling(path.join(staging, `${location.database}.import.db`));
    try {
      copyPrivate(sourcePath, temp);
      const report = this.#validator.validateAndMigrate(temp, schema, source);
      // On Turso the version lives in a table (version-table.ts); the file carries it there.
      withFile(temp, stampVersionTable);
      const sizeBytes = statSync(temp).size;
      const target = await this.#provision(location);
      try {
        await withClient(target, (client) => uploadFrom(temp, client));
      } catch (error) {
        await this.remove(targetUrl).catch(() => undefined);
        throw this.#overCap(targetUrl, dataPlaneError(error, this.#scrubber));
      }
      return { ...report, sizeBytes };
    } finally {
      removeDatabaseFiles(temp);
    }
  }

  /** Downloads schema and rows in one read transaction into a single local SQLite file. */
  async snapshot(url: string, destPath: string): Promise<void> {
    makePrivateDir(path.dirname(destPath));
    const temp = tempSibling(destPath);
    try {
      await this.#withDatabase(url, 'read', (client) => downloadInto(client, temp));
      // A local file keeps its version in user_version, whatever way the bytes came down.
      withFile(temp, foldVersionTable);
      publish(temp, destPath, { ownsSidecars: false });
    } catch (error) {
      removeDatabaseFiles(temp);
      throw dataPlaneError(error, this.#scrubber);
    }
  }

  async remove(url: string): Promise<void> {
    const { database } = parseTursoUrl(url);
    await this.#platform.deleteDatabase(database);
    this.#hostnames.delete(database);
    this.#usage.delete(database);
  }

  async exists(url: string): Promise<boolean> {
    const location = parseTursoUrl(url);
    const found = await this.#platform.getDatabase(location.database);
    if (!found || (found.group !== undefined && found.group !== location.group)) return false;
    this.#hostnames.set(location.database, found.hostname);
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
        const from = await readRemoteVersion(tx);
        const pending = schema.migrations.filter((migration) => migration.version > from);
        for (const migration of pending) await tx.executeMultiple(migration.sql);
        const to = pending.at(-1)?.version ?? from;
        if (to !== from) await writeRemoteVersion(tx, to);
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

  /** One statement with a time limit kept on our side; read-only by Turso's read-only token. */
  query(url: string, request: QueryRequest): Promise<QueryResult> {
    return runBoundedQuery({
      request,
      resolve: () => this.#target(url, request.readOnly ? 'read' : 'full'),
      renew: (stale) => this.#renewToken(stale),
      scrubber: this.#scrubber,
      url,
      guard: this.#guard,
    }).catch((error: unknown) => {
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
    for (const group of groups) {
      for (const { name, hostname } of await this.#platform.listDatabases(group)) {
        // Only this fleet's databases: others may share the organization and the group.
        if (!name.startsWith(this.#settings.databasePrefix) || this.#notTenants.has(hostKey(hostname))) continue;
        databases.push(tursoUrl({ group, database: name }));
      }
    }
    const leftovers: string[] = [];
    for (const region of regions) {
      for (const entry of listDir(this.stagingDir(region))) {
        const file = path.join(this.stagingDir(region), entry);
        if (!isTempFile(file)) continue;
        const owner = tempOwner(file);
        if (owner === undefined || !tokenAlive(owner)) leftovers.push(file);
      }
    }
    return { databases, leftovers };
  }

  async removeLeftover(leftover: string): Promise<void> {
    rmSync(leftover, { force: true });
  }

  /** Exports and imports are staged on this machine, in a folder of a region of the instance's jurisdiction. */
  stagingDir(region: Region): string {
    return path.join(region.dataDir, 'staging');
  }

  async close(): Promise<void> {
    this.#guard.close();
    this.#hostnames.clear();
    this.#usage.clear();
  }

  async #start(): Promise<void> {
    for (const region of this.#regions) this.#groupOf(region);
    await this.#tokens.start([...new Set(Object.values(this.#settings.groups))]);
  }

  /**
   * Creates the database (empty, or a branch of `seed`) and waits until it answers: Turso can
   * answer 404 for seconds after a create. Whatever fails, nothing is left behind.
   */
  async #provision(location: TursoLocation, seed?: { database: string; timestamp?: Date }): Promise<DataPlaneTarget> {
    this.#tokenOf(location.group); // an unconfigured group fails before anything is created
    const created = await this.#platform.createDatabase(location.database, location.group, seed, this.#maxBytes);
    this.#hostnames.set(location.database, created.hostname);
    const targetNow = (): DataPlaneTarget => ({
      group: location.group,
      database: location.database,
      hostname: created.hostname,
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
      await this.remove(tursoUrl(location)).catch(() => undefined);
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

  #renewToken(stale: DataPlaneTarget): Promise<boolean> {
    return this.#tokens.renew(stale.group, stale.token);
  }

  #usageOf(url: string): Promise<TursoUsage> {
    const { database } = parseTursoUrl(url);
    const cached = this.#usage.get(database);
    // The catalog asks on every activity flush; the Platform API is asked at most once per usageCacheMs.
    if (cached && Date.now() - cached.at < this.#settings.usageCacheMs) return cached.usage;
    const usage = this.#platform.usage(database);
    this.#usage.set(database, { at: Date.now(), usage });
    usage.catch(() => this.#usage.delete(database));
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

/** Turso took the write lock away from a transaction past its time limit (sqld's TRANSACTION_TIMEOUT). */
function isTransactionTimeout(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'TRANSACTION_TIMEOUT';
}

function isTokenRefusal(error: unknown): boolean {
  return error instanceof SiloError && error.details['tokenRefused'] === true;
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

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** A database's address without scheme or trailing slash, to compare a Hostname with a URL. */
function hostKey(address: string): string {
  return address.replace(/^[a-z]+:\/\//, '').replace(/\/+$/, '');
}
