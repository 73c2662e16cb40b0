import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { copyCommittedState, openConnection, removeDatabaseFiles, storageBytes, type Connection } from './database-files';
import { DatabaseHistory, type HistoryOptions } from './history';
import { platformError } from './http-util';
import type { DatabaseHooks } from './sql-stream';
import { UsageCounter } from './usage';

/** Location codes and names, as `GET /v1/locations` answers (the OpenAPI example). */
export const LOCATIONS: Readonly<Record<string, string>> = {
  'aws-ap-northeast-1': 'AWS AP NorthEast (Tokyo)',
  'aws-ap-south-1': 'AWS AP South (Mumbai)',
  'aws-eu-west-1': 'AWS EU West (Ireland)',
  'aws-us-east-1': 'AWS US East (Virginia)',
  'aws-us-east-2': 'AWS US East (Ohio)',
  'aws-us-west-2': 'AWS US West (Oregon)',
};

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

export class DatabaseRecord {
  readonly id = randomUUID();
  readonly instanceId = randomUUID();
  readonly usage = new UsageCounter();
  readonly history: DatabaseHistory;
  tokenGeneration = 0;
  #maintenance: Connection | undefined;

  constructor(
    readonly name: string,
    readonly group: GroupRecord,
    readonly file: string,
    readonly createdAt: number,
    readonly readyAt: number,
    readonly parent: ParentRecord | null,
    historyDir: string,
    historyOptions: HistoryOptions,
  ) {
    this.history = new DatabaseHistory(historyDir, historyOptions, createdAt);
  }

  /** A connection in autocommit mode for copies and size checks, never used by a stream. */
  maintenance(): Connection {
    this.#maintenance ??= openConnection(this.file);
    return this.#maintenance;
  }

  hooks(clock: () => number): DatabaseHooks {
    return {
      beforeWrite: () => this.history.beforeWrite(this.maintenance(), clock()),
      noteCommit: () => this.history.noteCommit(clock()),
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
  clock: () => number;
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

export interface Seed {
  type: 'database';
  name: string;
  timestamp?: string | undefined;
}

/** Groups and databases of the one organization the stand-in serves. */
export class PlatformState {
  readonly groups = new Map<string, GroupRecord>();
  readonly databases = new Map<string, DatabaseRecord>();
  readonly #dbDir: string;
  readonly #historyDir: string;

  constructor(private readonly options: StateOptions) {
    this.#dbDir = path.join(options.dataDir, 'databases');
    this.#historyDir = path.join(options.dataDir, 'history');
    mkdirSync(this.#dbDir, { recursive: true });
    mkdirSync(this.#historyDir, { recursive: true });
  }

  createGroup(name: unknown, location: unknown): GroupRecord {
    assertValidName('group', name);
    if (typeof location !== 'string' || !(location in LOCATIONS)) {
      throw platformError(400, `invalid location ${JSON.stringify(location)}: see GET /v1/locations`);
    }
    if (this.groups.has(name)) throw platformError(409, 'group already exists');
    const group: GroupRecord = { name, uuid: randomUUID(), location, tokenGeneration: 0 };
    this.groups.set(name, group);
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

  createDatabase(name: unknown, groupName: unknown, seed: Seed | undefined): DatabaseRecord {
    assertValidName('database', name);
    if (typeof groupName !== 'string' || groupName === '') throw platformError(400, 'group is required');
    const group = this.groups.get(groupName);
    if (group === undefined) throw platformError(400, 'group not found');
    if (this.databases.has(name)) throw platformError(409, `database with name ${name} already exists`);
    const now = this.options.clock();
    const id = `${name}-${now.toString(36)}`;
    const file = path.join(this.#dbDir, `${id}.db`);
    let parent: ParentRecord | null = null;
    if (seed !== undefined) {
      const source = this.databases.get(seed.name);
      if (source === undefined) throw platformError(400, `seed database ${seed.name} not found`);
      let at = now;
      if (seed.timestamp !== undefined) {
        at = Date.parse(seed.timestamp);
        if (Number.isNaN(at)) throw platformError(400, `invalid timestamp ${JSON.stringify(seed.timestamp)}: use ISO 8601`);
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
    const db = new DatabaseRecord(
      name,
      group,
      file,
      now,
      now + this.options.notReadyMs,
      parent,
      path.join(this.#historyDir, id),
      this.options.history,
    );
    this.databases.set(name, db);
    return db;
  }

  deleteDatabase(name: string): DatabaseRecord {
    const db = this.database(name);
    this.databases.delete(name);
    db.dispose();
    return db;
  }

  deleteGroup(name: string): { group: GroupRecord; databases: DatabaseRecord[] } {
    const group = this.group(name);
    const databases = [...this.databases.values()].filter((db) => db.group === group);
    for (const db of databases) this.deleteDatabase(db.name);
    this.groups.delete(name);
    return { group, databases };
  }

  close(): void {
    for (const db of this.databases.values()) db.close();
  }
}
