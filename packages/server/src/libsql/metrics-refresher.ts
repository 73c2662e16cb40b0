import type { Fleet } from '@silo/fleet';

/**
 * Activity and app metrics of instances written through the endpoint: every request counts as
 * activity (fleet.touch, batched by the fleet), and after a commit the schema's metrics are
 * read again — once per instance per `delayMs`, however many commits came in meanwhile.
 */
export class MetricsRefresher {
  readonly #pending = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly fleet: Fleet,
    private readonly delayMs: number,
  ) {}

  touched(name: string): void {
    this.fleet.touch(name);
  }

  changed(name: string): void {
    if (this.#pending.has(name)) return;
    const timer = setTimeout(() => {
      this.#pending.delete(name);
      // Best effort, like the fleet's own refreshMetrics: numbers are informational.
      this.fleet.refreshMetrics(name).catch(() => undefined);
    }, this.delayMs);
    timer.unref();
    this.#pending.set(name, timer);
  }

  close(): void {
    for (const timer of this.#pending.values()) clearTimeout(timer);
    this.#pending.clear();
  }
}
