import type { ChildProcess } from 'node:child_process';

/**
 * Whether a helper process (and its IPC channel) keeps the parent's event loop alive: only
 * while it has work in flight, so an idle pool of helpers never holds a process open.
 */
export function refWhileBusy(child: ChildProcess, busy: boolean): void {
  const channel = child.channel as { ref(): void; unref(): void } | null | undefined;
  if (busy) {
    child.ref();
    channel?.ref();
  } else {
    child.unref();
    channel?.unref();
  }
}
