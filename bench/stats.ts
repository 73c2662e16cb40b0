import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

/** Small statistics for benchmark figures: every figure is a median of repeated runs, with min and max. */
export interface Figure {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export function figure(samples: readonly number[]): Figure {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: percentile(sorted, 50), min: sorted[0] ?? NaN, max: sorted.at(-1) ?? NaN };
}

/** Percentile of an ascending array, nearest-rank. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

/** Runs `once` `times` times and returns each run's result (after one untimed warm-up when asked). */
export async function repeat<T>(times: number, once: (run: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let run = 0; run < times; run++) results.push(await once(run));
  return results;
}

export async function timed(work: () => Promise<unknown> | unknown): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

/** Peak resident memory of this process so far (Linux VmHWM), in bytes. */
/**
 * Resets the kernel's peak-RSS mark (VmHWM) so that a suite's peak is its own, not that of a
 * suite run before it in the same process. Linux only; elsewhere peaks stay process-wide.
 */
export function resetPeakRss(): void {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    // Not Linux, or not permitted: the peak then covers the whole process.
  }
}

export function peakRss(): number {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const match = /VmHWM:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) * 1024 : process.memoryUsage().rss;
  } catch {
    return process.memoryUsage().rss;
  }
}

export function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}
