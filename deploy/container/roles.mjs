// What each role of the container runs and where it answers its health check. One module for
// the entrypoint and the HEALTHCHECK, so the two cannot disagree; plain JavaScript, so the
// health check starts without tsx.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** `node` with the workspace sources resolvable (the `@silo/source` condition) and TypeScript through tsx. */
const NODE_SOURCE = ['--conditions=@silo/source', '--import', 'tsx'];

/**
 * @typedef {{ name: string, args: string[], probe: { port: number, path: string, allowedHosts: string | undefined } | undefined }} Process
 */

/** @param {NodeJS.ProcessEnv} env @param {string} name @param {number} fallback */
function port(env, name, fallback) {
  const raw = env[name]?.trim();
  return raw ? Number(raw) : fallback;
}

/** @param {NodeJS.ProcessEnv} env @returns {Process} */
function todos(env) {
  return {
    name: 'todos',
    args: [...NODE_SOURCE, path.join(ROOT, 'apps/todos/server.ts')],
    probe: { port: port(env, 'PORT', 3000), path: '/readyz', allowedHosts: env['SILO_ALLOWED_HOSTS'] },
  };
}

/** @param {NodeJS.ProcessEnv} env @returns {Process} */
function admin(env) {
  return {
    name: 'admin',
    args: [...NODE_SOURCE, path.join(ROOT, 'apps/admin/server.ts')],
    probe: { port: port(env, 'ADMIN_PORT', 3001), path: '/readyz', allowedHosts: env['ADMIN_ALLOWED_HOSTS'] },
  };
}

const SILO = path.join(ROOT, 'packages/cli/bin/silo.mjs');

/**
 * The processes of a role: `all` (the default: the TODO app and the admin console), `todos`,
 * `admin`, `serve` (the fleet's HTTP API; further arguments go to `silo serve`) or `silo …`
 * (any command, e.g. `silo migrate`, with no health check).
 * @param {string[]} argv @param {NodeJS.ProcessEnv} env @returns {Process[]}
 */
export function processesFor(argv, env) {
  const [role = 'all', ...rest] = argv;
  switch (role) {
    case 'all':
      return [todos(env), admin(env)];
    case 'todos':
      return [todos(env)];
    case 'admin':
      return [admin(env)];
    case 'serve': {
      const portAt = rest.indexOf('--port');
      const servePort = portAt >= 0 ? Number(rest[portAt + 1]) : 7070;
      // In a container the API must listen beyond loopback; a --host given wins.
      const host = rest.includes('--host') ? [] : ['--host', '0.0.0.0'];
      return [{ name: 'serve', args: [SILO, 'serve', ...host, ...rest], probe: { port: servePort, path: '/readyz', allowedHosts: undefined } }];
    }
    case 'silo':
      return [{ name: 'silo', args: [SILO, ...rest], probe: undefined }];
    default:
      throw new Error(`Unknown role "${role}": use all, todos, admin, serve [silo serve options] or silo <command>.`);
  }
}
