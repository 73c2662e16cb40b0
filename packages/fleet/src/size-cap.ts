import { SiloError } from './errors';
import { formatBytes } from './format';

/**
 * The per-instance size cap (SILO_INSTANCE_MAX_BYTES), so one tenant cannot fill the disk all
 * tenants share. On local files it is SQLite's own limit, `PRAGMA max_page_count`, which holds
 * for one connection only and is never stored in the file: every connection the fleet opens
 * for writing sets it (app handles, console writes, migrations, imports), reads need nothing.
 * A write that would grow the database past it fails with SQLITE_FULL and changes nothing.
 * On Turso it is the database's `size_limit`, which libsql-server enforces the same way.
 */
export const SIZE_CAP_SETTING = 'SILO_INSTANCE_MAX_BYTES';

/** What `PRAGMA max_page_count` needs of a connection. */
export interface PragmaDb {
  pragma(source: string, options?: { simple?: boolean }): unknown;
}

/**
 * Caps the connection's database at `maxBytes` (rounded down to whole pages). SQLite never
 * sets it below the current size: a database already over the cap keeps what it has, can
 * shrink, and cannot grow.
 */
export function applySizeCap(db: PragmaDb, maxBytes: number | undefined): void {
  if (maxBytes === undefined) return;
  const pageSize = Number(db.pragma('page_size', { simple: true }));
  db.pragma(`max_page_count = ${Math.max(1, Math.floor(maxBytes / pageSize))}`);
}

/** SQLite's "database or disk is full", from better-sqlite3 or a libSQL server. */
export function isFullError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, details, message } = error as { code?: unknown; details?: { sqliteCode?: unknown }; message?: unknown };
  return (
    code === 'SQLITE_FULL' ||
    details?.sqliteCode === 'SQLITE_FULL' ||
    (typeof message === 'string' && /SQLITE_FULL|database or disk is full/i.test(message))
  );
}

/** The error apps map to HTTP 507: the instance is at its cap and the write was not saved. */
export function sizeLimitExceeded(instance: string, maxBytes: number, cause?: unknown): SiloError {
  return new SiloError(
    'SIZE_LIMIT_EXCEEDED',
    `Instance "${instance}" has reached its size limit of ${formatBytes(maxBytes)} (${SIZE_CAP_SETTING}), so the change was not saved. ` +
      'Delete data to make room, or raise the limit.',
    { cause, details: { instance, maxBytes } },
  );
}

/** An import whose file alone is over the cap, refused before anything is created. */
export function importOverSizeLimit(instance: string, sizeBytes: number, maxBytes: number): SiloError {
  return new SiloError(
    'SIZE_LIMIT_EXCEEDED',
    `The file is ${formatBytes(sizeBytes)}, over the size limit of ${formatBytes(maxBytes)} per instance (${SIZE_CAP_SETTING}), so "${instance}" was not created. ` +
      'Import a smaller file, or raise the limit.',
    { details: { instance, sizeBytes, maxBytes } },
  );
}
