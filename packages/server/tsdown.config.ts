import { defineConfig } from 'tsdown';

/** One file for the public entry; every package import stays a dependency of the consumer. */
export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: 'esm',
  platform: 'node',
  dts: true,
  sourcemap: true,
  deps: { neverBundle: [/^[^./]/] },
});
