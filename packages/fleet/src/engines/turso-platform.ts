import { SiloError } from '../errors';
import { PlatformApi, statusOf, type PlatformRetryPolicy } from './turso-api';
import type { SecretScrubber } from './turso-secrets';

export { statusOf } from './turso-api';

/** What Silo needs to know about one Turso database. */
export interface TursoDatabaseInfo {
  readonly name: string;
  readonly hostname: string;
  readonly group: string | undefined;
  /** `DbId`: what the organization's usage report names databases by. */
  readonly id?: string | undefined;
  /** The database it was branched from, when Turso says. */
  readonly parent?: string | undefined;
}

export interface TursoUsage {
  readonly rowsRead: number;
  readonly rowsWritten: number;
  readonly storageBytes: number;
}

/** Where a group's databases live: its primary location and every location it replicates to. */
export interface TursoGroupInfo {
  readonly name: string;
  readonly primary: string | undefined;
  readonly locations: readonly string[];
}

/** The organization's usage in the current period: per database (by DbId) and the totals. */
export interface TursoOrganizationUsage {
  readonly databases: ReadonlyMap<string, TursoUsage>;
  /** How many databases the organization has (clones and point-in-time branches included). */
  readonly databaseCount: number | undefined;
}

/** The plan's quotas, as `turso plan show` reads them (subscription, plans, organization usage). */
export interface TursoPlanQuota {
  readonly plan: string;
  /** Databases the plan allows; undefined when the plan list does not say. */
  readonly databases: number | undefined;
  /** Databases the organization has now. */
  readonly databasesUsed: number | undefined;
}

interface UsageFigures {
  rows_read?: number;
  rows_written?: number;
  storage_bytes?: number;
  databases?: number;
}

interface ApiDatabase {
  Name: string;
  Hostname: string;
  DbId?: string;
  group?: string;
  parent?: { name?: string } | null;
}

/** The page size asked of the database list; Turso caps pages on its side too. */
export const LIST_PAGE_SIZE = 100;

/**
 * The Platform API subset the engine uses (platform-openapi.json; turso-cli's internal/turso
 * for the fields it reads): databases (create, branch, get, paged list, delete), groups, group
 * tokens, and the organization's usage, subscription and plans. Failures become SiloErrors whose
 * messages name the operation and HTTP status, scrubbed of secrets; 429 and 5xx are retried
 * (turso-api.ts).
 */
export class TursoPlatform {
  readonly #api: PlatformApi;
  readonly #org: string;

