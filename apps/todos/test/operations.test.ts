import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { histogramCount, parseMetrics, promtoolProblems, sampleValue } from '../../../packages/web/test/prometheus';
import { createList, csrfFrom, get, post, uniqueName } from './http';
import { APP_DIR, startServer, type TestServer } from './server';

const ROOT = path.resolve(APP_DIR, '..', '..');

/** The JSON log records a server wrote (pino writes JSON when stdout is not a terminal). */
function records(output: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Runs a command to its end; stdout and stderr apart. */
function run(args: string[], env: Record<string, string>, cwd = APP_DIR): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd, env: { ...process.env, NODE_ENV: 'production', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const SERVER = ['--conditions=@silo/source', '--import', 'tsx', 'server.ts'];

describe('a running TODO server', () => {
  let server: TestServer;
  let metricsUrl: string;

  beforeAll(async () => {
    // The test client is on loopback: trusted as the proxy whose X-Request-Id is taken over.
    server = await startServer({ SILO_METRICS_PORT: '0', SILO_TRUST_PROXY: 'loopback' });
    metricsUrl = /metrics on (http:\/\/\S+\/metrics)/.exec(server.output())?.[1] ?? '';
  });
  afterAll(() => server?.stop());

  it('writes one access-log line per request, with the route pattern and the request id it returns', async () => {
    const name = uniqueName('logs');
    await createList(base(), name);
    const page = await get(base(), `/t/${name}`, undefined, { 'x-request-id': 'edge-42' });
    expect(page.headers.get('x-request-id')).toBe('edge-42');
    const own = await get(base(), '/healthz');
    const generated = own.headers.get('x-request-id');
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    await waitFor(() => records(server.output()).some((record) => record['requestId'] === generated));
    const access = records(server.output()).filter((record) => record['msg'] === 'request');
    const line = access.find((record) => record['requestId'] === 'edge-42');
    expect(line).toMatchObject({ method: 'GET', route: '/t/:name', status: 302, instance: name, app: 'silo todos' });
    expect(typeof line?.['durationMs']).toBe('number');
    expect(access.find((record) => record['requestId'] === generated)).toMatchObject({ route: '/healthz', status: 200 });
    // The URL itself is never logged: it may carry an invite token.
    expect(access.every((record) => !('url' in record))).toBe(true);
  });

  it('shows the request id on an error page', async () => {
    const missing = await get(base(), `/t/${uniqueName('missing')}`, undefined, { 'x-request-id': 'edge-404' });
    expect(missing.status).toBe(404);
    expect(missing.body).toContain('Request id: edge-404');
  });

  it('answers /healthz and /readyz without a session, with no folder paths', async () => {
    const health = await get(base(), '/healthz');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toEqual({ status: 'ok' });
    const ready = await get(base(), '/readyz');
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toMatchObject({ status: 'ready', catalog: 'ok', writable: 'ok' });
    expect(ready.body).not.toContain(server.dataDir);
    // A client elsewhere (here through the trusted proxy) gets the status alone: no disk figures.
    const remote = await get(base(), '/readyz', undefined, { 'x-forwarded-for': '203.0.113.9' });
    expect(remote.status).toBe(200);
    expect(JSON.parse(remote.body)).toEqual({ status: 'ready', ready: true });
  });

  it('serves /metrics on its own port, parseable, without a label naming a tenant', async () => {
    const name = uniqueName('metrics');
    const cookie = await createList(base(), name);
    const page = await get(base(), `/t/${name}`, cookie);
    await post(base(), `/t/${name}?index`, { intent: 'add', title: 'measured', csrf: csrfFrom(page.body) }, { cookie });
    expect((await fetch(`${base()}/metrics`)).status).toBe(404);
    const response = await fetch(metricsUrl);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    const families = parseMetrics(text);
    expect(histogramCount(text, 'silo_http_request_duration_seconds', { route: '/t/:name', method: 'GET', status: '200' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(families, 'silo_handle_cache_open')).toBeGreaterThanOrEqual(1);
    expect(sampleValue(families, 'silo_handle_cache_hits_total')).toBeGreaterThanOrEqual(1);
    expect(sampleValue(families, 'silo_catalog_lookups_total')).toBeGreaterThanOrEqual(2);
    expect(sampleValue(families, 'silo_fleet_operations_total', { kind: 'create', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(families, 'silo_instances', { state: 'ready', jurisdiction: 'eu' })).toBeGreaterThanOrEqual(1);
    expect(families.has('silo_query_pool_kills_total')).toBe(true);
    expect(families.has('silo_process_cpu_seconds_total')).toBe(true);
    expect(text).not.toContain(name);
    expect(promtoolProblems(text)).toBe('');
  });

  it('is not ready when a region folder cannot be written (a file where the folder should be)', async () => {
    const fleet = await server.fleet();
    const region = fleet.settings.regions[0];
    if (!region) throw new Error('no region');
    rmSync(region.dataDir, { recursive: true, force: true });
    // On Turso no instance file was ever made here, so the regions folder may not exist yet.
    mkdirSync(path.dirname(region.dataDir), { recursive: true });
    writeFileSync(region.dataDir, 'not a folder');
    try {
      const ready = await get(base(), '/readyz');
      expect(ready.status).toBe(503);
      const body = JSON.parse(ready.body) as { status: string; writable: string[] };
      expect(body.status).toBe('not ready');
      expect(body.writable).toEqual([`region ${region.id}: not writable (ENOTDIR)`]);
      expect(ready.body).not.toContain(server.dataDir);
    } finally {
      rmSync(region.dataDir, { force: true });
    }
  });

  function base(): string {
    return server.url;
  }
});

describe('shutdown', () => {
  it('finishes a request in flight on SIGTERM, then exits 0', async () => {
    const server = await startServer();
    try {
      const url = new URL('/?index', server.url);
      const fields = new URLSearchParams({ name: uniqueName('inflight'), email: 'late@example.test', password: 'correct horse battery', jurisdiction: 'eu', nonce: 'n-inflight' }).toString();
      const half = Math.floor(fields.length / 2);
      const answer = new Promise<number>((resolve, reject) => {
        const req = request(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(fields.length), origin: url.origin } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        // Half the form now; the action waits for the rest while the server is told to stop, once
        // it has surely taken the request in (a while, on a busy machine).
        req.write(fields.slice(0, half));
        setTimeout(() => {
          process.kill(server.pid, 'SIGTERM');
          setTimeout(() => req.end(fields.slice(half)), 500);
        }, 2_000);
      });
      expect(await answer).toBe(302);
      const exit = await server.exited();
      expect(exit).toBe(0);
      expect(server.output()).toContain('SIGTERM: finishing 1 request(s) in flight');
    } finally {
      await server.stop();
    }
  });

  it('with SILO_SHUTDOWN_DRAIN_MS, fails /readyz at once on SIGTERM and serves pages (and metrics) until the drain ends', async () => {
    // Ten seconds: the three requests below must land inside the drain on however busy a machine.
    const server = await startServer({ SILO_SHUTDOWN_DRAIN_MS: '10000', SILO_METRICS_PORT: '0' });
    const metricsUrl = /metrics on (http:\/\/\S+\/metrics)/.exec(server.output())?.[1] ?? '';
    try {
      expect((await get(server.url, '/readyz')).status).toBe(200);
      process.kill(server.pid, 'SIGTERM');
      await waitFor(() => server.output().includes('/readyz fails from now'));
      const probe = await get(server.url, '/readyz');
      expect(probe.status).toBe(503);
      expect(JSON.parse(probe.body)).toEqual({ status: 'stopping', ready: false });
      // A load balancer's work still in the pipe is answered as usual, on a fresh connection.
      expect((await get(server.url, '/')).status).toBe(200);
      // The drain shows in the metrics: they are scraped until the server has stopped.
      expect((await fetch(metricsUrl)).status).toBe(200);
      expect(await server.exited()).toBe(0);
    } finally {
      await server.stop();
    }
  });
});

describe('shutdown under load (an outside soak probe, session 37)', () => {
  it('answers the requests clients keep sending on kept-alive connections, never resetting one', async () => {
    const server = await startServer();
    try {
      const agent = new Agent({ keepAlive: true, maxSockets: 8 });
      const outcomes = { answered: 0, refused: 0, reset: 0 };
      let stopping = false;
      // Eight connections sending one request after another, until the server is gone.
      const loops = Array.from({ length: 8 }, async () => {
        for (;;) {
          const code = await new Promise<string>((resolve) => {
            const req = request(new URL('/healthz', server.url), { agent }, (res) => {
              res.resume();
              res.on('end', () => resolve('answered'));
            });
            req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
            req.end();
          });
          if (code === 'answered') outcomes.answered++;
          // A new connection once the server stopped listening: the client knows nothing was sent.
          else if (code === 'ECONNREFUSED') outcomes.refused++;
          else outcomes.reset++;
          if (stopping && code !== 'answered') return;
        }
      });
      await new Promise((resolve) => setTimeout(resolve, 500));
      stopping = true;
      process.kill(server.pid, 'SIGTERM');
      await Promise.all(loops);
      agent.destroy();
      expect(await server.exited()).toBe(0);
      expect(outcomes.answered).toBeGreaterThan(0);
      expect(outcomes.reset, JSON.stringify(outcomes)).toBe(0);
    } finally {
      await server.stop();
    }
  });

  it('logs a request cut at the shutdown deadline, as 499', async () => {
    const server = await startServer({ SILO_SHUTDOWN_TIMEOUT_MS: '1000' });
    try {
      const url = new URL('/?index', server.url);
      // A body that never ends: the request is in flight until the deadline cuts it.
      const req = request(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '1000', origin: url.origin } });
      req.on('error', () => undefined);
      req.write('name=');
      await waitFor(() => server.output().includes('listening'));
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      process.kill(server.pid, 'SIGTERM');
      expect(await server.exited()).toBe(0);
      expect(server.output()).toContain('shutdown deadline: cutting 1 request(s)');
      expect(records(server.output()).filter((record) => record['msg'] === 'request')).toContainEqual(expect.objectContaining({ method: 'POST', status: 499 }));
    } finally {
      await server.stop();
    }
  });
});

describe('start-up that tells the truth', () => {
  let busy: Server;
  let port: number;
  let dataDir: string;

  beforeAll(async () => {
    busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    port = (busy.address() as { port: number }).port;
    dataDir = mkdtempSync(path.join(tmpdir(), 'silo-startup-'));
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => busy.close(() => resolve()));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('npm start with a busy port prints one line naming PORT and exits 1', async () => {
    const result = await run(['scripts/start.mjs'], { NODE_OPTIONS: '--conditions=@silo/source', PORT: String(port), SILO_DATA_DIR: dataDir }, ROOT);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`silo todos: could not start: port ${port} on 127.0.0.1 is already in use (PORT): stop the other server or set PORT to a free port\n`);
  });

  it('npm start on a fresh checkout (no data folder yet) seeds the demo lists, whose printed sign-in works', async () => {
    const fresh = path.join(dataDir, 'fresh-checkout', 'data');
    const start = spawn(process.execPath, ['scripts/start.mjs'], {
      cwd: ROOT,
      env: { ...process.env, NODE_ENV: 'production', NODE_OPTIONS: '--conditions=@silo/source', PORT: '0', ADMIN_PORT: '0', SILO_DATA_DIR: fresh },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    start.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const exited = new Promise((resolve) => start.on('exit', resolve));
    try {
      // Building an app that has no build yet takes seconds: wait for the line, not a time.
      await Promise.race([
        new Promise<void>((resolve) => start.stdout.on('data', () => stdout.includes('Ctrl+C stops everything') && resolve())),
        exited.then(() => expect.fail(`npm start exited early:\n${stdout}`)),
      ]);
      const signIn = /acme: created in .* sign in at \/t\/acme as (\S+) \/ (\S+)/.exec(stdout);
      expect(signIn, stdout).not.toBeNull();
      expect(stdout).toContain('Demo lists sign in with the owner');
      const todosUrl = /TODO app\s+(http:\/\/\S+)/.exec(stdout)?.[1] ?? '';
      const signedIn = await post(todosUrl, '/t/acme/sign-in', { email: signIn?.[1] ?? '', password: signIn?.[2] ?? '' });
      expect(signedIn.status).toBe(302);
      expect(signedIn.cookie).toBeDefined();
    } finally {
      start.kill('SIGTERM');
      await exited;
    }
  }, 180_000);

  it('the server itself: a busy port, a bad setting, a data folder that is a file: one line each, exit 1', async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ PORT: String(port), SILO_DATA_DIR: dataDir }, /already in use \(PORT\)/],
      [{ PORT: '0', LOG_LEVEL: 'chatty', SILO_DATA_DIR: dataDir }, /LOG_LEVEL: "chatty" is not one of/],
      [{ PORT: 'eighty', SILO_DATA_DIR: dataDir }, /PORT/],
      [{ PORT: '0', SILO_DATA_DIR: path.join(dataDir, 'a-file', 'data') }, /the data folder cannot be written \(SILO_DATA_DIR\)/],
    ];
    writeFileSync(path.join(dataDir, 'a-file'), 'not a folder');
    for (const [env, expected] of cases) {
      const result = await run(SERVER, { HOST: '127.0.0.1', ...env });
      expect(result.code, JSON.stringify(env)).toBe(1);
      const lines = result.stderr.trimEnd().split('\n');
      expect(lines, result.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/^silo todos: could not start: /);
      expect(lines[0]).toMatch(expected);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('honours LOG_LEVEL: at warn, no access-log lines', async () => {
    const server = await startServer({ LOG_LEVEL: 'warn' });
    try {
      // The listening line is still printed (start-up lines are never below info).
      await get(server.url, '/healthz');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(records(server.output()).filter((record) => record['msg'] === 'request')).toEqual([]);
    } finally {
      await server.stop();
    }
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
}
