import { defineConfig } from 'tsdown';

/**
 * The command as one JavaScript file, started by bin/silo.mjs. No declarations: the CLI has no
 * importable API. program.ts reads `../package.json` from its own URL, which dist/ keeps.
 */
export default defineConfig({
  entry: { main: 'src/main.ts' },
  format: 'esm',
  platform: 'node',
  dts: false,
  sourcemap: true,
  deps: { neverBundle: [/^[^./]/] },
});
