import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createConnection, createServer as createNetServer, type AddressInfo } from 'node:net';
import { createClient } from '@libsql/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiToken } from '@silo/fleet';
import { SILO_BIN, TODO_CONFIG, json, silo, tempDir } from './helpers';
import { probeReadyz } from '../../web/test/readyz-client';

describe('silo token and silo serve', () => {
  let dir: string;
  let cleanup: () => void;

  beforeAll(() => {
    ({ dir, cleanup } = tempDir('silo-cli-serve-'));
  });
  afterAll(() => cleanup());

  it('creates a token shown once, lists it without the secret and revokes it', async () => {
    const created = await silo(dir, ['token', 'create', '--scope', 'write', '--jurisdiction', 'eu', '--expires', '30d', '--label', 'deploys']);
    expect(created.code).toBe(0);
    const secret = /^(silo_[0-9a-f]{12}_\S+)$/m.exec(created.stdout)?.[1];
    expect(secret).toBeDefined();
    expect(created.stderr).toContain('shown once');

    const listed = json<ApiToken[]>(await silo(dir, ['token', 'list', '--json']));
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ scope: 'write', jurisdiction: 'eu', label: 'deploys', revokedAt: null, expiresAt: expect.any(Number) });
    expect(JSON.stringify(listed)).not.toContain(secret);
    const expires = new Date(listed[0]?.expiresAt ?? 0).toISOString().slice(0, 10);
    expect((await silo(dir, ['token', 'list'])).stdout).toContain(`active  expires ${expires}`);

    const id = listed[0]?.id ?? '';
    expect((await silo(dir, ['token', 'revoke', id])).code).toBe(0);
    expect((await silo(dir, ['token', 'list'])).stdout).toContain('revoked');
  });

  it('refuses an unknown scope, jurisdiction or lifetime', async () => {
    // Bad flags and arguments are usage errors (exit 2, [USAGE]), as everywhere in the CLI.
    for (const args of [
      ['--scope', 'root'],
      ['--scope', 'read', '--expires', 'soon'],
      ['--scope', 'read', '--expires', '-1d'],
      [],
      ['--scope', 'read', '--instance', 'acme'],
      // Lifetimes whose expiry is no date: they overflowed into the catalog, the JWT and "expiring —".
      ['--scope', 'read', '--expires', '36501d'],
      ['--scope', 'read', '--expires', '9999999999999999999999999d'],
      ['--instance', 'acme', '--expires', '99999999999999999d'],
      ['--libsql', '--jurisdiction', 'eu', '--expires', '99999999999d'],
    ]) {
      const refused = await silo(dir, ['token', 'create', ...args]);
      expect(refused.code, args.join(' ')).toBe(2);
      expect(refused.stderr, args.join(' ')).toMatch(/USAGE|error: option/);
    }
    expect((await silo(dir, ['token', 'create', '--scope', 'read', '--expires', '99999999999999999d'])).stderr).toContain('36500d (100 years) at most');
    expect(json<ApiToken[]>(await silo(dir, ['token', 'list', '--json'])).every((token) => token.expiresAt === null || token.expiresAt < Date.now() + 36_501 * 86_400_000)).toBe(true);
    expect((await silo(dir, ['token', 'revoke'])).code).toBe(2);
    expect((await silo(dir, ['token', 'create', '--scope', 'read', '--jurisdiction', 'mars'])).stderr).toContain('Unknown jurisdiction');
  });

  /** `silo serve --port 0` as a process: its URL once it listens, and a stop that checks it exits cleanly. */
  async function serve(extraEnv: NodeJS.ProcessEnv = {}): Promise<{ url: string; stop(): Promise<void>; output(): string; errors(): string; exited: Promise<unknown[]>; pid: number }> {
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('SILO_')) env[key] = value;
    const child = spawn(process.execPath, [SILO_BIN, 'serve', '--port', '0'], {
      cwd: dir,
      env: { ...env, SILO_DATA_DIR: dir, SILO_CONFIG: TODO_CONFIG, NO_COLOR: '1', ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = once(child, 'exit');
    const stop = async (): Promise<void> => {
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(code).toBe(0);
    };
    let output = '';
    let errors = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (errors += chunk));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (chunk: string) => {
          output += chunk;
          const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
          if (match?.[1]) resolve(match[1]);
        });
        child.once('exit', (code) => reject(new Error(`silo serve exited (${code}): ${output}`)));
      });
      return { url, stop, output: () => output, errors: () => errors, exited, pid: child.pid ?? 0 };
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
  }

  it('says in one line that the port is taken, not that silo has a bug', async () => {
    const squatter = createNetServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = squatter.address() as AddressInfo;
      const refused = await silo(dir, ['serve', '--port', String(port)]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`cannot listen on 127.0.0.1:${port}: port ${port} is in use by another program`);
      expect(refused.stderr).toContain('[LISTEN_FAILED]');
      expect(refused.stderr).not.toMatch(/unexpected| {4}at /);
    } finally {
      squatter.close();
    }
  });

  it('serves the API on loopback until stopped', async () => {
    const created = json<{ token: string }>(await silo(dir, ['token', 'create', '--scope', 'read', '--json']));
    const { url, stop } = await serve();
    try {
      const response = await fetch(`${url}/v1/instances`, { headers: { authorization: `Bearer ${created.token}` } });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ items: [], total: 0 });
      expect((await fetch(`${url}/v1/instances`)).status).toBe(401);
    } finally {
      await stop();
    }
  });

  /** A create whose body is sent in two halves, the second when `rest()` is called: a request in flight for as long as the test likes. */
  async function halfSentCreate(url: string, token: string, name: string): Promise<{ rest(): void; answer: Promise<string> }> {
    const body = JSON.stringify({ name, jurisdiction: 'eu' });
    const socket = createConnection(Number(new URL(url).port), '127.0.0.1');
    await once(socket, 'connect');
    let text = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    const answer = new Promise<string>((resolve) => socket.once('close', () => resolve(text)));
    socket.write(`POST /v1/instances HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`);
    return { rest: () => socket.end(body.slice(10)), answer };
  }

  it('on SIGTERM stops accepting, answers the requests in flight, and exits 0', async () => {
    const { token } = json<{ token: string }>(await silo(dir, ['token', 'create', '--scope', 'write', '--json']));
    const { url, pid, exited, errors } = await serve();
    const inFlight = await halfSentCreate(url, token, 'made-while-stopping');
    // The server has the request (its headers) before the signal.
    await expect.poll(() => fetch(`${url}/healthz`).then((response) => response.status)).toBe(200);
    process.kill(pid, 'SIGTERM');
    await expect.poll(errors, { timeout: 10_000 }).toContain('SIGTERM: finishing the requests in flight');
    // No new connection (a kept-alive one may still bring a request, answered with Connection: close).
    const refused = createConnection(Number(new URL(url).port), '127.0.0.1');
    expect(await once(refused, 'error').then(([error]) => (error as NodeJS.ErrnoException).code)).toBe('ECONNREFUSED');
    inFlight.rest();
    expect(await inFlight.answer).toMatch(/^HTTP\/1\.1 201 /);
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
    expect(json<{ name: string; state: string }>(await silo(dir, ['instances', 'show', 'made-while-stopping', '--json']))).toMatchObject({ state: 'ready' });
  });

  it('cuts a request still in flight at SILO_SHUTDOWN_TIMEOUT_MS, says so, and exits 0', async () => {
    const { token } = json<{ token: string }>(await silo(dir, ['token', 'create', '--scope', 'write', '--json']));
    const { url, pid, exited, errors } = await serve({ SILO_SHUTDOWN_TIMEOUT_MS: '500' });
    const stuck = await halfSentCreate(url, token, 'never-finished');
    await expect.poll(() => fetch(`${url}/healthz`).then((response) => response.status)).toBe(200);
    process.kill(pid, 'SIGTERM');
    expect(await stuck.answer).toBe('');
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
    expect(errors()).toContain('the shutdown deadline (SILO_SHUTDOWN_TIMEOUT_MS) cut 1 request(s) still in flight');
  });

  it('with SILO_SHUTDOWN_DRAIN_MS, fails /readyz at once on SIGTERM and answers new connections until the drain ends', async () => {
    const { token } = json<{ token: string }>(await silo(dir, ['token', 'create', '--scope', 'write', '--json']));
    // Ten seconds: the probe and the create below must land inside the drain on however busy a machine.
    const { url, pid, exited, errors } = await serve({ SILO_SHUTDOWN_DRAIN_MS: '10000' });
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    process.kill(pid, 'SIGTERM');
    await expect.poll(errors, { timeout: 10_000 }).toContain('SIGTERM: /readyz fails from now; answering as usual for 10000 ms');
    // A new connection each time: the load balancer's probe, and the work it still sends meanwhile.
    const fresh = { headers: { Connection: 'close' } };
    const probe = await fetch(`${url}/readyz`, fresh);
    expect(probe.status).toBe(503);
    expect(await probe.json()).toEqual({ status: 'stopping', ready: false });
    const created = await fetch(`${url}/v1/instances`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', Connection: 'close' },
      body: JSON.stringify({ name: 'made-while-draining', jurisdiction: 'eu' }),
    });
    expect(created.status).toBe(201);
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
    expect(json<{ state: string }>(await silo(dir, ['instances', 'show', 'made-while-draining', '--json']))).toMatchObject({ state: 'ready' });
  });

  it('answers health probes without a token, and logs one line per request: route pattern, status, token id, never a token', async () => {
    expect((await silo(dir, ['create', 'probe-co', '--jurisdiction', 'eu'])).code).toBe(0);
    const api = json<{ token: string; info: { id: string } }>(await silo(dir, ['token', 'create', '--scope', 'read', '--json']));
    const libsql = json<{ token: string }>(await silo(dir, ['token', 'create', '--instance', 'probe-co', '--json']));
    const { url, stop, output } = await serve();
    const client = createClient({ url: `${url}/db/probe-co`, authToken: libsql.token });
    try {
      expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: 'ok' });
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ready', ready: true, engine: 'ok' });
      expect((await fetch(`${url}/v1/instances/probe-co`, { headers: { authorization: `Bearer ${api.token}` } })).status).toBe(200);
      expect((await client.execute('SELECT 1 AS one')).rows[0]?.['one']).toBe(1);
      // The server writes a request's line as it ends; it reaches this process a little later.
      const lines = (): Record<string, unknown>[] =>
        output()
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line) as Record<string, unknown>);
      await expect.poll(lines, { timeout: 10_000 }).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ method: 'GET', route: '/healthz', status: 200 }),
          expect.objectContaining({ method: 'GET', route: '/v1/instances/{name}', status: 200, actor: `token:${api.info.id}` }),
          expect.objectContaining({ method: 'POST', route: '/db/:instance/v2/pipeline', status: 200, instance: 'probe-co', actor: expect.stringMatching(/^libsql:[0-9a-f]{12}$/) }),
        ]),
      );
      expect(output()).not.toContain(api.token);
      expect(output()).not.toContain(libsql.token);
      expect(output()).not.toContain(libsql.token.split('.').at(-1));
    } finally {
      client.close();
      await stop();
    }
  });

  it('reads the client from X-Forwarded-For of the proxy SILO_TRUST_PROXY names only, and refuses a value that is none', async () => {
    // As deploy/silo.env.example has it, with the proxy at a loopback address of its own so
    // 127.0.0.1 stays a peer the server does not trust.
    const { url, stop } = await serve({ SILO_TRUST_PROXY: '127.0.0.2' });
    try {
      const remote = await probeReadyz(url, { from: '127.0.0.2', forwardedFor: '203.0.113.7' });
      expect(remote.status).toBe(200);
      expect(remote.body).toEqual({ status: 'ready', ready: true });
      const local = await probeReadyz(url, { from: '127.0.0.1', forwardedFor: '203.0.113.7' });
      expect(local.body).toMatchObject({ status: 'ready', ready: true, catalog: 'ok', writable: 'ok' });
    } finally {
      await stop();
    }
    const refused = await silo(dir, ['serve', '--port', '0'], { env: { SILO_TRUST_PROXY: 'yes please' } });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('SILO_TRUST_PROXY');
    expect(refused.stderr).toContain('[CONFIG_INVALID]');
    expect(refused.stderr).not.toMatch(/unexpected| {4}at /);
  });

  it('refuses a shutdown drain or deadline that is not a whole number of milliseconds in range, before listening', async () => {
    for (const [name, value] of [
      ['SILO_SHUTDOWN_DRAIN_MS', 'abc'],
      ['SILO_SHUTDOWN_DRAIN_MS', '-5'],
      ['SILO_SHUTDOWN_DRAIN_MS', '600001'],
      ['SILO_SHUTDOWN_DRAIN_MS', '1.5'],
      ['SILO_SHUTDOWN_TIMEOUT_MS', 'soon'],
      ['SILO_SHUTDOWN_TIMEOUT_MS', '-1'],
    ] as const) {
      const refused = await silo(dir, ['serve', '--port', '0'], { env: { [name]: value } });
      expect(refused.code, `${name}=${value}`).toBe(1);
      expect(refused.stderr).toContain(`${name} must be an integer`);
      expect(refused.stderr).toContain(`got "${value}" [CONFIG_INVALID]`);
      expect(refused.stdout).not.toContain('listening');
    }
  });

  it('issues a read-only libSQL token for one instance that @libsql/client connects with, until revoked', async () => {
    expect((await silo(dir, ['create', 'acme', '--jurisdiction', 'eu'])).code).toBe(0);
    expect((await silo(dir, ['token', 'create', '--instance', 'acme', '--scope', 'read'])).stderr).toContain('--instance makes a libSQL token');
    const created = json<{ token: string; access: string }>(await silo(dir, ['token', 'create', '--instance', 'acme', '--read-only', '--expires', '1d', '--json']));
    expect(created.access).toBe('read-only');
    const { url, stop } = await serve();
    const client = createClient({ url: `${url}/db/acme`, authToken: created.token });
    try {
      const rows = await client.execute('SELECT count(*) AS n FROM todos');
      expect(rows.rows[0]?.['n']).toBe(0);
      await expect(client.execute("INSERT INTO todos (title, created_at, updated_at) VALUES ('x', 1, 1)")).rejects.toThrow();

      expect((await silo(dir, ['token', 'revoke', '--instance', 'acme'])).code).toBe(0);
      // Running servers look for revocations at most once a second.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      await expect(client.execute('SELECT 1')).rejects.toThrow();
      const audit = json<{ items: { operation: string; instance: string | null }[] }>(await silo(dir, ['audit', '--json', '--instance', 'acme']));
      expect(audit.items.map((entry) => entry.operation)).toEqual(expect.arrayContaining(['token create', 'token revoke']));
    } finally {
      client.close();
      await stop();
    }
  });

  it('issues a libSQL token for every instance of a jurisdiction (--libsql --jurisdiction), until revoked', async () => {
    expect((await silo(dir, ['create', 'wide', '--jurisdiction', 'eu'])).code).toBe(0);
    expect((await silo(dir, ['create', 'yonder', '--jurisdiction', 'us'])).code).toBe(0);
    expect((await silo(dir, ['token', 'create', '--libsql'])).stderr).toContain('takes --jurisdiction (required)');
    const created = json<{ token: string; jurisdiction: string; access: string }>(await silo(dir, ['token', 'create', '--libsql', '--jurisdiction', 'eu', '--json']));
    expect(created).toMatchObject({ jurisdiction: 'eu', access: 'read-write' });
    const { url, stop } = await serve();
    const wide = createClient({ url: `${url}/db/wide/`, authToken: created.token });
    const yonder = createClient({ url: `${url}/db/yonder/`, authToken: created.token });
    try {
      expect((await wide.execute('SELECT count(*) AS n FROM todos')).rows[0]?.['n']).toBe(0);
      await expect(yonder.execute('SELECT 1')).rejects.toThrow(/401/);
      expect((await silo(dir, ['token', 'revoke', '--libsql', '--jurisdiction', 'eu'])).code).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      await expect(wide.execute('SELECT 1')).rejects.toThrow(/401/);
    } finally {
      wide.close();
      yonder.close();
      await stop();
    }
  });

  it('shows the libSQL URL beside the catalog database URL, at SILO_SERVE_URL when set', async () => {
    expect((await silo(dir, ['create', 'shown', '--jurisdiction', 'eu'])).code).toBe(0);
    const plain = await silo(dir, ['show', 'shown']);
    expect(plain.stdout).toMatch(/database \(catalog\)\s+local:/);
    expect(plain.stdout).toMatch(/libSQL URL \(serve\)\s+http:\/\/127\.0\.0\.1:7070\/db\/shown /);
    expect(plain.stdout).toContain('silo token create --instance shown [--read-only]');

    const env = { SILO_SERVE_URL: 'https://db.example.com/' };
    expect((await silo(dir, ['instances', 'show', 'shown'], { env })).stdout).toContain('https://db.example.com/db/shown ');
    const shown = json<{ dbUrl: string; libsqlUrl: string; libsqlTokenCommand: string }>(await silo(dir, ['show', 'shown', '--json'], { env }));
    expect(shown.libsqlUrl).toBe('https://db.example.com/db/shown');
    expect(shown.libsqlTokenCommand).toBe('silo token create --instance shown [--read-only]');
    expect(shown.dbUrl).not.toBe(shown.libsqlUrl);
  });

  it('runs a create again when it is retried with its Idempotency-Key after the server died mid-create', async () => {
    const write = json<{ token: string }>(await silo(dir, ['token', 'create', '--scope', 'write', '--json']));
    const create = (url: string): Promise<Response> =>
      fetch(`${url}/v1/instances`, {
        method: 'POST',
        headers: { authorization: `Bearer ${write.token}`, 'content-type': 'application/json', 'idempotency-key': 'crash-once' },
        body: JSON.stringify({ name: 'crashed-co', jurisdiction: 'eu' }),
      });
    const crashing = await serve({ SILO_FAILPOINT: 'create:before-ready' });
    await expect(create(crashing.url)).rejects.toThrow();
    expect((await crashing.exited)[1]).toBe('SIGKILL');
    const { url, stop } = await serve();
    try {
      // Not "still running" for a day: the process that claimed the key is gone.
      const retried = await create(url);
      expect(retried.status).toBe(201);
      expect(await retried.json()).toMatchObject({ name: 'crashed-co', state: 'ready' });
      const replayed = await create(url);
      expect(replayed.status).toBe(201);
      expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    } finally {
      await stop();
    }
  });
});
