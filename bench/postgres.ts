import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { createServer } from 'node:net';
import { log } from './setup';

/**
 * A throwaway PostgreSQL on loopback for the shared-database comparison: Debian's server,
 * installed by apt when missing, a fresh cluster in a temp folder, trust auth, gone after.
 * synchronous_commit=off matches the tenants' synchronous=NORMAL: a crash may lose the last
 * commits, never corrupts.
 */
export interface Postgres {
  readonly url: string;
  stop(): void;
}

function binDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const version = readdirSync(root).sort((a, b) => Number(b) - Number(a))[0];
  return version ? path.join(root, version, 'bin') : undefined;
}

function ensureInstalled(): string {
  let bin = binDir();
  if (!bin) {
    log('  installing Debian postgresql (apt-get)…');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'postgresql'], { stdio: 'inherit', env });
    bin = binDir();
  }
  if (!bin) throw new Error('PostgreSQL is not installed and apt-get could not install it.');
  return bin;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function startPostgres(): Promise<Postgres> {
  const bin = ensureInstalled();
  const dir = mkdtempSync(path.join(tmpdir(), 'silo-bench-pg-'));
  const port = await freePort();
  // PostgreSQL refuses to run as root: run it as the postgres user the package created.
  const asRoot = userInfo().uid === 0;
  const run = (command: string, args: string[]): void => {
    const result = asRoot
      ? spawnSync('runuser', ['-u', 'postgres', '--', path.join(bin, command), ...args], { encoding: 'utf8' })
      : spawnSync(path.join(bin, command), args, { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr || result.stdout}`);
  };
  if (asRoot) {
    const { uid, gid } = { uid: Number(execFileSync('id', ['-u', 'postgres']).toString()), gid: Number(execFileSync('id', ['-g', 'postgres']).toString()) };
    chownSync(dir, uid, gid);
    chmodSync(dir, 0o700);
  }
  const data = path.join(dir, 'data');
  run('initdb', ['-D', data, '--auth=trust', '--username=bench', '--no-sync', '-E', 'UTF8']);
  run('pg_ctl', ['-D', data, '-l', path.join(dir, 'log'), '-w', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c synchronous_commit=off`, 'start']);
  log(`  postgres on 127.0.0.1:${port}`);
  return {
    url: `postgres://bench@127.0.0.1:${port}/postgres`,
    stop: () => {
      try {
        run('pg_ctl', ['-D', data, '-w', '-m', 'fast', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
