import { readFileSync, readdirSync } from 'node:fs';

/**
 * Query processes (query/query-host.mjs) seen from Linux /proc: for tests that must know a
 * statement is running in one, or that it was killed. By default the ones this test process
 * forked; `parent` names another (a server the test started). No Vitest import, so any
 * package's tests may use it.
 */

/** Fields of /proc/<pid>/stat after the command name: state is [0], the parent [1], utime [11], stime [12]. */
function statFields(pid: number | string): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
  } catch {
    return undefined; // it ended meanwhile
  }
}

/** The query processes of `parent` still alive, by pid. */
export function queryProcesses(parent = process.pid): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      const fields = statFields(pid);
      if (!fields || fields[0] === 'Z' || Number(fields[1]) !== parent) return false;
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('query-host');
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** CPU time a process has used, in clock ticks (utime + stime); -1 once it is gone. */
function cpuTicks(pid: number): number {
  const fields = statFields(pid);
  return fields ? Number(fields[11]) + Number(fields[12]) : -1;
}

/**
 * The query process running a statement: the first but `except` to use a fifth of a second of
 * CPU more than it had when the wait began (CPU time, not time waited, so a loaded machine
 * only makes this take longer; a process idle since an earlier statement is not taken for it).
 * `timeoutMs` turns a wait that would hang into a failure that says what was missing.
 */
export async function busyQueryProcess(except: readonly number[] = [], options: { parent?: number; timeoutMs?: number } = {}): Promise<number> {
  const { parent = process.pid, timeoutMs = Number.POSITIVE_INFINITY } = options;
  const before = new Map(queryProcesses(parent).map((pid) => [pid, cpuTicks(pid)]));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const busy = queryProcesses(parent).find((pid) => !except.includes(pid) && cpuTicks(pid) - (before.get(pid) ?? 0) >= 20);
    if (busy !== undefined) return busy;
    if (Date.now() > deadline) throw new Error(`no query process of process ${parent} ran a statement within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Resolves once the query process `pid` of `parent` is gone (the test's own time limit fails it otherwise). */
export async function queryProcessGone(pid: number, parent = process.pid): Promise<void> {
  while (queryProcesses(parent).includes(pid)) await new Promise((resolve) => setTimeout(resolve, 20));
}
