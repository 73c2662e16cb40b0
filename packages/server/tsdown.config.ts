import { defineConfig } from 'tsdown';

/**
 * The public entry, plus the libSQL endpoint's stream host, which runs as a child process found
 * beside the bundle (`stream-host.mjs`). Every package import stays a dependency of the
 * consumer, except the Turso stand-in's Hrana protocol code: that package is private (a test
 * tool), so its pure protocol modules are bundled in.
 */
export default defineConfig({
  entry: { index: 'src/index.ts', 'stream-host': 'src/libsql/stream-host.ts' },
  format: 'esm',
  platform: 'node',
  dts: true,
  sourcemap: true,
  deps: { neverBundle: [/^(?!@silo\/turso-standin)[^./]/] },
});
