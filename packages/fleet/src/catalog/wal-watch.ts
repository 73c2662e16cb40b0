import { closeSync, openSync, readSync } from 'node:fs';
import { endianness } from 'node:os';
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
/** The header's `iChange` (offset 8): a count of commits, in the machine's byte order. */
function changeCounter(header: Buffer): number {
  return endianness() === 'LE' ? header.readUInt32LE(8) : header.readUInt32BE(8);
}

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
 * small statement (row 6a, ADR 32). So an answer is reused until the current run of work ends
 * (process.nextTick: once the promise jobs have drained, before the event loop takes the next
 * I/O), unless this connection wrote since. Another process's commit cannot reach this thread
 * in the middle of such a run except through I/O, which starts a new one: a request that
 * arrives after a delete still sees it. Reuse is off while a second catalog connection to the
 * file is open in this thread (tests, two fleets in one process), whose commits would
 * otherwise go unseen until the run ends. The watches of one connection share its reads, so a
 * page that uses both lookup caches reads the header once.
 */
export function walIndexWatch(db: Database.Database, file: string): { watch: () => ChangeWatch; unnoticed: <T>(write: (started: () => void) => T) => T; close: () => void } {
  const key = path.resolve(file);
  connectionsByFile.set(key, (connectionsByFile.get(key) ?? 0) + 1);
  // Opened at the first watch, once the catalog is migrated: SQLite makes the -shm at the
  // first read in WAL mode, not when the mode is set. null: not in WAL mode, or unreadable.
  let header: HeaderReader | null | undefined;
  const open = (): HeaderReader | null => {
    try {
      // A leftover -shm beside a database in another mode would never change: WAL only.
      if (db.pragma('journal_mode', { simple: true }) !== 'wal') return null;
      db.prepare('SELECT 1 FROM sqlite_schema LIMIT 1').get();
      return new HeaderReader(openSync(`${file}-shm`, 'r'), db, key);
    } catch {
      return null;
    }
  };
  return {
    // The watches of one connection (the catalog has one per lookup cache) share its reads.
    watch: () => {
      header ??= open();
      return header === null ? statementWatch(db) : header.watch();
    },
    // Before the first watch there is nothing to keep: the write runs as it is.
    unnoticed: (write) => (header ? header.unnoticed(write) : write(() => undefined)),
    close: () => {
      header?.close();
      const left = (connectionsByFile.get(key) ?? 1) - 1;
      if (left > 0) connectionsByFile.set(key, left);
      else connectionsByFile.delete(key);
    },
  };
}

/** Catalog connections open per file in this thread (each `walIndexWatch` is one). */
const connectionsByFile = new Map<string, number>();

/** One connection's view of the WAL-index header: read at most once per run of work. */
class HeaderReader {
  readonly #fd: number;
  readonly #db: Database.Database;
  readonly #key: string;
  #last = Buffer.alloc(HEADER_BYTES);
  #next = Buffer.alloc(HEADER_BYTES);
  /** Counts the reads that found a header other than the one before (the first read counts). */
  #version = 0;
  // No table is read, so stepping it takes no lock and makes no system call.
  readonly #ownChanges: Database.Statement<[], number>;
  /** This connection's write count when the header was read in the current run; -1 outside one. */
  #changesAtRead = -1;
  readonly #endRun = (): void => {
    this.#changesAtRead = -1;
  };

  constructor(fd: number, db: Database.Database, key: string) {
    this.#fd = fd;
    this.#db = db;
    this.#key = key;
    this.#ownChanges = db.prepare<[], number>('SELECT total_changes()').pluck();
  }

  watch(): ChangeWatch {
    let seen = -1;
    return {
      changed: () => {
        const version = this.#current();
        if (version === seen) return false;
        seen = version;
        return true;
      },
    };
  }

  close(): void {
    closeSync(this.#fd);
  }

  /**
   * Runs a write transaction of this connection's that the watches are not to report, because
   * it changes nothing their caches hold (the activity flush: last-active times, sizes and
   * metrics, every two seconds on a busy server, which otherwise emptied the lookup caches each
   * time). `write` calls `started()` first thing inside its transaction, with the write lock
   * held. The watches carry on from the header after the commit only if nothing but this
   * commit happened between the header they last saw and that one: the header they saw is the
   * one at the transaction's start (no commit before it went unseen), and its change counter
   * moved by exactly one (SQLite adds one per commit, in sqlite3WalFrames: no commit of another
   * connection's came after ours). Otherwise they report a change, as they would have.
   */
  unnoticed<T>(write: (started: () => void) => T): T {
    const atStart = Buffer.alloc(HEADER_BYTES);
    let started = false;
    const result = write(() => {
      started = readSync(this.#fd, atStart, 0, HEADER_BYTES, 0) === HEADER_BYTES;
    });
    const after = Buffer.alloc(HEADER_BYTES);
    const whole = readSync(this.#fd, after, 0, HEADER_BYTES, 0) === HEADER_BYTES;
    if (started && whole && this.#version > 0 && atStart.equals(this.#last) && changeCounter(after) === (changeCounter(atStart) + 1) >>> 0) {
      after.copy(this.#last);
    }
    return result;
  }

  #current(): number {
    if (this.#changesAtRead >= 0 && connectionsByFile.get(this.#key) === 1 && this.#ownChanges.get() === this.#changesAtRead) return this.#version;
    const bytes = readSync(this.#fd, this.#next, 0, HEADER_BYTES, 0);
    // A header shorter than expected is not one to compare: a new version, and no reuse.
    const whole = bytes === HEADER_BYTES;
    if (!whole || this.#version === 0 || !this.#next.equals(this.#last)) {
      this.#version++;
      [this.#last, this.#next] = [this.#next, this.#last];
    }
    // Inside a transaction the count already has writes that are not committed yet.
    if (!whole || this.#db.inTransaction) this.#changesAtRead = -1;
    else {
      if (this.#changesAtRead < 0) process.nextTick(this.#endRun);
      this.#changesAtRead = this.#ownChanges.get() ?? 0;
    }
    return this.#version;
  }
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
