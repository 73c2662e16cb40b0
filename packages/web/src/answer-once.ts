import { createHash } from 'node:crypto';

export interface AnswerOnceOptions {
  /** How long after the first run finished a key still answers a repeat. */
  readonly ttlMs: number;
  /** At most this many keys are remembered; past it the oldest are forgotten first. */
  readonly maxEntries: number;
  readonly now?: () => number;
}

/** What a request came to: its own attempt's outcome, or (`repeat`) the first attempt's success. */
export interface Answer<T> {
  readonly outcome: T;
  readonly repeat: boolean;
}

interface Entry {
  expiresAt: number;
  /** The first attempt's outcome once it succeeded; undefined if it did not (entry gone by then). */
  readonly settled: Promise<{ readonly outcome: unknown } | undefined>;
}

/**
 * Work a repeated request must not do twice: the first request for a key runs it, and a repeat
 * (a double click, a reloaded POST, a replayed fetch) is answered with the first one's outcome,
 * waiting for it if it is still running. Each app says what makes a repeat (the parts of the
 * key) and which outcomes count as done.
 *
 * Only successes are remembered: a refused or failed first try forgets its key, so a repeat runs
 * again (it may well succeed after a passing failure) and gets its own answer.
 *
 * In this process's memory, bounded in count and time: a repeat follows its first request
 * within seconds, from the same browser to the same process. A key forgotten (expired, pushed
 * out, or sent to another process) makes its repeat a request of its own again, as it was
 * before keys: each caller says what that costs.
 */
export class AnswerOnce {
  readonly #entries = new Map<string, Entry>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: AnswerOnceOptions) {
    this.#ttlMs = options.ttlMs;
    this.#maxEntries = options.maxEntries;
    this.#now = options.now ?? Date.now;
  }

  /** How many keys are remembered now (running or done). */
  get size(): number {
    this.#prune();
    return this.#entries.size;
  }

  /** The outcome of `attempt`, run at most once per key while its success is remembered (see `answer`). */
  async run<T>(key: readonly string[], attempt: () => Promise<T>, succeeded: (outcome: T) => boolean): Promise<T> {
    return (await this.answer(key, attempt, succeeded)).outcome;
  }

  /**
   * Runs `attempt` for `key` unless an earlier run for it succeeded (then its outcome is the
   * answer, marked `repeat`) or is still running (then it is waited for). A key's parts are kept
   * apart (["a", "b c"] is not ["a b", "c"]), and a key stands for one kind of work: its
   * remembered outcome is taken to be of this attempt's type.
   */
  async answer<T>(key: readonly string[], attempt: () => Promise<T>, succeeded: (outcome: T) => boolean): Promise<Answer<T>> {
    // A digest, so many remembered keys of long parts (titles, form fields) stay small.
    const digest = createHash('sha256').update(JSON.stringify(key)).digest('base64url');
    for (;;) {
      this.#prune();
      const first = this.#entries.get(digest);
      if (!first) break;
      const success = await first.settled;
      if (success) return { outcome: success.outcome as T, repeat: true };
      // The first did not succeed and let its key go: this request tries for itself (unless
      // another repeat woke first and took the key again, which is then waited for).
    }
    let settle: (success: { readonly outcome: unknown } | undefined) => void = () => undefined;
    const entry: Entry = { expiresAt: this.#now() + this.#ttlMs, settled: new Promise((resolve) => (settle = resolve)) };
    this.#entries.set(digest, entry);
    this.#evictOverflow();
    let success: { readonly outcome: T } | undefined;
    try {
      const outcome = await attempt();
      if (succeeded(outcome)) success = { outcome };
      return { outcome, repeat: false };
    } finally {
      if (success) this.#keep(digest, entry);
      else if (this.#entries.get(digest) === entry) this.#entries.delete(digest);
      settle(success);
    }
  }

  /** Kept for ttlMs after it finished, and moved to the end so the Map stays in expiry order. */
  #keep(digest: string, entry: Entry): void {
    entry.expiresAt = this.#now() + this.#ttlMs;
    if (this.#entries.get(digest) !== entry) return;
    this.#entries.delete(digest);
    this.#entries.set(digest, entry);
  }

  /** Entries are in expiry order (each is re-inserted when it succeeds): expired ones are at the front. */
  #prune(): void {
    const now = this.#now();
    for (const [digest, entry] of this.#entries) {
      if (entry.expiresAt > now) break;
      this.#entries.delete(digest);
    }
  }

  #evictOverflow(): void {
    for (const digest of this.#entries.keys()) {
      if (this.#entries.size <= this.#maxEntries) break;
      this.#entries.delete(digest);
    }
  }
}
