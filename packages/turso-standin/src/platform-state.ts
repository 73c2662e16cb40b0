import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { copyCommittedState, openConnection, removeDatabaseFiles, storageBytes, type Connection } from './database-files';
import { DatabaseHistory, type HistoryOptions } from './history';
import { platformError } from './http-util';
import { ReplicationLog } from './replication-log';
import type { DatabaseHooks } from './sql-stream';
import { UsageCounter } from './usage';

/**
 * Location codes and names, as `GET /v1/locations` answers (the OpenAPI example), and one
 * location of the older, non-AWS platform that groups created before Turso's move to AWS still
 * run on: a database file can be uploaded only into a group whose primary is on AWS (turso-cli,
 * internal/cmd/db_create.go: `isAWS := strings.HasPrefix(group.Primary, "aws-")`; other groups
 * get a SQL dump instead).
 */
export const LOCATIONS: Readonly<Record<string, string>> = {
  fra: 'Frankfurt, Germany',
  'aws-ap-northeast-1': 'AWS AP NorthEast (Tokyo)',
  'aws-ap-south-1': 'AWS AP South (Mumbai)',
  'aws-eu-west-1': 'AWS EU West (Ireland)',
  'aws-us-east-1': 'AWS US East (Virginia)',
  'aws-us-east-2': 'AWS US East (Ohio)',
  'aws-us-west-2': 'AWS US West (Oregon)',
};

/** Whether a location is on AWS, where database uploads are taken. */
export function isOnAws(location: string): boolean {
  return location.startsWith('aws-');
}

export interface GroupRecord {
  name: string;
  uuid: string;
  location: string;
  /** Bumped by `auth/rotate`; tokens of an older generation are refused. */
  tokenGeneration: number;
}

export interface ParentRecord {
  id: string;
  name: string;
  branchedAt: string;
}

/** What the state file keeps of a database (files stay where they are). */
export interface StoredDatabase {
  name: string;
  id: string;
  instanceId: string;
  group: string;
  file: string;
  historyDir: string;
  createdAt: number;
  parent: ParentRecord | null;
  tokenGeneration: number;
  /** `size_limit` from the create request, in bytes; absent: no limit. */
  sizeLimitBytes?: number;
  /**
   * Created with `seed: {type: "database_upload"}` and not uploaded yet: Turso keeps such a
   * database as a draft, not served, until an upload to its Hostname activates it (upload.ts).
   */
  awaitingUpload?: boolean;
}

export class DatabaseRecord {
  readonly usage = new UsageCounter();
  readonly history: DatabaseHistory;
  /** Commits after which the replication log starts a new generation (0: never); set by PlatformState. */
  replicaGenerationCommits = 0;
  #maintenance: Connection | undefined;
  #replication: ReplicationLog | undefined;

  constructor(
    readonly stored: StoredDatabase,
    readonly group: GroupRecord,
    readonly readyAt: number,
    historyOptions: HistoryOptions,
    /** Set when loaded after a restart: states before it were not recorded. */
    loadedAt?: number,
  ) {
    this.history = new DatabaseHistory(stored.historyDir, historyOptions, stored.createdAt, loadedAt);
  }

  get name(): string {
    return this.stored.name;
  }
  get id(): string {
    return this.stored.id;
  }
  get instanceId(): string {
    return this.stored.instanceId;
  }
  get file(): string {
    return this.stored.file;
  }
  get parent(): ParentRecord | null {
    return this.stored.parent;
  }
  get tokenGeneration(): number {
    return this.stored.tokenGeneration;
  }
  get sizeLimitBytes(): number | undefined {
    return this.stored.sizeLimitBytes;
  }
  get awaitingUpload(): boolean {
    return this.stored.awaitingUpload === true;
  }

  /** A connection in autocommit mode for copies and size checks, never used by a stream. */
  maintenance(): Connection {
    this.#maintenance ??= openConnection(this.file);
    return this.#maintenance;
  }

  /** Started by the first embedded replica that syncs from this database (see replication-log.ts). */
  replication(): ReplicationLog {
    this.#replication ??= new ReplicationLog(this.file, this.maintenance(), this.replicaGenerationCommits);
    return this.#replication;
  }

  hooks(clock: () => number): DatabaseHooks {
    return {
      beforeWrite: () => this.history.beforeWrite(this.maintenance(), clock()),
      noteCommit: () => {
        this.#replication?.capture();
        this.history.noteCommit(clock());
      },
      recordUsage: (rowsRead, rowsWritten) => this.usage.record(rowsRead, rowsWritten, clock()),
    };
  }

  storageBytes(): number {
    return storageBytes(this.maintenance());
  }

  /** Closes connections; the files stay (they belong to the data dir). */
  close(): void {
    this.#maintenance?.close();
    this.#maintenance = undefined;
    this.#replication = undefined;
  }

  /** Deletes the database: connections, copy points and files. */
  dispose(): void {
    this.close();
    this.history.dispose();
    removeDatabaseFiles(this.file);
  }
}

