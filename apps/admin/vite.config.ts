import { reactRouter } from '@react-router/dev/vite';
import { defaultClientConditions, defineConfig } from 'vite';

/**
 * The workspace packages are TypeScript run by tsx at runtime (server.ts), and the fleet forks
 * a helper file next to its sources: the server bundle imports them instead of inlining them.
 * React Router 8 always builds through Vite's Environment API (one `vite build` for both
 * environments), so the server bundle's options go under `environments.ssr`. Every @silo/*
 * import is external, subpaths included (`@silo/fleet/format`): an exact list left those to
 * the server bundle, which on a fresh clone (no dist/) could not resolve them.
 */
const workspacePackages = /^@silo\//;

export default defineConfig({
  plugins: [reactRouter()],
  // The workspace packages' TypeScript sources, not their dist/ (see the root vitest.config.ts).
  resolve: { conditions: ['@silo/source', ...defaultClientConditions] },
  ssr: { external: ['@silo/fleet', '@silo/server', '@silo/web'] },
  build: { chunkSizeWarningLimit: 1_000 },
  environments: { ssr: { build: { rolldownOptions: { external: workspacePackages } } } },
});
