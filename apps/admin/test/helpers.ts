import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, rmdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const APP_DIR = fileURLToPath(new URL('..', import.meta.url));
const BUILD_ENTRY = path.join(APP_DIR, 'build', 'server', 'index.js');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/** Builds the app once (skipped when the build is newer than the sources); test files share a lock. */
export async function ensureBuilt(): Promise<void> {
  const lock = path.join(APP_DIR, '.build-lock');
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock left by a crashed run (a build takes seconds) is taken over.
      const since = statSync(lock, { throwIfNoEntry: false })?.mtimeMs;
      if (since !== undefined && Date.now() - since > 120_000) rmSync(lock, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  try {
    const fresh = existsSync(BUILD_ENTRY) && statSync(BUILD_ENTRY).mtimeMs > newestSource(path.join(APP_DIR, 'app'));
    if (!fresh) {
      const result = spawnSync(process.execPath, [path.join(APP_DIR, '../../node_modules/@react-router/dev/bin.js'), 'build'], { cwd: APP_DIR, encoding: 'utf8' });
      if (result.status !== 0) throw new Error(`react-router build failed:\n${result.stdout}\n${result.stderr}`);
    }
  } finally {
    rmdirSync(lock);
  }
}

export function tempDataDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'silo-admin-test-'));
}

export interface AdminServer {
  readonly url: string;
  readonly dataDir: string;
  /** Everything the server printed on stdout so far. */
  output(): string;
  stop(): Promise<void>;
}

/** Starts server.ts on 127.0.0.1 and a random port, with SILO_DATA_DIR = dataDir. */
export async function startServer(dataDir: string, env: Record<string, string> = {}): Promise<AdminServer> {
  const clean: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('SILO_') || key.startsWith('ADMIN_') || key === 'NODE_OPTIONS' || key === 'VITEST' || key.startsWith('VITEST_')) continue;
    clean[key] = value;
  }
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'server.ts'], {
    cwd: APP_DIR,
    // The backup scheduler is off unless a test turns it on: it would back up every seeded instance in the background.
    env: { ...clean, SILO_DATA_DIR: dataDir, ADMIN_PORT: '0', ADMIN_HOST: '127.0.0.1', NODE_ENV: 'production', SILO_BACKUPS: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const url = await new Promise<string>((resolve, reject) => {
    const check = (): void => {
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      if (match?.[1]) resolve(match[1]);
    };
    child.stdout?.on('data', check);
    child.on('exit', (code) => reject(new Error(`admin server exited with ${code}:\n${stdout}\n${stderr}`)));
  });
  return {
    url,
    dataDir,
    output: () => stdout,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A minimal browser-like HTTP client: one session cookie, Origin on every request. */
export class Client {
  cookie = '';
  csrf = '';
  constructor(readonly base: string) {}

  async request(pathname: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookie) headers.set('cookie', this.cookie);
    if (!headers.has('origin')) headers.set('origin', this.base);
    const response = await fetch(this.base + pathname, { redirect: 'manual', ...init, headers });
    const setCookie = response.headers.get('set-cookie');
    if (setCookie) {
      const pair = setCookie.split(';')[0] ?? '';
      this.cookie = pair.endsWith('=') ? '' : pair;
    }
    return response;
  }

  get(pathname: string): Promise<Response> {
    return this.request(pathname);
  }

  /** A form POST; the session's CSRF token is added unless `csrf: false`. */
  post(pathname: string, fields: Record<string, string>, options: { csrf?: boolean; origin?: string } = {}): Promise<Response> {
    const body = new URLSearchParams(fields);
    if (options.csrf !== false && this.csrf) body.set('csrf', this.csrf);
    return this.request(pathname, {
      method: 'POST',
      body,
      headers: options.origin ? { origin: options.origin } : {},
    });
  }

  async signIn(email: string, password: string): Promise<Response> {
    const response = await this.post('/login', { email, password, next: '/' }, { csrf: false });
    if (response.status === 302) await this.refreshCsrf();
    return response;
  }

  async refreshCsrf(): Promise<void> {
    const html = await (await this.get('/audit')).text();
    const match = /name="csrf" value="([^"]+)"/.exec(html);
    if (!match?.[1]) throw new Error('no CSRF token on the page');
    this.csrf = match[1];
  }
}

/** Instance names of the table rows, in order. */
export function rowNames(html: string): string[] {
  return [...html.matchAll(/data-instance="([^"]+)"/g)].map((m) => m[1] ?? '');
}

/** HTML text with tags removed and entities for quotes decoded, for `toContain`. */
export function text(html: string): string {
  return html.replace(/<!-- -->/g, '').replace(/<[^>]+>/g, ' ').replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&amp;/g, '&').replace(/\s+/g, ' ');
}
