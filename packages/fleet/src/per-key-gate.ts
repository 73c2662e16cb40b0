/**
 * Per-key gates for work on one instance at a time in this process: a bounded number of
 * holders (PerKeyLimit, FIFO), or one shared run that concurrent callers join (SharedRuns).
 * Keys are instance ids; a key's bookkeeping is dropped as soon as nothing holds or waits.
 */

/** Hands back a permit; calling it again does nothing. */
export type Release = () => void;

/** At most `limit` holders per key; the others wait in the order they asked (FIFO). */
export class PerKeyLimit<K> {
  readonly #limit: number;
  readonly #slots = new Map<K, { holders: number; waiting: (() => void)[] }>();

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`A per-key limit must be a positive integer, not ${limit}.`);
    this.#limit = limit;
  }

  /** Resolves with a release once one of the key's permits is this caller's. */
  acquire(key: K): Promise<Release> {
    let slot = this.#slots.get(key);
    if (!slot) {
      slot = { holders: 0, waiting: [] };
      this.#slots.set(key, slot);
    }
    const held = slot;
    if (held.holders < this.#limit) {
      held.holders++;
      return Promise.resolve(this.#releaser(key, held));
    }
    return new Promise((resolve) => held.waiting.push(() => resolve(this.#releaser(key, held))));
  }

  /** Holders and waiters of a key (for tests and stats). */
  usage(key: K): { holders: number; waiting: number } {
    const slot = this.#slots.get(key);
    return { holders: slot?.holders ?? 0, waiting: slot?.waiting.length ?? 0 };
  }

  #releaser(key: K, slot: { holders: number; waiting: (() => void)[] }): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = slot.waiting.shift();
      // The permit passes straight to the next waiter: the number of holders stays the same.
      if (next) next();
      else if (--slot.holders === 0) this.#slots.delete(key);
    };
  }
}

/**
 * One run per key that concurrent callers share. A caller joins the key's run while that run
 * is still joinable; the task closes it to joiners (`closeToJoiners`) at the moment whatever a
 * later caller expects of it is fixed (a backup: its snapshot). A caller who comes after that
 * gets the next run, which starts when the current one settles and which later callers share
 * in turn: per key, at most one run works and one waits.
 */
export class SharedRuns<K, T> {
  readonly #slots = new Map<K, { joinable: Promise<T> | undefined; tail: Promise<void> }>();

  run(key: K, task: (closeToJoiners: () => void) => Promise<T>): { result: Promise<T>; joined: boolean } {
    const existing = this.#slots.get(key);
    if (existing?.joinable) return { result: existing.joinable, joined: true };
    const slot = existing ?? { joinable: undefined, tail: Promise.resolve() };
    this.#slots.set(key, slot);
    const closeToJoiners = (): void => {
      if (slot.joinable === result) slot.joinable = undefined;
    };
    const result: Promise<T> = slot.tail.then(async () => {
      try {
        return await task(closeToJoiners);
      } finally {
        closeToJoiners();
      }
    });
    slot.joinable = result;
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    slot.tail = tail;
    void tail.then(() => {
      if (slot.tail === tail) this.#slots.delete(key);
    });
    return { result, joined: false };
  }
}