export interface StateOptions {
  dataDir: string;
  org: string;
  notReadyMs: number;
  history: HistoryOptions;
  /** See ReplicationLog: commits per sync generation of embedded replicas (0: one generation forever). */
  replicaGenerationCommits?: number;
  clock: () => number;
  /** Used when the data dir has no state file yet; the API token option wins over a stored one. */
  apiToken: string | undefined;
}

interface StateFile {
  version: 1;
  org: string;
  apiToken: string;
  tokenSecret: string;
  groups: GroupRecord[];
  databases: StoredDatabase[];
}

/** RFC 3339 date-time (Go's time.RFC3339, which also takes fractional seconds): a `T`, seconds, and a zone. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function retentionText(ms: number): string {
  return ms >= 3_600_000 ? `${ms / 3_600_000} hours` : `${ms / 1_000} seconds`;
}

/** Turso's rule for database (and group) names: lowercase letters, digits, dashes; at most 64. */
const NAME_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

export function assertValidName(kind: 'database' | 'group', name: unknown): asserts name is string {
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    throw platformError(
      400,
      `invalid ${kind} name ${JSON.stringify(name)}: use only lowercase letters, numbers and dashes, at most 64 characters`,
    );
  }
}

export type Seed =
  | { type: 'database'; name: string; timestamp?: string | undefined }
  /** An empty draft that an upload to the database's Hostname fills and activates (upload.ts). */
  | { type: 'database_upload' };

/**
 * Groups and databases of the one organization the stand-in serves. The catalog (with the
 * token secret, so issued tokens stay valid) is saved to `<dataDir>/standin-state.json` after
 * every change, so a stand-in restarted on the same data dir (and port) serves the same
 * databases under the same Hostnames.
 */
export class PlatformState {
  readonly groups = new Map<string, GroupRecord>();
  readonly databases = new Map<string, DatabaseRecord>();
  readonly apiToken: string;
  readonly tokenSecret: Buffer;
  readonly #dbDir: string;
  readonly #historyDir: string;
  readonly #stateFile: string;

