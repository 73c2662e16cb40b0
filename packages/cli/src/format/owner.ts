/**
 * The process holding a lease, as people name processes. The fleet records an owner as
 * `<host>/<boot id>/<pid>.<start time>` (unique even when pids are reused); host and pid are
 * what an operator looks for in `ps` or on a dashboard.
 */
export interface ProcessOwner {
  readonly host: string;
  /** null when the owner is not of the fleet's form (an older or foreign record). */
  readonly pid: number | null;
}

export function processOwner(owner: string): ProcessOwner {
  const [host = owner, , token] = owner.split('/');
  const pid = Number(token?.split('.')[0]);
  return { host, pid: Number.isSafeInteger(pid) && pid > 0 ? pid : null };
}

/** "build-7 (pid 4242)", or the raw owner when it is not of the fleet's form. */
export function ownerText(owner: string): string {
  const { host, pid } = processOwner(owner);
  return pid === null ? owner : `${host} (pid ${pid})`;
}
