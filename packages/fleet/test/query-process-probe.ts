import { readFileSync, readdirSync } from 'node:fs';

/**
 * The query processes this test process has forked (query/query-host.mjs), seen from Linux
 * /proc: for tests that must know a statement is running in one, or that it was killed. No
 * Vitest import, so any package's tests may use it.
 */

/** Fields of /proc/<pid>/stat after the command name: state is [0], the parent [1], utime [11], stime [12]. */
function statFields(pid: number | string): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
  } catch {
    return undefined; // it ended meanwhile
  }
}

/** This process's query processes still alive, by pid. */
export function queryProcesses(): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      const fields = statFields(pid);
      if (!fields || fields[0] === 'Z' || Number(fields[1]) !== process.pid) return false;
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
 * The query process running a statement: the first but `except` to have used a fifth of a
 * second of CPU (CPU time, not time waited, so a loaded machine only makes this take longer).
 */
export async function busyQueryProcess(except: readonly number[] = []): Promise<number> {
  for (;;) {
    const busy = queryProcesses().find((pid) => !except.includes(pid) && cpuTicks(pid) >= 20);
    if (busy !== undefined) return busy;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Resolves once the query process `pid` is gone (the test's own time limit fails it otherwise). */
export async function queryProcessGone(pid: number): Promise<void> {
  while (queryProcesses().includes(pid)) await new Promise((resolve) => setTimeout(resolve, 20));
}
