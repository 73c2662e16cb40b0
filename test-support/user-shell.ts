import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * For tests that use Silo as a user installs it (examples/notes, docs/guide.md): the packed
 * tarballs, and commands run in the user's shell rather than the test run's.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const execFileAsync = promisify(execFile);

/** The user's environment: none of the test run's settings, no source condition, no Vitest. */
export const USER_ENV: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !(key.startsWith('SILO_') || key.startsWith('ADMIN_') || key.startsWith('VITEST') || key === 'NODE_OPTIONS' || key === 'PORT')),
);

/** Runs a command in `cwd` as the user would; resolves with its stdout (rejects on a non-zero exit). */
export async function runAsUser(command: string, args: readonly string[], cwd: string): Promise<string> {
  const { stdout } = await execFileAsync(command, args, { cwd, env: USER_ENV, encoding: 'utf8', timeout: 600_000, maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

/** Every Silo tarball (`npm run pack`, rebuilt only when a package's sources are newer), copied into `dir`. */
export async function packedTarballs(dir: string): Promise<void> {
  await runAsUser('node', ['scripts/pack.mjs', '--if-stale', '--copy-to', dir], ROOT);
}
