import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts'],
    // Real files and child processes: generous limits, and no timing assertions anywhere.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
