import { closeSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SiloError, errorMessage, isSiloError } from '../errors';
import { formatBytes } from '../format';
import { unfinishedWritesBeside } from '../files';
import type { ImportSource } from '../engine';
import type { TenantSchema } from '../schema';
import { TENANT_PRAGMAS, findingsSummary, integrityFindings, migrateSync, openSqlite, unreadableDetail, userVersion, type SqliteDatabase } from '../sqlite';
import { foreignVersionObjects, schemaDifferences, schemaObjects, type SchemaObjects } from './schema-match';
import { VERSION_TABLE, foldVersionTable, readVersionTable } from './version-table';

/**
 * Checking an uploaded SQLite file before it becomes an instance, shared by every engine:
 * whatever the engine, the upload is a local file, validated and migrated locally, and only
 * then turned into the engine's database.
 */

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/** Cheap checks on the raw file (size, header) before SQLite opens it. */
export function checkUploadHeader(file: string, maxBytes: number): void {
  let size: number;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) throw importRejected('it is not a regular file');
    size = stat.size;
  } catch (error) {
    if (error instanceof SiloError) throw error;
    throw importRejected(`it cannot be read (${errorMessage(error)})`);
  }
  if (size === 0) throw importRejected('the file is empty');
  if (size > maxBytes) throw importRejected(`it is ${formatBytes(size)}; the import limit is ${formatBytes(maxBytes)}`);
  const header = Buffer.alloc(SQLITE_MAGIC.length);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  if (!header.equals(SQLITE_MAGIC)) throw importRejected('it is not a SQLite database (the file header is wrong)');
  if (size < 512) throw importRejected('it is truncated: smaller than one SQLite page');
  refuseUnfinishedWrites(file);
}

/**
 * The import copies the file alone. Committed rows still in a `-wal` beside it would be left
 * out without a word, and beside a `-journal` (a write interrupted mid-way) the file alone is
 * not a consistent database: both are refused with what to do, so nothing is lost.
 */
function refuseUnfinishedWrites(file: string): void {
  const base = path.basename(file);
  const unfinished = unfinishedWritesBeside(file);
  if (unfinished === '-wal') {
    throw importRejected(
      `${base}-wal beside it holds changes not yet written into ${base} (a program still has it open, or stopped before a checkpoint). Close that program, or run \`sqlite3 ${base} "PRAGMA wal_checkpoint(TRUNCATE)"\`, then import again`,
    );
  }
  if (unfinished === '-journal') {
    throw importRejected(
      `${base}-journal beside it belongs to a write that was interrupted, so ${base} alone is not consistent. Open it once with sqlite3 (\`sqlite3 ${base} "PRAGMA quick_check"\` rolls that write back), then import again`,
    );
  }
}

export function importRejected(reason: string): SiloError {
  return new SiloError('IMPORT_REJECTED', `The file was refused: ${reason}. Nothing was created.`, { details: { reason } });
}

/**
 * Validates a private copy of a file (integrity, a known schema version, and for uploads the
 * exact schema objects of that version and sound foreign keys) and migrates it to the latest
 * version in place. Reference schemas per version are built once in memory and kept.
 *
 * An upload's schema is checked before anything runs on the file: SQLite runs a file's own
 * SQL on writes and checks (triggers fired by a foreign key's cascade, CHECK constraints
 * evaluated by the integrity check, on the server's thread, for as long as that SQL asks), so
 * only once the file is known to hold the app's objects and nothing else is it written to or
 * checked in depth. Until then its foreign keys are off and its schema untrusted.
 */
export class ImportValidator {
  readonly #references = new Map<string, Reference>();

