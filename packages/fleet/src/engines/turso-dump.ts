import type { Client, InValue, Transaction } from '@libsql/client';
import Database from 'better-sqlite3';
import type { SqliteDatabase } from '../sqlite';
import { preparePrivateFile } from '../permissions';
import { isVersionTable, readRemoteVersion, VERSION_TABLE, versionStatements } from './version-table';

/**
 * Moving a whole database between a Turso database and a local SQLite file, as schema plus
 * rows, over the same client the app uses. Both directions copy what SQLite itself stores in
 * `sqlite_schema`, in creation order, so tables exist before the indexes, triggers and views
 * that refer to them.
 */

interface SchemaObject {
  readonly type: string;
  readonly name: string;
  readonly sql: string;
}

const PAGE_ROWS = 2_000;
const LOAD_BATCH = 500;

/**
 * Internal tables: SQLite's own (recreated by the DDL), libSQL's bookkeeping, and the version
 * table, which is user_version on a local file (version-table.ts).
 */
function isInternal(name: string): boolean {
  return name.startsWith('sqlite_') || name.startsWith('libsql_') || name.startsWith('_litestream') || isVersionTable(name);
}

function quoted(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

/**
 * Downloads the database into `dest` (a new local file in rollback-journal mode, so it is one
 * self-contained file), reading everything inside one transaction: the copy is
 * consistent even while the tenant keeps writing.
 */
export async function downloadInto(client: Client, dest: string): Promise<void> {
  // A deferred transaction that only reads holds one snapshot from its first read to the end.
  const tx = await client.transaction('deferred');
  preparePrivateFile(dest);
  const file = new Database(dest);
  try {
    file.pragma('journal_mode = DELETE');
    const schema = (await tx.execute("SELECT type, name, sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY rowid")).rows.map(
      (row) => ({ type: String(row['type']), name: String(row['name']), sql: String(row['sql']) }),
    );
    // Turso refuses PRAGMA user_version: the version comes from the version table.
    const version = await readRemoteVersion(tx);
    const tables = schema.filter((object) => object.type === 'table' && !isInternal(object.name));
    file.exec('BEGIN');
    for (const table of tables) file.exec(table.sql);
    for (const table of tables) await copyRowsOut(tx, file, table.name);
    if (schema.some((object) => object.name === 'sqlite_sequence')) {
      // Inserting rows advanced the counters; the source's may be higher (rows deleted since).
      file.exec('DELETE FROM sqlite_sequence');
      await copyRowsOut(tx, file, 'sqlite_sequence');
    }
    for (const object of schema) {
      if (object.type !== 'table' && !isInternal(object.name)) file.exec(object.sql);
    }
    file.pragma(`user_version = ${version}`);
    file.exec('COMMIT');
  } finally {
    tx.close();
    file.close();
  }
}

async function copyRowsOut(tx: Transaction, file: SqliteDatabase, table: string): Promise<void> {
  // Pages by LIMIT/OFFSET inside the one read transaction, so no response has to hold a whole table.
  for (let offset = 0; ; offset += PAGE_ROWS) {
    const result = await tx.execute({ sql: `SELECT * FROM ${quoted(table)} LIMIT ? OFFSET ?`, args: [PAGE_ROWS, offset] });
    if (result.rows.length === 0) return;
    const insert = file.prepare(
      `INSERT INTO ${quoted(table)} (${result.columns.map(quoted).join(', ')}) VALUES (${result.columns.map(() => '?').join(', ')})`,
    );
    for (const row of result.rows) insert.run(...result.columns.map((_, index) => toLocal(row[index] ?? null)));
    if (result.rows.length < PAGE_ROWS) return;
  }
}

function toLocal(value: unknown): unknown {
  return value instanceof ArrayBuffer ? Buffer.from(value) : value;
}

/**
 * Loads a local SQLite file (already validated and migrated) into an empty Turso database:
 * tables, then rows in batches, then indexes, triggers and views and the schema version last.
 * Each batch is one transaction; the database is not served until the load finished, and a
 * failed load is removed by the caller, so batches need not be one transaction together.
 */
export async function uploadFrom(file: string, client: Client): Promise<void> {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.defaultSafeIntegers(true);
  try {
    const schema = db
      .prepare<[], SchemaObject>("SELECT type, name, sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY rowid")
      .all();
    const version = localVersion(db);
    const tables = schema.filter((object) => object.type === 'table' && !isInternal(object.name));
    // `migrate` runs with foreign keys off, so rows can arrive in table order.
    await client.migrate(tables.map((table) => ({ sql: table.sql })));
    const copied = [...tables.map((table) => table.name), ...(schema.some((o) => o.name === 'sqlite_sequence') ? ['sqlite_sequence'] : [])];
    for (const table of copied) {
      const select = db.prepare(`SELECT * FROM ${quoted(table)}`).raw(true);
      const columns = select.columns().map((column) => column.name);
      const insert = `INSERT INTO ${quoted(table)} (${columns.map(quoted).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
      // Inserting rows advanced the counters; the file's may be higher (rows deleted since).
      let pending: { sql: string; args?: InValue[] }[] = table === 'sqlite_sequence' ? [{ sql: 'DELETE FROM sqlite_sequence' }] : [];
      for (const row of select.iterate() as IterableIterator<InValue[]>) {
        pending.push({ sql: insert, args: row });
        if (pending.length >= LOAD_BATCH) {
          await client.migrate(pending);
          pending = [];
        }
      }
      if (pending.length > 0) await client.migrate(pending);
    }
    await client.migrate([
      ...schema.filter((object) => object.type !== 'table' && !isInternal(object.name)).map((object) => ({ sql: object.sql })),
      // Turso refuses PRAGMA user_version = N: the version goes to the version table.
      ...versionStatements(version),
    ]);
  } finally {
    db.close();
  }
}

/** A local file's schema version: its version table when it has one (a file from Turso), else user_version. */
function localVersion(db: SqliteDatabase): number {
  const table = db.prepare(`SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = '${VERSION_TABLE}'`).pluck().get() as number | bigint;
  if (Number(table) > 0) return Number(db.prepare(`SELECT version FROM ${VERSION_TABLE} WHERE id = 1`).pluck().get() ?? 0);
  return Number(db.pragma('user_version', { simple: true }));
}
