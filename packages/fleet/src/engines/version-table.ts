import type { Client, Transaction } from '@libsql/client';
import type { SqliteDatabase } from '../sqlite';
import { asciiLower } from './sqlite-names';

/**
 * Where the schema version lives on Turso. Turso Cloud refuses `PRAGMA user_version` in every
 * form, reading included ("SQL not allowed statement"; its docs say to keep a version table),
 * so a Turso database keeps its version in a one-row table of ours. Local files keep
 * `user_version`; a copy between the two converts (local → Turso: the table is made from
 * user_version; Turso → local: user_version is set from the table and the table dropped), so
 * a file never carries both and an app never sees the table on a local engine.
 *
 * The table is Silo's, not the app's: fingerprints, schema comparisons and dumps leave it out
 * of the app's objects.
 */
export const VERSION_TABLE = '_silo_schema';

export const CREATE_VERSION_TABLE = `CREATE TABLE IF NOT EXISTS ${VERSION_TABLE} (
  id      INTEGER PRIMARY KEY CHECK (id = 1),
  version INTEGER NOT NULL CHECK (version >= 0)
) STRICT`;

const HAS_TABLE = `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = '${VERSION_TABLE}'`;
const READ = `SELECT version FROM ${VERSION_TABLE} WHERE id = 1`;
const WRITE = `INSERT INTO ${VERSION_TABLE} (id, version) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET version = excluded.version`;

/** As SQLite compares names: ASCII letters in any case. */
export function isVersionTable(name: string): boolean {
  return asciiLower(name) === VERSION_TABLE;
}

type Executor = Pick<Client | Transaction, 'execute'>;

/**
 * The version of a Turso database (0 without the table: a new database), read with any token.
 * Inside a write transaction this is the race-free read the migration then bumps.
 */
export async function readRemoteVersion(db: Executor): Promise<number> {
  const has = Number((await db.execute(HAS_TABLE)).rows[0]?.[0] ?? 0);
  if (has === 0) return 0;
  return Number((await db.execute(READ)).rows[0]?.[0] ?? 0);
}

/** Sets the version inside the caller's write transaction, making the table on first use. */
export async function writeRemoteVersion(db: Executor, version: number): Promise<void> {
  await db.execute(CREATE_VERSION_TABLE);
  await db.execute({ sql: WRITE, args: [version] });
}

/** The statements that set the version, for a batch or a load (`client.migrate`). */
export function versionStatements(version: number): { sql: string; args?: number[] }[] {
  return [{ sql: CREATE_VERSION_TABLE }, { sql: WRITE, args: [version] }];
}

/**
 * A local file about to become a Turso database: its user_version is copied into the version
 * table (in the file, so an upload of the file carries it).
 */
export function stampVersionTable(db: SqliteDatabase): void {
  const version = Number(db.pragma('user_version', { simple: true }));
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec(CREATE_VERSION_TABLE);
    db.prepare(WRITE).run(version);
    db.exec('COMMIT');
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

/** The version a local file keeps in Silo's version table, read without writing; undefined without the table. */
export function readVersionTable(db: SqliteDatabase): number | undefined {
  const has = Number((db.prepare(HAS_TABLE).pluck().get() as number | bigint | undefined) ?? 0);
  if (has === 0) return undefined;
  return Number((db.prepare(READ).pluck().get() as number | bigint | undefined) ?? 0);
}

/**
 * A file that came from Turso (an export, a snapshot, a move back to local files): the version
 * table becomes user_version again and is dropped. Returns the version, or undefined when the
 * file has no version table (it then keeps its user_version).
 *
 * The drop runs with foreign keys off: with them on, SQLite deletes the table's rows first,
 * and a table of the file's that references it would cascade into triggers of the file's.
 */
export function foldVersionTable(db: SqliteDatabase): number | undefined {
  const version = readVersionTable(db);
  if (version === undefined) return undefined;
  const foreignKeys = Number(db.pragma('foreign_keys', { simple: true }));
  db.pragma('foreign_keys = OFF');
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec(`DROP TABLE ${VERSION_TABLE}`);
    db.pragma(`user_version = ${version}`);
    db.exec('COMMIT');
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw error;
  } finally {
    db.pragma(`foreign_keys = ${foreignKeys}`);
  }
  return version;
}