  constructor(private readonly options: StateOptions) {
    this.#dbDir = path.join(options.dataDir, 'databases');
    this.#historyDir = path.join(options.dataDir, 'history');
    this.#stateFile = path.join(options.dataDir, 'standin-state.json');
    mkdirSync(this.#dbDir, { recursive: true });
    mkdirSync(this.#historyDir, { recursive: true });
    const stored = this.#load();
    this.apiToken = options.apiToken ?? stored?.apiToken ?? `standin-api-${randomBytes(18).toString('base64url')}`;
    this.tokenSecret = stored === undefined ? randomBytes(32) : Buffer.from(stored.tokenSecret, 'base64');
    if (stored !== undefined) this.#restore(stored);
    this.#save();
  }

  #load(): StateFile | undefined {
    if (!existsSync(this.#stateFile)) return undefined;
    let parsed: StateFile;
    try {
      parsed = JSON.parse(readFileSync(this.#stateFile, 'utf8')) as StateFile;
    } catch (error) {
      throw new Error(`The stand-in state file ${this.#stateFile} is not valid JSON; move it away to start empty`, { cause: error });
    }
    if (parsed.version !== 1) {
      throw new Error(`The stand-in state file ${this.#stateFile} has an unknown version; move it away to start empty`);
    }
    if (parsed.org !== this.options.org) {
      throw new Error(
        `The stand-in state file ${this.#stateFile} belongs to organization "${parsed.org}", not "${this.options.org}"; use another data dir`,
      );
    }
    return parsed;
  }

  #restore(stored: StateFile): void {
    const now = this.options.clock();
    for (const group of stored.groups) this.groups.set(group.name, { ...group });
    for (const db of stored.databases) {
      const group = this.groups.get(db.group);
      if (group === undefined || !existsSync(db.file)) continue;
      // Copy points are not part of the state file: earlier states are not served after a restart.
      rmSync(db.historyDir, { recursive: true, force: true });
      const record = new DatabaseRecord({ ...db }, group, now, this.options.history, now);
      record.replicaGenerationCommits = this.options.replicaGenerationCommits ?? 0;
      this.databases.set(db.name, record);
    }
  }

  #save(): void {
    const file: StateFile = {
      version: 1,
      org: this.options.org,
      apiToken: this.apiToken,
      tokenSecret: this.tokenSecret.toString('base64'),
      groups: [...this.groups.values()],
      databases: [...this.databases.values()].map((db) => db.stored),
    };
    const temp = `${this.#stateFile}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(file, null, 2));
    renameSync(temp, this.#stateFile);
  }

  rotateGroupTokens(name: string): void {
    this.group(name).tokenGeneration += 1;
    this.#save();
  }

  /**
   * The upload at `uploaded` passed validation: it becomes the draft's file and the database is
   * served from now on (as turso-server "activates" a database_upload draft).
   */
  activateUpload(db: DatabaseRecord, uploaded: string): void {
    db.close();
    removeDatabaseFiles(db.file);
    renameSync(uploaded, db.file);
    delete db.stored.awaitingUpload;
    this.#save();
  }

  rotateDatabaseTokens(name: string): void {
    this.database(name).stored.tokenGeneration += 1;
    this.#save();
  }

  createGroup(name: unknown, location: unknown): GroupRecord {
    assertValidName('group', name);
    if (typeof location !== 'string' || !(location in LOCATIONS)) {
      throw platformError(400, `invalid location ${JSON.stringify(location)}: see GET /v1/locations`);
    }
    if (this.groups.has(name)) throw platformError(409, 'group already exists');
    const group: GroupRecord = { name, uuid: randomUUID(), location, tokenGeneration: 0 };
    this.groups.set(name, group);
    this.#save();
    return group;
  }

  group(name: string): GroupRecord {
    const group = this.groups.get(name);
    if (group === undefined) throw platformError(404, 'group not found');
    return group;
  }

  database(name: string): DatabaseRecord {
    const db = this.databases.get(name);
    if (db === undefined) throw platformError(404, `could not find database with name ${name}: record not found`);
    return db;
  }

  createDatabase(name: unknown, groupName: unknown, seed: Seed | undefined, sizeLimitBytes?: number): DatabaseRecord {
    assertValidName('database', name);
    if (typeof groupName !== 'string' || groupName === '') throw platformError(400, 'group is required');
    const group = this.groups.get(groupName);
    if (group === undefined) throw platformError(400, 'group not found');
    if (this.databases.has(name)) throw platformError(409, `database with name ${name} already exists`);
    if (seed?.type === 'database_upload' && !isOnAws(group.location)) {
      throw platformError(400, `database upload is only supported for groups on AWS; group ${group.name} is in ${group.location}`);
    }
    const now = this.options.clock();
    const id = `${name}-${now.toString(36)}`;
    const file = path.join(this.#dbDir, `${id}.db`);
    let parent: ParentRecord | null = null;
    if (seed?.type === 'database') {
      const source = this.databases.get(seed.name);
      if (source === undefined) throw platformError(400, `seed database ${seed.name} not found`);
      let at = now;
      if (seed.timestamp !== undefined) {
        // An RFC 3339 date-time, as turso-cli's `--timestamp` asks for (docs/cli/db/create:
        // "Must be in RFC3339 format"); Date.parse alone would take "2024-01-01" or "Jan 1 2024".
        at = RFC3339.test(seed.timestamp) ? Date.parse(seed.timestamp) : Number.NaN;
        if (Number.isNaN(at)) throw platformError(400, `invalid timestamp ${JSON.stringify(seed.timestamp)}: use RFC 3339, e.g. 2024-01-01T00:00:00Z`);
        // CreateDatabaseInput.seed.timestamp: "This must be within the last 24 hours, or 30 days
        // on the scaler plan" (features/point-in-time-recovery: 24 h free, 10/30/90 days paid).
        // The stand-in keeps `history.retentionMs` of it, whatever the state was doing.
        if (now - at > this.options.history.retentionMs) {
          throw platformError(
            400,
            `invalid timestamp ${seed.timestamp}: point-in-time recovery reaches back ${retentionText(this.options.history.retentionMs)}`,
          );
        }
      }
      const recovery = source.history.resolve(at, now);
      if (recovery.kind === 'current') {
        copyCommittedState(source.maintenance(), file);
      } else {
        const copy = openConnection(recovery.file);
        try {
          copyCommittedState(copy, file);
        } finally {
          copy.close();
        }
      }
      parent = { id: source.id, name: source.name, branchedAt: new Date(at).toISOString() };
    } else {
      removeDatabaseFiles(file);
      openConnection(file).close();
    }
    const stored: StoredDatabase = {
      name,
      id: randomUUID(),
      instanceId: randomUUID(),
      group: group.name,
      file,
      historyDir: path.join(this.#historyDir, id),
      createdAt: now,
      parent,
      tokenGeneration: 0,
      ...(sizeLimitBytes === undefined ? {} : { sizeLimitBytes }),
      ...(seed?.type === 'database_upload' ? { awaitingUpload: true } : {}),
    };
    const db = new DatabaseRecord(stored, group, now + this.options.notReadyMs, this.options.history);
    db.replicaGenerationCommits = this.options.replicaGenerationCommits ?? 0;
    this.databases.set(name, db);
    this.#save();
    return db;
  }

  deleteDatabase(name: string): DatabaseRecord {
    const db = this.database(name);
    this.databases.delete(name);
    db.dispose();
    this.#save();
    return db;
  }

  deleteGroup(name: string): { group: GroupRecord; databases: DatabaseRecord[] } {
    const group = this.group(name);
    const databases = [...this.databases.values()].filter((db) => db.group === group);
    for (const db of databases) this.deleteDatabase(db.name);
    this.groups.delete(name);
    this.#save();
    return { group, databases };
  }

  close(): void {
    for (const db of this.databases.values()) db.close();
  }
}
