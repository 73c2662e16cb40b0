import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The published packages as a user gets them: `npm run pack`, then the tarballs installed into
 * a fresh folder with plain npm, run with plain node (no tsx, no @silo/source condition).
 * Slow (builds, and installs from the registry): run with `npm run test:pack`, not in the fast tier.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const PACKAGES = path.join(ROOT, 'dist-packages');
// The user's shell, not ours: no source condition, no tsx.
const env = { ...process.env };
delete env['NODE_OPTIONS'];

let project: string;

function run(command: string, args: string[], cwd = project): string {
  return execFileSync(command, args, { cwd, env, encoding: 'utf8', timeout: 300_000 });
}

beforeAll(() => {
  run('node', ['scripts/pack.mjs'], ROOT);
  project = mkdtempSync(path.join(tmpdir(), 'silo-pack-'));
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'pack-smoke', private: true, type: 'module' }));
  const tarballs = readdirSync(PACKAGES).filter((file) => file.endsWith('.tgz')).map((file) => path.join(PACKAGES, file));
  run('npm', ['install', '--no-audit', '--no-fund', ...tarballs]);
}, 600_000);

afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

describe('the packed tarballs, installed into a fresh folder', () => {
  it('run `silo --version` from the built JavaScript', () => {
    expect(run('npx', ['--no-install', 'silo', '--version']).trim()).toBe('0.1.0');
  });

  it('import @silo/fleet and its browser-safe subpaths with plain node', () => {
    const script = "const f = await import('@silo/fleet'); const s = await import('@silo/fleet/schema'); const b = await import('@silo/fleet/format'); console.log(typeof f.openFleet, typeof s.defineTenantSchema, b.formatBytes(2048));";
    expect(run('node', ['--input-type=module', '-e', script]).trim()).toBe('function function 2.0 KB');
  });

  it('load a silo.config.ts that imports @silo/fleet, with plain node', () => {
    writeFileSync(
      path.join(project, 'silo.config.ts'),
      [
        "import { defineConfig, defineTenantSchema, type Migration } from '@silo/fleet';",
        "const migrations: Migration[] = [{ version: 1, name: 'init', sql: 'CREATE TABLE notes (id INTEGER PRIMARY KEY)' }];",
        "export default defineConfig({ schema: defineTenantSchema({ id: 'notes', migrations }) });",
      ].join('\n'),
    );
    const script = "const { loadSiloConfig } = await import('@silo/fleet'); const c = await loadSiloConfig({ cwd: process.cwd() }); console.log(c.fleet.schema.id, c.fleet.schema.latestVersion);";
    expect(run('node', ['--input-type=module', '-e', script]).trim()).toBe('notes 1');
  });

  it('name the package to install when an optional peer is missing', () => {
    const script = "const { S3Store } = await import('@silo/fleet/internal'); try { new S3Store({ kind: 's3', bucket: 'b', region: 'r', forcePathStyle: false }); } catch (e) { console.log(e.message); }";
    expect(run('node', ['--input-type=module', '-e', script])).toMatch(/npm install @aws-sdk\/client-s3/);
  });

  it('serve the admin console from its built files (silo-admin)', async () => {
    expect(readdirSync(path.join(project, 'node_modules/@silo/admin/build'))).toEqual(expect.arrayContaining(['client', 'server']));
    const dataDir = path.join(project, 'data');
    mkdirSync(dataDir, { mode: 0o700 });
    const bin = path.join(project, 'node_modules/.bin/silo-admin');
    const adminEnv = { ...env, SILO_DATA_DIR: dataDir, ADMIN_PORT: '0', ADMIN_HOST: '127.0.0.1', NODE_ENV: 'production', SILO_BACKUPS: 'off' };
    const child = spawn(bin, [], { cwd: project, env: adminEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let output = '';
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          output += chunk;
          const match = /listening on (http:\/\/\S+)/.exec(output);
          if (match?.[1]) resolve(match[1]);
        });
        child.on('exit', (code) => reject(new Error(`silo-admin exited with ${code}: ${output}`)));
      });
      const response = await fetch(url, { redirect: 'manual' });
      expect([200, 302, 303]).toContain(response.status);
    } finally {
      child.kill();
    }
  });
});
