import { statSync } from 'node:fs';
import path from 'node:path';
import { SiloError, instanceNotFound } from '../errors';
import { migrateSync } from '../sqlite';
import { diskFullError } from '../disk-space';
import { openCatalogDb, type CatalogDb, type CatalogLocation, type CatalogStatement, type CatalogWrite, type OpenedCatalogDb } from './catalog-db';
import { migrateCatalogPrimary } from './primary-migrations';
import { AdminDirectory } from './admin-directory';
import { BackupRecords } from './backup-records';
import { CATALOG_MIGRATIONS } from './catalog-migrations';
import { ApiTokens } from './api-tokens';
import { TokenGenerations } from './token-generations';
import { AuditRecords } from './audit-records';
import { type ActiveTenants, InstanceActivity } from './instance-activity';
import { InstanceMetrics, metricWrites } from './instance-metrics';
import { SavedQueries } from './saved-queries';
import { Statements } from './statements';
import { LookupCache } from './lookup-cache';
import { PROCESS_OWNER } from '../processes';

export type { AuditEntry, AuditQuery, NewAuditEntry } from './audit-records';

/** `moving`: a ready instance being copied to another engine (silo move); served again once switched or rolled back. */
export type InstanceState = 'provisioning' | 'ready' | 'failed' | 'deleted' | 'moving';

export interface InstanceInfo {
  readonly id: string;
  readonly name: string;
  readonly displayName: string;
  readonly state: InstanceState;
  readonly jurisdiction: string;
  readonly region: string;
  readonly engine: string;
  readonly dbUrl: string;
  readonly schemaVersion: number;
  readonly sizeBytes: number;
  readonly clonedFrom: { readonly id: string; readonly name: string | null } | null;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly lastActiveAt: number | null;
  readonly deletedAt: number | null;
  readonly error: string | null;
  readonly metrics: Readonly<Record<string, number>>;
}

export interface InstanceFilter {
  state?: InstanceState | readonly InstanceState[];
  jurisdiction?: string;
  region?: string;
  /** Substring of the name or display name. */
  search?: string;
  /** Only instances whose schema version is below this. */
  schemaBelow?: number;
  /** Only these instances (a bulk action on a selection). */
  names?: readonly string[];
}

export const SORT_KEYS = ['name', 'created', 'updated', 'lastActive', 'size', 'state', 'jurisdiction', 'region', 'schemaVersion'] as const;
export type SortKey = (typeof SORT_KEYS)[number] | `metric:${string}`;

export interface ListQuery extends InstanceFilter {
  sort?: SortKey;
  order?: 'asc' | 'desc';
  limit?: number;
  offset?: number;
}

export interface ListPage {
  readonly items: InstanceInfo[];
  readonly total: number;
}

export interface FleetOverview {
  readonly total: number;
  readonly sizeBytes: number;
  readonly activeLast24h: number;
  readonly byState: Readonly<Record<string, number>>;
  readonly byJurisdiction: Readonly<Record<string, number>>;
  /** UTC days (YYYY-MM-DD) with at least one instance created / last active that day. */
  readonly createdPerDay: readonly { day: string; count: number }[];
  readonly lastActivePerDay: readonly { day: string; count: number }[];
  /** Daily and weekly active tenants, from the daily activity table (catalog migration 12). */
  readonly activeTenants: ActiveTenants;
}

export interface NewInstance {
  id: string;
  name: string;
  displayName: string;
  jurisdiction: string;
  region: string;
  engine: string;
  dbUrl: string;
  clonedFrom?: string;
}

/**
 * A purge recorded before anything is erased (catalog migration 8): the instance, its
 * database, and every backup location that must carry its purge marker.
 */
export interface PurgeIntent {
  readonly instanceId: string;
  readonly name: string;
  readonly jurisdiction: string;
  readonly region: string;
  readonly dbUrl: string;
  readonly locations: readonly string[];
  readonly actor: string;
  readonly requestedAt: number;
}

interface PurgeIntentRow {
  instance_id: string;
  name: string;
  jurisdiction: string;
  region: string;
  db_url: string;
  locations: string;
  actor: string;
  requested_at: number;
}

export interface TouchUpdate {
  name: string;
  at: number;
  metrics?: Readonly<Record<string, number>>;
  sizeBytes?: number;
  /** Requests and writes counted since the last flush (usage per day). */
  reads?: number;
  writes?: number;
  /** False: usage that is not the tenant's activity (a fleet-wide migration); last active stays. */
  active?: boolean;
}

interface InstanceRow {
  id: string;
  name: string;
  display_name: string;
  state: InstanceState;
  jurisdiction: string;
  region: string;
  engine: string;
  db_url: string;
  schema_version: number;
  size_bytes: number;
  cloned_from: string | null;
  cloned_from_name: string | null;
  created_at: number;
  updated_at: number;
  last_active_at: number | null;
  deleted_at: number | null;
  error: string | null;
  op_owner: string | null;
  metrics: string | null;
}

