import { closeSync, openSync, readSync } from 'node:fs';
import type Database from 'better-sqlite3';
import type { ChangeWatch } from './catalog-db-types';

/**
 * The first copy of the WAL-index header, at the start of the `-shm` file (sqlite.org/walformat.html,
 * "The WAL-Index Header"): every commit, by any connection of any process, writes a new one
 * (its frame count, checksums and salts change; a restarted WAL gets new salts), and readers
 * learn of the commit from this header too.
 */
const HEADER_BYTES = 48;

/**
 * A watch on a catalog file in WAL mode. It reads the WAL-index header with one `pread`
 * (about 1.5 µs, and no lock: a reader of the header is what SQLite itself is at the start
 * of a read), against about 4 µs for `PRAGMA data_version` in a statement (two lock calls
 * per read transaction). The `-shm` file stays while this connection is open: SQLite removes
 * it only when the last connection closes, and this one holds the database's shared lock.
 *
 * It sees commits, not a transaction's uncommitted writes: callers skip their cache inside
 * a transaction. Where the `-shm` cannot be opened it falls back to the statement.
 */
export function walIndexWatch(db: Database.Database, file: string): { watch: () => ChangeWatch; close: () => void } {
  // Opened at the first watch, once the catalog is migrated: SQLite makes the -shm at the
  // first read in WAL mode, not when the mode is set. null: not in WAL mode, or unreadable.
  let shm: number | null | undefined;
  const open = (): number | null => {
    try {
      // A leftover -shm beside a database in another mode would never change: WAL only.
      if (db.pragma('journal_mode', { simple: true }) !== 'wal') return null;
      db.prepare('SELECT 1 FROM sqlite_schema LIMIT 1').get();
      return openSync(`${file}-shm`, 'r');
    } catch {
      return null;
    }
  };
  return {
    watch: () => {
      shm ??= open();
      return shm === null ? statementWatch(db) : headerWatch(shm);
    },
    close: () => {
      if (typeof shm === 'number') closeSync(shm);
    },
  };
}

function headerWatch(fd: number): ChangeWatch {
  let seen = Buffer.alloc(HEADER_BYTES);
  let read = Buffer.alloc(HEADER_BYTES);
  let first = true;
  return {
    changed: () => {
      const bytes = readSync(fd, read, 0, HEADER_BYTES, 0);
      // A header shorter than expected is not one to compare: say "changed", always.
      if (bytes === HEADER_BYTES && !first && read.equals(seen)) return false;
      first = false;
      [seen, read] = [read, seen];
      return true;
    },
  };
}

/**
 * `data_version` changes when another connection commits, `total_changes()` when this one
 * writes (a rolled-back write counts too, which only costs a refill).
 */
function statementWatch(db: Database.Database): ChangeWatch {
  const stamp = db.prepare<[], [number, number]>('SELECT data_version, total_changes() FROM pragma_data_version').raw();
  let dataVersion = Number.NaN;
  let changes = Number.NaN;
  return {
    changed: () => {
      const [version, total] = stamp.get() as [number, number];
      if (version === dataVersion && total === changes) return false;
      dataVersion = version;
      changes = total;
      return true;
    },
  };
}
