import { statfsSync } from 'node:fs';
import path from 'node:path';
import { SiloError } from './errors';
import { formatBytes } from './format';

/**
 * A full disk, told apart from everything else (issue #21): the fleet's writes (create, clone,
 * import, export staging, backups, catalog writes) call `diskFullError` on whatever they
 * caught, so the operator reads DISK_FULL naming the folder and its free space instead of
 * `SQLITE_FULL` or `ENOSPC … copyfile`.
 *
 * SQLite also answers SQLITE_FULL when a database reaches its `max_page_count` (the
 * per-instance size cap, SIZE_LIMIT_EXCEEDED, mapped where the cap is set). Only the disk can
 * tell the two apart, so SQLITE_FULL (and an I/O error SQLite reports when it cannot grow its
 * files) counts as a full disk only when the folder really is nearly full: under
 * FULL_BELOW_BYTES free, or under FULL_BELOW_FRACTION of the disk. ENOSPC and EDQUOT always do.
 */
export interface DiskSpace {
  /** The folder asked about (the nearest one that exists). */
  readonly path: string;
  readonly totalBytes: number;
  /** What this process may still write (statfs `bavail`). */
  readonly freeBytes: number;
  readonly freePercent: number;
}

const FULL_BELOW_BYTES = 16 * 1024 * 1024;
const FULL_BELOW_FRACTION = 0.005;

/** Free and total space of the disk holding `dir` (or its nearest existing parent); undefined if unknown. */
export function diskSpace(dir: string): DiskSpace | undefined {
  let current = path.resolve(dir);
  for (;;) {
    try {
      const stats = statfsSync(current);
      const totalBytes = stats.blocks * stats.bsize;
      const freeBytes = stats.bavail * stats.bsize;
      return { path: current, totalBytes, freeBytes, freePercent: totalBytes > 0 ? (freeBytes / totalBytes) * 100 : 0 };
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return undefined;
      current = parent;
    }
  }
}

/** The disk holding `dir` has (next to) no room left. */
export function diskNearlyFull(dir: string): boolean {
  const space = diskSpace(dir);
  return space !== undefined && (space.freeBytes < FULL_BELOW_BYTES || space.freeBytes < space.totalBytes * FULL_BELOW_FRACTION);
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Whether `error` says the disk is full: DISK_FULL already, ENOSPC/EDQUOT, or SQLite's answer on a nearly full disk at `dir`. */
export function isDiskFull(error: unknown, dir?: string): boolean {
  if (error instanceof SiloError) return error.code === 'DISK_FULL';
  const code = codeOf(error);
  if (code === 'ENOSPC' || code === 'EDQUOT') return true;
  const sqlite = code === 'SQLITE_FULL' || (code?.startsWith('SQLITE_IOERR') ?? false);
  return sqlite && dir !== undefined && diskNearlyFull(dir);
}

/**
 * DISK_FULL for `error` if it says the disk holding `dir` is full, else `error` unchanged: call
 * it on whatever a write threw, and throw the result.
 */
export function diskFullError(error: unknown, dir: string): unknown {
  if (error instanceof SiloError || !isDiskFull(error, dir)) return error;
  const space = diskSpace(dir);
  const free = space ? `${formatBytes(space.freeBytes)} free of ${formatBytes(space.totalBytes)}` : 'its free space is unknown';
  return new SiloError(
    'DISK_FULL',
    `The disk holding ${dir} is full (${free}). Free space there — purge deleted instances (\`silo purge\`), remove old exports, or move the data folder (SILO_DATA_DIR) to a larger disk — then try again. Reads keep working meanwhile.`,
    { cause: error, details: { dir, freeBytes: space?.freeBytes, totalBytes: space?.totalBytes } },
  );
}

/** Runs a write at `dir`, turning a full disk into DISK_FULL. */
export async function writingAt<T>(dir: string, work: () => Promise<T> | T): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw diskFullError(error, dir);
  }
}
