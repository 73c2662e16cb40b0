/**
 * A memory limit for the child processes that run tenant SQL (query-host.mjs, the libSQL
 * endpoint's stream hosts): one statement must not take the machine's memory from every tenant.
 * The child watches itself (memory-watcher.mjs, preloaded) and ends with MEMORY_LIMIT_SIGNAL.
 */

/** Node installs no handler for it, so it ends the process at once. */
export const MEMORY_LIMIT_SIGNAL = 'SIGUSR2';

const WATCHER_URL = new URL('./memory-watcher.mjs', import.meta.url);

/** The `execArgv` that puts a child under `maxBytes` of resident memory; none without a limit. */
export function memoryLimitFlags(maxBytes: number | undefined): string[] {
  if (maxBytes === undefined) return [];
  const url = new URL(WATCHER_URL);
  url.searchParams.set('maxBytes', String(maxBytes));
  url.searchParams.set('signal', MEMORY_LIMIT_SIGNAL);
  return ['--import', url.href];
}

/** The one-line reason a child gives when it ended at its limit. */
export function memoryLimitMessage(maxBytes: number, subject = 'it'): string {
  return `${subject} needed more than ${Math.round(maxBytes / (1024 * 1024))} MiB of memory`;
}
