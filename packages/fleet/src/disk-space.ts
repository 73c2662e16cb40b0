import { statSync, statfsSync } from 'node:fs';
import path from 'node:path';
import { SiloError, isSiloError } from './errors';
import type { FleetFolder } from './fleet-folders';
import { formatBytes } from './format';
import { readSetting } from './settings/check';
import { SETTINGS } from './settings/table';

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
 * FULL_BELOW_BYTES free and under FULL_BELOW_FRACTION of the disk. ENOSPC and EDQUOT always do.
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
const FULL_BELOW_FRACTION = 0.05;
/** Below this a disk is reported `full` (readiness fails): not even a small create fits. */
const FULL_LEVEL_BYTES = 1024 * 1024;

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
  return space !== undefined && space.freeBytes < FULL_BELOW_BYTES && space.freeBytes < space.totalBytes * FULL_BELOW_FRACTION;
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
  // A query run in a query process comes back as QUERY_FAILED carrying SQLite's code.
  const queried = isSiloError(error, 'QUERY_FAILED') ? error.details.sqliteCode : undefined;
  if (typeof queried === 'string' && isDiskFull({ code: queried }, dir)) return fullDisk(error, dir);
  if (error instanceof SiloError || !isDiskFull(error, dir)) return error;
  return fullDisk(error, dir);
}

/** DISK_FULL for `error` at `dir`, the caller having found that the disk is what ran out. */
export function fullDisk(error: unknown, dir: string): SiloError {
  const space = diskSpace(dir);
  const free = space ? `${formatBytes(space.freeBytes)} free of ${formatBytes(space.totalBytes)}` : 'its free space is unknown';
  return new SiloError(
    'DISK_FULL',
    `The disk holding ${dir} is full (${free}). Free space there — purge deleted instances (\`silo purge\`), remove old exports, or move the data folder (SILO_DATA_DIR) to a larger disk — then try again. Reads keep working while an app server has the fleet open; with nothing open, SQLite needs about 32 KB free to open a database.`,
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

/** Below this share of free space a disk is reported as nearly full (SILO_DISK_WARN_PERCENT, default 5). */
export function diskWarnPercent(env: NodeJS.ProcessEnv = process.env): number {
  return readSetting(env, 'SILO_DISK_WARN_PERCENT') ?? SETTINGS.SILO_DISK_WARN_PERCENT.fallback;
}

export interface StorageCheck extends FleetFolder {
  readonly freeBytes: number;
  readonly totalBytes: number;
  readonly freePercent: number;
  /** `full`: writes fail now; `low`: under the warning threshold; `ok` otherwise. */
  readonly level: 'ok' | 'low' | 'full';
  /** For people, when the level is not ok. */
  readonly message?: string;
}

/** The free space of each folder, one check per disk (folders on the same disk are reported once). */
export function checkStorage(folders: readonly FleetFolder[], warnPercent: number): StorageCheck[] {
  const checks: StorageCheck[] = [];
  const seen = new Set<string>();
  for (const folder of folders) {
    const space = diskSpace(folder.path);
    if (!space) continue;
    const key = `${folder.kind}:${deviceOf(space.path)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const full = space.freeBytes < FULL_LEVEL_BYTES;
    const level = full ? 'full' : space.freePercent < warnPercent ? 'low' : 'ok';
    const amount = `${formatBytes(space.freeBytes)} free of ${formatBytes(space.totalBytes)} (${space.freePercent.toFixed(1)} %)`;
    checks.push({
      kind: folder.kind,
      label: folder.label,
      path: folder.path,
      freeBytes: space.freeBytes,
      totalBytes: space.totalBytes,
      freePercent: space.freePercent,
      level,
      ...(level === 'full'
        ? { message: `The disk of the ${folder.label} (${folder.path}) is full: ${amount}. ${folder.kind === 'data' ? 'Creates, clones, imports, exports and backups fail until space is freed; reads keep working.' : 'Backups to it fail until space is freed.'}` }
        : level === 'low'
          ? { message: `The disk of the ${folder.label} (${folder.path}) is nearly full: ${amount}, under the ${warnPercent} % warning threshold (SILO_DISK_WARN_PERCENT).` }
          : {}),
    });
  }
  return checks;
}

function deviceOf(dir: string): string {
  try {
    return String(statSync(dir).dev);
  } catch {
    return dir;
  }
}
