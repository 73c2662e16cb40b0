import { reactRouter } from '@react-router/dev/vite';
import { defineConfig } from 'vite';

/**
 * The workspace packages are TypeScript run by tsx at runtime (server.ts), and the fleet forks
 * a helper file next to its sources: the server bundle imports them instead of inlining them.
 * React Router 8 always builds through Vite's Environment API (one `vite build` for both
 * environments), so the server bundle's options go under `environments.ssr`.
 */
const WORKSPACE_PACKAGES = ['@silo/fleet', '@silo/web', '@silo/web/react-router'];

export default defineConfig({
  plugins: [reactRouter()],
  ssr: { external: WORKSPACE_PACKAGES },
  build: { chunkSizeWarningLimit: 1_000 },
  environments: { ssr: { build: { rolldownOptions: { external: WORKSPACE_PACKAGES } } } },
});
