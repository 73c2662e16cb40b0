interface TenantTurns {
  /** Requests holding a turn (one running alone counts as one). */
  active: number;
  /** Requests waiting for a turn, in arrival order. */
  waiting: (() => void)[];
  /** Requests that hold a turn and wait to run a step alone (`alone`). */
  alone: (() => void)[];
  /** A request is running its step alone: nobody else of this tenant starts meanwhile. */
  exclusive: boolean;
}

/**
 * Fair turns between tenants on the app server's one main thread: at most `maxInFlight`
 * requests of one tenant are in progress at once; the next waits in that tenant's queue and
 * is handed the freed slot through setImmediate, i.e. after the requests of other tenants
 * that arrived meanwhile have had their turn. A tenant that sends many heavy requests at once
 * then mostly waits behind itself instead of in front of everybody else.
 *
 * A request may also run one step alone (`alone`): a write over the whole list that runs on the
 * fleet's SQLite worker thread holds the database's write lock, and a write of the same tenant
 * on the main thread meanwhile would wait for it in SQLite's busy handler, which blocks the
 * main thread and so every tenant. Running alone, that tenant's other requests wait in its own
 * queue instead.
 */
export class TenantGate {
  readonly #tenants = new Map<string, TenantTurns>();

  constructor(
    readonly maxInFlight: number,
    readonly maxWaiting: number,
  ) {}

  /** A release function once it is this request's turn, or null when the tenant's queue is full. */
  async enter(tenant: string): Promise<(() => void) | null> {
    let entry = this.#tenants.get(tenant);
    if (!entry) {
      entry = { active: 0, waiting: [], alone: [], exclusive: false };
      this.#tenants.set(tenant, entry);
    }
    if (!entry.exclusive && entry.alone.length === 0 && entry.active < this.maxInFlight) {
      entry.active += 1;
      return this.#releaser(tenant, entry);
    }
    if (entry.waiting.length >= this.maxWaiting) return null;
    const queue = entry.waiting;
    // The slot is counted for this request by whoever hands it over (#dispatch).
    await new Promise<void>((resolve) => queue.push(resolve));
    return this.#releaser(tenant, entry);
  }

  /**
   * Runs `work` once no other request of `tenant` is in progress, and starts none of them
   * until it ends. Only for a request that holds a turn of `tenant`: it gives the turn back
   * while it waits (two requests waiting to run alone never wait for each other's turn), and
   * has it again when `work` ends.
   */
  async alone<T>(tenant: string, work: () => Promise<T>): Promise<T> {
    const entry = this.#tenants.get(tenant);
    if (!entry || entry.active === 0) throw new Error(`alone() needs a turn of ${tenant}.`);
    entry.active -= 1;
    await new Promise<void>((resolve) => {
      entry.alone.push(resolve);
      this.#dispatch(tenant, entry);
    });
    try {
      return await work();
    } finally {
      // The request goes on with the turn it had (`active` stays 1: this one).
      entry.exclusive = false;
      this.#dispatch(tenant, entry);
    }
  }

  /** Requests of `tenant` in progress and waiting (for tests and diagnostics). */
  load(tenant: string): { active: number; waiting: number } {
    const entry = this.#tenants.get(tenant);
    return { active: entry?.active ?? 0, waiting: (entry?.waiting.length ?? 0) + (entry?.alone.length ?? 0) };
  }

  #releaser(tenant: string, entry: TenantTurns): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      entry.active -= 1;
      this.#dispatch(tenant, entry);
    };
  }

  /** Hands freed turns on: to a request waiting to run alone first, once nobody else runs. */
  #dispatch(tenant: string, entry: TenantTurns): void {
    if (entry.exclusive) return;
    if (entry.alone.length > 0) {
      if (entry.active > 0) return;
      const next = entry.alone.shift() as () => void;
      entry.exclusive = true;
      entry.active = 1;
      setImmediate(next);
      return;
    }
    while (entry.active < this.maxInFlight && entry.waiting.length > 0) {
      entry.active += 1;
      setImmediate(entry.waiting.shift() as () => void);
    }
    if (entry.active === 0 && entry.waiting.length === 0) this.#tenants.delete(tenant);
  }
}
