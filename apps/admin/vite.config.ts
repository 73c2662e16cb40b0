import { reactRouter } from '@react-router/dev/vite';
import { defineConfig } from 'vite';

/**
 * The workspace packages are TypeScript run by tsx at runtime (server.ts), and the fleet forks
 * a helper file next to its sources: the server bundle imports them instead of inlining them.
 */
const WORKSPACE_PACKAGES = ['@silo/fleet', '@silo/web', '@silo/web/react-router', '@silo/todo-schema'];

export default defineConfig(({ isSsrBuild }) => ({
  plugins: [reactRouter()],
  ssr: { external: WORKSPACE_PACKAGES },
  build: {
    chunkSizeWarningLimit: 1_000,
    ...(isSsrBuild ? { rollupOptions: { external: WORKSPACE_PACKAGES } } : {}),
  },
}));
