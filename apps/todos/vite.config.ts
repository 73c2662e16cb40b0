import { reactRouter } from '@react-router/dev/vite';
import { defineConfig } from 'vite';

// The workspace packages ship TypeScript sources and the fleet finds its helper processes
// next to its own files: they stay external in the server build, and the server runs them
// through tsx. (Vite treats linked workspace packages as source, so `ssr.external` alone
// does not keep them out.)
const workspacePackages = /^@silo\//;

export default defineConfig(({ isSsrBuild }) => ({
  plugins: [reactRouter()],
  build: isSsrBuild ? { rollupOptions: { external: workspacePackages } } : {},
  ssr: { external: ['@silo/fleet', '@silo/todo-schema', '@silo/web'] },
  server: { host: '127.0.0.1' },
}));
