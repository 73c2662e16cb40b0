// `npm run pack`: builds every publishable package and packs it into dist-packages/, the
// tarballs a fresh project installs (`npm install dist-packages/*.tgz`).
//
// Tests that install the tarballs may run at the same time (pack.test.ts, the notes example):
// a lock keeps two runs from building into the same dist/ folders at once. `--if-stale` skips
// the build when every tarball is newer than every source file of the packages, and
// `--copy-to <dir>` copies the tarballs there before the lock is released, so the copy cannot
// meet another run's rebuild.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync, rmdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist-packages');
const lock = path.join(root, 'dist-packages.lock');

/** In dependency order: each build's declarations read the ones before it from source. */
export const PUBLISHED = ['@silo/fleet', '@silo/web', '@silo/react-router', '@silo/server', '@silo/cli', '@silo/admin'];
/** Their folders, whose files (build output aside) the tarballs are made from. */
const SOURCES = ['packages/fleet', 'packages/web', 'packages/react-router', 'packages/server', 'packages/cli', 'apps/admin'];
/** Build output and installs inside those folders (apps/admin/server.mjs is built from server.ts). */
const OUTPUTS = new Set(['node_modules', 'dist', 'build', '.react-router', 'server.mjs']);

/** @param {string[]} args */
function run(args) {
  const { status } = spawnSync('npm', args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (status !== 0) throw new Error(`npm ${args.join(' ')} failed (exit ${status})`);
}

/** @param {string} dir @returns {number} */
function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (OUTPUTS.has(entry.name)) continue;
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(full) : statSync(full).mtimeMs);
  }
  return newest;
}

function tarballs() {
  try {
    return readdirSync(out).filter((file) => file.endsWith('.tgz'));
  } catch {
    return [];
  }
}

function fresh() {
  const files = tarballs();
  if (files.length !== PUBLISHED.length) return false;
  const oldest = Math.min(...files.map((file) => statSync(path.join(out, file)).mtimeMs));
  return SOURCES.every((dir) => newestSource(path.join(root, dir)) < oldest);
}

async function takeLock() {
  for (;;) {
    try {
      mkdirSync(lock);
      return;
    } catch {
      // A lock left by a crashed run (a full build takes a few minutes) is taken over.
      const since = statSync(lock, { throwIfNoEntry: false })?.mtimeMs;
      if (since !== undefined && Date.now() - since > 900_000) rmSync(lock, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

const { values: options } = parseArgs({ options: { 'if-stale': { type: 'boolean' }, 'copy-to': { type: 'string' } } });

await takeLock();
try {
  if (options['if-stale'] && fresh()) {
    console.log('dist-packages/ is newer than the sources; not rebuilt.');
  } else {
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    for (const name of PUBLISHED) {
      run(['run', '--silent', 'build', '-w', name]);
      run(['pack', '--silent', '-w', name, '--pack-destination', out]);
    }
  }
  const copyTo = options['copy-to'];
  if (copyTo) {
    mkdirSync(copyTo, { recursive: true });
    for (const file of tarballs()) copyFileSync(path.join(out, file), path.join(copyTo, file));
  }
  console.log(tarballs().join('\n'));
} finally {
  rmdirSync(lock);
}
