import Database from 'better-sqlite3';
import type { Statement, TenantConnection } from '../engine';
import { isVersionTable, VERSION_TABLE } from '../engines/turso-shared';

/**
 * Sealing makes a local database refuse every write while it is being moved, in the file
 * itself: a trigger per table and kind of write that aborts. The catalog's `moving` state
 * already keeps new requests away; the seal also stops a request that opened its handle just
 * before, in any process, so no write can land after the snapshot and be lost. It lives in the
 * file, so a crash keeps it until the move is rolled back (unseal) or finished (file removed).
 */
const SEAL_PREFIX = 'silo_move_seal_';
export const SEAL_MESSAGE = 'this instance is being moved to another engine; try again in a moment';

const TABLES = "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name";
/**
 * The app's tables. Silo's version table on Turso (version-table.ts) is left out: it is
 * user_version on a local file, so a fingerprint compares it as the version, and a seal need
 * not guard it (the moving state already keeps migrations away).
 */
const USER_TABLES = `SELECT name FROM (${TABLES}) WHERE name <> '${VERSION_TABLE}'`;
/**
 * The tables a seal can guard: SQLite refuses triggers on virtual tables (FTS5 and others) and on
 * their shadow tables, which `pragma_table_list` tells apart ('virtual', 'shadow'). A statement
 * that writes only a virtual table (an FTS5 index) is therefore not stopped; an index kept by
 * triggers on a sealed table is (see ADR 12).
 */
const SEALABLE_TABLES = `SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> '${VERSION_TABLE}' ORDER BY name`;
/**
 * Shadow tables (an FTS5 table's `_data`, `_idx`, …) are not compared by their rows: a copy
 * loaded as SQL (turso-dump.ts, a group off AWS) builds each virtual table's index again, in
 * segments of its own, so their row counts differ from the file's while the index answers the
 * same. The virtual table itself is counted, through its module, on both sides.
 */
const SHADOW_TABLES = "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'shadow'";
const SEAL_TRIGGERS = `SELECT name FROM sqlite_schema WHERE type = 'trigger' AND name LIKE '${SEAL_PREFIX.replaceAll('_', '\\_')}%' ESCAPE '\\'`;

function quoted(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

function sealStatements(tables: readonly string[]): Statement[] {
  return tables.flatMap((table, index) =>
    (['insert', 'update', 'delete'] as const).map((kind) => ({
      sql: `CREATE TRIGGER IF NOT EXISTS ${quoted(`${SEAL_PREFIX}${index}_${kind}`)} BEFORE ${kind.toUpperCase()} ON ${quoted(table)}
            BEGIN SELECT RAISE(ABORT, '${SEAL_MESSAGE}'); END`,
    })),
  );
}

/** Seals the database in one transaction (waiting for a writer in progress to commit first). */
export async function seal(db: TenantConnection): Promise<void> {
  const tables = (await db.execute(SEALABLE_TABLES)).rows.map((row) => String(row['name']));
  await db.batch(sealStatements(tables));
}

/** Removes the seal; a database that is not sealed is left as it is. */
export async function unseal(db: TenantConnection): Promise<void> {
  const triggers = (await db.execute(SEAL_TRIGGERS)).rows.map((row) => String(row['name']));
  if (triggers.length > 0) await db.batch(triggers.map((name) => ({ sql: `DROP TRIGGER IF EXISTS ${quoted(name)}` })));
}

export async function isSealed(db: TenantConnection): Promise<boolean> {
  return (await db.execute(SEAL_TRIGGERS)).rows.length > 0;
}

/** What a copy must match: the schema version and the number of rows of every table. */
export interface Fingerprint {
  readonly userVersion: number;
  readonly rows: Readonly<Record<string, number>>;
}

/**
 * Removes the seal from a snapshot (a local file of our own, about to be uploaded) and reads
 * its fingerprint.
 */
export function unsealSnapshot(file: string): Fingerprint {
  const db = new Database(file, { fileMustExist: true });
  try {
    for (const { name } of db.prepare<[], { name: string }>(SEAL_TRIGGERS).all()) db.exec(`DROP TRIGGER ${quoted(name)}`);
    const rows: Record<string, number> = {};
    const shadow = new Set(db.prepare<[], { name: string }>(SHADOW_TABLES).all().map((row) => row.name));
    for (const { name } of db.prepare<[], { name: string }>(USER_TABLES).all()) {
      if (shadow.has(name)) continue;
      rows[name] = (db.prepare(`SELECT count(*) AS n FROM ${quoted(name)}`).get() as { n: number }).n;
    }
    return { userVersion: Number(db.pragma('user_version', { simple: true })), rows };
  } finally {
    db.close();
  }
}

/** The same fingerprint read through any engine's connection: three round trips, the counts in one transaction. */
export async function fingerprintOf(db: TenantConnection): Promise<Fingerprint> {
  const all = (await db.execute(TABLES)).rows.map((row) => String(row['name']));
  const shadow = new Set((await db.execute(SHADOW_TABLES)).rows.map((row) => String(row['name'])));
  const tables = all
    // libSQL's own bookkeeping on Turso; never part of a tenant's data.
    .filter((name) => !name.startsWith('libsql_') && !name.startsWith('_litestream') && !isVersionTable(name) && !shadow.has(name));
  // Turso refuses PRAGMA user_version: there the version is in the version table.
  const [version, ...counts] = await db.batch([
    { sql: all.some(isVersionTable) ? `SELECT version FROM ${VERSION_TABLE} WHERE id = 1` : 'PRAGMA user_version' },
    ...tables.map((name) => ({ sql: `SELECT count(*) AS n FROM ${quoted(name)}` })),
  ]);
  const rows: Record<string, number> = {};
  tables.forEach((name, index) => (rows[name] = Number(counts[index]?.rows[0]?.['n'])));
  return { userVersion: Number(Object.values(version?.rows[0] ?? {})[0] ?? 0), rows };
}

/** Differences between two fingerprints, as sentences; empty when they match. */
export function compareFingerprints(expected: Fingerprint, actual: Fingerprint): string[] {
  const problems: string[] = [];
  if (expected.userVersion !== actual.userVersion) problems.push(`schema version ${actual.userVersion}, expected ${expected.userVersion}`);
  for (const table of new Set([...Object.keys(expected.rows), ...Object.keys(actual.rows)])) {
    const want = expected.rows[table];
    const got = actual.rows[table];
    if (want !== got) problems.push(`table ${table}: ${got ?? 'missing'} rows, expected ${want ?? 'none'}`);
  }
  return problems;
}