const SORT_COLUMNS: Record<(typeof SORT_KEYS)[number], string> = {
  name: 'i.name',
  created: 'i.created_at',
  updated: 'i.updated_at',
  lastActive: 'i.last_active_at',
  size: 'i.size_bytes',
  state: 'i.state',
  jurisdiction: 'i.jurisdiction',
  region: 'i.region',
  schemaVersion: 'i.schema_version',
};

/**
 * A row with its lineage and metrics: for full details. The source's name is a scalar
 * subquery, not a LEFT JOIN: with the join a lookup by name took 25 µs against 2.7 µs on
 * 1,000 instances (better-sqlite3 13.2, SQLite 3.54.1), same answer.
 */
const SELECT_DETAILED = `
  SELECT i.*, (SELECT src.name FROM instances src WHERE src.id = i.cloned_from) AS cloned_from_name,
         (SELECT json_group_object(m.key, m.value) FROM instance_metrics m WHERE m.instance_id = i.id) AS metrics
  FROM instances i`;

/** A row alone, without joins (no lineage name, no metrics): for lookups and fleet-wide walks. */
const SELECT_ROW = 'SELECT i.*, NULL AS cloned_from_name, NULL AS metrics FROM instances i';

export interface CatalogOptions {
  /** Audit entries older than this are removed by `audits.prune`; 0 (the default here) keeps them forever. */
  readonly auditRetentionMs?: number;
  /** The most failed admin sign-ins the audit log keeps (admin-directory.ts). */
  readonly maxFailedSignIns?: number;
}

/** On Turso, a session lookup syncs the replica first, at most this often. */
const SESSION_SYNC_INTERVAL_MS = 1_000;

/** A name not found in an embedded replica (or not settled) is looked up again after a sync, at most this often. */
const MISS_SYNC_INTERVAL_MS = 1_000;

/**
 * The admin database. This class holds the instance table (one row per instance: state,
 * placement, schema version, lineage) with its state machine, listing and reporting; the
 * other tables have their own classes, reached from here: `audits` (audit-records.ts),
 * `metrics` (instance-metrics.ts), `backups` (backup-records.ts), `admins`
 * (admin-directory.ts). Synchronous on purpose: reads come from a local SQLite file (the
 * catalog itself, or the embedded replica of a catalog on Turso) with statements prepared
 * once per connection (statements.ts), and a lookup costs microseconds.
 */
export class Catalog {
  readonly admins: AdminDirectory;
  /** Tokens of the HTTP API (silo serve) and its idempotency keys. */
  readonly apiTokens: ApiTokens;
  /** The libSQL token generation of each instance (revocation). */
  readonly tokenGenerations: TokenGenerations;
  readonly backups: BackupRecords;
  /** The audit log of every fleet operation. */
  readonly audits: AuditRecords;
  /** The apps' metrics of each instance. */
  readonly metrics: InstanceMetrics;
  /** Daily activity and usage of each instance. */
  readonly activity: InstanceActivity;
  /** Each admin's saved queries. */
  readonly savedQueries: SavedQueries;
  readonly #db: CatalogDb;
  readonly #opened: OpenedCatalogDb;
  #missSyncAt = Number.NEGATIVE_INFINITY;
  #sessionSyncAt = Number.NEGATIVE_INFINITY;
  readonly #statements: Statements;
  readonly #byName: CatalogStatement<[string], InstanceRow>;
  readonly #resolveByName: CatalogStatement<[string], InstanceRow>;
  /** Settled answers of `resolve` and of `find`, valid while the catalog is unchanged (lookup-cache.ts). */
  readonly #resolved: LookupCache<InstanceInfo>;
  readonly #found: LookupCache<InstanceInfo>;

