import { defineConfig } from 'tsdown';

/** The package's one entry; every package import stays a dependency of the consumer. */
export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: 'esm',
  platform: 'node',
  dts: true,
  sourcemap: true,
  deps: { neverBundle: [/^[^./]/] },
});
