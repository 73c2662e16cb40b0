import { buildApp } from './server';

// Both app projects (apps, browser) list this setup, and Vitest runs each project's setup in
// the one main process: the flag there keeps it to one build per run.
const BUILT = Symbol.for('silo.test.todos-built');

/** One fresh build for the whole run; test files reuse it. */
export default function setup(): void {
  const shared = globalThis as { [BUILT]?: true };
  if (shared[BUILT]) return;
  buildApp();
  shared[BUILT] = true;
}
