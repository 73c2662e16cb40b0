/**
 * Fair turns between tenants on the app server's one main thread: at most `maxInFlight`
 * requests of one tenant are in progress at once; the next waits in that tenant's queue and
 * is handed the freed slot through setImmediate, i.e. after the requests of other tenants
 * that arrived meanwhile have had their turn. A tenant that sends many heavy requests at once
 * then mostly waits behind itself instead of in front of everybody else.
 */
export class TenantGate {
  readonly #tenants = new Map<string, { active: number; waiting: (() => void)[] }>();

  constructor(
    readonly maxInFlight: number,
    readonly maxWaiting: number,
  ) {}

  /** A release function once it is this request's turn, or null when the tenant's queue is full. */
  async enter(tenant: string): Promise<(() => void) | null> {
    let entry = this.#tenants.get(tenant);
    if (!entry) {
      entry = { active: 0, waiting: [] };
      this.#tenants.set(tenant, entry);
    }
    if (entry.active < this.maxInFlight) {
      entry.active += 1;
      return this.#releaser(tenant, entry);
    }
    if (entry.waiting.length >= this.maxWaiting) return null;
    const queue = entry.waiting;
    // The slot is handed over by the request that frees it (`active` stays counted).
    await new Promise<void>((resolve) => queue.push(resolve));
    return this.#releaser(tenant, entry);
  }

  /** Requests of `tenant` in progress and waiting (for tests and diagnostics). */
  load(tenant: string): { active: number; waiting: number } {
    const entry = this.#tenants.get(tenant);
    return { active: entry?.active ?? 0, waiting: entry?.waiting.length ?? 0 };
  }

  #releaser(tenant: string, entry: { active: number; waiting: (() => void)[] }): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = entry.waiting.shift();
      if (next) {
        setImmediate(next);
        return;
      }
      entry.active -= 1;
      if (entry.active === 0) this.#tenants.delete(tenant);
    };
  }
}
