import type { ChangeWatch } from './catalog-db-types';

/** Enough for every instance a busy server serves; past it the oldest entry goes. */
const DEFAULT_CAPACITY = 10_000;

/**
 * Answers of the hot-path lookup (`Catalog.resolve`) by name, kept only while the catalog is
 * unchanged: every `get` first asks the watch, and anything that may have changed the catalog
 * (another process's commit, a write of ours, a replica's sync) empties the cache. So a
 * delete or move by another process still takes effect on the next open, and a hit costs the
 * watch's check instead of a lookup plus a new object.
 *
 * `set` must follow a `get` of the same name with no await between them: the watch was read
 * before the database, so a change landing between the two is seen by the next `get`.
 */
export class LookupCache<V> {
  readonly #entries = new Map<string, V>();
  readonly #watch: ChangeWatch;
  readonly #capacity: number;

  constructor(watch: ChangeWatch, capacity = DEFAULT_CAPACITY) {
    this.#watch = watch;
    this.#capacity = capacity;
  }

  get(name: string): V | undefined {
    if (this.#watch.changed()) {
      this.#entries.clear();
      return undefined;
    }
    return this.#entries.get(name);
  }

  set(name: string, value: V): void {
    if (this.#entries.size >= this.#capacity) this.#entries.delete(this.#entries.keys().next().value as string);
    this.#entries.set(name, value);
  }

  clear(): void {
    this.#entries.clear();
  }
}
