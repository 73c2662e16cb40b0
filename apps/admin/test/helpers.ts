import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, rmdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { openFleet } from '@silo/fleet';
import { TODO_CONFIG, todoConfig, todoSchema } from '../../todos/test/todo-config';

export const APP_DIR = fileURLToPath(new URL('..', import.meta.url));

export { TODO_CONFIG, todoConfig, todoSchema };
export { launchChromium } from '../../../packages/web/test/chromium';
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
    // The build's configuration counts as a source too (route discovery, for one).
    const sources = Math.max(newestSource(path.join(APP_DIR, 'app')), ...['react-router.config.ts', 'vite.config.ts'].map((file) => statSync(path.join(APP_DIR, file)).mtimeMs));
    const fresh = existsSync(BUILD_ENTRY) && statSync(BUILD_ENTRY).mtimeMs > sources;
    if (!fresh) {
      const result = spawnSync(process.execPath, [path.join(APP_DIR, '../../node_modules/@react-router/dev/bin.cjs'), 'build'], {
        cwd: APP_DIR,
        encoding: 'utf8',
        // Vitest runs with NODE_ENV=test, which Vite would bake into a development React bundle:
        // the tests serve the production build that `npm start` serves.
        env: { ...process.env, NODE_ENV: 'production' },
      });
      if (result.status !== 0) throw new Error(`react-router build failed:\n${result.stdout}\n${result.stderr}`);
    }
  } finally {
    rmdirSync(lock);
  }
}

export function tempDataDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'silo-admin-test-'));
}

/**
 * A real .sqlite export of an instance holding `rows` todos (titles of `titleLength`
 * characters), made by a fleet of its own under `dir`; returns the file's path.
 */
export async function todoExport(dir: string, rows: number, titleLength = 20): Promise<string> {
  const fleet = await openFleet({ schema: await todoSchema(), dataDir: mkdtempSync(path.join(dir, 'export-fleet-')) });
  try {
    await fleet.create('exported', { jurisdiction: 'eu', actor: 'seed' });
    for (let done = 0; done < rows; ) {
      const batch = Math.min(10_000, rows - done);
      const sql = `INSERT INTO todos (title, completed, created_at, updated_at)
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${batch})
        SELECT substr(hex(randomblob(${Math.ceil(titleLength / 2)})), 1, ${titleLength}), i % 2, 0, 0 FROM n`;
      await fleet.query('exported', sql, undefined, { readOnly: false });
      done += batch;
    }
    const file = path.join(dir, `todos-${rows}.sqlite`);
    const exported = await fleet.exportStream('exported', { actor: 'seed' });
    await pipeline(exported.stream, createWriteStream(file));
    return file;
  } finally {
    await fleet.close();
  }
}

export interface AdminServer {
  readonly url: string;
  readonly dataDir: string;
  /** The server process, for reading its memory from /proc. */
  readonly pid: number;
  /** Everything the server printed on stdout so far. */
  output(): string;
  /** Everything the server printed on stderr so far. */
  errors(): string;
  stop(): Promise<void>;
}