  validateAndMigrate(file: string, schema: TenantSchema, source: ImportSource = 'upload'): { fromVersion: number; toVersion: number } {
    let db: SqliteDatabase;
    try {
      db = openSqlite(file, TENANT_PRAGMAS, { mustExist: true });
    } catch (error) {
      throw importRejected(`it is not a readable SQLite database (${unreadableDetail(error, file)})`);
    }
    try {
      let version: number;
      try {
        db.pragma('foreign_keys = OFF');
        db.pragma('trusted_schema = OFF');
        const foreign = foreignVersionObjects(db);
        if (foreign.length > 0) {
          throw importRejected(`it holds ${listed(foreign)} under the name of Silo's version table (${VERSION_TABLE}), which only Silo makes`);
        }
        version = versionOf(db);
      } catch (error) {
        if (isSiloError(error, 'IMPORT_REJECTED')) throw error;
        throw importRejected(`it is not a readable SQLite database (${unreadableDetail(error, file)})`);
      }
      if (version < 1 || version > schema.latestVersion) {
        throw importRejected(
          version > schema.latestVersion
            ? `its schema version ${version} is newer than this Silo's ${schema.latestVersion}; upgrade Silo first`
            : `it does not carry a "${schema.id}" schema version (user_version is ${version})`,
        );
      }
      const reference = this.#reference(schema, version);
      if (source === 'upload') {
        const differences = schemaDifferences(reference.objects, schemaObjects(db));
        if (differences.length > 0) {
          throw importRejected(
            `its schema is not "${schema.id}" schema version ${version} exactly: ${listed(differences)}. Export the instance from Silo (or build the file with the app's migrations) and upload that`,
          );
        }
      }
      // From here on the file holds the app's schema (an upload) or is Silo's own copy.
      db.pragma('trusted_schema = ON');
      db.pragma('foreign_keys = ON');
      let problems: string[];
      try {
        problems = integrityFindings(db);
      } catch (error) {
        throw importRejected(`it is not a readable SQLite database (${unreadableDetail(error, file)})`);
      }
      if (problems.length > 0) throw importRejected(`SQLite's integrity check failed: ${findingsSummary(problems)}`);
      // A file straight from Turso keeps its version in Silo's version table: it becomes
      // user_version (this is a private copy), so the steps below see one version, in one place.
      foldVersionTable(db);
      if (source === 'upload') {
        const orphans = db.pragma('foreign_key_check') as { table: string; parent: string }[];
        if (orphans.length > 0) {
          const pairs = [...new Set(orphans.map((row) => `${row.table} → ${row.parent}`))];
          throw importRejected(`${orphans.length} row(s) break foreign keys (${listed(pairs)})`);
        }
        dropPlannerStatistics(db);
      } else {
        const missing = missingColumns(reference.shape, tableShape(db));
        if (missing.length > 0) throw importRejected(`it does not match "${schema.id}" schema version ${version}: missing ${listed(missing)}`);
      }
      const { to } = migrateSync(db, schema.migrations);
      if (source === 'upload' && schema.uploadCleanup) {
        const cleanup = schema.uploadCleanup;
        db.transaction(() => {
          for (const sql of cleanup) db.exec(sql);
        })();
      }
      db.pragma('wal_checkpoint(TRUNCATE)');
      return { fromVersion: version, toVersion: to };
    } finally {
      db.close();
    }
  }

  /** The schema objects of a fresh database migrated to `version`, built once per process. */
  #reference(schema: TenantSchema, version: number): Reference {
    const key = `${schema.fingerprint}@${version}`;
    let reference = this.#references.get(key);
    if (!reference) {
      const memory = new Database(':memory:');
      try {
        migrateSync(memory, schema.migrations.filter((migration) => migration.version <= version));
        reference = { objects: schemaObjects(memory), shape: tableShape(memory) };
      } finally {
        memory.close();
      }
      this.#references.set(key, reference);
    }
    return reference;
  }
}

interface Reference {
  readonly objects: SchemaObjects;
  readonly shape: TableShape;
}

type TableShape = Map<string, Set<string>>;

/** Tables and columns of the reference the file lacks: a copy of our own must at least have those. */
function missingColumns(reference: TableShape, actual: TableShape): string[] {
  const missing: string[] = [];
  for (const [table, columns] of reference) {
    const present = actual.get(table);
    if (!present) missing.push(`table ${table}`);
    else for (const column of columns) if (!present.has(column)) missing.push(`${table}.${column}`);
  }
  return missing;
}

function tableShape(db: SqliteDatabase): TableShape {
  const tables = db
    .prepare<[], { name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    .all();
  return new Map(
    tables.map(({ name }) => [
      name,
      new Set((db.pragma(`table_info("${name.replaceAll('"', '""')}")`) as { name: string }[]).map((c) => c.name)),
    ]),
  );
}

/**
 * Empties an upload's planner statistics (sqlite_stat1, and sqlite_stat4: this SQLite is built
 * with STAT4). The schema check lets the tables through as SQLite makes them, but their rows
 * are the uploader's: SQLite trusts them for every plan, so made-up ones could turn the app's
 * indexed reads into scans on the server every tenant shares. Without rows SQLite plans from
 * the schema, as for a fresh instance; ANALYZE rebuilds real ones from real rows.
 */
function dropPlannerStatistics(db: SqliteDatabase): void {
  const tables = db
    .prepare<[], { name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table' AND name IN ('sqlite_stat1', 'sqlite_stat2', 'sqlite_stat3', 'sqlite_stat4')")
    .all();
  for (const { name } of tables) db.prepare(`DELETE FROM ${name}`).run();
}

/**
 * The file's schema version, read without writing: Silo's version table when the file came
 * from Turso (foreignVersionObjects has made sure it is exactly Silo's), else user_version.
 */
function versionOf(db: SqliteDatabase): number {
  return readVersionTable(db) ?? userVersion(db);
}

function listed(items: readonly string[]): string {
  return items.length <= 5 ? items.join(', ') : `${items.slice(0, 5).join(', ')} and ${items.length - 5} more`;
}
