import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// The workspace packages' exports lead consumers to dist/; `@silo/source` leads to the
// TypeScript sources, so tests need no build. Child processes (tsx, the apps' servers) get it
// through NODE_OPTIONS.
const SOURCE_CONDITION = '@silo/source';
// Vitest's own defaults leave out `module` (it may name code Node cannot load, e.g. the AWS SDK's dist-es).
const sourceResolve = { conditions: [SOURCE_CONDITION, ...defaultServerConditions.filter((c) => c !== 'module')], externalConditions: [SOURCE_CONDITION] };
process.env['NODE_OPTIONS'] = `${process.env['NODE_OPTIONS'] ?? ''} --conditions=${SOURCE_CONDITION}`.trim();

export default defineConfig({
  // Vitest gives these two environments resolve options of their own (global setup runs in
  // `__vitest__`, test files in `ssr`): the condition goes into each.
  environments: {
    ssr: { resolve: sourceResolve },
    __vitest__: { resolve: sourceResolve },
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts'],
    // Real files and child processes: generous limits, and no timing assertions anywhere.
    testTimeout: 60_000,
    // App suites build the app (vite) and start its server in beforeAll.
    hookTimeout: 180_000,
    // The TODO app is built once for every suite that serves it.
    globalSetup: ['apps/todos/test/global-setup.ts'],
    pool: 'forks',
  },
});
