#!/usr/bin/env node
// The container's entrypoint: `all` (default), `todos`, `admin`, `serve [options]` or
// `silo <command>`. It runs the role's processes, forwards SIGTERM/SIGINT to them (each shuts
// down gracefully), and exits when one exits, with its code, so the container restarts as a
// whole. It records the role's probes for healthcheck.mjs.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { processesFor } from './roles.mjs';
import { PROBES_FILE } from './healthcheck.mjs';

let processes;
try {
  processes = processesFor(process.argv.slice(2), process.env);
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(2);
}
writeFileSync(PROBES_FILE, JSON.stringify(processes.flatMap((entry) => (entry.probe ? [entry.probe] : []))));

const children = processes.map((entry) => spawn(process.execPath, entry.args, { stdio: 'inherit' }));
let stopping = false;
/** @param {NodeJS.Signals} signal */
const stop = (signal) => {
  stopping = true;
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill(signal);
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));

let remaining = children.length;
for (const child of children) {
  child.on('exit', (code, signal) => {
    // One process gone takes the others down: a half-running container would pass as healthy.
    if (!stopping) stop('SIGTERM');
    if (process.exitCode === undefined || process.exitCode === 0) process.exitCode = code ?? (signal ? 1 : 0);
    remaining -= 1;
    if (remaining === 0) process.exit();
  });
}
