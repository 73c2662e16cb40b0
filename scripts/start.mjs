#!/usr/bin/env node
// `npm start`: Silo on the embedded default (local SQLite files under ./data), nothing else
// to run. Builds the web apps when their build is missing or older than their sources, seeds
// demo instances into an empty fleet, then serves the apps until Ctrl+C.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
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

/** The web apps and where they listen; each is a workspace with `build` and `start` scripts. */
const todosUrl = `http://${process.env['HOST'] || '127.0.0.1'}:${process.env['PORT'] ?? 3000}`;
const apps = [
  { workspace: '@silo/todos', dir: 'apps/todos', url: todosUrl, what: 'TODO app' },
  { workspace: '@silo/admin', dir: 'apps/admin', url: `http://${process.env['ADMIN_HOST'] ?? '127.0.0.1'}:${process.env['ADMIN_PORT'] ?? 3001}`, what: 'admin console' },
];

// The config's app links say port 3000: follow the TODO app when HOST or PORT moves it.
if ((process.env['HOST'] || process.env['PORT']) && !process.env['SILO_APP_URL'] && !process.env['TODOS_URL']) {
  process.env['SILO_APP_URL'] = `${todosUrl}/t/{name}`;
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

const listed = spawnSync(process.execPath, [silo, 'instances', 'list', '--json', '--limit', '1'], { cwd: root, encoding: 'utf8' });
if (listed.status === 0 && JSON.parse(listed.stdout).total === 0) run(process.execPath, [silo, 'demo']);

const children = apps.map((app) => spawn('npm', ['run', '--silent', 'start', '-w', app.workspace], { stdio: 'inherit', cwd: root }));
console.log(`\nSilo is running on local SQLite files in ${process.env['SILO_DATA_DIR']}:`);
for (const app of apps) console.log(`  ${app.what.padEnd(14)} ${app.url}`);
console.log('  command line   npx silo --help');
console.log(
  `Sign in to the admin console as ${process.env['ADMIN_EMAIL'] ?? 'admin@localhost'}: its password is printed below on the first start only` +
    ' (or set ADMIN_PASSWORD); forgot it? npx silo admin reset-password <email>.',
);
console.log('Demo lists sign in with the owner and one-time password that `silo demo` printed above.\nCtrl+C stops everything.\n');

const stop = () => {
  for (const child of children) child.kill('SIGTERM');
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
for (const child of children) child.on('exit', (code) => {
  stop();
  process.exitCode = code ?? 0;
});
