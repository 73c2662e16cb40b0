import { defineConfig } from 'tsdown';

/**
 * The fleet's JavaScript for consumers. The query host runs as a child process by URL
 * (`new URL('./query-host.mjs', import.meta.url)`), so it and its statement guard are entries of
 * their own, emitted unbundled next to the bundle under the same names; the bundle imports
 * the guard from there instead of copying it. The SQLite worker thread's module
 * (`off-thread-host.mjs`) and the migration thread (pool/migrate-thread.mjs, with the migration
 * steps it shares with the fleet) start by URL the same way, and so does the memory watcher
 * those processes preload (memory/memory-watcher.mjs).
 */
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    schema: 'src/schema.ts',
    format: 'src/format.ts',
    'unsafe-chars': 'src/unsafe-chars.ts',
    internal: 'src/internal.ts',
    // A child process started by path (engines/check-process.ts), with the checks it runs.
    'check-process-host': 'src/engines/check-process-host.ts',
  },
  format: 'esm',
  platform: 'node',
  dts: true,
  sourcemap: true,
  unbundle: false,
  copy: [
    { from: 'src/query/query-host.mjs', to: 'dist' },
    { from: 'src/query/statement-guard.mjs', to: 'dist' },
    { from: 'src/off-thread/off-thread-host.mjs', to: 'dist' },
    // query-host.mjs imports it by this name; the bundle's own copy is a hashed chunk.
    { from: 'src/query/split-statements.mjs', to: 'dist' },
    { from: 'src/memory/memory-watcher.mjs', to: 'dist' },
    { from: 'src/pool/migrate-thread.mjs', to: 'dist' },
    { from: 'src/pool/migrate-steps.mjs', to: 'dist' },
  ],
  deps: { neverBundle: [/^[^./]/] },
});
