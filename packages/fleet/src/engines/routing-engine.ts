import type { Region } from '../regions';
import type { DatabaseQuota, Engine, EngineKind, EngineBackupSupport, EngineCapabilities, ImportReport, ImportSource, MigrationOutcome, QueryRequest, QueryResult, TenantConnection } from '../engine';
import { SiloError } from '../errors';
import type { TenantSchema } from '../schema';

/**
 * A fleet whose instances live on two engines at once: while `silo move` copies instances from
 * local files to Turso, some rows say `local:…` and others `turso:…`. New databases go to the
 * primary engine (the one SILO_ENGINE names); every operation on an existing database goes to
 * the engine its URL names (`<kind>:…`), so callers keep one Engine and change nothing.
 *
 * The secondary engine is opened on first use: a fleet that never meets a URL of it never
 * pays for it.
 */
export class RoutingEngine implements Engine {
  readonly kind: EngineKind;
  /** What either engine offers: each call goes to the engine of its URL, which may or may not have it. */
  readonly capabilities: EngineCapabilities;
  /**
   * Backups by URL: a local instance under SILO_ENGINE=turso still gets its points (the engine
   * of its URL takes them), while an instance whose engine keeps its own history is skipped
   * (no change token), exactly as it is when that engine serves alone.
   */
  readonly backups: EngineBackupSupport | undefined;
  // The optional members exist exactly when `capabilities` says so (the contract suite checks it).
  readonly cloneAt: Engine['cloneAt'];
  readonly usageMetrics: Engine['usageMetrics'];
  readonly databaseQuota: Engine['databaseQuota'];
  readonly #primary: Engine;
  readonly #secondaryKind: EngineKind;
  readonly #openSecondary: () => Engine;
  #secondary: Engine | undefined;
  /** Which engine reported each leftover, so removing it goes to the same one. */
  readonly #leftoverOwners = new Map<string, Engine>();

  constructor(primary: Engine, secondary: { kind: EngineKind; capabilities: EngineCapabilities; open: () => Engine }) {
    this.kind = primary.kind;
    this.#primary = primary;
    this.#secondaryKind = secondary.kind;
    this.#openSecondary = secondary.open;
    const a = primary.capabilities;
    const b = secondary.capabilities;
    this.capabilities = {
      backups: a.backups || b.backups,
      pointInTime: a.pointInTime || b.pointInTime,
      usageMetrics: a.usageMetrics || b.usageMetrics,
      databaseQuota: a.databaseQuota || b.databaseQuota,
    };
    this.backups = this.capabilities.backups ? this.#routedBackups() : undefined;
    this.cloneAt = this.capabilities.pointInTime ? (sourceUrl, targetUrl, at) => this.#cloneAt(sourceUrl, targetUrl, at) : undefined;
    this.usageMetrics = this.capabilities.usageMetrics ? (url) => this.#usageMetrics(url) : undefined;
    this.databaseQuota = this.capabilities.databaseQuota ? () => this.#databaseQuota() : undefined;
  }

  /** The quota of the engine new databases go to (the primary): bulk operations create there. */
  async #databaseQuota(): Promise<DatabaseQuota> {
    if (!this.#primary.databaseQuota) return { plan: 'none', limit: undefined, used: undefined };
    return this.#primary.databaseQuota();
  }