/** Starts server.ts on 127.0.0.1 (or ADMIN_HOST=::1) and a random port, with SILO_DATA_DIR = dataDir. */
export async function startServer(dataDir: string, env: Record<string, string> = {}): Promise<AdminServer> {
  const clean: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('SILO_') || key.startsWith('ADMIN_') || key === 'NODE_OPTIONS' || key === 'VITEST' || key.startsWith('VITEST_')) continue;
    clean[key] = value;
  }
  const child: ChildProcess = spawn(process.execPath, ['--conditions=@silo/source', '--import', 'tsx', 'server.ts'], {
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
      const match = /listening on (http:\/\/(?:127\.0\.0\.1|\[::1\]):\d+)/.exec(stdout);
      if (match?.[1]) resolve(match[1]);
    };
    child.stdout?.on('data', check);
    child.on('exit', (code) => reject(new Error(`admin server exited with ${code}:\n${stdout}\n${stderr}`)));
  });
  return {
    url,
    dataDir,
    pid: child.pid ?? 0,
    output: () => stdout,
    errors: () => stderr,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

const SILO_BIN = path.join(APP_DIR, '../../packages/cli/bin/silo.mjs');

/** Runs the real `silo` command on `dataDir` in a process of its own (stdin closed). */
export function siloCli(dataDir: string, args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('SILO_') && key !== 'NODE_OPTIONS' && key !== 'FORCE_COLOR') env[key] = value;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SILO_BIN, ...args], { cwd: dataDir, env: { ...env, SILO_DATA_DIR: dataDir, SILO_CONFIG: TODO_CONFIG, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
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

  /**
   * A multipart POST streamed part by part, in the order given (chunked: no Content-Length),
   * as a browser sends a form with a file. The CSRF token is not added: put it in `parts`.
   * `signal` closes the connection, as a browser that leaves the page does.
   */
  postMultipart(pathname: string, parts: readonly FormPart[], headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
    const boundary = `----silo-test-${Math.random().toString(36).slice(2)}`;
    const init = {
      method: 'POST',
      body: Readable.toWeb(Readable.from(multipartChunks(parts, boundary))) as ReadableStream<Uint8Array>,
      duplex: 'half',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, ...headers },
      ...(signal ? { signal } : {}),
    };
    return this.request(pathname, init as RequestInit);
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

/** ADMIN_EMAIL's fallback: the first admin when a test sets ADMIN_PASSWORD alone. */
const DEFAULT_ADMIN_EMAIL = 'admin@localhost';

export interface SignedInAdminOptions {
  /** The fleet's folder, seeded by the test beforehand; the test removes it after `server.stop()`. */
  readonly dataDir: string;
  /** ADMIN_PASSWORD: the first admin is made with it on first start and signs in with it. */
  readonly password: string;
  /** More of the server's environment (limits, TMPDIR, SILO_CONFIG, …), as for startServer. */
  readonly env?: Record<string, string>;
}

export interface SignedInAdmin {
  /** Stopped by the test with `server.stop()`. */
  readonly server: AdminServer;
  /** Signed in as the first admin, with the session's CSRF token. */
  readonly admin: Client;
}

/** Builds the app if need be, starts the console on `dataDir` and signs its first admin in over HTTP. */
export async function signedInAdmin({ dataDir, password, env = {} }: SignedInAdminOptions): Promise<SignedInAdmin> {
  await ensureBuilt();
  const server = await startServer(dataDir, { ...env, ADMIN_PASSWORD: password });
  try {
    const admin = new Client(server.url);
    const answer = await admin.signIn(DEFAULT_ADMIN_EMAIL, password);
    if (answer.status !== 302) throw new Error(`signing in answered ${answer.status}, not 302:\n${await answer.text()}`);
    return { server, admin };
  } catch (error) {
    // The test never gets hold of this server, so its afterAll cannot stop it.
    await server.stop();
    throw error;
  }
}

/**
 * A form field, or a file part whose bytes are given, read from a path as they are sent, or
 * sent chunk by chunk as the test hands them over (to hold a post part-way).
 */
export type FormPart =
  | { readonly name: string; readonly value: string }
  | { readonly name: string; readonly filename: string; readonly bytes: Uint8Array }
  | { readonly name: string; readonly filename: string; readonly path: string }
  | { readonly name: string; readonly filename: string; readonly chunks: AsyncIterable<Uint8Array> };

async function* multipartChunks(parts: readonly FormPart[], boundary: string): AsyncGenerator<Buffer> {
  for (const part of parts) {
    if ('value' in part) {
      yield Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"\r\n\r\n${part.value}\r\n`);
      continue;
    }
    yield Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"; filename="${part.filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
    if ('bytes' in part) yield Buffer.from(part.bytes);
    else if ('chunks' in part) for await (const chunk of part.chunks) yield Buffer.from(chunk);
    else for await (const chunk of createReadStream(part.path)) yield chunk as Buffer;
    yield Buffer.from('\r\n');
  }
  yield Buffer.from(`--${boundary}--\r\n`);
}

interface RouteEntry {
  path?: string;
  index?: boolean;
  children?: RouteEntry[];
}

/** Every URL of the route config (params filled in), so a new route cannot skip a test. */
export function allPaths(entries: readonly RouteEntry[], prefix = ''): string[] {
  const paths: string[] = [];
  for (const entry of entries) {
    const here = entry.path ? `${prefix}/${entry.path}` : prefix;
    if (entry.index || (entry.path && !entry.children?.length)) paths.push(here || '/');
    if (entry.children) paths.push(...allPaths(entry.children, here));
  }
  return paths.map((p) => p.replace(/:name/g, 't01').replace(/\*/g, 'no-such-page'));
}

/** Resident memory of a process in bytes, now (VmRSS) and at its peak (VmHWM), from /proc. */
export function processMemory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}

/** Instance names of the table rows, in order. */
export function rowNames(html: string): string[] {
  return [...html.matchAll(/data-instance="([^"]+)"/g)].map((m) => m[1] ?? '');
}

/** HTML text with tags removed and entities for quotes decoded, for `toContain`. */
export function text(html: string): string {
  return html.replace(/<!-- -->/g, '').replace(/<[^>]+>/g, ' ').replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&amp;/g, '&').replace(/\s+/g, ' ');
}

/** Signs in through the login form and waits for the instance list. */
export async function signIn(page: Page, serverUrl: string, email: string, password: string): Promise<void> {
  await page.goto(`${serverUrl}/login`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('table', { name: 'Instances' }).waitFor();
}

/** Retries `check` until it passes or `ms` went by (servers look for token revocations once a second). */
export async function eventually(check: () => Promise<void>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
