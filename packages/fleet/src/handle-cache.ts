import { SiloError } from './errors';

export interface Lease<V> {
  readonly value: V;
  /** Returns the handle to the cache. Safe to call more than once, and to pass on as a callback. */
  release(): void;
}

interface Entry<V> {
  readonly value: V;
  /** What the handle was opened for (a database URL): a different tag means the cached one is stale. */
  readonly tag: string | undefined;
  refs: number;
  /** Invalidated while in use: closed when the last user releases it. */
  doomed: boolean;
  /** When its last user released it (0 while in use), and whether `tidyIdle` ran on it since. */
  idleSince: number;
  tidied: boolean;
}

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * An LRU of open handles with a hard cap. A handle in use is never evicted; evicted handles
 * are closed at once (each open WAL database holds file descriptors). When every cached
 * handle is in use, callers wait for a release, up to `waitMs`.
 */
export class HandleCache<K, V> {
  readonly #entries = new Map<K, Entry<V>>();
  readonly #waiters: Waiter[] = [];
  readonly #cap: number;
  readonly #waitMs: number;
  readonly #close: (value: V) => void;
  /** Running totals for metrics (Fleet.stats): plain integers, no allocation per call. */
  readonly counters = { hits: 0, misses: 0, evictions: 0, waits: 0 };

  constructor(options: { cap: number; waitMs: number; close: (value: V) => void }) {
    this.#cap = options.cap;
    this.#waitMs = options.waitMs;
    this.#close = options.close;
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * A cached handle for `key`, or a new one from `open(tag)`. A cached handle opened with
   * another `tag` is dropped first: the key's database moved (e.g. to another engine) meanwhile.
   */
  async acquire<T extends string | undefined>(key: K, open: (tag: T) => V, tag?: T): Promise<Lease<V>> {
    for (;;) {
      const lease = this.tryAcquire(key, open, tag);
      if (lease) return lease;
      this.counters.waits++;
      await this.#waitForRelease();
    }
  }

  /**
   * `acquire` without waiting: undefined when every handle is in use. The request path calls
   * it first, so a cached handle costs no promise of its own; `open` takes the tag so that
   * callers can pass one function for every call instead of a closure per call.
   */
  tryAcquire<T extends string | undefined>(key: K, open: (tag: T) => V, tag?: T): Lease<V> | undefined {
    const cached = this.#entries.get(key);
    if (cached && !cached.doomed) {
      if (cached.tag === tag) {
        // Re-insert to mark it most recently used (Map keeps insertion order).
        this.#entries.delete(key);
        this.#entries.set(key, cached);
        this.counters.hits++;
        return this.#lease(key, cached);
      }
      this.invalidate(key);
    }
    if (!this.#makeRoom()) return undefined;
    this.counters.misses++;
    const entry: Entry<V> = { value: open(tag as T), tag, refs: 0, doomed: false, idleSince: 0, tidied: false };
    this.#entries.set(key, entry);
    return this.#lease(key, entry);
  }

  /** Drops a handle (the instance was deleted or replaced): closed now, or on its last release. */
  invalidate(key: K): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    if (entry.refs > 0) {
      entry.doomed = true;
      return;
    }
    this.#entries.delete(key);
    this.#close(entry.value);
  }

  closeAll(): void {
    for (const [key, entry] of this.#entries) {
      if (entry.refs === 0) {
        this.#entries.delete(key);
        this.#close(entry.value);
      } else {
        entry.doomed = true;
      }
    }
    for (const waiter of this.#waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(new SiloError('FLEET_CLOSED', 'The fleet closed while waiting for a database handle.'));
    }
  }

  /**
   * Runs `tidy` on up to `max` handles nobody has used for `idleMs`, least recently used first,
   * each once per idle spell (its next use makes it due again). Returns how many it tidied.
   */
  tidyIdle(idleMs: number, max: number, tidy: (value: V, key: K, tag: string | undefined) => void, now = Date.now()): number {
    let tidied = 0;
    for (const [key, entry] of this.#entries) {
      if (tidied >= max) break;
      if (entry.refs > 0 || entry.doomed || entry.tidied || now - entry.idleSince < idleMs) continue;
      entry.tidied = true;
      tidy(entry.value, key, entry.tag);
      tidied++;
    }
    return tidied;
  }

  #lease(key: K, entry: Entry<V>): Lease<V> {
    entry.refs++;
    entry.tidied = false;
    // One object and one closure per use: this runs on every request.
    let released = false;
    return {
      value: entry.value,
      release: () => {
        if (released) return;
        released = true;
        this.#released(key, entry);
      },
    };
  }

  #released(key: K, entry: Entry<V>): void {
    entry.refs--;
    if (entry.refs > 0) return;
    entry.idleSince = Date.now();
    if (entry.doomed) {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
      this.#close(entry.value);
    }
    this.#wakeOne();
  }

  /** Evicts idle handles, least recently used first, until one more fits. */
  #makeRoom(): boolean {
    if (this.#entries.size < this.#cap) return true;
    for (const [key, entry] of this.#entries) {
      if (entry.refs > 0) continue;
      this.#entries.delete(key);
      this.counters.evictions++;
      this.#close(entry.value);
      if (this.#entries.size < this.#cap) return true;
    }
    return this.#entries.size < this.#cap;
  }

  #waitForRelease(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
          reject(
            new SiloError(
              'HANDLES_EXHAUSTED',
              `All ${this.#cap} database handles stayed in use for ${this.#waitMs} ms. Release handles promptly, or raise SILO_HANDLE_CAP.`,
            ),
          );
        }, this.#waitMs),
      };
      this.#waiters.push(waiter);
    });
  }

  #wakeOne(): void {
    const waiter = this.#waiters.shift();
    if (!waiter) return;
    clearTimeout(waiter.timer);
    waiter.resolve();
  }
}
