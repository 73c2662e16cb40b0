import { mkdtempSync, rmSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { brotliDecompressSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { clientFiles, createAppMetrics, forget, precompress, remember, requestIdOf, routeMatcher, serverSettings, type FleetStatsSnapshot } from '../src/index';
import { listenProblem, openProblem } from '../src/app-server/startup';
import { histogramCount, parseMetrics, promtoolProblems, sampleValue } from './prometheus';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('remember', () => {
  it('makes a value once per process and forgets it on request', () => {
    let made = 0;
    const first = remember('test.value', () => ({ n: ++made }));
    expect(remember('test.value', () => ({ n: ++made }))).toBe(first);
    forget('test.value');
    expect(remember('test.value', () => ({ n: ++made })).n).toBe(2);
    forget('test.value');
  });
});

describe('request ids', () => {
  const req = (value?: string) => ({ headers: value === undefined ? {} : { 'x-request-id': value } }) as unknown as IncomingMessage;
  it('keeps a trusted proxy\'s id and replaces a missing or hostile one', () => {
    expect(requestIdOf(req('edge-1234.abc'), true)).toBe('edge-1234.abc');
    expect(requestIdOf(req(), true)).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestIdOf(req('a\nforged log line'), true)).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestIdOf(req('x'.repeat(200)), true)).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('takes no id from a client that is not a trusted proxy', () => {
    expect(requestIdOf(req('edge-1234.abc'), false)).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('route patterns', () => {
  const match = routeMatcher({
    routes: {
      root: { id: 'root', path: '', parentId: undefined },
      home: { id: 'home', index: true, parentId: 'root' },
      tenant: { id: 'tenant', path: 't/:name', parentId: 'root' },
      invite: { id: 'invite', path: 'invite/:token', parentId: 'tenant' },
      missing: { id: 'missing', path: '*', parentId: 'root' },
    },
  });
  it('names a request by its pattern, never by the URL, and picks out the instance', () => {
    expect(match('/')).toEqual({ pattern: '/', instance: undefined });
    expect(match('/t/acme/invite/SECRET-TOKEN')).toEqual({ pattern: '/t/:name/invite/:token', instance: 'acme' });
    expect(match('/no/such/page')).toEqual({ pattern: '/*', instance: undefined });
  });
  it('answers a pathname it has seen from memory, and a long one each time anew', () => {
    expect(match('/t/acme/invite/x')).toBe(match('/t/acme/invite/x'));
    const long = `/t/acme/invite/${'x'.repeat(300)}`;
    expect(match(long)).not.toBe(match(long));
    expect(match(long)).toEqual({ pattern: '/t/:name/invite/:token', instance: 'acme' });
    // Many distinct paths later, the answers stay right.
    for (let i = 0; i < 5_000; i++) match(`/t/shop-${i}/invite/x`);
    expect(match('/t/shop-4999/invite/x')).toEqual({ pattern: '/t/:name/invite/:token', instance: 'shop-4999' });
    expect(match('/t/acme/invite/x')).toEqual({ pattern: '/t/:name/invite/:token', instance: 'acme' });
  });
});

/** A loopback server of `dir`'s client files (404 for anything else). */
async function serveClientFiles(dir: string): Promise<{ server: ReturnType<typeof createServer>; origin: string }> {
  const serve = clientFiles(dir);
  const server = createServer((req, res) => {
    if (!serve(req, res)) res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('static files', () => {
  it('drops the response for a build file removed since start-up, and the server keeps serving', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'silo-static-gone-'));
    dirs.push(dir);
    mkdirSync(path.join(dir, 'assets'));
    writeFileSync(path.join(dir, 'assets', 'entry-old.js'), `console.log(${JSON.stringify('x'.repeat(4000))});`);
    writeFileSync(path.join(dir, 'assets', 'entry-new.js'), 'console.log(1);');
    expect(precompress(dir)).toBeUndefined();
    const { server, origin } = await serveClientFiles(dir);
    try {
      // A rebuild in place removed the precompressed copy sirv indexed at start-up.
      rmSync(path.join(dir, 'assets', 'entry-old.js.br'));
      const { get } = await import('node:http');
      const gone = await new Promise<string>((resolve) => {
        get(`${origin}/assets/entry-old.js`, { headers: { 'accept-encoding': 'br' } }, (res) => {
          res.on('data', () => undefined);
          res.on('end', () => resolve('complete'));
          res.on('error', () => resolve('dropped'));
        }).on('error', () => resolve('dropped'));
      });
      expect(gone).toBe('dropped');
      const next = await fetch(`${origin}/assets/entry-new.js`);
      expect(next.status).toBe(200);
      expect(await next.text()).toBe('console.log(1);');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });


  it('serves precompressed text with ETags and 304s, immutable for hashed assets', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'silo-static-'));
    dirs.push(dir);
    mkdirSync(path.join(dir, 'assets'));
    const script = `console.log(${JSON.stringify('x'.repeat(4000))});`;
    writeFileSync(path.join(dir, 'assets', 'entry-abc.js'), script);
    writeFileSync(path.join(dir, 'assets', 'logo-abc.png'), Buffer.alloc(4000));
    expect(precompress(dir)).toBeUndefined();
    expect(readdirSync(path.join(dir, 'assets')).sort()).toEqual(['entry-abc.js', 'entry-abc.js.br', 'entry-abc.js.gz', 'logo-abc.png']);
    const { server, origin } = await serveClientFiles(dir);
    try {
      const raw = await new Promise<{ headers: IncomingMessage['headers']; body: Buffer }>((resolve, reject) => {
        // node:http, not fetch: fetch decodes the body and hides the encoding it came in.
        import('node:http').then(({ get }) =>
          get(`${origin}/assets/entry-abc.js`, { headers: { 'accept-encoding': 'br, gzip' } }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
          }).on('error', reject),
        );
      });
      expect(raw.headers['content-encoding']).toBe('br');
      expect(raw.headers['vary']).toBe('Accept-Encoding');
      expect(raw.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect(raw.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(brotliDecompressSync(raw.body).toString()).toBe(script);
      const etag = raw.headers['etag'];
      expect(etag).toBeTruthy();
      const again = await fetch(`${origin}/assets/entry-abc.js`, { headers: { 'if-none-match': String(etag), 'accept-encoding': 'br, gzip' } });
      expect(again.status).toBe(304);
      const plain = await fetch(`${origin}/assets/entry-abc.js`, { headers: { 'accept-encoding': 'identity' } });
      expect(plain.headers.get('content-encoding')).toBeNull();
      expect(await plain.text()).toBe(script);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('metrics', () => {
  const stats: FleetStatsSnapshot = {
    handles: { open: 3, cap: 256, hits: 40, misses: 5, evictions: 1, waits: 2 },
    catalogLookups: 45,
    operations: [{ kind: 'create', ok: 7, error: 1 }],
    queryPoolKills: 1,
    queryPoolMemoryKills: 2,
    instances: [
      { state: 'ready', jurisdiction: 'eu', count: 90_000 },
      { state: 'failed', jurisdiction: 'us', count: 2 },
    ],
    backups: { enabled: true, running: true, lastCycle: { at: Date.now() - 60_000, durationMs: 1_000 } },
  };

  it('exposes the fleet and the requests in Prometheus text, with no label naming a tenant', async () => {
    const metrics = createAppMetrics(() => stats);
    metrics.observeRequest('/t/:name', 'GET', 200, 0.02);
    metrics.observeRequest('/t/:name', 'BREW', 405, 0.001);
    metrics.observeBackupCycle({ durationMs: 2_000, failed: 3 });
    const text = await metrics.scrape();
    const families = parseMetrics(text);
    expect(families.get('silo_http_request_duration_seconds')?.type).toBe('HISTOGRAM');
    expect(histogramCount(text, 'silo_http_request_duration_seconds', { route: '/t/:name', method: 'GET', status: '200' })).toBe(1);
    expect(histogramCount(text, 'silo_http_request_duration_seconds', { method: 'other' })).toBe(1);
    expect(sampleValue(families, 'silo_handle_cache_open')).toBe(3);
    expect(sampleValue(families, 'silo_handle_cache_hits_total')).toBe(40);
    expect(sampleValue(families, 'silo_handle_cache_misses_total')).toBe(5);
    expect(sampleValue(families, 'silo_handle_cache_evictions_total')).toBe(1);
    expect(sampleValue(families, 'silo_handle_cache_waits_total')).toBe(2);
    expect(sampleValue(families, 'silo_catalog_lookups_total')).toBe(45);
    expect(sampleValue(families, 'silo_fleet_operations_total', { kind: 'create', outcome: 'error' })).toBe(1);
    expect(sampleValue(families, 'silo_query_pool_kills_total')).toBe(1);
    expect(sampleValue(families, 'silo_query_pool_memory_kills_total')).toBe(2);
    expect(sampleValue(families, 'silo_instances', { state: 'ready', jurisdiction: 'eu' })).toBe(90_000);
    expect(sampleValue(families, 'silo_backup_cycle_duration_seconds')).toBe(1);
    expect(sampleValue(families, 'silo_backup_failures_total', { what: 'instance' })).toBe(3);
    expect(sampleValue(families, 'silo_backup_lag_seconds')).toBeGreaterThanOrEqual(58);
    expect(families.get('silo_handle_cache_hits_total')?.type).toBe('COUNTER');
    const labelNames = new Set([...families.values()].flatMap((family) => family.metrics.flatMap((metric) => Object.keys(metric.labels ?? {}))));
    expect([...labelNames].filter((name) => /name|instance|tenant/.test(name))).toEqual([]);
  });

  it("passes Prometheus' own check (promtool check metrics: format and naming)", async () => {
    const metrics = createAppMetrics(() => stats);
    metrics.observeRequest('/t/:name', 'POST', 303, 0.04);
    metrics.observeBackupCycle({ durationMs: 1_500, failed: 1, catalogError: 'disk full' });
    expect(promtoolProblems(await metrics.scrape())).toBe('');
  });
});

describe('start-up checks', () => {
  it('names the variable of a bad setting', () => {
    expect(() => serverSettings({ LOG_LEVEL: 'loud' }, { metricsPort: 'SILO_METRICS_PORT' })).toThrow(/^LOG_LEVEL: "loud" is not one of/);
    expect(() => serverSettings({ SILO_METRICS_PORT: '99999' }, { metricsPort: 'SILO_METRICS_PORT' })).toThrow(/^SILO_METRICS_PORT:/);
    expect(() => serverSettings({ SILO_SHUTDOWN_DRAIN_MS: '5s' }, { metricsPort: 'SILO_METRICS_PORT' })).toThrow(/^SILO_SHUTDOWN_DRAIN_MS: "5s" is not a whole number from 0 to 600000/);
    expect(serverSettings({ LOG_LEVEL: 'WARN' }, { metricsPort: 'SILO_METRICS_PORT' })).toMatchObject({ logLevel: 'warn', metricsPort: undefined, shutdownTimeoutMs: 10_000, shutdownDrainMs: 0 });
  });

  it('says why a port or a data folder failed in one line', () => {
    const busy = Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE' });
    expect(listenProblem(busy, { host: '127.0.0.1', port: 3000, portVariable: 'PORT', hostVariable: 'HOST' })).toBe(
      'port 3000 on 127.0.0.1 is already in use (PORT): stop the other server or set PORT to a free port',
    );
    const notDir = Object.assign(new Error('ENOTDIR: not a directory, mkdir'), { code: 'ENOTDIR' });
    expect(openProblem(notDir)).toMatch(/^the data folder cannot be written \(SILO_DATA_DIR\)/);
  });
});
