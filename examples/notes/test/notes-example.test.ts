import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USER_ENV, packedTarballs, runAsUser } from '../../../test-support/user-shell';

/**
 * examples/notes as a user gets it (issue #14): copied out of the repository, installed from
 * the packed tarballs with plain npm, and run with plain node, no tsx and no source condition.
 * `silo`, the app and `silo-admin` are real processes on 127.0.0.1 sharing one data folder.
 * Slow (builds the packages unless dist-packages/ is fresh, installs from the registry).
 */
const EXAMPLE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SECOND_MIGRATION = path.join(EXAMPLE, 'migrations', '0002_pinned.sql');
const ADMIN_PASSWORD = 'correct-horse-battery-staple';

let work: string;
let project: string;
const servers: Server[] = [];

/** In the user's shell, in the project. */
function run(command: string, args: readonly string[]): Promise<string> {
  return runAsUser(command, args, project);
}

/** `npx silo … --json` in the project, parsed. */
async function silo<T>(...args: string[]): Promise<T> {
  return JSON.parse(await run('npx', ['--no-install', 'silo', ...args, '--json'])) as T;
}

interface Server {
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts a server in the project and waits for its "listening on <url>" line. */
async function start(command: string, args: readonly string[], extraEnv: NodeJS.ProcessEnv): Promise<Server> {
  const child: ChildProcess = spawn(command, args, { cwd: project, env: { ...USER_ENV, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match?.[1]) resolve(match[1]);
    });
    child.on('exit', (code) => reject(new Error(`${command} ${args.join(' ')} exited with ${code}:\n${output}`)));
  });
  const server = {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
  servers.push(server);
  return server;
}

interface Note {
  id: number;
  title: string;
  body: string;
  pinned?: boolean;
}

interface Instance {
  name: string;
  jurisdiction: string;
  region: string;
  schemaVersion: number;
  metrics: Record<string, number>;
}

async function api(url: string, init: RequestInit & { json?: unknown } = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const { json, ...rest } = init;
  const response = await fetch(url, json === undefined ? rest : { ...rest, body: JSON.stringify(json), headers: { 'content-type': 'application/json' } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function notesOf(app: Server, name: string): Promise<Note[]> {
  const { status, body } = await api(`${app.url}/t/${name}/notes`);
  expect(status).toBe(200);
  return body['notes'] as Note[];
}

/** The catalog gets the app's metrics in batches (every 2 s by default): wait for them. */
async function metricsOf(name: string, expected: Record<string, number>): Promise<Record<string, number>> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { items } = await silo<{ items: Instance[] }>('instances', 'list');
    const metrics = items.find((item) => item.name === name)?.metrics ?? {};
    if (Object.entries(expected).every(([key, value]) => metrics[key] === value) || Date.now() > deadline) return metrics;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'silo-notes-'));
  const tarballs = path.join(work, 'tarballs');
  await packedTarballs(tarballs);
  project = path.join(work, 'notes');
  // Release 1 of the app: version 2 of the schema ships later, in the test below.
  cpSync(EXAMPLE, project, {
    recursive: true,
    filter: (source) => !['test', 'node_modules', 'data'].includes(path.basename(source)) && source !== SECOND_MIGRATION,
  });
  // Every Silo tarball: the app's own three (fleet, cli, admin) and the Silo packages they
  // depend on (web, server, …), which no registry serves yet.
  const files = readdirSync(tarballs).filter((file) => file.startsWith('silo-') && file.endsWith('.tgz'));
  expect(files.map((file) => file.replace(/-\d+\.\d+\.\d+\.tgz$/, ''))).toEqual(expect.arrayContaining(['silo-fleet', 'silo-cli', 'silo-admin', 'silo-web']));
  await run('npm', ['install', '--no-audit', '--no-fund', ...files.map((file) => path.join(tarballs, file))]);
}, 900_000);

afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('examples/notes, installed from the packed tarballs', () => {
  let app: Server;

  it('type-checks against the published declarations', async () => {
    await run('npx', ['--no-install', 'tsc', '-p', 'tsconfig.json']);
  });

  it('creates workspaces in two jurisdictions with `silo create`, regions from silo.config.ts', async () => {
    const acme = await silo<Instance>('create', 'acme', '--jurisdiction', 'eu');
    const globex = await silo<Instance>('create', 'globex', '--jurisdiction', 'us');
    expect([acme.region, acme.schemaVersion]).toEqual(['eu-west', 1]);
    expect([globex.region, globex.schemaVersion]).toEqual(['us-east', 1]);
  });

  it('writes notes through the app, each workspace in its own database', async () => {
    app = await start('node', ['src/server.ts'], { PORT: '0' });
    const created = await api(`${app.url}/t/acme/notes`, { method: 'POST', json: { title: 'Launch plan', body: 'ship the notes app' } });
    expect(created.status).toBe(201);
    expect((await api(`${app.url}/t/acme/notes`, { method: 'POST', json: { title: 'Retro', body: 'went well' } })).status).toBe(201);
    expect((await api(`${app.url}/t/globex/notes`, { method: 'POST', json: { title: 'Globex only', body: 'secret' } })).status).toBe(201);

    expect((await notesOf(app, 'acme')).map((note) => note.title)).toEqual(['Retro', 'Launch plan']);
    expect((await notesOf(app, 'globex')).map((note) => note.title)).toEqual(['Globex only']);
    const page = await (await fetch(`${app.url}/t/acme`)).text();
    expect(page).toContain('Launch plan');
    expect(page).not.toContain('Globex only');
    expect((await api(`${app.url}/t/initech/notes`)).status).toBe(404);
    // Version 1 has no pinned column: the app says what to run.
    const pin = await api(`${app.url}/t/acme/notes`, { method: 'POST', json: { title: 'Too early', pinned: true } });
    expect(pin.status).toBe(409);
    expect(pin.body['error']).toMatch(/silo migrate/);
  });

  it('migrates every workspace with `silo migrate`, and the running app pins notes at once', async () => {
    copyFileSync(SECOND_MIGRATION, path.join(project, 'migrations', '0002_pinned.sql'));
    const report = await silo<{ migrated: number; failed: number; targetVersion: number }>('migrate');
    expect(report).toMatchObject({ migrated: 2, failed: 0, targetVersion: 2 });

    const [launch] = (await notesOf(app, 'acme')).filter((note) => note.title === 'Launch plan');
    expect(launch?.pinned).toBe(false);
    expect((await api(`${app.url}/t/acme/notes/${launch?.id}`, { method: 'PATCH', json: { pinned: true } })).status).toBe(200);
    expect((await api(`${app.url}/t/globex/notes`, { method: 'POST', json: { title: 'Pinned at globex', pinned: true } })).status).toBe(201);

    expect((await notesOf(app, 'acme')).map((note) => [note.title, note.pinned])).toEqual([['Launch plan', true], ['Retro', false]]);
    expect((await notesOf(app, 'globex')).map((note) => [note.title, note.pinned])).toEqual([['Pinned at globex', true], ['Globex only', false]]);
  });

  it("shows the app's metrics in `silo instances list --json`", async () => {
    // "ship the notes app" + "went well": 6 words; titles and bodies 43 bytes.
    expect(await metricsOf('acme', { notes: 2, words: 6, text_bytes: 43 })).toEqual({ notes: 2, words: 6, text_bytes: 43 });
    expect(await metricsOf('globex', { notes: 2, words: 1 })).toMatchObject({ notes: 2, words: 1 });
  });

  it('shows the metric labels and values in the admin console (silo-admin)', async () => {
    // The installed bin itself, not through npx: npx does not pass SIGTERM on, and the console outlived the test.
    const admin = await start(path.join(project, 'node_modules', '.bin', 'silo-admin'), [], {
      ADMIN_PORT: '0',
      ADMIN_HOST: '127.0.0.1',
      ADMIN_PASSWORD,
      NODE_ENV: 'production',
      SILO_BACKUPS: 'off',
    });
    const signIn = await fetch(`${admin.url}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { origin: admin.url },
      body: new URLSearchParams({ email: 'admin@localhost', password: ADMIN_PASSWORD, next: '/' }),
    });
    expect(signIn.status).toBe(302);
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const page = async (pathname: string): Promise<string> => {
      const response = await fetch(admin.url + pathname, { headers: { cookie }, redirect: 'manual' });
      expect(response.status).toBe(200);
      return response.text();
    };

    const list = await page('/');
    for (const label of ['Notes', 'Words', 'Text']) expect(list).toContain(`>${label}<`);
    expect(list).toContain('data-instance="acme"');
    expect(list).toContain('href="http://127.0.0.1:8787/t/acme"');
    const details = await page('/instances/acme');
    expect(details).toMatch(/<dt>Notes<\/dt><dd data-metric="notes">2<\/dd>/);
    expect(details).toMatch(/<dt>Words<\/dt><dd data-metric="words">6<\/dd>/);
    expect(details).toContain('<dd data-metric="text_bytes">43 B</dd>');
  });

  it('exports a workspace with `silo export` and imports it under a new name, which the app serves', async () => {
    const file = path.join(work, 'acme.sqlite');
    const exported = await silo<{ file: string; sizeBytes: number }>('export', 'acme', '-o', file);
    expect(exported.sizeBytes).toBeGreaterThan(0);
    const imported = await silo<Instance>('import', file, 'acme-archive', '--jurisdiction', 'eu');
    expect([imported.region, imported.schemaVersion]).toEqual(['eu-west', 2]);
    // An import reads its metrics from the file itself, before the app ever wrote to it.
    expect(await metricsOf('acme-archive', { notes: 2 })).toEqual({ notes: 2, words: 6, text_bytes: 43 });

    expect((await notesOf(app, 'acme-archive')).map((note) => [note.title, note.pinned])).toEqual([['Launch plan', true], ['Retro', false]]);
    // A write to the copy stays in the copy.
    expect((await api(`${app.url}/t/acme-archive/notes`, { method: 'POST', json: { title: 'Archived' } })).status).toBe(201);
    expect(await notesOf(app, 'acme')).toHaveLength(2);
  });
});
