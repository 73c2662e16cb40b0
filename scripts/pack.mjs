// `npm run pack`: builds every publishable package and packs it into dist-packages/, the
// tarballs a fresh project installs (`npm install dist-packages/*.tgz`).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist-packages');

/** In dependency order: each build's declarations read the ones before it from source. */
export const PUBLISHED = ['@silo/fleet', '@silo/web', '@silo/react-router', '@silo/cli', '@silo/admin'];

/** @param {string[]} args */
function run(args) {
  const { status } = spawnSync('npm', args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (status !== 0) throw new Error(`npm ${args.join(' ')} failed (exit ${status})`);
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
for (const name of PUBLISHED) {
  run(['run', '--silent', 'build', '-w', name]);
  run(['pack', '--silent', '-w', name, '--pack-destination', out]);
}
console.log(readdirSync(out).join('\n'));
