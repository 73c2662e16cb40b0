import { reactRouter } from '@react-router/dev/vite';
import { defaultClientConditions, defineConfig } from 'vite';

// The workspace packages ship TypeScript sources and the fleet finds its helper processes
// next to its own files: they stay external in the server build, and the server runs them
// through tsx. (Vite treats linked workspace packages as source, so `ssr.external` alone
// does not keep them out.) React Router 8 always builds through Vite's Environment API, one
// `vite build` for both environments: the server bundle's options go under
// `environments.ssr` (the config function's `isSsrBuild` is no longer set for it).
const workspacePackages = /^@silo\//;

export default defineConfig({
  plugins: [reactRouter()],
  // The workspace packages' TypeScript sources, not their dist/ (see the root vitest.config.ts).
  resolve: { conditions: ['@silo/source', ...defaultClientConditions] },
  environments: { ssr: { build: { rolldownOptions: { external: workspacePackages } } } },
  ssr: { external: ['@silo/fleet', '@silo/web', '@silo/react-router'] },
  server: { host: '127.0.0.1' },
});
