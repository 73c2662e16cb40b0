#!/usr/bin/env node
// `npm start`: Silo on the embedded default (local SQLite files under ./data), nothing else
// to run. Builds the web apps when their build is missing or older than their sources, seeds
// demo instances into an empty fleet, then serves the apps until Ctrl+C. The URLs are printed
// once both ports listen (each server says so over IPC); a busy port is one line and exit 1.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// Everything this process and its children write (databases, WALs, backups, staging, secrets) is owner-only.
process.umask(0o077);
// Workspace scripts run in their own folder: pin the data folder to an absolute path first.
process.env['SILO_DATA_DIR'] = path.resolve(process.env['SILO_DATA_DIR'] ?? 'data');
// The apps find the demo's silo.config.ts by searching up from their folders; a config named
// here is pinned too.
if (process.env['SILO_CONFIG']) process.env['SILO_CONFIG'] = path.resolve(process.env['SILO_CONFIG']);
const silo = path.join(root, 'packages/cli/bin/silo.mjs');

/** The web apps and where they listen; each is a workspace with a `build` script and a server.ts. */
const todos = { workspace: '@silo/todos', dir: 'apps/todos', what: 'TODO app', host: process.env['HOST'] || '127.0.0.1', port: process.env['PORT'] || '3000', portVariable: 'PORT', name: 'silo todos' };
const admin = {
  workspace: '@silo/admin',
  dir: 'apps/admin',
  what: 'admin console',
  host: process.env['ADMIN_HOST'] || '127.0.0.1',
  port: process.env['ADMIN_PORT'] || '3001',
  portVariable: 'ADMIN_PORT',
  name: 'silo admin',
};
const apps = [todos, admin];

/**
 * Before building anything: a port another process holds is one line naming it and its
 * variable, and exit 1 (the servers check again when they listen, for a port taken meanwhile).
 * @param {{ host: string, port: string, portVariable: string, name: string }} app
 * @returns {Promise<string | undefined>} the problem, if any
 */
function portProblem(app) {
  if (app.port === '0') return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (/** @type {NodeJS.ErrnoException} */ error) =>
      resolve(
        error.code === 'EADDRINUSE'
          ? `port ${app.port} on ${app.host} is already in use (${app.portVariable}): stop the other server or set ${app.portVariable} to a free port`
          : undefined,
      ),
    );
    probe.listen(Number(app.port), app.host, () => probe.close(() => resolve(undefined)));
  });
}

for (const app of apps) {
  const problem = await portProblem(app);
  if (problem) {
    console.error(`${app.name}: could not start: ${problem}`);
    process.exit(1);
  }
}

/** @param {string} dir @returns {number} newest modification time below `dir` */
function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) latest = Math.max(latest, statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return latest;
}

/** @param {string} command @param {string[]} args */
function run(command, args) {
  const { status } = spawnSync(command, args, { stdio: 'inherit', cwd: root });
  if (status !== 0) process.exit(status ?? 1);
}

for (const app of apps) {
  const build = path.join(root, app.dir, 'build/server/index.js');
  if (!existsSync(build) || statSync(build).mtimeMs < newest(path.join(root, app.dir, 'app'))) {
    console.log(`Building the ${app.what}…`);
    run('npm', ['run', '--silent', 'build', '-w', app.workspace]);
  }
}

/**
 * Whether the fleet has no instance yet. A fresh checkout has no data folder at all, which the
 * CLI refuses to list (DATA_DIR_MISSING): that first start is the one the demo is for. Any
 * other failure to list is printed and stops the start, not skipped in silence.
 * @returns {boolean}
 */
function fleetIsEmpty() {
  const listed = spawnSync(process.execPath, [silo, 'instances', 'list', '--json', '--limit', '1'], { cwd: root, encoding: 'utf8' });
  if (listed.status === 0) return JSON.parse(listed.stdout).total === 0;
  if (/"code":\s*"DATA_DIR_MISSING"/.test(listed.stderr)) return true;
  process.stderr.write(listed.stderr);
  process.exit(listed.status ?? 1);
}

const seedDemo = fleetIsEmpty();
if (seedDemo) run(process.execPath, [silo, 'demo']);

/** @type {import('node:child_process').ChildProcess[]} */
const children = [];
let stopping = false;
const stop = () => {
  stopping = true;
  for (const child of children) child.kill('SIGTERM');
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

/**
 * Starts an app's server and resolves with its URL once its port listens; a server that exits
 * first (it printed why) stops the others and this script with its exit code.
 * @param {typeof apps[number]} app @param {NodeJS.ProcessEnv} env @returns {Promise<string>}
 */
function startApp(app, env) {
  const child = spawn(process.execPath, ['--conditions=@silo/source', '--import', 'tsx', 'server.ts'], {
    cwd: path.join(root, app.dir),
    env,
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
  });
  children.push(child);
  return new Promise((resolve) => {
    child.on('message', (/** @type {{ type?: string, url?: string }} */ message) => {
      if (message?.type === 'silo:listening' && message.url) resolve(message.url);
    });
    child.on('exit', (code, signal) => {
      const others = children.filter((other) => other !== child && other.exitCode === null);
      if (!stopping) stop();
      process.exitCode = code ?? (signal === 'SIGTERM' || signal === 'SIGINT' ? 0 : 1);
      if (others.length === 0) process.exit(process.exitCode);
    });
  });
}

const todosUrl = await startApp(todos, { ...process.env, HOST: todos.host, PORT: todos.port });
// The admin's links go to the TODO app where it really listens (PORT=0 included), unless set.
/** @type {NodeJS.ProcessEnv} */
const adminEnv = { ...process.env, ADMIN_HOST: admin.host, ADMIN_PORT: admin.port };
if (!process.env['SILO_APP_URL'] && !process.env['TODOS_URL']) adminEnv['SILO_APP_URL'] = `${todosUrl}/t/{name}`;
const adminUrl = await startApp(admin, adminEnv);

console.log(`\nSilo is running on local SQLite files in ${process.env['SILO_DATA_DIR']}:`);
console.log(`  ${todos.what.padEnd(14)} ${todosUrl}`);
console.log(`  ${admin.what.padEnd(14)} ${adminUrl}`);
console.log('  command line   npx silo --help');
console.log(
  `Sign in to the admin console as ${process.env['ADMIN_EMAIL'] ?? 'admin@localhost'}: its password is printed above on the first start only` +
    ' (or set ADMIN_PASSWORD); forgot it? npx silo admin reset-password <email>.',
);
if (seedDemo) console.log('Demo lists sign in with the owner and one-time password that `silo demo` printed above.');
console.log('Ctrl+C stops everything.\n');
