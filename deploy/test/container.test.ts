/**
 * The container (issue #16): the Dockerfile, compose.yaml and the entrypoint they run. The
 * entrypoint and its health check run here as plain processes; the image itself is built and
 * served only where podman (or buildah) can run, and the test says so when it cannot.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../../apps/todos/test/server';
import { freePort } from '../../test-support/free-port';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ENTRYPOINT = path.join(ROOT, 'deploy/container/entrypoint.mjs');
const HEALTHCHECK = path.join(ROOT, 'deploy/container/healthcheck.mjs');
const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
const temps: string[] = [];

afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'silo-container-test-'));
  temps.push(dir);
  return dir;
}


function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** This file's own probes record, so a stale one (or another run's) is never read. */
const PROBES = path.join(tempDir(), 'probes.json');

function healthy(): boolean {
  return spawnSync(process.execPath, [HEALTHCHECK], { timeout: 10_000, env: { ...process.env, SILO_PROBES_FILE: PROBES } }).status === 0;
}

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('the image definition', () => {
  it('builds in two stages: a compiler and better-sqlite3 in the first, none in the runtime', () => {
    const stages = dockerfile.split(/^FROM /m).slice(1);
    expect(stages).toHaveLength(2);
    const [build = '', runtime = ''] = stages;
    expect(build).toMatch(/AS build/);
    expect(build).toMatch(/g\+\+/);
    expect(build).toMatch(/npm ci/);
    expect(build).toMatch(/better-sqlite3/);
    expect(build).toMatch(/npm run build -w @silo\/todos -w @silo\/admin/);
    expect(runtime).not.toMatch(/g\+\+|apt-get install/);
    expect(runtime).toMatch(/COPY --from=build/);
  });

  it('runs as a non-root user on a /data volume, with a health check and a role argument', () => {
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('FROM '));
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/^VOLUME \["\/data"\]$/m);
    expect(runtime).toMatch(/SILO_DATA_DIR=\/data/);
    expect(runtime).toMatch(/^HEALTHCHECK .*deploy\/container\/healthcheck\.mjs/m);
    expect(runtime).toMatch(/^ENTRYPOINT \["node", "\/app\/deploy\/container\/entrypoint\.mjs"\]$/m);
    expect(runtime).toMatch(/^CMD \["all"\]$/m);
  });

  it('installs with every workspace manifest in place before the sources (npm ci needs them all)', () => {
    const workspaces = ['packages', 'apps'].flatMap((dir) => readdirSync(path.join(ROOT, dir)).map((name) => `${dir}/${name}`));
    for (const workspace of workspaces) expect(dockerfile).toContain(`COPY ${workspace}/package.json ${workspace}/`);
  });

  it('leaves dependencies, data and secrets out of the build context', () => {
    const ignored = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['.git', '**/node_modules', 'data', '**/secret.key', '**/*.db']) expect(ignored).toContain(entry);
  });

  it('composes the TODO app, the admin and silo serve on one volume', () => {
    const compose = readFileSync(path.join(ROOT, 'compose.yaml'), 'utf8');
    for (const role of ['todos', 'admin', 'serve']) expect(compose).toContain(`command: ["${role}"]`);
    expect(compose).toMatch(/- silo-data:\/data/);
    expect(compose.match(/<<: \*silo/g)).toHaveLength(3);
  });
});

