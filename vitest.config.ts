import { defineConfig } from 'vitest/config';

export default defineConfig({
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
