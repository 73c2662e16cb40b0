import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../test-support/free-port';
import { USER_ENV, packedTarballs, runAsUser } from '../../test-support/user-shell';

/**
 * docs/guide.md as a reader follows it: a project made from nothing, the Silo tarballs
 * installed from its vendor/ folder, and the guide's own files (the migrations, silo.config.ts,
 * server.ts) taken from the page's code blocks, so that the page and what works cannot drift
 * apart. Its server runs with plain node, no tsx and no source condition.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const GUIDE = readFileSync(path.join(ROOT, 'docs/guide.md'), 'utf8');
/** The tarballs step 1 installs. */
const PACKAGES = ['fleet', 'web', 'server', 'cli', 'admin'];

let work: string;
let project: string;
let server: ChildProcess | undefined;

/** In the reader's shell, in the project. */
function run(command: string, args: readonly string[]): Promise<string> {
  return runAsUser(command, args, project);
}

/** The `cat > <file> <<'SQL' … SQL` blocks of the guide, by file name. */
function heredocs(): Map<string, string> {
  return new Map([...GUIDE.matchAll(/cat > (\S+) <<'SQL'\n([\s\S]*?)\nSQL\n/g)].map((match) => [match[1] as string, `${match[2]}\n`]));
}

/** The guide's one ```ts block that contains `marker`. */
function tsBlock(marker: string): string {
  const blocks = [...GUIDE.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1] as string).filter((block) => block.includes(marker));
  expect(blocks, `one code block with ${marker}`).toHaveLength(1);
  return blocks[0] as string;
}


/** `node server.ts` as step 6 says, on a free port instead of 8080; resolves with its origin once it listens. */
async function startServer(): Promise<string> {
  const port = await freePort();
  writeFileSync(path.join(project, 'server.ts'), tsBlock('createServer').replaceAll('8080', String(port)));
  const child = spawn('node', ['server.ts'], { cwd: project, env: USER_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  server = child;
  let output = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  await new Promise<void>((resolve, reject) => {
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      if (output.includes(`http://127.0.0.1:${port}/`)) resolve();
    });
    child.on('exit', (code) => reject(new Error(`node server.ts exited with ${code}:\n${output}`)));
  });
  return `http://127.0.0.1:${port}`;
}

/** Ends the server as Ctrl+C does, and waits for it to exit. */
async function interrupt(): Promise<number | null> {
  const child = server;
  if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGINT');
  return exited;
}

async function projectsOf(origin: string, name: string, method = 'GET'): Promise<{ status: number; rows: unknown }> {
  const response = await fetch(`${origin}/t/${name}/projects`, { method });
  const text = await response.text();
  return { status: response.status, rows: text ? (JSON.parse(text) as unknown) : null };
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'silo-guide-'));
  const tarballs = path.join(work, 'tarballs');
  await packedTarballs(tarballs);
  // Step 1: the project, the tarballs in its vendor/ folder, installed from there.
  project = path.join(work, 'my-saas');
  mkdirSync(path.join(project, 'vendor'), { recursive: true });
  await run('npm', ['init', '-y']);
  await run('npm', ['pkg', 'set', 'type=module']);
  const files = PACKAGES.map((name) => `silo-${name}-0.1.0.tgz`);
  for (const file of files) copyFileSync(path.join(tarballs, file), path.join(project, 'vendor', file));
  await run('npm', ['install', '--no-audit', '--no-fund', ...files.map((file) => `./vendor/${file}`)]);
}, 900_000);

afterAll(async () => {
  await interrupt();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('docs/guide.md, followed from an empty folder', () => {
  const migrations = heredocs();

  it('keeps the tarballs by paths inside the project, so a copy of it installs with npm ci', () => {
    const manifest = JSON.parse(readFileSync(path.join(project, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(manifest.dependencies['@silo/fleet']).toBe('file:vendor/silo-fleet-0.1.0.tgz');
  });

  it('steps 2–4: the first migration, silo.config.ts, and customers in two jurisdictions', async () => {
    expect([...migrations.keys()]).toEqual(['migrations/0001_projects.sql', 'migrations/0002_due_dates.sql']);
    mkdirSync(path.join(project, 'migrations'));
    writeFileSync(path.join(project, 'migrations/0001_projects.sql'), migrations.get('migrations/0001_projects.sql') ?? '');
    writeFileSync(path.join(project, 'silo.config.ts'), tsBlock('export default {'));
    await run('npx', ['--no-install', 'silo', 'create', 'acme', '--jurisdiction', 'eu']);
    await run('npx', ['--no-install', 'silo', 'create', 'globex', '--jurisdiction', 'us', '--display-name', 'Globex Corporation']);
    const { items } = JSON.parse(await run('npx', ['--no-install', 'silo', 'instances', 'list', '--json'])) as { items: { name: string; jurisdiction: string }[] };
    expect(items.map((item) => [item.name, item.jurisdiction]).sort()).toEqual([
      ['acme', 'eu'],
      ['globex', 'us'],
    ]);
  });

  it('step 6: the server answers each customer from its own database, and Ctrl+C keeps the metrics', async () => {
    const origin = await startServer();
    expect(await projectsOf(origin, 'acme', 'POST')).toMatchObject({ status: 200, rows: [{ id: 1, title: 'New project', done: 0 }] });
    expect(await projectsOf(origin, 'globex')).toEqual({ status: 200, rows: [] });
    expect((await projectsOf(origin, 'nobody')).status).toBe(404);
    expect(await interrupt()).toBe(0);
    const shown = JSON.parse(await run('npx', ['--no-install', 'silo', 'instances', 'show', 'acme', '--json'])) as { metrics: Record<string, number> };
    expect(shown.metrics).toMatchObject({ projects: 1, open: 1 });
  });

  it('step 5 before `silo migrate`: a customer behind the schema is a 503, and the server keeps serving', async () => {
    writeFileSync(path.join(project, 'migrations/0002_due_dates.sql'), migrations.get('migrations/0002_due_dates.sql') ?? '');
    const origin = await startServer();
    // Both instances are at version 1; the server expects 2.
    expect((await projectsOf(origin, 'acme')).status).toBe(503);
    expect((await projectsOf(origin, 'globex')).status).toBe(503);
    await run('npx', ['--no-install', 'silo', 'migrate']);
    expect(await projectsOf(origin, 'acme')).toMatchObject({ status: 200, rows: [{ id: 1 }] });
    expect(await interrupt()).toBe(0);
  });
});
