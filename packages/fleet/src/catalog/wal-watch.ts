import { closeSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
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
 *
 * The `pread` is a system call, and on the request path it cost ~11% of a cached open plus a
 * small statement (row 6a, ADR 32). So an answer is reused
 * until the current run of work ends (process.nextTick: once the promise jobs have drained,
 * before the event loop takes the next I/O), unless this connection wrote since. Another
 * process's commit cannot reach this thread in the middle of such a run except through I/O,
 * which starts a new one: a request that arrives after a delete still sees it. Reuse is off
 * while a second catalog connection to the file is open in this thread (tests, two fleets in
 * one process), whose commits would otherwise go unseen until the run ends.
 */
export function walIndexWatch(db: Database.Database, file: string): { watch: () => ChangeWatch; close: () => void } {
  const key = path.resolve(file);
  connectionsByFile.set(key, (connectionsByFile.get(key) ?? 0) + 1);
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
      return shm === null ? statementWatch(db) : headerWatch(shm, db, key);
    },
    close: () => {
      if (typeof shm === 'number') closeSync(shm);
      const left = (connectionsByFile.get(key) ?? 1) - 1;
      if (left > 0) connectionsByFile.set(key, left);
      else connectionsByFile.delete(key);
    },
  };
}

/** Catalog connections open per file in this thread (each `walIndexWatch` is one). */
const connectionsByFile = new Map<string, number>();

function headerWatch(fd: number, db: Database.Database, key: string): ChangeWatch {
  let seen = Buffer.alloc(HEADER_BYTES);
  let read = Buffer.alloc(HEADER_BYTES);
  let first = true;
  // No table is read, so stepping it takes no lock and makes no system call.
  const ownChanges = db.prepare<[], number>('SELECT total_changes()').pluck();
  /** This connection's write count when the header was last read in the current run; -1 after it. */
  let changesAtRead = -1;
  const endRun = (): void => {
    changesAtRead = -1;
  };
  return {
    changed: () => {
      if (changesAtRead >= 0 && connectionsByFile.get(key) === 1 && ownChanges.get() === changesAtRead) return false;
      const bytes = readSync(fd, read, 0, HEADER_BYTES, 0);
      // Inside a transaction the count already has writes that are not committed yet.
      if (db.inTransaction) changesAtRead = -1;
      else {
        if (changesAtRead < 0) process.nextTick(endRun);
        changesAtRead = ownChanges.get() ?? 0;
      }
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
