import type { BackupStore } from './store';

/**
 * Temp files of writers that will never finish them. A folder store writes every object under
 * a temp name tagged with its process (files.ts tempSibling) and renames it into place; a
 * writer killed or interrupted between the two (Ctrl+C on `silo backup now`, a scheduler's
 * process stopped mid-cycle) leaves the temp file behind. Which temp files are leftovers is
 * files.ts isAbandonedTemp's to say: never one of a live writer, however old.
 */

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
