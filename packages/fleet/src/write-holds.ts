import path from 'node:path';

/**
 * Tenant files whose write lock this process holds across an await: a consistent copy (export,
 * clone, backup) copies on libuv's threads so that a large file does not stop the main thread,
 * and everyone else's requests with it (a 1 GiB copy took 0.7–1.1 s here); a content
 * replacement (an in-place restore, replaceContent) steps SQLite's backup API on the event
 * loop with the destination's lock held between steps. While it holds the
 * lock, this process's own writers to that file wait here, on the event loop. In SQLite's busy
 * handler they would block the main thread, and with it the copy's completion, until their
 * busy timeout ran out (ADR 40).
 *
 * Every main-thread writer of a live tenant file checks (LocalConnection, the engine's
 * in-process migration); threads and other processes wait in their own
 * busy handlers, as they always did.
 */
export interface WriteHold {
  /** Settles when the hold ends. */
  readonly done: Promise<void>;
  /**
   * True while the holder has the lock. Until then another connection may have it, perhaps one
   * of this process in a transaction: that one must go on, or neither would.
   */
  locked: boolean;
}

const held = new Map<string, WriteHold>();

/** The hold on `file`'s writes, if any: one map lookup, and none while nothing is held. */
export function writesHeldOn(file: string): WriteHold | undefined {
  return held.size === 0 ? undefined : held.get(path.resolve(file));
}

/**
 * Runs `work` as soon as no hold is on `file` (at once if none is), for a connection outside
 * any transaction. `work` starts in the same run as the last check: a copy may take a new hold
 * at any await, so a caller that awaited first and then wrote could meet a copy's lock.
 */
export async function whenWritesFree<T>(file: string, work: () => T): Promise<Awaited<T>> {
  for (let hold = writesHeldOn(file); hold; hold = writesHeldOn(file)) await hold.done;
  return await work();
}

/** Runs `work` with `file`'s writers in this process held; holds on one file queue behind each other. */
export function holdingWrites<T>(file: string, work: (hold: WriteHold) => Promise<T>): Promise<T> {
  const key = path.resolve(file);
  return whenWritesFree(key, async () => {
    let release = (): void => undefined;
    const hold: WriteHold = { done: new Promise<void>((resolve) => (release = resolve)), locked: false };
    held.set(key, hold);
    try {
      return await work(hold);
    } finally {
      held.delete(key);
      release();
    }
  });
}
