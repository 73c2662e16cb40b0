import { reactRouter } from '@react-router/dev/vite';
import { defaultClientConditions, defineConfig } from 'vite';

// As apps/todos/vite.config.ts: @silo/web stays external and runs from its TypeScript sources.
const workspacePackages = /^@silo\//;

export default defineConfig({
  plugins: [reactRouter()],
  resolve: { conditions: ['@silo/source', ...defaultClientConditions] },
  environments: { ssr: { build: { rolldownOptions: { external: workspacePackages } } } },
  ssr: { external: ['@silo/web'] },
});
