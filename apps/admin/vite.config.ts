import { reactRouter } from '@react-router/dev/vite';
import { defaultClientConditions, defineConfig } from 'vite';

/**
 * The workspace packages are TypeScript run by tsx at runtime (server.ts), and the fleet forks
 * a helper file next to its sources: the server bundle imports them instead of inlining them.
 * React Router 8 always builds through Vite's Environment API (one `vite build` for both
 * environments), so the server bundle's options go under `environments.ssr`.
 */
const WORKSPACE_PACKAGES = ['@silo/fleet', '@silo/fleet/internal', '@silo/web', '@silo/web/react-router'];

export default defineConfig({
  plugins: [reactRouter()],
  // The workspace packages' TypeScript sources, not their dist/ (see the root vitest.config.ts).
  resolve: { conditions: ['@silo/source', ...defaultClientConditions] },
  ssr: { external: WORKSPACE_PACKAGES },
  build: { chunkSizeWarningLimit: 1_000 },
  environments: { ssr: { build: { rolldownOptions: { external: WORKSPACE_PACKAGES } } } },
});
