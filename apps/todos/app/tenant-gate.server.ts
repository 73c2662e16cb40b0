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
 * One request's turn of a tenant (`TenantGate.enter`). `leave` gives it back; `alone` runs one
 * step of the request with no other request of that tenant in progress.
 */
export interface TenantTurn {
  /**
   * Gives the turn back; later calls do nothing. During `alone` the turn is given back when
   * that step ends, not before: React Router stops waiting for a request whose client went
   * away (the middleware's `next()` returns) while its action goes on, and a step running or
   * queued alone must keep counting until its work is really over.
   */
  leave(): void;
  /**
   * Runs `work` once no other request of the tenant is in progress, and starts none of them
   * until it ends. The turn is lent back while it waits (two requests waiting to run alone
   * never wait for each other's turn) and held again when `work` ends.
   */
  alone<T>(work: () => Promise<T>): Promise<T>;
}

/**
 * Fair turns between tenants on the app server's one main thread: at most `maxInFlight`
 * requests of one tenant are in progress at once; the next waits in that tenant's queue and
 * is handed the freed slot through setImmediate, i.e. after the requests of other tenants
 * that arrived meanwhile have had their turn. A tenant that sends many heavy requests at once
 * then mostly waits behind itself instead of in front of everybody else.
 *
 * A request may also run one step alone (`TenantTurn.alone`): a write over the whole list that
 * runs on the fleet's SQLite worker thread holds the database's write lock, and a write of the
 * same tenant on the main thread meanwhile would wait for it in SQLite's busy handler, which
 * blocks the main thread and so every tenant. Running alone, that tenant's other requests
 * wait in its own queue instead.
 */
export class TenantGate {
  readonly #tenants = new Map<string, TenantTurns>();

  constructor(
    readonly maxInFlight: number,
    readonly maxWaiting: number,
  ) {}

  /** This request's turn once it is its turn, or null when the tenant's queue is full. */
  async enter(tenant: string): Promise<TenantTurn | null> {
    const entry = this.#entry(tenant);
    if (!entry.exclusive && entry.alone.length === 0 && entry.active < this.maxInFlight) {
      entry.active += 1;
      return this.#turn(tenant, entry);
    }
    if (entry.waiting.length >= this.maxWaiting) return null;
    const queue = entry.waiting;
    // The slot is counted for this request by whoever hands it over (#dispatch).
    await new Promise<void>((resolve) => queue.push(resolve));
    return this.#turn(tenant, entry);
  }

  /** Requests of `tenant` in progress and waiting (for tests and diagnostics). */
  load(tenant: string): { active: number; waiting: number } {
    const entry = this.#tenants.get(tenant);
    return { active: entry?.active ?? 0, waiting: (entry?.waiting.length ?? 0) + (entry?.alone.length ?? 0) };
  }

  #entry(tenant: string): TenantTurns {
    let entry = this.#tenants.get(tenant);
    if (!entry) {
      entry = { active: 0, waiting: [], alone: [], exclusive: false };
      this.#tenants.set(tenant, entry);
    }
    return entry;
  }

  /** A turn counted in `entry.active`. */
  #turn(tenant: string, held: TenantTurns): TenantTurn {
    let entry = held;
    // 'lent': waiting to run alone or running alone; its slot is not counted in `active` while
    // it waits, and is the exclusive one while it runs.
    let state: 'held' | 'lent' | 'left' = 'held';
    let leaveAfterAlone = false;
    const release = (): void => {
      state = 'left';
      entry.active -= 1;
      this.#dispatch(tenant, entry);
    };
    return {
      leave: () => {
        if (state === 'held') release();
        else if (state === 'lent') leaveAfterAlone = true;
      },
      alone: async <T>(work: () => Promise<T>): Promise<T> => {
        if (state === 'lent') throw new Error(`alone() of ${tenant} while this request already runs a step alone.`);
        if (state === 'left') {
          // The request was abandoned (its client went away) but its action goes on: its
          // write still waits for the list's other requests, then leaves at once.
          entry = this.#entry(tenant);
          leaveAfterAlone = true;
        } else {
          entry.active -= 1;
        }
        state = 'lent';
        await new Promise<void>((resolve) => {
          entry.alone.push(resolve);
          this.#dispatch(tenant, entry);
        });
        try {
          return await work();
        } finally {
          // The request goes on with the turn it had: the exclusive slot, counted in `active`.
          entry.exclusive = false;
          state = 'held';
          if (leaveAfterAlone) release();
          else this.#dispatch(tenant, entry);
        }
      },
    };
  }

  /** Hands freed turns on: to a request waiting to run alone first, once nobody else runs. */
  #dispatch(tenant: string, entry: TenantTurns): void {
    if (entry.exclusive) return;
    if (entry.alone.length > 0) {
      if (entry.active > 0) return;
      const next = entry.alone.shift() as () => void;
      entry.exclusive = true;
      entry.active += 1;
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
