import type { Fleet } from '@silo/fleet';

/**
 * Activity and app metrics of instances written through the endpoint: every request counts as
 * activity (fleet.touch, batched by the fleet), and after a commit the schema's metrics are
 * read again — once per instance per `delayMs`, however many commits came in meanwhile; those
 * commits are counted here and recorded with the refresh as the day's writes.
 */
export class MetricsRefresher {
  readonly #pending = new Map<string, NodeJS.Timeout>();
  readonly #commits = new Map<string, number>();

  constructor(
    private readonly fleet: Fleet,
    private readonly delayMs: number,
  ) {}

  touched(name: string): void {
    this.fleet.touch(name);
  }

  changed(name: string): void {
    this.#commits.set(name, (this.#commits.get(name) ?? 0) + 1);
    if (this.#pending.has(name)) return;
    const timer = setTimeout(() => {
      this.#pending.delete(name);
      const writes = this.#commits.get(name) ?? 1;
      this.#commits.delete(name);
      // Best effort, like the fleet's own refreshMetrics: numbers are informational.
      this.fleet.refreshMetrics(name, { writes }).catch(() => undefined);
    }, this.delayMs);
    timer.unref();
    this.#pending.set(name, timer);
  }

  close(): void {
    for (const timer of this.#pending.values()) clearTimeout(timer);
    this.#pending.clear();
    this.#commits.clear();
  }
}
