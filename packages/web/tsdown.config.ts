import { defineConfig } from 'tsdown';

/** One file per public entry; every package import stays a dependency of the consumer. */
export default defineConfig({
  entry: { index: 'src/index.ts', 'react-router': 'src/react-router.ts', 'raw-http': 'src/raw-http.ts', 'app-server': 'src/app-server.ts', 'error-page': 'src/error-page.ts', 'document-links': 'src/document-links.ts', 'once-form': 'src/once-form.ts' },
  format: 'esm',
  platform: 'node',
  dts: true,
  sourcemap: true,
  deps: { neverBundle: [/^[^./]/] },
});
