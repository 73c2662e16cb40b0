import { tempOwner } from '../files';
import { tokenAlive } from '../processes';
import type { BackupStore } from './store';

/**
 * Temp files of writers that will never finish them. A folder store writes every object under
 * a temp name tagged with its process (`<key>.tmp-<pid>.<start time>-<random>`) and renames it
 * into place; a writer killed or interrupted between the two (Ctrl+C on `silo backup now`, a
 * scheduler's process stopped mid-cycle) leaves the temp file behind.
 */

/**
 * Past this age a temp file whose name carries a bare pid (no start time: a platform without
 * /proc) is a leftover even if that pid runs now: pids are reused, and no write keeps a temp
 * file for a day (each is renamed once its batch of chunks is written, seconds later).
 */
export const BARE_PID_TEMP_MAX_AGE_MS = 24 * 60 * 60 * 1_000;

/**
 * Whether a temp file is a leftover: its name says no owner, or its owner is no longer running
 * (the pid is gone, or is another process now: the start time differs), or it names a bare pid
 * and is older than BARE_PID_TEMP_MAX_AGE_MS. A temp file of a live writer (this process or
 * another on this machine) is never one, however old: its rename is still to come.
 */
export function isLeftoverTemp(file: string, modifiedAt: number, now: number = Date.now()): boolean {
  const owner = tempOwner(file);
  if (owner === undefined || !tokenAlive(owner)) return true;
  return !owner.includes('.') && now - modifiedAt > BARE_PID_TEMP_MAX_AGE_MS;
}

/**
 * Sweeps a store's prefix of leftovers at the start of the first backup that writes there in
 * this process: `silo backup now` after an interrupted one, or a scheduler's first point of an
 * instance after a restart, finds no temp files of the run before. Later backups from the same
 * process skip the walk (retention sweeps every store each run as well).
 */
export class LeftoverSweep {
  readonly #swept = new WeakMap<BackupStore, Set<string>>();

  async once(store: BackupStore, prefix: string): Promise<void> {
    let prefixes = this.#swept.get(store);
    if (!prefixes) {
      prefixes = new Set();
      this.#swept.set(store, prefixes);
    }
    if (prefixes.has(prefix)) return;
    prefixes.add(prefix);
    try {
      await store.sweepLeftovers(prefix);
    } catch {
      // A leftover that cannot be removed now (a file of another user, a store that cannot be
      // listed) must not cost the point: retention tries again, and a store that is unusable
      // fails the backup itself with a message naming it.
      prefixes.delete(prefix);
    }
  }
}
