import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './helpers';

export const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'app-config');

/** A project folder in a fresh temp dir: `files` maps relative paths to contents; `copy` maps folders to fixture folders. */
export function project(files: Record<string, string>, copy: Record<string, string> = {}, name = 'my-saas'): string {
  const root = path.join(tempDir('silo-app-config-'), name);
  mkdirSync(root, { recursive: true });
  for (const [target, fixture] of Object.entries(copy)) cpSync(path.join(FIXTURES, fixture), path.join(root, target), { recursive: true });
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
  return root;
}

/** A JSON config file's text. */
export function json(config: unknown): string {
  return JSON.stringify(config, null, 2);
}
