import { closeSync, openSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { failpoint } from './failpoints';
import { SIDECARS } from './files';
import { copyPrivate, copyPrivateAsync } from './permissions';
import { TENANT_PRAGMAS, openReadOnly, openSqlite, type SqliteDatabase } from './sqlite';
import { holdingWrites, type WriteHold } from './write-holds';

/**
 * SQLite snapshot primitives for files of ours on this machine: a consistent copy of a live
 * database, the cheap token that tells whether it changed, and replacing its content in one
 * transaction. The local engine serves tenants with them; the catalog's backups and push, which
 * are no engine's databases, use them directly.
 */

/** A copy and the moment it describes: every commit before `takenAt` is in it, none after. */
export interface ConsistentCopy {
  /** The source's change token read while the copy's lock was held. */
  readonly changeToken: string;
  /**
   * The token the source will show once its WAL is folded in and removed with no commit in
   * between, which is what closing its last connection does (an evicted handle): the main file
   * alone held the whole copy. Undefined when a reader in another process kept the copy's
   * checkpoint short, so that the main file did not.
   */
  readonly settledToken?: string | undefined;
  /** `clock` read at that same moment. */
  readonly takenAt: number;
}

/**
 * A consistent copy of a live database in bounded time, whatever the write load (ADR 0004).
 * Holding the write lock (`BEGIN IMMEDIATE`) on one connection, a second connection runs a
 * passive checkpoint: no commit can land meanwhile, so it moves every frame of the WAL into the
 * main file, which alone is then the whole database and is copied. If a reader in another
 * process still uses older frames, or another process is checkpointing, it stops short; then the main file and the WAL
 * are copied together (neither the WAL's reset nor a TRUNCATE checkpoint can run without the
 * lock, and pages a checkpoint writes meanwhile are in the copied WAL too, which wins) and the
 * WAL is folded into the copy outside the lock. A passive checkpoint before the lock does most
 * of the work, so writers wait only for the last frames and the file copy (milliseconds;
 * busy_timeout is 5 s); readers are never blocked. Waiting for an empty WAL instead starves
 * under continuous writes (they never leave one), and SQLite's backup API restarts on every
 * write from another process (DESIGN §4), so neither is used. A tenant's file is copied off
 * the main thread (CopyOptions, ADR 40).
 */
export async function consistentCopy(source: string, dest: string, clock: () => number = Date.now, options: CopyOptions = {}): Promise<ConsistentCopy> {
  const copied = options.holdWrites ? await holdingWrites(source, (hold) => copyUnderLock(source, dest, clock, hold)) : await copyUnderLock(source, dest, clock, undefined);
  if (copied.wal) foldWal(dest);
  return { changeToken: copied.token, settledToken: copied.settled, takenAt: copied.at };
}

export interface CopyOptions {
  /**
   * The source is a tenant's file, whose writers in this process all honour write holds
   * (write-holds.ts): the file is copied on libuv's threads while they wait, and the main
   * thread goes on serving. Otherwise (the catalog, which this process writes synchronously
   * everywhere) the lock is taken and released in one synchronous run, so that no writer of
   * this process can run into it and block the thread in SQLite's busy handler.
   */
  readonly holdWrites?: boolean;
}

/** With a hold, the file is copied on libuv's threads and the hold says when the lock is ours. */
async function copyUnderLock(source: string, dest: string, clock: () => number, hold: WriteHold | undefined): Promise<LockedCopy> {
  const db = openSqlite(source, TENANT_PRAGMAS, { mustExist: true });
  try {
    const checkpointer = openSqlite(source, TENANT_PRAGMAS, { mustExist: true });
    try {
      checkpointer.pragma('wal_checkpoint(PASSIVE)');
      return await withWriteLock(db, hold, () => {
        const result = checkpointUnderLock(checkpointer);
        // No writer can commit while we hold the lock: this time and this token describe
        // exactly the copy (every commit before the time is in it, none after).
        const at = clock();
        const token = changeToken(source) ?? '';
        const settled = result.complete ? settledToken(source) : undefined;
        const finish = (): LockedCopy => {
          const wal = !result.complete && fileSize(`${source}-wal`) > 0;
          if (wal) {
            // Only the frames in use: a WAL file keeps its size when it restarts from the top.
            const pageSize = checkpointer.pragma('page_size', { simple: true }) as number;
            copyPrefix(`${source}-wal`, `${dest}-wal`, result.frames >= 0 ? WAL_HEADER_BYTES + result.frames * (WAL_FRAME_HEADER_BYTES + pageSize) : Infinity);
          }
          failpoint('clone:during-copy');
          return { token, settled, at, wal };
        };
        if (hold) return copyPrivateAsync(source, dest).then(finish);
        copyPrivate(source, dest);
        return finish();
      });
    } finally {
      checkpointer.close();
    }
  } finally {
    db.close();
  }
}

interface LockedCopy {
  readonly token: string;
  readonly settled: string | undefined;
  readonly at: number;
  /** The copy needs the source's WAL folded in. */
  readonly wal: boolean;
}

const WAL_HEADER_BYTES = 32;
const WAL_FRAME_HEADER_BYTES = 24;
/** Tries of the checkpoint under the lock while another process's checkpoint finishes (1 ms apart). */
const CHECKPOINT_TRIES = 20;
/** Tries of the write lock (busy_timeout each) before a copy gives up. */
const LOCK_TRIES = 3;
const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * A passive checkpoint on a second connection while the first holds the write lock: complete
 * when it ran (another process's checkpoint may be writing the main file: then it is busy,
 * and is tried again for a few milliseconds) and reached the WAL's end. `frames` is how many
 * frames the WAL holds, when known.
 */
function checkpointUnderLock(checkpointer: SqliteDatabase): { complete: boolean; frames: number } {
  let frames = -1;
  for (let attempt = 0; attempt < CHECKPOINT_TRIES; attempt++) {
    const [result] = checkpointer.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
    if (result && result.busy === 0 && result.log >= 0) {
      frames = result.log;
      // A reader in another process still uses older frames: waiting would not help.
      return { complete: result.checkpointed === result.log, frames };
    }
    Atomics.wait(pause, 0, 0, 1);
  }
  return { complete: false, frames };
}

/**
 * Runs `work` inside `BEGIN IMMEDIATE`, then rolls back: at once if `work` is synchronous,
 * when its promise settles otherwise (CopyOptions.holdWrites says when that is safe). The lock is tried again
 * if busy_timeout ran out: under continuous writes from other processes SQLite's busy handler
 * (which polls) can miss the moments the lock is free. Each try is bounded. Between tries the
 * event loop runs, so this process's own writers are never stuck behind a copy.
 */
async function withWriteLock<T>(db: SqliteDatabase, hold: WriteHold | undefined, work: () => T | Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      db.exec('BEGIN IMMEDIATE');
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'SQLITE_BUSY' || attempt >= LOCK_TRIES) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
      continue;
    }
    if (hold) hold.locked = true;
    const unlock = (): void => {
      db.exec('ROLLBACK');
      if (hold) hold.locked = false;
    };
    let result: T | Promise<T>;
    try {
      result = work();
    } catch (error) {
      unlock();
      throw error;
    }
    // Synchronous work releases the lock before anything else of this process can run.
    if (!(result instanceof Promise)) {
      unlock();
      return result;
    }
    try {
      return await result;
    } finally {
      unlock();
    }
  }
}

