#!/usr/bin/env node
// The image's HEALTHCHECK: every probe the entrypoint recorded (each app's /readyz) must
// answer 200 within 4 seconds; exit 0 healthy, 1 not. Sent with a Host the app serves, so a
// SILO_ALLOWED_HOSTS naming only the public domain does not turn the check into a 421.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Where the entrypoint records its probes (another path for tests running several at once). */
export const PROBES_FILE = process.env['SILO_PROBES_FILE'] || '/tmp/silo-probes.json';

/** @param {{ port: number, path: string, allowedHosts: string | undefined }} probe @returns {Promise<boolean>} */
export function probe({ port, path, allowedHosts }) {
  const first = allowedHosts?.split(',')[0]?.trim();
  const host = first && first !== '*' ? (first.includes(':') && !first.startsWith('[') ? first : `${first}:${port}`) : `127.0.0.1:${port}`;
  return new Promise((resolve) => {
    const request = http.get({ host: '127.0.0.1', port, path, headers: { host }, timeout: 4_000 }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false));
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  let probes = [];
  try {
    probes = JSON.parse(readFileSync(PROBES_FILE, 'utf8'));
  } catch {
    // Not started through the entrypoint (or not yet): nothing to vouch for.
    process.exit(1);
  }
  // A role without probes (a one-off `silo <command>`) has nothing that could be healthy.
  if (probes.length === 0) process.exit(1);
  const results = await Promise.all(probes.map(probe));
  process.exit(results.every(Boolean) ? 0 : 1);
}
