import { readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PROCESS_OWNER, ownerAlive, tokenAlive } from '../processes';
import { PRIVATE_FILE_MODE, makePrivateDir } from '../permissions';

export interface ReplicaSlot {
  /** The replica's database file in this slot. */
  readonly file: string;
  /** Says the owner still runs, for processes that cannot check it (another host or container): call it more often than SLOT_HEARTBEAT_MS. */
  touch(): void;
  release(): void;
}

/** How often an owner touches its lock (replica-db.ts), so processes of other hosts sharing the folder see it is alive. */
export const SLOT_HEARTBEAT_MS = 60_000;

/**
 * How long a lock of another host's process may go untouched before its slot is taken over:
 * ten heartbeats, so a busy event loop or a clock a few minutes off never hands a live slot on.
 */
export const SLOT_STALE_MS = 10 * SLOT_HEARTBEAT_MS;

/**
 * A replica folder of its own for this catalog connection. An embedded replica's files are
 * written by one process only, yet the apps and the CLI of one machine (or containers sharing
 * a volume) share a data folder: each connection claims the first free `slot-<n>` (a lock file
 * naming the owning process: host, boot, pid and start time), and a slot whose owner is gone
 * is taken over, so its replica continues where it stopped.
 */
export function claimReplicaSlot(dir: string): ReplicaSlot {
  for (let n = 0; ; n++) {
    const slot = path.join(dir, `slot-${n}`);
    const lock = path.join(slot, 'owner');
    makePrivateDir(slot);
    if (!tryLock(lock)) continue;
    let warned = false;
    return {
      file: path.join(slot, 'catalog.db'),
      touch: () => {
        // A process paused past SLOT_STALE_MS (SIGSTOP, a suspended VM) may find its slot taken
        // over: refreshing the new owner's lock would hide that owner's death from the next.
        if (!holds(lock)) {
          if (!warned) process.emitWarning(`silo: the catalog replica slot ${slot} was taken over by another process while this one did not touch its lock (paused for over ${SLOT_STALE_MS / 60_000} minutes?); restart this process to claim a slot of its own.`);
          warned = true;
          return;
        }
        try {
          const now = new Date();
          utimesSync(lock, now, now);
        } catch {
          // Removed by hand: the next claim of another process may take the slot, as before.
        }
      },
      // Only our own lock: one taken over meanwhile belongs to its new owner.
      release: () => {
        if (holds(lock)) rmSync(lock, { force: true });
      },
    };
  }
}

function holds(lock: string): boolean {
  try {
    return readFileSync(lock, 'utf8').trim() === PROCESS_OWNER;
  } catch {
    return false;
  }
}

function tryLock(lock: string): boolean {
  if (createLock(lock)) return true;
  const judged = abandonedOwner(lock);
  if (judged === undefined) return false;
  // Two processes may judge the same lock abandoned (containers started together after a
  // crash): the one that creates `takeover` replaces it, and the other, which read the lock
  // before that, finds the lock changed when it gets there. A `takeover` left by a process
  // that died in those few steps is cleared once it is as old as an abandoned lock.
  const takeover = path.join(path.dirname(lock), 'takeover');
  clearIfOlder(takeover, SLOT_STALE_MS);
  if (!createLock(takeover)) return false;
  try {
    if (abandonedOwner(lock) !== judged) return createLock(lock);
    rmSync(lock, { force: true });
    return createLock(lock);
  } finally {
    rmSync(takeover, { force: true });
  }
}

/** The owner named in `lock` when that owner is gone; undefined while it runs (or the lock is gone). */
function abandonedOwner(lock: string): string | undefined {
  let owner: string;
  let touchedAt: number;
  try {
    owner = readFileSync(lock, 'utf8').trim();
    touchedAt = statSync(lock).mtimeMs;
  } catch {
    return undefined; // Released or taken over just now: try the next slot.
  }
  return owner !== '' && ownerGone(owner, touchedAt) ? owner : undefined;
}

function clearIfOlder(file: string, ageMs: number): void {
  try {
    if (Date.now() - statSync(file).mtimeMs > ageMs) rmSync(file, { force: true });
  } catch {
    // None there.
  }
}

function createLock(lock: string): boolean {
  try {
    writeFileSync(lock, PROCESS_OWNER, { flag: 'wx', mode: PRIVATE_FILE_MODE });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return false;
  }
}

/**
 * A process of this host and boot is looked up; one of an earlier boot is gone. Another host's
 * (or container's: its pids are not ours, and its pid 1 would look like ours) cannot be looked
 * up: it is gone once its lock has missed ten heartbeats. A lock of a version before locks
 * named their host holds a bare process token, judged as then.
 */
function ownerGone(owner: string, touchedAt: number): boolean {
  if (!owner.includes('/')) return !tokenAlive(owner);
  const alive = ownerAlive(owner);
  return alive === undefined ? Date.now() - touchedAt > SLOT_STALE_MS : !alive;
}
