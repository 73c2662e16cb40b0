import type { Client } from '@libsql/client';
import Database from 'better-sqlite3';
import type { SqliteDatabase } from '../sqlite';

/**
 * What an uploaded file must look like once Turso serves it: the same page count (the upload
 * is the file's bytes, so Turso's copy has exactly its pages), the same rows in every table
 * (FTS shadow tables included; virtual tables themselves are counted through them) and the same
 * schema version. Checked before an import or a move reports success.
 */
export interface UploadFingerprint {
  readonly version: number;
  /** Undefined for a copy loaded as SQL, whose pages are its own. */
  readonly pageCount: number | undefined;
  /** Every ordinary table, shadow tables included, by name. */
  readonly tables: readonly string[];
  /**
   * Rows per table compared. A copy loaded as SQL leaves shadow tables out: the virtual table
   * built its index again, in segments of its own.
   */
  readonly rows: Readonly<Record<string, number>>;
}

/**
 * The schema version a local SQLite file carries. The one place the upload path reads it:
 * if Turso's version moves from `PRAGMA user_version` to a table, this changes with it.
 */
export function fileSchemaVersion(db: SqliteDatabase): number {
  return Number(db.pragma('user_version', { simple: true }));
}

function quoted(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

/** Ordinary tables, not SQLite's own: virtual tables need their module, their shadow tables do not. */
const TABLES_SQL = "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name";

/** The fingerprint of a file uploaded as bytes (`asSql: false`) or loaded as SQL (turso-dump.ts). */
export function localFingerprint(file: string, { asSql = false }: { asSql?: boolean } = {}): UploadFingerprint {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const tables = db.prepare<[], { name: string }>(TABLES_SQL).all().map((row) => row.name);
    const shadow = new Set(
      asSql
        ? db
            .prepare<[], { name: string }>("SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'shadow'")
            .all()
            .map((row) => row.name)
        : [],
    );
    const rows: Record<string, number> = {};
    for (const table of tables) if (!shadow.has(table)) rows[table] = Number(db.prepare(`SELECT count(*) FROM ${quoted(table)}`).pluck().get());
    return { version: fileSchemaVersion(db), pageCount: asSql ? undefined : Number(db.pragma('page_count', { simple: true })), tables, rows };
  } finally {
    db.close();
  }
}

/**
 * Differences between Turso's copy and the fingerprint, as sentences. One batch (one read
 * transaction): integrity_check, page_count, the table list and every count. The version is
 * compared by the caller through the engine's own `schemaVersion`.
 */
export async function compareUpload(client: Client, expected: UploadFingerprint): Promise<string[]> {
  const counted = Object.keys(expected.rows);
  const results = await client.batch(
    ['PRAGMA integrity_check', 'PRAGMA page_count', TABLES_SQL, ...counted.map((table) => `SELECT count(*) FROM ${quoted(table)}`)],
    'deferred',
  );
  const problems: string[] = [];
  const integrity = results[0]?.rows.map((row) => String(row[0])) ?? [];
  if (integrity.length !== 1 || integrity[0] !== 'ok') problems.push(`integrity_check: ${integrity.slice(0, 5).join('; ')}`);
  const pageCount = Number(results[1]?.rows[0]?.[0]);
  if (expected.pageCount !== undefined && pageCount !== expected.pageCount) problems.push(`${pageCount} pages on Turso, ${expected.pageCount} in the file`);
  const remoteTables = (results[2]?.rows ?? []).map((row) => String(row[0]));
  if (remoteTables.join('\n') !== expected.tables.join('\n')) problems.push(`tables on Turso: ${remoteTables.join(', ')}; in the file: ${expected.tables.join(', ')}`);
  counted.forEach((table, index) => {
    const count = Number(results[3 + index]?.rows[0]?.[0]);
    if (count !== expected.rows[table]) problems.push(`table ${table}: ${count} rows on Turso, ${expected.rows[table]} in the file`);
  });
  return problems;
}
