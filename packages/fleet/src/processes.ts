import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/**
 * Who owns an in-flight operation. A pid alone is not enough: in a container the server is
 * often pid 1 before and after a crash, and pids are reused. So an owner is host, boot and
 * pid plus the process's start time (from /proc on Linux), which no later process shares.
 */
const HOST = hostname();
const BOOT = readOrUndefined('/proc/sys/kernel/random/boot_id')?.trim() ?? 'unknown-boot';

/** `<pid>.<start time>`: marks temp files, so leftovers of dead processes can be told apart. */
export const PROCESS_TOKEN = processToken(process.pid);

/** Marks catalog rows this process is working on. */
export const PROCESS_OWNER = `${HOST}/${BOOT}/${PROCESS_TOKEN}`;

/**
 * Host and boot as temp names carry them (files.ts): a hostname may be long and hold dots and
 * dashes, so each is a short hash; and apart, so a name of this host from an earlier boot can
 * be told dead, as ownerAlive tells a catalog row.
 */
export const HOST_TAG = shortHash(HOST);
export const BOOT_TAG = shortHash(BOOT);

/** Whether the process behind a token still runs; false if its pid now belongs to another process. */
export function tokenAlive(token: string): boolean {
  const [pidText, start] = token.split('.');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0 || !pidAlive(pid)) return false;
  return start === undefined || start === '' || start === startTime(pid);
}

/** true or false for owners on this machine since its last boot; undefined when it cannot be known here. */
export function ownerAlive(owner: string): boolean | undefined {
  const [host, boot, token] = owner.split('/');
  if (host !== HOST || token === undefined) return undefined;
  if (boot !== BOOT) return false;
  return tokenAlive(token);
}

/**
 * ownerAlive for the tags of a temp name. Also undefined for a bare pid (no start time: a
 * platform without /proc) that runs: it may be another process that has the pid now.
 */
export function taggedOwnerAlive(hostTag: string, bootTag: string, token: string): boolean | undefined {
  if (hostTag !== HOST_TAG) return undefined;
  if (bootTag !== BOOT_TAG) return false;
  if (!tokenAlive(token)) return false;
  return token.includes('.') ? true : undefined;
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

function processToken(pid: number): string {
  const start = startTime(pid);
  return start === undefined ? String(pid) : `${pid}.${start}`;
}

/** Field 22 of /proc/<pid>/stat: start time in clock ticks since boot. */
function startTime(pid: number): string | undefined {
  const stat = readOrUndefined(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  // The command name (field 2) may contain spaces and parentheses: fields resume after the last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOrUndefined(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
