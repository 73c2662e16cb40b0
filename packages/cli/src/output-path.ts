import { lstatSync, statSync } from 'node:fs';
import path from 'node:path';

/** What an `-o` path names on disk, by the rules every command that writes files shares. */

/**
 * A folder: one that exists, or any path ending in a separator, which was meant as a folder
 * whether it exists yet or not (path.resolve drops the slash, so `-o out/` would otherwise be
 * written as a file named out).
 */
export function namesFolder(output: string): boolean {
  if (output.endsWith('/') || output.endsWith(path.sep)) return true;
  return kindOf(output) === 'folder';
}

/** What is at `output` now: a folder, something else (a file), or nothing. */
export function kindOf(output: string): 'folder' | 'file' | 'none' {
  try {
    return statSync(output).isDirectory() ? 'folder' : 'file';
  } catch {
    return 'none';
  }
}

/** Whether anything is at `output`, a dangling symbolic link included (which `existsSync` calls nothing). */
export function somethingAt(output: string): boolean {
  try {
    lstatSync(output);
    return true;
  } catch {
    return false;
  }
}

/** Why the system refused to write a file, in words, by its error code. */
const CANNOT_WRITE: Readonly<Record<string, string>> = {
  ENOTDIR: 'a part of its path is a file, not a folder',
  EEXIST: 'a part of its path is a file, not a folder',
  ENOENT: 'its folder cannot be made there',
  EACCES: 'permission denied',
  EPERM: 'not permitted',
  EROFS: 'the file system is read-only',
  EISDIR: 'it is a folder',
  ENAMETOOLONG: 'the path is too long',
};

/**
 * The words for an error writing `file`, when it is the system refusing the path (a file
 * where a folder must be, a read-only place): the user's to fix with another -o, not a bug.
 */
export function cannotWrite(file: string, error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const why = code === undefined ? undefined : CANNOT_WRITE[code];
  return why === undefined ? undefined : `Cannot write ${file}: ${why} (${code}). Choose another file with -o.`;
}
