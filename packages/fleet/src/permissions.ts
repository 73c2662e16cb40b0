import { chmodSync, closeSync, copyFileSync, lstatSync, mkdirSync, openSync, readdirSync, statSync, type Stats } from 'node:fs';
import { chmod, copyFile } from 'node:fs/promises';
import path from 'node:path';
import type { FleetSettings } from './config';

/**
 * Everything under the data folder is the fleet's alone: tenant data, the catalog (admin
 * password hashes), the server secret, backups, staging copies. Folders are 0700 and files
 * 0600, so another account on the machine reads nothing. Entry points set the umask (see
 * `restrictUmask`); the helpers here give the same modes to a library user who does not.
 */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Files and folders made from now on are owner-only; for entry points (CLI, servers, query host). */
export function restrictUmask(): void {
  process.umask(0o077);
}

/**
 * mkdir -p with owner-only folders (only those it creates: existing ones are left to the check).
 * Not `mkdirSync(…, { recursive: true })`: where the system refuses a folder under one that
 * exists with ENOENT (anywhere under /proc), Node's loops forever in the kernel. Here a
 * refusal is thrown.
 */
export function makePrivateDir(dir: string): void {
  try {
    mkdirSync(dir, { mode: PRIVATE_DIR_MODE });
    return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // A folder already there (made meanwhile by another process, too) is the goal.
    if (code === 'EEXIST' && isFolder(dir)) return;
    if (code !== 'ENOENT') throw error;
    const parent = path.dirname(dir);
    if (parent === dir) throw error;
    makePrivateDir(parent);
  }
  try {
    mkdirSync(dir, { mode: PRIVATE_DIR_MODE });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !isFolder(dir)) throw error;
  }
}

function isFolder(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Creates an empty owner-only file if none exists, so that SQLite, which creates a missing
 * database with 0644 and gives its -wal and -shm the database's mode, adopts ours instead.
 */
export function preparePrivateFile(file: string): void {
  try {
    closeSync(openSync(file, 'wx', PRIVATE_FILE_MODE));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

/** copyFileSync gives the copy its source's mode (an upload's 0644, say); ours are owner-only. */
export function copyPrivate(source: string, dest: string): void {
  copyFileSync(source, dest);
  chmodSync(dest, PRIVATE_FILE_MODE);
}

/** copyPrivate on libuv's threads: an import's file may be gigabytes. */
export async function copyPrivateAsync(source: string, dest: string): Promise<void> {
  await copyFile(source, dest);
  await chmod(dest, PRIVATE_FILE_MODE);
}

export interface PermissionReport {
  /** Folders and files that others may read, write or enter. */
  readonly loose: number;
  /** One of them, for the message. */
  readonly example: string | undefined;
  /** How many were tightened (with `fix`). */
  readonly fixed: number;
}

/**
 * Finds folders and files under `roots` whose group or other bits are set, down to `depth`
 * levels (Infinity for everything), and with `fix` makes them 0700/0600. Symbolic links are
 * not followed. Missing roots are skipped.
 */
export function checkPermissions(roots: readonly string[], options: { depth?: number; fix?: boolean } = {}): PermissionReport {
  const depth = options.depth ?? Number.POSITIVE_INFINITY;
  let loose = 0;
  let fixed = 0;
  let example: string | undefined;
  // Roots nest (regions sit inside the data folder): each entry is counted once, and looked
  // into again only when reached at a shallower level, so the depth limit holds from every root.
  const levels = new Map<string, number>();
  const visit = (entry: string, stats: Stats, level: number): void => {
    const earlier = levels.get(entry);
    if (earlier !== undefined && earlier <= level) return;
    levels.set(entry, level);
    if (earlier === undefined && (stats.mode & 0o077) !== 0) {
      loose++;
      example ??= entry;
      if (options.fix) {
        chmodSync(entry, stats.isDirectory() ? PRIVATE_DIR_MODE : PRIVATE_FILE_MODE);
        fixed++;
      }
    }
    if (!stats.isDirectory() || level >= depth) return;
    let children: string[];
    try {
      children = readdirSync(entry);
    } catch {
      return;
    }
    for (const child of children) {
      const childPath = path.join(entry, child);
      const childStats = statOrUndefined(childPath);
      if (childStats && (childStats.isDirectory() || childStats.isFile())) visit(childPath, childStats, level + 1);
    }
  };
  // Windows has no group/other bits to speak of: its modes always look loose.
  if (process.platform === 'win32') return { loose: 0, example: undefined, fixed: 0 };
  for (const root of roots) {
    // A root may be a symbolic link to the real folder (data -> /srv/silo): follow it.
    const stats = statOrUndefined(root, { follow: true });
    if (stats?.isDirectory()) visit(path.resolve(root), stats, 0);
  }
  return { loose, example, fixed };
}

/** The one-line warning for a report with loose entries, naming the fix. */
export function loosePermissionsMessage(report: PermissionReport, roots: readonly string[]): string {
  const outermost = roots.filter((root) => !roots.some((other) => other !== root && isInside(root, other)));
  const where = outermost.map((root) => `"${root}"`).join(' ');
  return (
    `${report.loose} file(s) or folder(s) of the fleet can be read by other users of this machine (e.g. ${report.example ?? '?'}). ` +
    `Fix with \`silo doctor --fix-permissions\`, or \`chmod -R go-rwx ${where}\`.`
  );
}

function isInside(inner: string, outer: string): boolean {
  const relative = path.relative(outer, inner);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

function statOrUndefined(file: string, options: { follow?: boolean } = {}): Stats | undefined {
  try {
    return options.follow ? statSync(file) : lstatSync(file);
  } catch {
    return undefined;
  }
}

/** The folders that hold the fleet's files: data, regions, local backup folders (no duplicates). */
export function fleetRoots(settings: FleetSettings): string[] {
  const roots = [settings.dataDir, ...settings.regions.map((region) => region.dataDir)];
  if (settings.catalog.kind === 'file') roots.push(path.dirname(settings.catalog.file));
  for (const location of [...settings.backups.locations.values(), settings.backups.catalogLocation]) {
    if (location.kind === 'folder') roots.push(location.path);
  }
  return [...new Set(roots.map((root) => path.resolve(root)))];
}

/**
 * On open, only the top two levels of each root are looked at (the catalog, the secret, the
 * region and shard folders: a few hundred entries, whatever the fleet's size). That is enough
 * to judge access: a file inside an owner-only folder cannot be reached by anyone else.
 * `silo doctor` looks at everything.
 */
export const STARTUP_CHECK_DEPTH = 2;

const warned = new Set<string>();

/** By default a process warning (code SILO_LOOSE_PERMISSIONS), which servers' logs keep. */
function emitProcessWarning(message: string): void {
  process.emitWarning(message, { code: 'SILO_LOOSE_PERMISSIONS' });
}

/**
 * Warns once per process and data folder, in one line, when the fleet's files are looser than
 * owner-only. `warn` lets a caller show it its own way (the CLI: `silo: warning: ...`).
 */
export function warnLoosePermissions(settings: FleetSettings, warn: (message: string) => void = emitProcessWarning): PermissionReport {
  const roots = fleetRoots(settings);
  const report = checkPermissions(roots, { depth: STARTUP_CHECK_DEPTH });
  if (report.loose > 0 && !warned.has(settings.dataDir)) {
    warned.add(settings.dataDir);
    warn(loosePermissionsMessage(report, roots));
  }
  return report;
}
