import { readFileSync } from 'node:fs';

/** Each open WAL database holds the file, its WAL and its shared-memory index. */
export const FDS_PER_HANDLE = 3;
/** File descriptors left for everything else: sockets, the catalog, query processes' pipes. */
const FD_RESERVE = 512;
/** ~195 KB of RSS per warm handle (measured, docs/decisions/0006): 2,000 handles ≈ 390 MB. */
export const MAX_DEFAULT_HANDLE_CAP = 2_000;
const MIN_DEFAULT_HANDLE_CAP = 50;

/**
 * The default for `handleCap`: as many handles as the process may keep open without running
 * out of file descriptors, up to 2,000. Evicting a handle that wrote costs a checkpoint and
 * an fsync, and reopening it creates its WAL again, so a cap below the number of instances
 * active within a few seconds thrashes (bench rows 5a/5b: 1.5–2.7× slower at cap 200 with
 * 1,000 active instances, 1.05× with all of them open).
 */
export function defaultHandleCap(fdLimit: number | undefined): number {
  if (fdLimit === undefined) return MIN_DEFAULT_HANDLE_CAP * 4;
  const affordable = Math.floor((fdLimit - FD_RESERVE) / FDS_PER_HANDLE);
  return Math.max(MIN_DEFAULT_HANDLE_CAP, Math.min(MAX_DEFAULT_HANDLE_CAP, affordable));
}

/**
 * The soft RLIMIT_NOFILE of this process (Node raises it to the hard limit at start-up).
 * Linux exposes it in /proc; elsewhere it is unknown and the default stays conservative.
 */
export function openFileLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((entry) => entry.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    if (soft === 'unlimited') return Number.MAX_SAFE_INTEGER;
    const value = Number(soft);
    return Number.isFinite(value) && value > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}
