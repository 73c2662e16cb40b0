import { statSync } from 'node:fs';
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
