import { createClient } from '@tursodatabase/api';
import { SiloError, errorMessage } from '../errors';
import type { SecretScrubber } from './turso-secrets';

/** What Silo needs to know about one Turso database. */
export interface TursoDatabaseInfo {
  readonly name: string;
  readonly hostname: string;
  readonly group: string | undefined;
}

export interface TursoUsage {
  readonly rowsRead: number;
  readonly rowsWritten: number;
  readonly storageBytes: number;
}

const RETRIES = 3;

interface DatabaseUsageFigures {
  rows_read: number;
  rows_written: number;
  storage_bytes: number;
}

/**
 * The Platform API subset the engine uses, through `@tursodatabase/api`: databases (create,
 * branch, get, list, delete, usage), groups and group tokens. Failures become SiloErrors whose
 * messages name the operation and HTTP status, scrubbed of secrets.
 */
export class TursoPlatform {
  readonly #api: ReturnType<typeof createClient>;
  readonly #org: string;
  readonly #scrubber: SecretScrubber;

  constructor(options: { org: string; apiToken: string; apiUrl: string; scrubber: SecretScrubber }) {
    this.#org = options.org;
    this.#scrubber = options.scrubber;
    this.#scrubber.add(options.apiToken);
    this.#api = createClient({ org: options.org, token: options.apiToken, baseUrl: `${options.apiUrl}/v1/` });
  }

  /** Fails with CONFIG_INVALID when the group is missing, so a typo in SILO_TURSO_GROUPS stops start-up. */
  async assertGroup(group: string): Promise<void> {
    try {
      await this.#read(`look up group "${group}"`, () => this.#api.groups.get(group));
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

  /** The locations (Turso's codes, e.g. "fra") a group's databases are placed in, as the Platform API reports them. */
  async groupLocations(group: string): Promise<{ locations: string[]; primary: string | undefined }> {
    const found = await this.#read(`look up group "${group}"`, () => this.#api.groups.get(group));
    return { locations: [...found.locations].map(String), primary: found.primary === undefined ? undefined : String(found.primary) };
  }

  async mintGroupToken(group: string, authorization: 'full-access' | 'read-only'): Promise<string> {
    const { jwt } = await this.#call(`mint a ${authorization} token for group "${group}"`, () =>
      this.#api.groups.createToken(group, { authorization }),
    );
    this.#scrubber.add(jwt);
    return jwt;
  }

  /** Creates an empty database, or a branch of `seed` (optionally as it was at `timestamp`). */
  async createDatabase(name: string, group: string, seed?: { database: string; timestamp?: Date }, sizeLimitBytes?: number): Promise<TursoDatabaseInfo> {
    const created = await this.#call(`create database "${name}"`, () =>
      this.#api.databases.create(name, {
        group,
        // Turso enforces it on the server (as SQLite's max_page_count): SQLITE_FULL past it.
        ...(sizeLimitBytes === undefined ? {} : { size_limit: String(sizeLimitBytes) }),
        ...(seed ? { seed: { type: 'database' as const, name: seed.database, ...(seed.timestamp ? { timestamp: seed.timestamp } : {}) } } : {}),
      }),
    );
    return { name: created.name, hostname: created.hostname, group };
  }

  /** The database, or undefined when Turso says it does not exist. */
  async getDatabase(name: string): Promise<TursoDatabaseInfo | undefined> {
    try {
      const database = await this.#read(`look up database "${name}"`, () => this.#api.databases.get(name));
      return { name: database.name, hostname: database.hostname, group: database.group };
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  async listDatabases(group: string): Promise<{ name: string; hostname: string }[]> {
    const databases = await this.#read(`list databases of group "${group}"`, () => this.#api.databases.list({ group }));
    return databases
      .filter((database) => database.group === undefined || database.group === group)
      .map((database) => ({ name: database.name, hostname: database.hostname }));
  }

  /** Deletes the database; one that is already gone is not an error. */
  async deleteDatabase(name: string): Promise<void> {
    try {
      await this.#call(`delete database "${name}"`, () => this.#api.databases.delete(name));
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
    }
  }

  async usage(name: string): Promise<TursoUsage> {
    const usage = await this.#read(`read the usage of database "${name}"`, () => this.#api.databases.usage(name));
    // The API answers `total` (platform-openapi.json, DatabaseUsageOutput); the SDK's type says `usage`.
    const total = (usage as { total?: Partial<DatabaseUsageFigures> }).total ?? (usage.usage as Partial<DatabaseUsageFigures> | undefined);
    return {
      rowsRead: total?.rows_read ?? 0,
      rowsWritten: total?.rows_written ?? 0,
      storageBytes: total?.storage_bytes ?? 0,
    };
  }

  /** Reads are retried on rate limits, server errors and network failures; they change nothing. */
  async #read<T>(what: string, work: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#call(what, work);
      } catch (error) {
        const status = statusOf(error);
        const transient = status === undefined || status === 429 || status >= 500;
        if (!transient || attempt >= RETRIES) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
      }
    }
  }

  async #call<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      const status = httpStatus(error);
      throw new SiloError(
        'ENGINE_FAILURE',
        this.#scrubber.scrub(`Turso could not ${what}${status ? ` (HTTP ${status})` : ''}: ${errorMessage(error) || 'no reason given'}.`),
        { details: { status } },
      );
    }
  }
}

/** The HTTP status of a Platform API failure, when there was a response. */
export function statusOf(error: unknown): number | undefined {
  return error instanceof SiloError && typeof error.details['status'] === 'number' ? error.details['status'] : undefined;
}

function httpStatus(error: unknown): number | undefined {
  // TursoClientError is not exported by the package; it carries the status as a property.
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}