describe('the entrypoint, run as the image runs it', () => {
  it('refuses an unknown role with exit code 2', () => {
    const result = spawnSync(process.execPath, [ENTRYPOINT, 'web'], { encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/Unknown role "web": use all, todos, admin, serve/);
  });

  it('runs `silo <command>` against the data folder', () => {
    const dataDir = tempDir();
    const env = { ...process.env, SILO_DATA_DIR: dataDir, SILO_CONFIG: path.join(ROOT, 'silo.config.ts'), SILO_PROBES_FILE: PROBES };
    const listed = JSON.parse(execFileSync(process.execPath, [ENTRYPOINT, 'silo', 'instances', 'list', '--json'], { env, encoding: 'utf8' })) as { total: number };
    expect(listed.total).toBe(0);
  });

  it('serves the TODO app, is healthy once /readyz answers, and stops cleanly on SIGTERM', async () => {
    ensureBuilt();
    const port = await freePort();
    const child = spawn(process.execPath, [ENTRYPOINT, 'todos'], {
      env: { ...process.env, NODE_ENV: 'production', SILO_DATA_DIR: tempDir(), SILO_CONFIG: path.join(ROOT, 'silo.config.ts'), PORT: String(port), HOST: '127.0.0.1', SILO_PROBES_FILE: PROBES },
      stdio: 'ignore',
    });
    try {
      await until(healthy, 'the health check to pass');
      const page = await fetch(`http://127.0.0.1:${port}/`);
      expect(page.status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited(child)).toBe(0);
    // Once the app is gone the same check fails: it probes, it does not just exist.
    expect(healthy()).toBe(false);
  });
});

/** podman if it can run containers here; else buildah if it can build; else undefined. */
function builder(): 'podman' | 'buildah' | undefined {
  if (spawnSync('podman', ['info'], { stdio: 'ignore', timeout: 30_000 }).status === 0) return 'podman';
  if (spawnSync('buildah', ['info'], { stdio: 'ignore', timeout: 30_000 }).status === 0) return 'buildah';
  return undefined;
}

const found = builder();
if (!found) {
  console.warn(
    'container.test.ts: neither podman nor buildah can run on this machine, so the image is not built here. ' +
      'Install podman (Debian: apt-get install podman) and run `npx vitest run deploy/test/container.test.ts` to build and serve it.',
  );
}

describe.skipIf(!found)(`the image, built with ${found ?? 'podman or buildah (not available: skipped)'}`, () => {
  const tag = `localhost/silo-test:${process.pid}`;

  afterAll(() => {
    if (found) spawnSync(found, found === 'podman' ? ['rmi', '-f', tag] : ['rmi', '-f', tag], { stdio: 'ignore' });
  });

  it('builds, loads better-sqlite3 in the runtime stage, and serves /readyz as a non-root user', { timeout: 1_800_000 }, async () => {
    // The docker format: OCI images have no HEALTHCHECK, and podman drops it from them.
    const build = [found === 'podman' ? 'build' : 'bud', '--format', 'docker', '-t', tag, ROOT];
    execFileSync(found ?? 'podman', build, { stdio: ['ignore', 'ignore', 'inherit'], timeout: 1_800_000 });
    if (found === 'buildah') {
      const container = execFileSync('buildah', ['from', tag], { encoding: 'utf8' }).trim();
      try {
        const user = execFileSync('buildah', ['run', container, 'id', '-u'], { encoding: 'utf8' }).trim();
        expect(user).not.toBe('0');
        execFileSync('buildah', ['run', container, 'node', '-e', "new (require('/app/node_modules/better-sqlite3'))(':memory:')"]);
      } finally {
        spawnSync('buildah', ['rm', container], { stdio: 'ignore' });
      }
      return;
    }
    const port = await freePort();
    const name = `silo-test-${process.pid}`;
    execFileSync('podman', ['run', '-d', '--name', name, '-p', `127.0.0.1:${port}:3000`, '-v', `${tempDir()}:/data:U`, tag, 'todos']);
    try {
      await until(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200, 'the container to be ready', 120_000);
      expect(execFileSync('podman', ['exec', name, 'id', '-u'], { encoding: 'utf8' }).trim()).not.toBe('0');
      expect(spawnSync('podman', ['healthcheck', 'run', name]).status).toBe(0);
      expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
    } finally {
      spawnSync('podman', ['rm', '-f', '-t', '30', name], { stdio: 'ignore' });
    }
  });
});
