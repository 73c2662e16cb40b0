import { chunkKey, listPoints, readManifest } from './points';
import type { BackupStore } from './store';

/**
 * How long a chunk must stay unreferenced before it is deleted. A writer stores only the chunks
 * its previous point lacks and counts on the others being there: between reading that point's
 * manifest and writing its own (seconds; at most this long) a chunk can be referenced by no
 * stored manifest and still be needed. Fresh chunks of a point being written are protected by
 * the same span through their modification time.
 */
export const CHUNK_GRACE_MS = 60 * 60 * 1_000;

/**
 * Deletes the chunks no point references, in two steps: a run notes the unreferenced chunks,
 * and a later run at least CHUNK_GRACE_MS after deletes those still unreferenced. A manifest
 * written meanwhile (by any process) references its chunks again and so keeps them.
 *
 * What was noted lives in this process only: a scheduler that moves to another process starts
 * noting afresh, which delays collection by one grace period and never deletes early.
 */
export class ChunkCollector {
  /** `<location> <base>` → chunk hash → when it was first found unreferenced (fleet clock). */
  readonly #unreferencedSince = new Map<string, Map<string, number>>();

  /** Whether `base` has noted chunks waiting for a later run. */
  hasNoted(store: BackupStore, base: string): boolean {
    return this.#unreferencedSince.has(keyOf(store, base));
  }

  /** Drops what was noted for `base` (its backups were removed whole). */
  forget(store: BackupStore, base: string): void {
    this.#unreferencedSince.delete(keyOf(store, base));
  }

  /** Notes and deletes unreferenced chunks of `base`; returns how many were deleted. */
  async collect(store: BackupStore, base: string, now: number): Promise<number> {
    const key = keyOf(store, base);
    const referenced = new Set<string>();
    for (const point of await listPoints(store, base)) {
      const manifest = await readManifest(store, base, point.id).catch(() => undefined);
      // An unreadable manifest: keep every chunk (and forget what was noted) rather than guess.
      if (!manifest) {
        this.#unreferencedSince.delete(key);
        return 0;
      }
      for (const hash of manifest.chunks) referenced.add(hash);
    }
    // Wall time, not the fleet's clock: it is compared with the store's modification times.
    const writtenBefore = Date.now() - CHUNK_GRACE_MS;
    const chunksPrefix = chunkKey(base, '');
    const noted = this.#unreferencedSince.get(key) ?? new Map<string, number>();
    const stillNoted = new Map<string, number>();
    const garbage: string[] = [];
    for (const object of await store.list(chunksPrefix)) {
      const hash = object.key.slice(chunksPrefix.length);
      if (referenced.has(hash) || object.modifiedAt >= writtenBefore) continue;
      const since = noted.get(hash) ?? now;
      if (now - since >= CHUNK_GRACE_MS) garbage.push(object.key);
      else stillNoted.set(hash, since);
    }
    await store.delete(garbage);
    if (stillNoted.size > 0) this.#unreferencedSince.set(key, stillNoted);
    else this.#unreferencedSince.delete(key);
    return garbage.length;
  }
}

function keyOf(store: BackupStore, base: string): string {
  return `${store.description} ${base}`;
}