  #routedBackups(): EngineBackupSupport {
    const supportOf = (url: string): EngineBackupSupport | undefined => this.#of(url).backups;
    const required = (url: string): EngineBackupSupport => {
      const support = supportOf(url);
      if (!support) throw new SiloError('BACKUP_FAILED', `The ${this.#of(url).kind} engine keeps its own backups; Silo does not back its databases up.`);
      return support;
    };
    return {
      changeToken: (url) => supportOf(url)?.changeToken(url),
      // async: a database its engine does not back up is a rejected promise, not a synchronous throw.
      snapshot: async (url, destPath, clock) => required(url).snapshot(url, destPath, clock),
      replaceContent: async (url, sourcePath) => required(url).replaceContent(url, sourcePath),
    };
  }

  /**
   * The engine of this kind, for operations that work on both sides (silo move). Takes any
   * string because callers pass the kind a catalog row records; an unknown one has no engine.
   */
  engineOfKind(kind: string): Engine | undefined {
    if (kind === this.#primary.kind) return this.#primary;
    return kind === this.#secondaryKind ? this.#secondaryEngine() : undefined;
  }

  locate(name: string, region: Region): string {
    return this.#primary.locate(name, region);
  }

  create(url: string, schema: TenantSchema): Promise<void> {
    return this.#of(url).create(url, schema);
  }

  clone(sourceUrl: string, targetUrl: string): Promise<void> {
    return this.#sameEngine(sourceUrl, targetUrl).clone(sourceUrl, targetUrl);
  }

  #cloneAt(sourceUrl: string, targetUrl: string, at: Date): Promise<void> {
    const engine = this.#sameEngine(sourceUrl, targetUrl);
    if (!engine.cloneAt) {
      throw new SiloError('INVALID_INPUT', `The ${engine.kind} engine keeps no history, so it cannot clone as of a past time.`);
    }
    return engine.cloneAt(sourceUrl, targetUrl, at);
  }

  importFile(sourcePath: string, targetUrl: string, schema: TenantSchema, maxBytes: number, source?: ImportSource, signal?: AbortSignal): Promise<ImportReport> {
    return this.#of(targetUrl).importFile(sourcePath, targetUrl, schema, maxBytes, source, signal);
  }

  snapshot(url: string, destPath: string): Promise<void> {
    return this.#of(url).snapshot(url, destPath);
  }

  remove(url: string): Promise<void> {
    return this.#of(url).remove(url);
  }

  exists(url: string): Promise<boolean> {
    return this.#of(url).exists(url);
  }

  sizeOf(url: string): Promise<number> {
    return this.#of(url).sizeOf(url);
  }

  async #usageMetrics(url: string): Promise<Record<string, number>> {
    const engine = this.#of(url);
    return engine.usageMetrics ? engine.usageMetrics(url) : {};
  }

  schemaVersion(url: string): Promise<number> {
    return this.#of(url).schemaVersion(url);
  }

  integrityCheck(url: string): Promise<string[]> {
    return this.#of(url).integrityCheck(url);
  }

  connect(url: string): TenantConnection {
    return this.#of(url).connect(url);
  }

  migrate(url: string, schema: TenantSchema, options: { dryRun: boolean }): Promise<MigrationOutcome> {
    return this.#of(url).migrate(url, schema, options);
  }

  query(url: string, request: QueryRequest): Promise<QueryResult> {
    return this.#of(url).query(url, request);
  }

  /** Both engines' databases and leftovers: a database of either kind with no row is an orphan. */
  async inventory(regions: readonly Region[]): Promise<{ databases: string[]; leftovers: string[] }> {
    const databases = new Set<string>();
    const leftovers = new Set<string>();
    this.#leftoverOwners.clear();
    for (const engine of [this.#primary, this.#secondaryEngine()]) {
      const found = await engine.inventory(regions);
      for (const url of found.databases) databases.add(url);
      for (const leftover of found.leftovers) {
        leftovers.add(leftover);
        if (!this.#leftoverOwners.has(leftover)) this.#leftoverOwners.set(leftover, engine);
      }
    }
    return { databases: [...databases], leftovers: [...leftovers] };
  }

  removeLeftover(leftover: string): Promise<void> {
    return (this.#leftoverOwners.get(leftover) ?? this.#primary).removeLeftover(leftover);
  }

  /** Both engines serve instances while a move runs, so both must answer. */
  async checkReachable(): Promise<void> {
    await Promise.all([this.#primary.checkReachable?.(), this.#secondaryEngine().checkReachable?.()]);
  }

  async close(): Promise<void> {
    await Promise.all([this.#primary.close(), this.#secondary?.close()]);
  }

  #secondaryEngine(): Engine {
    this.#secondary ??= this.#openSecondary();
    return this.#secondary;
  }

  #of(url: string): Engine {
    if (url.startsWith(`${this.#primary.kind}:`)) return this.#primary;
    if (url.startsWith(`${this.#secondaryKind}:`)) return this.#secondaryEngine();
    throw new SiloError('ENGINE_FAILURE', `"${url}" names no engine this fleet is configured for (${this.#primary.kind}, ${this.#secondaryKind}).`);
  }

  #sameEngine(sourceUrl: string, targetUrl: string): Engine {
    const source = this.#of(sourceUrl);
    if (source !== this.#of(targetUrl)) {
      throw new SiloError(
        'INVALID_STATE',
        `The source is still on the ${source.kind} engine while new instances go to ${this.kind}; move it first (silo move --to ${this.kind}), then clone it.`,
      );
    }
    return source;
  }
}