/** Copies the first `bytes` of a file (all of it if shorter). */
function copyPrefix(source: string, dest: string, bytes: number): void {
  if (!Number.isFinite(bytes) || bytes >= fileSize(source)) {
    copyPrivate(source, dest);
    return;
  }
  const input = openSync(source, 'r');
  try {
    const output = openSync(dest, 'w', 0o600);
    try {
      const buffer = Buffer.allocUnsafe(1 << 20);
      for (let offset = 0; offset < bytes; ) {
        const read = readSync(input, buffer, 0, Math.min(buffer.length, bytes - offset), offset);
        if (read === 0) break;
        writeSync(output, buffer, 0, read);
        offset += read;
      }
    } finally {
      closeSync(output);
    }
  } finally {
    closeSync(input);
  }
}

/** Replays a copied WAL into its database file and removes the sidecars: one self-contained file. */
function foldWal(file: string): void {
  const db = openSqlite(file, TENANT_PRAGMAS, { mustExist: true });
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  for (const suffix of SIDECARS) rmSync(`${file}${suffix}`, { force: true });
}

/**
 * Size and modification time of the database file and its WAL. An empty WAL and a missing one
 * mean the same content (SQLite deletes the WAL when the last connection closes), so they
 * share a token and closing a database does not look like a change.
 */
export function changeToken(file: string): string | undefined {
  const main = mainFilePart(file);
  if (main === undefined) return undefined;
  let wal = NO_WAL;
  try {
    const stat = statSync(`${file}-wal`, { bigint: true });
    if (stat.size > 0n) wal = `${stat.size}@${stat.mtimeNs}`;
  } catch {
    // No WAL: everything is in the main file.
  }
  return `${main}/${wal}`;
}

/**
 * The token of the main file as it is now, with no WAL: right for a file whose WAL holds
 * nothing the main file lacks. Like the other token, it relies on the main file's modification
 * time moving with every checkpoint that writes it (a write and its checkpoint within the
 * same timestamp tick, leaving the size as it was, would go unseen).
 */
function settledToken(file: string): string | undefined {
  const main = mainFilePart(file);
  return main === undefined ? undefined : `${main}/${NO_WAL}`;
}

const NO_WAL = '0';

function mainFilePart(file: string): string | undefined {
  try {
    const main = statSync(file, { bigint: true });
    return `${main.size}@${main.mtimeNs}`;
  } catch {
    return undefined;
  }
}

const REPLACE_ATTEMPTS = 50;

/**
 * Copies every page of `source` into the live database `target` with SQLite's backup API. The
 * destination's write lock is held from the first page to the commit, so other connections
 * (in any process) see the old content or the new one; their handles stay valid.
 *
 * The steps run on the event loop with the lock held between them, so this process's writers
 * to `target` wait on a write hold meanwhile (ADR 40): in SQLite's busy handler they would
 * block the main thread, and with it the next step, until their busy timeout ran out.
 */
export async function replaceContent(source: string, target: string): Promise<void> {
  const db = openReadOnly(source);
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await holdingWrites(target, (hold) =>
          db.backup(target, {
            // Called after each step: from the first one on, the backup holds the lock. Then
            // everything in one more step: one transaction.
            progress: () => {
              hold.locked = true;
              return 0x7fffffff;
            },
          }),
        );
        return;
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if ((code !== 'SQLITE_BUSY' && code !== 'SQLITE_LOCKED') || attempt >= REPLACE_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } finally {
    db.close();
  }
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