  constructor(options: { org: string; apiToken: string; apiUrl: string; scrubber: SecretScrubber; retry?: PlatformRetryPolicy }) {
    this.#org = options.org;
    this.#api = new PlatformApi({
      apiUrl: options.apiUrl,
      apiToken: options.apiToken,
      scrubber: options.scrubber,
      ...(options.retry ? { retry: options.retry } : {}),
    });
    this.#scrubber = options.scrubber;
  }

  readonly #scrubber: SecretScrubber;

  get org(): string {
    return this.#org;
  }

  /** The group, with its locations. Fails with CONFIG_INVALID when it is missing, so a typo in SILO_TURSO_GROUPS stops start-up. */
  async getGroup(group: string): Promise<TursoGroupInfo> {
    try {
      const { group: found } = await this.#api.request<{ group: { name: string; primary?: string; locations?: string[] } }>(
        `look up group "${group}"`,
        { method: 'GET', path: this.#path(`groups/${encodeURIComponent(group)}`) },
      );
      return { name: found.name, primary: found.primary, locations: found.locations ?? [] };
    } catch (error) {
      if (statusOf(error) === 404) {
        throw new SiloError(
          'CONFIG_INVALID',
          `SILO_TURSO_GROUPS names group "${group}", which does not exist in Turso organization "${this.#org}". Create it (turso group create ${group} --location <code>) or fix the mapping.`,
        );
      }
      throw error;
    }
  }

  async assertGroup(group: string): Promise<void> {
    await this.getGroup(group);
  }

  /** The locations (Turso's codes, e.g. "fra") a group's databases are placed in, as the Platform API reports them. */
  async groupLocations(group: string): Promise<{ locations: string[]; primary: string | undefined }> {
    const { locations, primary } = await this.getGroup(group);
    return { locations: [...locations], primary };
  }

  /**
   * A group token. `expiration` is Turso's duration syntax (`1d`, `12h`, `2w1d30m`); Turso's
   * default is a token that never expires, which Silo never asks for.
   */
  async mintGroupToken(group: string, authorization: 'full-access' | 'read-only', expiration: string): Promise<string> {
    const { jwt } = await this.#api.request<{ jwt: string }>(`mint a ${authorization} token for group "${group}"`, {
      method: 'POST',
      path: this.#path(`groups/${encodeURIComponent(group)}/auth/tokens`),
      query: { authorization, expiration },
    });
    this.#scrubber.add(jwt);
    return jwt;
  }

  /**
   * Creates an empty database, or a branch of `seed` (optionally as it was at `timestamp`).
   * Idempotent by name: when a retried create meets 409 (the first attempt did create it, but
   * its answer was lost), the database is looked up and accepted if it is in the same group
   * (and, for a branch, of the same parent when Turso says).
   */
  async createDatabase(name: string, group: string, seed?: { database: string; timestamp?: Date }, sizeLimitBytes?: number): Promise<TursoDatabaseInfo> {
    try {
      const { database } = await this.#api.request<{ database: { Name: string; Hostname: string; DbId?: string } }>(`create database "${name}"`, {
        method: 'POST',
        path: this.#path('databases'),
        body: {
          name,
          group,
          // Turso enforces it on the server (as SQLite's max_page_count): SQLITE_FULL past it.
          ...(sizeLimitBytes === undefined ? {} : { size_limit: String(sizeLimitBytes) }),
          ...(seed ? { seed: { type: 'database', name: seed.database, ...(seed.timestamp ? { timestamp: seed.timestamp.toISOString() } : {}) } } : {}),
        },
      });
      return { name: database.Name, hostname: database.Hostname, group, id: database.DbId };
    } catch (error) {
      if (statusOf(error) !== 409) throw error;
      const existing = await this.getDatabase(name);
      const sameParent = !seed || existing?.parent === undefined || existing.parent === seed.database;
      if (existing && (existing.group === undefined || existing.group === group) && sameParent) return existing;
      throw new SiloError(
        'ENGINE_FAILURE',
        `Turso database "${name}" already exists${existing?.group ? ` in group "${existing.group}"` : ''}, and it is not the one this create asked for (group "${group}"${seed ? `, branch of "${seed.database}"` : ''}). Run \`silo doctor\` to see whether it is an orphan, or choose another name.`,
        { cause: error, details: { status: 409 } },
      );
    }
  }

  /**
   * A draft to upload a file into (`seed: {type: "database_upload"}`, as turso-cli's
   * `db create --from-file`): Turso does not serve it until the upload (turso-upload.ts).
   * @tursodatabase/api's typings know only "database" and "dump" seeds; the body is passed on as is.
   */
  async createDatabaseForUpload(name: string, group: string, sizeLimitBytes?: number): Promise<TursoDatabaseInfo> {
    // No 409 look-up as in createDatabase: a database already there under this name is never
    // an upload's draft to fill, so the create fails and nothing of it is touched.
    const { database } = await this.#api.request<{ database: { Name: string; Hostname: string; DbId?: string } }>(`create database "${name}" for an upload`, {
      method: 'POST',
      path: this.#path('databases'),
      body: {
        name,
        group,
        seed: { type: 'database_upload' },
        ...(sizeLimitBytes === undefined ? {} : { size_limit: String(sizeLimitBytes) }),
      },
    });
    return { name: database.Name, hostname: database.Hostname, group, id: database.DbId };
  }

  /** A short-lived full-access token for one database (turso-cli mints one per upload, too). */
  async mintDatabaseToken(name: string, expiration: string): Promise<string> {
    const { jwt } = await this.#api.request<{ jwt: string }>(`mint a token for database "${name}"`, {
      method: 'POST',
      path: this.#path(`databases/${encodeURIComponent(name)}/auth/tokens`),
      query: { authorization: 'full-access', expiration },
    });
    this.#scrubber.add(jwt);
    return jwt;
  }

  /** The database, or undefined when Turso says it does not exist. */
  async getDatabase(name: string): Promise<TursoDatabaseInfo | undefined> {
    try {
      const { database } = await this.#api.request<{ database: ApiDatabase }>(`look up database "${name}"`, {
        method: 'GET',
        path: this.#path(`databases/${encodeURIComponent(name)}`),
      });
      return toInfo(database);
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  /**
   * Every database of the group, page by page (`limit`, `cursor`, and `pagination.next` of the
   * answer, as turso-cli's DatabasesClient.List reads it): an organization with more databases
   * than one page holds is listed whole, never just its first page.
   */
  async listDatabases(group: string, pageSize: number = LIST_PAGE_SIZE): Promise<TursoDatabaseInfo[]> {
    const all: TursoDatabaseInfo[] = [];
    const seen = new Set<string>();
    let cursor: string | undefined;
    for (;;) {
      const page = await this.#api.request<{ databases?: ApiDatabase[]; pagination?: { next?: string | null } | null }>(
        `list databases of group "${group}"`,
        { method: 'GET', path: this.#path('databases'), query: { group, limit: pageSize, cursor } },
      );
      for (const database of page.databases ?? []) {
        if (database.group !== undefined && database.group !== group) continue;
        all.push(toInfo(database));
      }
      const next = page.pagination?.next ?? undefined;
      if (next === undefined || next === '' || seen.has(next)) return all;
      seen.add(next); // a cursor answered twice would loop forever
      cursor = next;
    }
  }

  /** Deletes the database; one that is already gone is not an error. Retried on 429 and 5xx. */
  async deleteDatabase(name: string): Promise<void> {
    try {
      await this.#api.request(`delete database "${name}"`, { method: 'DELETE', path: this.#path(`databases/${encodeURIComponent(name)}`) });
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
    }
  }

  /** One call for the whole organization (turso-cli: OrganizationsClient.Usage): every database's figures by DbId. */
  async organizationUsage(): Promise<TursoOrganizationUsage> {
    const { organization } = await this.#api.request<{
      organization?: { usage?: UsageFigures; databases?: { uuid?: string; usage?: UsageFigures; total?: UsageFigures }[] };
    }>('read the organization usage', { method: 'GET', path: this.#path('usage') });
    const databases = new Map<string, TursoUsage>();
    for (const entry of organization?.databases ?? []) {
      if (!entry.uuid) continue;
      const figures = entry.usage ?? entry.total ?? {};
      databases.set(entry.uuid, { rowsRead: figures.rows_read ?? 0, rowsWritten: figures.rows_written ?? 0, storageBytes: figures.storage_bytes ?? 0 });
    }
    return { databases, databaseCount: organization?.usage?.databases };
  }

  /** The plan and its database quota, as `turso plan show` puts them together. */
  async planQuota(): Promise<TursoPlanQuota> {
    const [{ subscription }, { plans }, usage] = await Promise.all([
      this.#api.request<{ subscription: { plan: string } }>('read the subscription', { method: 'GET', path: this.#path('subscription') }),
      this.#api.request<{ plans?: { name: string; quotas?: { databases?: number | null } }[] }>('list the plans', { method: 'GET', path: this.#path('plans') }),
      this.organizationUsage(),
    ]);
    const plan = (plans ?? []).find((candidate) => candidate.name === subscription.plan);
    // PlanQuotas.databases is nullable in the Platform API: null is a plan without a database cap.
    return { plan: subscription.plan, databases: plan?.quotas?.databases ?? undefined, databasesUsed: usage.databaseCount };
  }

  #path(rest: string): string {
    return `organizations/${encodeURIComponent(this.#org)}/${rest}`;
  }
}

function toInfo(database: ApiDatabase): TursoDatabaseInfo {
  return { name: database.Name, hostname: database.Hostname, group: database.group, id: database.DbId, parent: database.parent?.name ?? undefined };
}
