import { defineConfig } from 'tsdown';

/**
 * server.ts as plain JavaScript for the published console. It lands beside build/ (server.mjs
 * at the package root), where it looks for the React Router build, as server.ts does.
 */
export default defineConfig({
  entry: { server: 'server.ts' },
  outDir: '.',
  clean: false,
  format: 'esm',
  platform: 'node',
  dts: false,
  deps: { neverBundle: [/^[^./]/] },
});
