import { closeSync, openSync, readSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { SiloError, errorMessage } from '../errors';
import { formatBytes } from '../format';
import type { TenantSchema } from '../schema';
import { TENANT_PRAGMAS, migrateSync, openSqlite, userVersion, type SqliteDatabase } from '../sqlite';

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
}

export function integrityProblems(db: SqliteDatabase): string[] {
  const rows = db.pragma('integrity_check') as { integrity_check: string }[];
  const messages = rows.map((row) => row.integrity_check);
  return messages.length === 1 && messages[0] === 'ok' ? [] : messages;
}

export function importRejected(reason: string): SiloError {
  return new SiloError('IMPORT_REJECTED', `The file was refused: ${reason}. Nothing was created.`, { details: { reason } });
}

/**
 * Validates a private copy of an upload (integrity, a known schema version whose tables and
 * columns are all there) and migrates it to the latest version in place. Reference shapes
 * per schema version are built once in memory and kept.
 */
export class ImportValidator {
  readonly #referenceShapes = new Map<string, Map<string, Set<string>>>();

  validateAndMigrate(file: string, schema: TenantSchema): { fromVersion: number; toVersion: number } {
    let db: SqliteDatabase;
    try {
      db = openSqlite(file, TENANT_PRAGMAS, { mustExist: true });
    } catch (error) {
      throw importRejected(`it is not a readable SQLite database (${errorMessage(error)})`);
    }
    try {
      let problems: string[];
      try {
        problems = integrityProblems(db);
      } catch (error) {
        throw importRejected(`it is not a readable SQLite database (${errorMessage(error)})`);
      }
      if (problems.length > 0) throw importRejected(`SQLite's integrity check failed: ${problems.slice(0, 3).join('; ')}`);
      const version = userVersion(db);
      if (version < 1 || version > schema.latestVersion) {
        throw importRejected(
          version > schema.latestVersion
            ? `its schema version ${version} is newer than this Silo's ${schema.latestVersion}; upgrade Silo first`
            : `it does not carry a "${schema.id}" schema version (user_version is ${version})`,
        );
      }
      const missing = this.#missingSchema(db, schema, version);
      if (missing.length > 0) throw importRejected(`it does not match "${schema.id}" schema version ${version}: missing ${missing.slice(0, 5).join(', ')}`);
      const { to } = migrateSync(db, schema.migrations);
      db.pragma('wal_checkpoint(TRUNCATE)');
      return { fromVersion: version, toVersion: to };
    } finally {
      db.close();
    }
  }

  /** Tables and columns a database at `version` must have, compared with what the file holds. */
  #missingSchema(db: SqliteDatabase, schema: TenantSchema, version: number): string[] {
    const key = `${schema.fingerprint}@${version}`;
    let reference = this.#referenceShapes.get(key);
    if (!reference) {
      const memory = new Database(':memory:');
      migrateSync(memory, schema.migrations.filter((migration) => migration.version <= version));
      reference = tableShape(memory);
      memory.close();
      this.#referenceShapes.set(key, reference);
    }
    const actual = tableShape(db);
    const missing: string[] = [];
    for (const [table, columns] of reference) {
      const present = actual.get(table);
      if (!present) missing.push(`table ${table}`);
      else for (const column of columns) if (!present.has(column)) missing.push(`${table}.${column}`);
    }
    return missing;
  }
}

function tableShape(db: SqliteDatabase): Map<string, Set<string>> {
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