  constructor(
    readonly location: CatalogLocation,
    options: CatalogOptions = {},
  ) {
    try {
      this.#opened = openCatalogDb(location);
      this.#db = this.#opened.db;
    } catch (error) {
      // A full disk is said as such (SQLite needs room for its shared-memory index to open a
      // database no other process has open).
      const full = location.kind === 'file' ? diskFullError(error, path.dirname(location.file)) : error;
      throw full instanceof SiloError ? full : unavailable(location, error);
    }
    // A catalog on Turso was migrated on its primary before it opened (Catalog.open).
    if (location.kind === 'file') {
      // The catalog's migrations were written for foreign keys on, as its Turso primary runs them.
      const { from } = migrateSync(this.#db, CATALOG_MIGRATIONS, { keepForeignKeys: true });
      // Migrations 3 and 5 made indexes the planner needs statistics for. They no longer run
      // ANALYZE themselves (Turso refuses it), so a local catalog is analysed here instead.
      if (from < 5) this.#db.exec('ANALYZE');
    } else this.#opened.sync();
    this.#statements = new Statements(this.#db);
    this.audits = new AuditRecords(this.#db, options.auditRetentionMs ?? 0);
    this.metrics = new InstanceMetrics(this.#opened);
    this.activity = new InstanceActivity(this.#db);
    this.savedQueries = new SavedQueries(this.#db);
    this.backups = new BackupRecords(this.#db);
    this.admins = new AdminDirectory(this.#db, (entry) => this.audits.append({ ...entry, instance: null }), {
      ...(options.maxFailedSignIns === undefined ? {} : { maxFailedSignIns: options.maxFailedSignIns }),
      freshen: () => this.#freshenForSessions(),
    });
    this.apiTokens = new ApiTokens(this.#db, (entry) => this.audits.append({ ...entry, instance: null }));
    this.tokenGenerations = new TokenGenerations(this.#db);
    this.#byName = this.#statements.get<[string], InstanceRow>(`${SELECT_DETAILED} WHERE i.name = ?`);
    this.#resolveByName = this.#statements.get<[string], InstanceRow>(`${SELECT_ROW} WHERE i.name = ?`);
    this.#resolved = new LookupCache(this.#opened.watch());
    this.#found = new LookupCache(this.#opened.watch());
  }

  /** Opens the catalog where the settings put it; one on Turso is first migrated on its primary. */
  static async open(location: CatalogLocation, options: CatalogOptions = {}): Promise<Catalog> {
    if (location.kind === 'turso') {
      await migrateCatalogPrimary(location, CATALOG_MIGRATIONS).catch((error: unknown) => {
        throw unavailable(location, error);
      });
    }
    return new Catalog(location, options);
  }

  /** The catalog's SQLite file when it is local (backups copy it); undefined on Turso. */
  get file(): string | undefined {
    return this.location.kind === 'file' ? this.location.file : undefined;
  }

  /** Pulls what other servers wrote to a catalog on Turso now, instead of at the next sync interval. */
  sync(): void {
    this.#opened.sync();
  }

  close(): void {
    // Keeps the query planner's statistics current as the fleet grows (cheap when nothing changed).
    // It may write: on a full disk it is skipped, and closing still closes.
    try {
      if (this.location.kind === 'file') this.#db.pragma('optimize');
    } catch {
      // Done at the next close.
    }
    this.#opened.close();
  }

  /** Full details, metrics and lineage included; undefined when there is no such instance. Cached as `resolve`. */
  find(name: string): InstanceInfo | undefined {
    return this.#cachedLookUp(this.#found, this.#byName, name);
  }

  /**
   * The hot-path lookup used on every request: no joins, no metrics. A settled row is cached
   * until the catalog changes, so the answer is shared: frozen, as InstanceInfo is read-only.
   * Inside a transaction the cache is not used: its own writes are not committed, so the
   * watch does not see them yet. This process's activity flushes (applyTouches) do not count
   * as changes, so an answer's `lastActiveAt` and `sizeBytes` may be older than the catalog's:
   * `find` reads those fresh.
   */
  resolve(name: string): InstanceInfo | undefined {
    return this.#cachedLookUp(this.#resolved, this.#resolveByName, name);
  }

  #cachedLookUp(cache: LookupCache<InstanceInfo>, statement: CatalogStatement<[string], InstanceRow>, name: string): InstanceInfo | undefined {
    if (this.#db.inTransaction) {
      const row = this.#lookUp(statement, name);
      return row && toInfo(row);
    }
    const cached = cache.get(name);
    if (cached) return cached;
    const row = this.#lookUp(statement, name);
    if (!row) return undefined;
    const info = frozen(toInfo(row));
    if (isSettled(row)) cache.set(name, info);
    return info;
  }

  /**
   * On Turso, sessions are read from this server's replica: a sync at most once a second lets a
   * disable or removal by another process reach the next request of that session promptly
   * (the replica's own interval may be an hour). A failed sync keeps the replica's answer, as
   * reads do during an outage.
   */
  #freshenForSessions(): void {
    if (this.location.kind === 'file' || this.#db.inTransaction) return;
    const now = Date.now();
    if (now - this.#sessionSyncAt < SESSION_SYNC_INTERVAL_MS) return;
    this.#sessionSyncAt = now;
    try {
      this.#opened.sync();
    } catch {
      // See above.
    }
  }

  /**
   * On Turso, an instance another server created a moment ago may not have reached this
   * replica yet, or only in its `provisioning` state: a miss, or a row in a passing state,
   * syncs once before it counts (rate-limited, so unknown names cannot turn every request
   * into a round trip to the primary).
   */
  #lookUp(statement: CatalogStatement<[string], InstanceRow>, name: string): InstanceRow | undefined {
    const row = statement.get(name);
    if ((row !== undefined && isSettled(row)) || this.location.kind === 'file' || this.#db.inTransaction) return row;
    const now = Date.now();
    if (now - this.#missSyncAt < MISS_SYNC_INTERVAL_MS) return row;
    this.#missSyncAt = now;
    try {
      this.#opened.sync();
    } catch {
      // The primary is unreachable: the replica's answer stands (reads keep working in an outage).
      return row;
    }
    return statement.get(name);
  }

  /** `find`, or INSTANCE_NOT_FOUND. */
  require(name: string): InstanceInfo {
    const info = this.find(name);
    if (!info) throw instanceNotFound(name);
    return info;
  }

  /** Instances cloned from this one. */
  clonesOf(id: string): { name: string; state: InstanceState }[] {
    return this.#statements
      .get<[string], { name: string; state: InstanceState }>('SELECT name, state FROM instances WHERE cloned_from = ? ORDER BY created_at')
      .all(id);
  }

  /**
   * Registers a new instance as provisioning, owned by this process. A failed row of the same
   * name nobody is working on is taken over (the name was never served); any other existing
   * row means the name is taken. One batch, so on Turso one request to the primary (not a
   * transaction of round trips), durable when it resolves: before the database exists. The
   * replica is not pulled: nothing reads the row before the create marks it ready (which pulls).
   */
  async beginProvisioning(entry: NewInstance, now = Date.now()): Promise<void> {
    try {
      await this.#opened.writeBatch(
        [
          {
            // A failed row being purged keeps its name until the purge is done: its database's path
            // is derived from the name, so a new instance there would be erased by the purge.
            sql: `DELETE FROM instances WHERE name = ? AND state = 'failed' AND op_owner IS NULL
                    AND NOT EXISTS (SELECT 1 FROM purge_intents p WHERE p.instance_id = instances.id)`,
            args: [entry.name],
          },
          {
            sql: `INSERT INTO instances (id, name, display_name, state, jurisdiction, region, engine, db_url, cloned_from,
                                         created_at, updated_at, op_owner)
                  VALUES (?, ?, ?, 'provisioning', ?, ?, ?, ?, ?, ?, ?, ?)`,
            args: [entry.id, entry.name, entry.displayName, entry.jurisdiction, entry.region, entry.engine, entry.dbUrl, entry.clonedFrom ?? null, now, now, PROCESS_OWNER],
          },
        ],
        { pull: false },
      );
    } catch (error) {
      // The name is held by a row that was not free to take over (or another process registered it meanwhile).
      if (error instanceof Error && /UNIQUE constraint failed: instances.name/.test(error.message)) {
        throw nameTaken(entry.name, this.#stateOfTaken(entry.name));
      }
      throw error;
    }
  }

  /** The state of the row holding a taken name, for the error; pulled first on Turso, where it may be new. */
  #stateOfTaken(name: string): InstanceState {
    try {
      this.#opened.sync();
    } catch {
      // The primary refused the name: it is taken whatever the replica knows.
    }
    return this.#resolveByName.get(name)?.state ?? 'provisioning';
  }

  markReady(id: string, fields: { schemaVersion: number; sizeBytes: number }, now = Date.now()): void {
    this.#statements
      .get(
        `UPDATE instances SET state = 'ready', schema_version = ?, size_bytes = ?, updated_at = ?, error = NULL, op_owner = NULL
         WHERE id = ? AND state = 'provisioning'`,
      )
      .run(fields.schemaVersion, fields.sizeBytes, now, id);
  }
  /**
   * `markReady` with other writes in the same batch (the create's audit entry): on Turso one
   * request to the primary instead of one each, then one pull, since the caller reads it next.
   */
  markReadyWith(id: string, fields: { schemaVersion: number; sizeBytes: number }, writes: readonly CatalogWrite[], now = Date.now()): Promise<void> {
    return this.#opened.writeBatch([
      {
        sql: `UPDATE instances SET state = 'ready', schema_version = ?, size_bytes = ?, updated_at = ?, error = NULL, op_owner = NULL
              WHERE id = ? AND state = 'provisioning'`,
        args: [fields.schemaVersion, fields.sizeBytes, now, id],
      },
      ...writes,
    ]);
  }


  /** failed → ready, for a row failed with exactly `error` (its file was missing and is back); false otherwise. */
  recoverMissing(id: string, fields: { schemaVersion: number; sizeBytes: number }, error: string, now = Date.now()): boolean {
    const result = this.#statements
      .get(
        `UPDATE instances SET state = 'ready', schema_version = ?, size_bytes = ?, updated_at = ?, error = NULL
         WHERE id = ? AND state = 'failed' AND error = ? AND op_owner IS NULL`,
      )
      .run(fields.schemaVersion, fields.sizeBytes, now, id, error);
    return result.changes === 1;
  }

  markFailed(id: string, error: string, now = Date.now()): void {
    this.#statements
      .get(
        `UPDATE instances SET state = 'failed', error = ?, updated_at = ?, op_owner = NULL
         WHERE id = ? AND state IN ('provisioning', 'ready')`,
      )
      .run(error, now, id);
  }

  /** Moves ready ⇄ deleted; false when the row was not in the expected state, is leased, or a purge of it was requested. */
  transition(id: string, from: 'ready' | 'deleted', to: 'ready' | 'deleted', now = Date.now()): boolean {
    return (
      this.#statements
        .get(
          `UPDATE instances SET state = ?, deleted_at = ?, updated_at = ?
           WHERE id = ? AND state = ? AND op_owner IS NULL AND NOT EXISTS (SELECT 1 FROM purge_intents p WHERE p.instance_id = instances.id)`,
        )
        .run(to, to === 'deleted' ? now : null, now, id, from).changes === 1
    );
  }

  /**
   * Leases the row for a purge and records the intent, in one transaction: from then on the
   * purge is finished by whoever finds it (this process, or reconciliation after a crash).
   * An intent already recorded is kept, its locations merged with `locations`. Undefined when
   * the row is not in `states` or another live operation holds it; `created` tells whether
   * this call recorded the intent.
   */
  beginPurge(
    instance: InstanceInfo,
    states: readonly InstanceState[],
    request: { locations: readonly string[]; actor: string },
    previousOwner: string | null = null,
    now = Date.now(),
  ): { intent: PurgeIntent; created: boolean } | undefined {
    return this.#db
      .transaction(() => {
        if (!this.claim(instance.id, states, previousOwner, now)) return undefined;
        const existing = this.purgeIntent(instance.id);
        const locations = [...new Set([...(existing?.locations ?? []), ...request.locations])].sort();
        this.#statements
          .get(
            `INSERT INTO purge_intents (instance_id, name, jurisdiction, region, db_url, locations, actor, requested_at)
             VALUES (@id, @name, @jurisdiction, @region, @dbUrl, @locations, @actor, @now)
             ON CONFLICT (instance_id) DO UPDATE SET locations = excluded.locations`,
          )
          .run({ id: instance.id, name: instance.name, jurisdiction: instance.jurisdiction, region: instance.region, dbUrl: instance.dbUrl, locations: JSON.stringify(locations), actor: request.actor, now });
        const intent = this.purgeIntent(instance.id);
        return intent && { intent, created: existing === undefined };
      })
      .immediate();
  }

  purgeIntent(instanceId: string): PurgeIntent | undefined {
    const row = this.#statements.get<[string], PurgeIntentRow>('SELECT * FROM purge_intents WHERE instance_id = ?').get(instanceId);
    return row && toIntent(row);
  }

  /** Every recorded purge, with the state and lease owner of its row (undefined: the row is gone). */
  purgeIntents(): { intent: PurgeIntent; state: InstanceState | undefined; owner: string | null; updatedAt: number | undefined }[] {
    return this.#statements
      .get<[], PurgeIntentRow & { state: InstanceState | null; op_owner: string | null; updated_at: number | null }>(
        `SELECT p.*, i.state, i.op_owner, i.updated_at FROM purge_intents p LEFT JOIN instances i ON i.id = p.instance_id ORDER BY p.requested_at`,
      )
      .all()
      .map((row) => ({ intent: toIntent(row), state: row.state ?? undefined, owner: row.op_owner, updatedAt: row.updated_at ?? undefined }));
  }

  /** Forgets an intent this process recorded when its purge stopped before erasing anything; the row is free again. */
  cancelPurge(id: string): void {
    this.#db
      .transaction(() => {
        this.#statements.get('DELETE FROM purge_intents WHERE instance_id = ?').run(id);
        this.release(id);
      })
      .immediate();
  }

  /**
   * The last step of a purge: the row (leased by this process, or already gone), its intent and
   * its backup bookkeeping go in one transaction. False when another process holds the row.
   */
  finishPurge(id: string): boolean {
    return this.#db
      .transaction(() => {
        const row = this.#statements.get<[string], { op_owner: string | null }>('SELECT op_owner FROM instances WHERE id = ?').get(id);
        if (row && row.op_owner !== PROCESS_OWNER) return false;
        this.#statements.get('DELETE FROM instances WHERE id = ?').run(id);
        this.#statements.get('DELETE FROM purge_intents WHERE instance_id = ?').run(id);
        this.#statements.get('DELETE FROM backup_instance_locations WHERE instance_id = ?').run(id);
        return true;
      })
      .immediate();
  }

  /** Whether an instance other than `exceptId` has this database URL (a purge never removes another's database). */
  dbUrlInUse(dbUrl: string, exceptId: string): boolean {
    return this.#statements.get<[string, string], { found: number }>('SELECT 1 AS found FROM instances WHERE db_url = ? AND id <> ? LIMIT 1').get(dbUrl, exceptId) !== undefined;
  }

  /** Ids of every instance in the catalog and of every purge still recorded: backups of any other id are orphans. */
  knownInstanceIds(): Set<string> {
    const rows = this.#statements.get<[], { id: string }>('SELECT id FROM instances UNION SELECT instance_id FROM purge_intents').all();
    return new Set(rows.map((row) => row.id));
  }

  /**
   * Leases a row for an operation that removes files (purge, reconciliation). Only one
   * process wins; `previousOwner` takes over a lease whose owner died.
   */
  claim(id: string, states: readonly InstanceState[], previousOwner: string | null = null, now = Date.now()): boolean {
    return (
      this.#statements
        .get(
          `UPDATE instances SET op_owner = @owner, updated_at = @now
           WHERE id = @id AND op_owner IS @previous AND state IN (${states.map((state) => `'${state}'`).join(', ')})`,
        )
        .run({ owner: PROCESS_OWNER, now, id, previous: previousOwner }).changes === 1
    );
  }

  /**
   * Leases a ready instance on `engine` for a move and takes it out of service (state
   * `moving`); false when it is not ready, not on that engine, or another operation holds it.
   */
  beginMove(id: string, engine: string, now = Date.now()): boolean {
    return (
      this.#statements
        .get(
          `UPDATE instances SET state = 'moving', op_owner = ?, updated_at = ?
           WHERE id = ? AND state = 'ready' AND engine = ? AND op_owner IS NULL`,
        )
        .run(PROCESS_OWNER, now, id, engine).changes === 1
    );
  }

  /**
   * Ends a move this process leased: with `to`, the row points at the new database in the same
   * statement that serves it again (the switch is atomic); without, it is served where it was.
   */
  endMove(id: string, to?: { engine: string; dbUrl: string; sizeBytes: number }, now = Date.now()): boolean {
    const statement = to
      ? this.#statements.get(
          `UPDATE instances SET state = 'ready', engine = @engine, db_url = @dbUrl, size_bytes = @sizeBytes, op_owner = NULL, updated_at = @now
           WHERE id = @id AND state = 'moving' AND op_owner = @owner`,
        )
      : this.#statements.get(`UPDATE instances SET state = 'ready', op_owner = NULL, updated_at = @now WHERE id = @id AND state = 'moving' AND op_owner = @owner`);
    return statement.run({ ...to, id, now, owner: PROCESS_OWNER }).changes === 1;
  }

  setDisplayName(id: string, displayName: string, now = Date.now()): void {
    this.#statements.get('UPDATE instances SET display_name = ?, updated_at = ? WHERE id = ?').run(displayName, now, id);
  }

  remove(id: string): void {
    this.#statements.get('DELETE FROM instances WHERE id = ?').run(id);
  }

  /** Gives back a lease this process took, when the operation stopped before changing anything. */
  release(id: string): void {
    this.#statements.get('UPDATE instances SET op_owner = NULL WHERE id = ? AND op_owner = ?').run(id, PROCESS_OWNER);
  }

  /** Removes a row this process leased. */
  removeClaimed(id: string): void {
    this.#statements.get('DELETE FROM instances WHERE id = ? AND op_owner = ?').run(id, PROCESS_OWNER);
  }

  /** Records schema versions (and sizes) after migrations, many instances per transaction. */
  setSchemaVersions(updates: readonly { id: string; schemaVersion: number; sizeBytes?: number }[], now = Date.now()): void {
    if (updates.length === 0) return;
    const update = this.#statements.get(
      'UPDATE instances SET schema_version = ?, size_bytes = coalesce(?, size_bytes), updated_at = ? WHERE id = ?',
    );
    this.#db.transaction(() => {
      for (const entry of updates) update.run(entry.schemaVersion, entry.sizeBytes ?? null, now, entry.id);
    }).immediate();
  }

  /** Applies buffered activity, sizes and metrics: one transaction however many requests were served (one request on Turso). */
  applyTouches(updates: readonly TouchUpdate[]): Promise<void> {
    if (updates.length === 0) return Promise.resolve();
    const writes: CatalogWrite[] = [];
    for (const update of updates) {
      writes.push({
        sql: `UPDATE instances SET last_active_at = CASE WHEN ? THEN max(coalesce(last_active_at, 0), ?) ELSE last_active_at END,
                size_bytes = coalesce(?, size_bytes)
              WHERE name = ? AND state = 'ready'`,
        args: [update.active === false ? 0 : 1, update.at, update.sizeBytes ?? null, update.name],
      });
      writes.push(...metricWrites(update.name, update.metrics ?? {}, update.at));
    }
    writes.push(...this.activity.writes(updates));
    // Every two seconds on a busy server: the hot-path lookups keep their answers (their
    // activity fields may lag, see resolve); `find`'s, which carry metrics, are dropped.
    return this.#opened.writeBatch(writes, { keepsLookups: true }).then(() => this.#found.clear());
  }

  /**
   * Sizes measured without a write (an idle handle's write-ahead log given back): the size
   * alone changes, not the instance's activity.
   */
  recordSizes(sizes: readonly { id: string; sizeBytes: number }[]): Promise<void> {
    if (sizes.length === 0) return Promise.resolve();
    const writes = sizes.map(({ id, sizeBytes }): CatalogWrite => ({ sql: `UPDATE instances SET size_bytes = ? WHERE id = ? AND state = 'ready'`, args: [sizeBytes, id] }));
    return this.#opened.writeBatch(writes, { keepsLookups: true }).then(() => this.#found.clear());
  }

  list(query: ListQuery = {}): ListPage {
    const { where, params } = filterClause(query);
    const limit = clampInt(query.limit ?? 50, 1, 1_000);
    const offset = Math.max(0, Math.trunc(query.offset ?? 0));
    const order = query.order === 'desc' ? 'DESC' : 'ASC';
    const sort = query.sort ?? 'name';
    let join = '';
    let sortKey: string;
    if (sort.startsWith('metric:')) {
      join = 'LEFT JOIN instance_metrics sm ON sm.instance_id = i.id AND sm.key = @sortMetric';
      params['sortMetric'] = sort.slice('metric:'.length);
      sortKey = 'coalesce(sm.value, 0)';
    } else {
      const column = SORT_COLUMNS[sort as keyof typeof SORT_COLUMNS];
      if (!column) throw new SiloError('INVALID_INPUT', `Unknown sort "${sort}". Use one of: ${SORT_KEYS.join(', ')}, metric:<key>.`);
      sortKey = column;
    }
    const total = (this.#statements.get(`SELECT count(*) AS n FROM instances i ${where}`).get(params) as { n: number }).n;
    // Sort only ids and keys, then fetch the page's 50 rows: sorting whole rows of 100,000
    // instances was most of a list page's time. `+@limit` keeps it prepared (ADR 39).
    const rows = this.#statements
      .get<[Record<string, unknown>], InstanceRow>(
        `SELECT page.*, (SELECT src.name FROM instances src WHERE src.id = page.cloned_from) AS cloned_from_name,
                (SELECT json_group_object(m.key, m.value) FROM instance_metrics m WHERE m.instance_id = page.id) AS metrics
         FROM (SELECT i.id, ${sortKey} AS sort_key, i.name AS sort_name FROM instances i ${join} ${where}
               ORDER BY sort_key ${order} NULLS LAST, sort_name LIMIT +@limit OFFSET @offset) ids
         JOIN instances page ON page.id = ids.id
         ORDER BY ids.sort_key ${order} NULLS LAST, ids.sort_name`,
      )
      .all({ ...params, limit, offset });
    return { items: rows.map(toInfo), total };
  }

  /** Every instance matching the filter, streamed in name order (for fleet-wide operations). */
  *each(filter: InstanceFilter): Generator<InstanceInfo> {
    const { where, params } = filterClause(filter);
    const statement = this.#statements.get<[Record<string, unknown>], InstanceRow>(
      `${SELECT_ROW} ${where} ORDER BY i.name`,
    );
    // Materialised first so callers can write to the catalog while iterating.
    for (const row of statement.all(params)) yield toInfo(row);
  }

  count(filter: InstanceFilter = {}): number {
    const { where, params } = filterClause(filter);
    return (this.#statements.get(`SELECT count(*) AS n FROM instances i ${where}`).get(params) as { n: number }).n;
  }

  countBy(column: 'state' | 'jurisdiction' | 'schema_version', filter: InstanceFilter = {}): { key: string | number; count: number }[] {
    const { where, params } = filterClause(filter);
    return this.#statements
      .get<[Record<string, unknown>], { key: string | number; count: number }>(
        `SELECT i.${column} AS key, count(*) AS count FROM instances i ${where} GROUP BY i.${column} ORDER BY i.${column}`,
      )
      .all(params);
  }

  /** Instances by state and jurisdiction (metrics): one grouped scan, a few rows whatever the fleet's size. */
  countByStateAndJurisdiction(): { state: string; jurisdiction: string; count: number }[] {
    return this.#statements
      .get<[], { state: string; jurisdiction: string; count: number }>('SELECT state, jurisdiction, count(*) AS count FROM instances GROUP BY state, jurisdiction')
      .all();
  }

  /** Totals for the admin overview: counts, size on disk, activity, and instances created and last active per day. */
  overview(days: number, now = Date.now()): FleetOverview {
    const since = now - days * 24 * 60 * 60 * 1000;
    const totals = this.#statements
      .get<[number], { total: number; size: number | null; active: number }>(
        `SELECT count(*) AS total, sum(size_bytes) AS size,
                count(*) FILTER (WHERE last_active_at >= ?) AS active
         FROM instances WHERE state IN ('ready', 'deleted', 'provisioning', 'failed', 'moving')`,
      )
      .get(now - 24 * 60 * 60 * 1000) ?? { total: 0, size: 0, active: 0 };
    const perDay = (column: 'created_at' | 'last_active_at') =>
      this.#statements
        .get<[number], { day: string; count: number }>(
          `SELECT date(${column} / 1000, 'unixepoch') AS day, count(*) AS count FROM instances
           WHERE ${column} >= ? GROUP BY day ORDER BY day`,
        )
        .all(since);
    return {
      total: totals.total,
      sizeBytes: totals.size ?? 0,
      activeLast24h: totals.active,
      byState: Object.fromEntries(this.countBy('state').map(({ key, count }) => [String(key), count])),
      byJurisdiction: Object.fromEntries(this.countBy('jurisdiction').map(({ key, count }) => [String(key), count])),
      createdPerDay: perDay('created_at'),
      lastActivePerDay: perDay('last_active_at'),
      activeTenants: this.activity.activeTenants(days, now),
    };
  }

  /**
   * Leased rows whose owner is gone: creates and purges a crash interrupted. An owner on another
   * machine cannot be asked, so its lease counts as abandoned after `staleAfterMs`.
   */
  interruptedOperations(ownerAlive: (owner: string) => boolean | undefined, staleAfterMs: number, now = Date.now()): { instance: InstanceInfo; owner: string }[] {
    const rows = this.#statements
      .get<[], InstanceRow & { op_owner: string }>(`${SELECT_ROW} WHERE i.op_owner IS NOT NULL`)
      .all();
    return rows
      .filter((row) => !(ownerAlive(row.op_owner) ?? now - row.updated_at <= staleAfterMs))
      .map((row) => ({ instance: toInfo(row), owner: row.op_owner }));
  }

  expiredDeletions(retentionMs: number, now = Date.now()): InstanceInfo[] {
    return this.#statements
      .get<[number], InstanceRow>(
        `${SELECT_ROW} WHERE i.state = 'deleted' AND i.deleted_at <= ?`,
      )
      .all(now - retentionMs)
      .map(toInfo);
  }
}

function filterClause(filter: InstanceFilter): { where: string; params: Record<string, unknown> } {
  const clauses: string[] = [];
  const params: Record<string, unknown> = {};
  if (filter.state !== undefined) {
    const states = typeof filter.state === 'string' ? [filter.state] : filter.state;
    clauses.push(`i.state IN (${states.map((_, index) => `@state${index}`).join(', ') || 'NULL'})`);
    states.forEach((state, index) => (params[`state${index}`] = state));
  }
  if (filter.jurisdiction !== undefined) {
    clauses.push('i.jurisdiction = @jurisdiction');
    params['jurisdiction'] = filter.jurisdiction;
  }
  if (filter.region !== undefined) {
    clauses.push('i.region = @region');
    params['region'] = filter.region;
  }
  if (filter.search) {
    clauses.push(`(i.name LIKE @search ESCAPE '\\' OR i.display_name LIKE @search ESCAPE '\\')`);
    params['search'] = `%${filter.search.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
  }
  if (filter.schemaBelow !== undefined) {
    clauses.push('i.schema_version < @schemaBelow');
    params['schemaBelow'] = filter.schemaBelow;
  }
  if (filter.names !== undefined) {
    clauses.push(`i.name IN (SELECT value FROM json_each(@names))`);
    params['names'] = JSON.stringify(filter.names);
  }
  return { where: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

/** Not in a passing state: what a lookup answers stays true until the catalog changes. */
function isSettled(row: InstanceRow): boolean {
  return row.state !== 'provisioning' && row.state !== 'moving';
}

function frozen(info: InstanceInfo): InstanceInfo {
  Object.freeze(info.metrics);
  if (info.clonedFrom) Object.freeze(info.clonedFrom);
  return Object.freeze(info);
}

function toInfo(row: InstanceRow): InstanceInfo {
  return {
    id: row.id,
    name: row.name,
    displayName: row.display_name,
    state: row.state,
    jurisdiction: row.jurisdiction,
    region: row.region,
    engine: row.engine,
    dbUrl: row.db_url,
    schemaVersion: row.schema_version,
    sizeBytes: row.size_bytes,
    clonedFrom: row.cloned_from ? { id: row.cloned_from, name: row.cloned_from_name } : null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lastActiveAt: row.last_active_at,
    deletedAt: row.deleted_at,
    error: row.error,
    metrics: row.metrics ? (JSON.parse(row.metrics) as Record<string, number>) : {},
  };
}

function toIntent(row: PurgeIntentRow): PurgeIntent {
  return {
    instanceId: row.instance_id,
    name: row.name,
    jurisdiction: row.jurisdiction,
    region: row.region,
    dbUrl: row.db_url,
    locations: JSON.parse(row.locations) as string[],
    actor: row.actor,
    requestedAt: row.requested_at,
  };
}

function nameTaken(name: string, state: InstanceState): SiloError {
  const hint =
    state === 'deleted'
      ? 'It belongs to a deleted instance: undelete it, or purge it to free the name.'
      : 'Choose another name.';
  return new SiloError('NAME_TAKEN', `The name "${name}" is taken. ${hint}`, { details: { name, state } });
}

function clampInt(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.trunc(value)));
}

function unavailable(location: CatalogLocation, error: unknown): SiloError {
  const reason = error instanceof Error ? error.message : String(error);
  const secret = location.kind === 'turso' ? location.authToken : undefined;
  const safeReason = secret ? reason.split(secret).join('<token>') : reason;
  return new SiloError('CATALOG_UNAVAILABLE', `Cannot open the catalog ${describeLocation(location)}: ${safeReason}. ${remedyFor(location)}`, { cause: error });
}

function describeLocation(location: CatalogLocation): string {
  return location.kind === 'file' ? `at ${location.file}` : `on Turso (${redactUrl(location.syncUrl)}, replicas in ${location.replicaDir})`;
}

function remedyFor(location: CatalogLocation): string {
  if (location.kind !== 'file') return 'Check SILO_CATALOG_URL and SILO_CATALOG_AUTH_TOKEN, and that the database answers.';
  // Named the ways it is set: the config's dataDir, SILO_DATA_DIR, the CLI's --data-dir.
  const where = 'the data folder (dataDir, SILO_DATA_DIR or --data-dir)';
  const folder = path.dirname(location.file);
  if (statSync(folder, { throwIfNoEntry: false })?.isDirectory() === false) return `${folder} is a file, not a folder: point ${where} at a folder.`;
  return `Check that ${where} is a writable folder holding a Silo catalog.`;
}

/** A URL without credentials or query (a token could ride in either). */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return '(unparseable URL)';
  }
}
