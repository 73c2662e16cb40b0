import { readManifest } from './points';
import type { BackupStore } from './store';

/** What a listing with details shows of a point beyond its key. */
export interface PointDetails {
  readonly sizeBytes: number;
  readonly storedBytes: number;
  readonly schemaVersion: number;
}

/** Points remembered; a busy instance's panel shows 20, so this covers many panels at once. */
const CAPACITY = 5_000;

/**
 * The sizes of points, read from their manifests once: a point never changes after it is
 * written, and the admin console's backups panel lists the same points on every refresh. Only
 * the few numbers are kept, not the chunk lists (which can be a megabyte per manifest).
 */
export class PointDetailsCache {
  readonly #known = new Map<string, PointDetails>();

  async get(store: BackupStore, base: string, pointId: string): Promise<PointDetails> {
    const key = `${store.description} ${base} ${pointId}`;
    const known = this.#known.get(key);
    if (known) {
      // Most recently used last, so the oldest entry is the first to go.
      this.#known.delete(key);
      this.#known.set(key, known);
      return known;
    }
    const manifest = await readManifest(store, base, pointId);
    const details = { sizeBytes: manifest.sizeBytes, storedBytes: manifest.storedBytes, schemaVersion: manifest.schemaVersion };
    this.#known.set(key, details);
    if (this.#known.size > CAPACITY) this.#known.delete(this.#known.keys().next().value as string);
    return details;
  }
}
