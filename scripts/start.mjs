#!/usr/bin/env node
// `npm start`: the product on the embedded default (local SQLite files under ./data).
// The web apps come in later releases; until then this runs the CLI demo: sample instances
// in two jurisdictions, then the fleet table.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const silo = fileURLToPath(new URL('../packages/cli/bin/silo.mjs', import.meta.url));

/** @param {string[]} args */
function run(...args) {
  const { status } = spawnSync(process.execPath, [silo, ...args], { stdio: 'inherit' });
  if (status !== 0) process.exit(status ?? 1);
}

run('demo');
