import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * The `execArgv` a child (a process or a worker thread) needs to run one of our TypeScript
 * modules: from sources (tests, `npm start`, `moduleUrl` ends in .ts) the workspace's source
 * condition and tsx; from a build, nothing. tsx is resolved from here, not from the working
 * folder, which may be any folder (`silo` runs where the operator is).
 */
export function sourceExecArgv(moduleUrl: string): string[] {
  if (!moduleUrl.endsWith('.ts')) return [];
  return ['--conditions=@silo/source', '--import', pathToFileURL(createRequire(moduleUrl).resolve('tsx')).href];
}

/** The path of a child's module beside `moduleUrl`: `name.ts` from sources, `name.mjs` in a build. */
export function childModulePath(moduleUrl: string, name: string): string {
  return fileURLToPath(new URL(`./${name}${moduleUrl.endsWith('.ts') ? '.ts' : '.mjs'}`, moduleUrl));
}
