import { readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';

/** The filesystem a folder is on, as the kernel reports it. */
export interface Filesystem {
  /** `stat`'s device of the folder, as major:minor. */
  readonly device: string;
  /** The mount point holding the folder (from /proc/self/mountinfo), or null when unknown. */
  readonly mountPoint: string | null;
  /** The filesystem type (ext4, xfs, nfs4, tmpfs, overlay, ...), or null when unknown. */
  readonly fsType: string | null;
  /** What is mounted there (a block device, an NFS export, ...), or null when unknown. */
  readonly source: string | null;
}

interface MountEntry {
  readonly device: string;
  readonly mountPoint: string;
  readonly fsType: string;
  readonly source: string;
}

/** `\040` and friends: mountinfo escapes spaces, tabs, newlines and backslashes in paths. */
function unescapeMount(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** The entries of /proc/self/mountinfo (Linux); empty elsewhere. */
export function readMounts(file = '/proc/self/mountinfo'): MountEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const mounts: MountEntry[] = [];
  for (const line of text.split('\n')) {
    // id parent major:minor root mount-point options [optional fields...] - fstype source super-options
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const fields = left.split(' ');
    const [fsType, source] = right.split(' ');
    if (fields.length < 5 || !fsType) continue;
    mounts.push({ device: fields[2] ?? '', mountPoint: unescapeMount(fields[4] ?? ''), fsType, source: unescapeMount(source ?? '') });
  }
  return mounts;
}

/** Linux's dev_t split the way the kernel does (glibc's major()/minor()). */
function majorMinor(dev: bigint): string {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}

/**
 * The filesystem of `folder` (or of its nearest existing parent): its device from `stat`, and
 * the mount it is under, the longest mount point that contains its real path (the last such
 * mount wins, as a later mount hides an earlier one).
 */
export function filesystemOf(folder: string, mounts: readonly MountEntry[] = readMounts()): Filesystem {
  let existing = path.resolve(folder);
  for (;;) {
    try {
      statSync(existing);
      break;
    } catch {
      const parent = path.dirname(existing);
      if (parent === existing) break;
      existing = parent;
    }
  }
  const real = (() => {
    try {
      return realpathSync(existing);
    } catch {
      return existing;
    }
  })();
  const device = majorMinor(statSync(real, { bigint: true }).dev);
  let best: MountEntry | undefined;
  for (const mount of mounts) {
    const inside = mount.mountPoint === '/' || real === mount.mountPoint || real.startsWith(`${mount.mountPoint}/`);
    if (!inside) continue;
    if (!best || mount.mountPoint.length >= best.mountPoint.length) best = mount;
  }
  return { device, mountPoint: best?.mountPoint ?? null, fsType: best?.fsType ?? null, source: best?.source ?? null };
}
