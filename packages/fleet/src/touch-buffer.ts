import type { Catalog, TouchUpdate } from './catalog/catalog';
import type { Engine } from './engine';

/**
 * Activity and app metrics, held in memory and written to the catalog in one transaction per
 * interval, so a busy instance costs the catalog one write per flush, not one per request.
 */
export class TouchBuffer {
  readonly #pending = new Map<string, TouchUpdate>();
  readonly #timer: NodeJS.Timeout;
  #flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly catalog: Catalog,
    private readonly engine: Engine,
    intervalMs: number,
  ) {
    this.#timer = setInterval(() => void this.flush(), intervalMs);
    this.#timer.unref();
  }

  get pending(): number {
    return this.#pending.size;
  }

  /**
   * A touch with metrics is the app reporting them after a write; one without is a request.
   * Those counts are the usage per day (reads and writes), at the cost of a counter here.
   */
  touch(name: string, metrics?: Readonly<Record<string, number>>, at = Date.now()): void {
    const previous = this.#pending.get(name);
    if (previous && metrics === undefined) {
      // The common case on a busy instance: one more request before the next flush.
      if (at > previous.at) previous.at = at;
      previous.reads = (previous.reads ?? 0) + 1;
      return;
    }
    this.#pending.set(name, {
      name,
      at: Math.max(at, previous?.at ?? 0),
      metrics: previous?.metrics || metrics ? { ...previous?.metrics, ...metrics } : undefined,
      reads: (previous?.reads ?? 0) + (metrics ? 0 : 1),
      writes: (previous?.writes ?? 0) + (metrics ? 1 : 0),
    });
  }

  /** Writes everything buffered so far. Concurrent calls queue behind each other. */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(() => this.#write()).catch((error: unknown) => {
      // The catalog may be busy under another process's long write; activity is retried next round.
      process.emitWarning(`silo: could not record instance activity: ${String(error)}`);
    });
    return this.#flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }

  async #write(): Promise<void> {
    if (this.#pending.size === 0) return;
    const updates = [...this.#pending.values()];
    this.#pending.clear();
    try {
      for (const update of updates) {
        const instance = this.catalog.resolve(update.name);
        if (instance?.state !== 'ready') continue;
        update.sizeBytes = await this.engine.sizeOf(instance.dbUrl);
        // Service usage is best effort: a slow usage endpoint must not hold back activity.
        const usage = await this.engine.usageMetrics?.(instance.dbUrl).catch(() => undefined);
        if (usage) update.metrics = { ...usage, ...update.metrics };
      }
      await this.catalog.applyTouches(updates);
    } catch (error) {
      for (const update of updates) if (!this.#pending.has(update.name)) this.#pending.set(update.name, update);
      throw error;
    }
  }
}
