import type { Client, InValue } from '@libsql/client';
import Database from 'better-sqlite3';
import type { SqliteDatabase } from '../sqlite';
import { isVersionTable, VERSION_TABLE, versionStatements } from './version-table';

/**
 * Loading a local SQLite file into an existing Turso database as schema plus rows, over the
 * same client the app uses: the catalog push (catalog/push-catalog.ts), and tenant files going
 * into a group that is not on AWS, where Turso takes no file upload (turso-cli sends a SQL dump
 * there). Otherwise tenant databases move as files (turso-upload.ts, turso-export.ts). It
 * copies what SQLite stores in `sqlite_schema`, in creation order, so tables exist before the
 * indexes, triggers and views that refer to them; rows are read with one iterator, never paged
 * by OFFSET. A virtual table is created by its statement, which creates its shadow tables, and
 * its rows are inserted through it, so it builds its own index: Turso, like any SQLite in
 * defensive mode, refuses writes to shadow tables. (A contentless FTS table, `content=''`,
 * cannot give its rows back and arrives empty.)
 */

interface SchemaObject {
  readonly type: string;
  readonly name: string;
  readonly sql: string;
}

const LOAD_BATCH = 500;
/**
 * A batch is one HTTP request and one transaction: rows of large blobs or texts are sent in
 * smaller batches, so neither the request nor the transaction (5 s on Turso) grows with them.
 */
const LOAD_BATCH_BYTES = 4 * 1024 * 1024;

/** Roughly what a row adds to the request: its texts and blobs by length, other values by 8. */
function rowBytes(row: readonly InValue[]): number {
  let bytes = 0;
  for (const value of row) bytes += typeof value === 'string' ? value.length : value instanceof Uint8Array ? value.byteLength : 8;
  return bytes;
}

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
 * Loads a local SQLite file (already validated and migrated) into an empty Turso database:
 * tables, then rows in batches, then indexes, triggers and views and the schema version last.
 * Each batch is one transaction; nothing reads the database until the load finished (no
 * catalog row points to it yet), and a failed load is removed by the caller, so batches need
 * not be one transaction together.
 */
export async function uploadFrom(file: string, client: Client): Promise<void> {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.defaultSafeIntegers(true);
  try {
    const schema = db
      .prepare<[], SchemaObject>("SELECT type, name, sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY rowid")
      .all();
    const version = localVersion(db);
    const kinds = tableKinds(db);
    const created = schema.filter((object) => object.type === 'table' && !isInternal(object.name) && kinds.get(object.name) !== 'shadow');
    // `migrate` runs with foreign keys off, so rows can arrive in table order.
    await client.migrate(created.map((table) => ({ sql: table.sql })));
    const copied = [...created.map((table) => table.name), ...(schema.some((o) => o.name === 'sqlite_sequence') ? ['sqlite_sequence'] : [])];
    for (const table of copied) {
      // Generated columns are computed again on Turso, and a virtual table's hidden ones are
      // not data; its rowid is (an FTS row's id).
      const virtual = kinds.get(table) === 'virtual';
      const columns = [
        ...(virtual ? ['rowid'] : []),
        ...db
          .prepare<[string], { name: string }>('SELECT name FROM pragma_table_xinfo(?) WHERE hidden = 0 ORDER BY cid')
          .all(table)
          .map((column) => column.name),
      ];
      const select = db.prepare(`SELECT ${columns.map(quoted).join(', ')} FROM ${quoted(table)}`).raw(true);
      const insert = `INSERT INTO ${quoted(table)} (${columns.map(quoted).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
      // Inserting rows advanced the counters; the file's may be higher (rows deleted since).
      let pending: { sql: string; args?: InValue[] }[] = table === 'sqlite_sequence' ? [{ sql: 'DELETE FROM sqlite_sequence' }] : [];
      let pendingBytes = 0;
      for (const row of select.iterate() as IterableIterator<InValue[]>) {
        pending.push({ sql: insert, args: row });
        pendingBytes += rowBytes(row);
        if (pending.length >= LOAD_BATCH || pendingBytes >= LOAD_BATCH_BYTES) {
          await client.migrate(pending);
          pending = [];
          pendingBytes = 0;
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

/** `table`, `virtual` or `shadow` by table name (`PRAGMA table_list`, SQLite 3.37). */
function tableKinds(db: SqliteDatabase): Map<string, string> {
  const rows = db.prepare<[], { name: string; type: string }>("SELECT name, type FROM pragma_table_list WHERE schema = 'main'").all();
  return new Map(rows.map((row) => [row.name, row.type]));
}

/** A local file's schema version: its version table when it has one (a file from Turso), else user_version. */
function localVersion(db: SqliteDatabase): number {
  const table = db.prepare(`SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = '${VERSION_TABLE}'`).pluck().get() as number | bigint;
  if (Number(table) > 0) return Number(db.prepare(`SELECT version FROM ${VERSION_TABLE} WHERE id = 1`).pluck().get() ?? 0);
  return Number(db.pragma('user_version', { simple: true }));
}
