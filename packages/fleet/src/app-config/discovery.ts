import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { SiloError } from '../errors';

/** Looked for in this order in each folder; two in one folder is an error, not a silent pick. */
export const CONFIG_FILE_NAMES = ['silo.config.ts', 'silo.config.mts', 'silo.config.mjs', 'silo.config.js', 'silo.config.json'] as const;

const EXTENSIONS = new Set(CONFIG_FILE_NAMES.map((name) => path.extname(name)));

export interface ConfigSearchOptions {
  /** Where the search starts and relative paths are resolved; default `process.cwd()`. */
  readonly cwd?: string;
  /** SILO_CONFIG is read from here; default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** An explicit file (`--config`): used as given, never searched for. */
  readonly path?: string;
}

export interface FoundConfig {
  /** Absolute path of the config file. */
  readonly path: string;
  readonly via: 'option' | 'env' | 'search';
}

/**
 * The app's config file: `--config` (`options.path`), else SILO_CONFIG, else the first folder
 * from `cwd` up to the filesystem root holding a `silo.config.*`, like eslint, vite and
 * wrangler find theirs. Undefined when there is none, so a caller can fall back; a named file
 * that does not exist is an error.
 */
export function findConfigFile(options: ConfigSearchOptions = {}): FoundConfig | undefined {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const env = options.env ?? process.env;
  if (options.path) return { path: namedFile(cwd, options.path, '--config'), via: 'option' };
  const fromEnv = env['SILO_CONFIG']?.trim();
  if (fromEnv) return { path: namedFile(cwd, fromEnv, 'SILO_CONFIG'), via: 'env' };
  for (let folder = cwd; ; folder = path.dirname(folder)) {
    const present = CONFIG_FILE_NAMES.map((name) => path.join(folder, name)).filter(isFile);
    if (present.length > 1) {
      throw new SiloError('CONFIG_INVALID', `${folder} holds ${present.map((file) => path.basename(file)).join(' and ')}; keep one config file there, or choose one with --config.`);
    }
    if (present[0]) return { path: present[0], via: 'search' };
    if (path.dirname(folder) === folder) return undefined;
  }
}

/** The message of a search that found nothing: where it looked and what to write. */
export function configNotFoundMessage(cwd: string): string {
  const start = path.resolve(cwd);
  const root = path.parse(start).root;
  return [
    `No silo.config.ts (or .mts, .mjs, .js, .json) in ${start} or any folder above it up to ${root}.`,
    'Create silo.config.ts in your project folder:',
    "  import { defineConfig } from '@silo/fleet';",
    "  export default defineConfig({ schema: { migrations: './migrations' } });",
    'or name a file with --config <file> or SILO_CONFIG=<file>.',
  ].join('\n');
}

function namedFile(cwd: string, file: string, via: string): string {
  const resolved = path.resolve(cwd, file);
  if (!isFile(resolved)) {
    throw new SiloError('CONFIG_INVALID', `${via} names ${resolved}, which ${existsSync(resolved) ? 'is not a file' : 'does not exist'}.`);
  }
  if (!EXTENSIONS.has(path.extname(resolved))) {
    throw new SiloError('CONFIG_INVALID', `${via} names ${resolved}; a config file ends in ${[...EXTENSIONS].join(', ')}.`);
  }
  return resolved;
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
