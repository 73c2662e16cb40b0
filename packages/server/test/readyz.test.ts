/**
 * `silo serve`'s /readyz over real HTTP on loopback: the reasons and disk figures go to a client
 * on this machine only, whatever X-Forwarded-For says, unless a proxy the server was told to trust
 * sent it. Servers on 127.0.0.1 and ::1 share one fleet in a temporary folder; "remote" clients
 * are a trusted proxy's X-Forwarded-For, or this machine's own non-loopback interface when it has one.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFleet, type Fleet } from '@silo/fleet';
import { parseTrustProxy } from '@silo/web';
import { createServer, type RunningServer } from '../src/index';
import { sampleSchema } from '../../fleet/test/fixtures/sample-schema';
import {
  HAS_IPV6_LOOPBACK,
  PROXY,
  PUBLIC_V4,
  PUBLIC_V6,
  expectForgedLoopbackRefused,
  expectIpv6ProxyRules,
  expectProxyRules,
  expectStatusAlone,
  nonLoopbackAddress,
  probeReadyz,
  type ReadyzAnswer,
} from '../../web/test/readyz-client';

const OTHER_V4 = nonLoopbackAddress('IPv4');
const OTHER_V6 = nonLoopbackAddress('IPv6');

function expectFullReport(answer: ReadyzAnswer): void {
  expect(answer.status).toBe(200);
  expect(answer.body).toMatchObject({ status: 'ready', ready: true, catalog: 'ok', writable: 'ok', engine: 'ok', warnings: [] });
  expect(answer.body['storage']).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'data', freeBytes: expect.any(Number), totalBytes: expect.any(Number) })]));
  expect(answer.cacheControl).toBe('no-store');
}

describe('silo serve /readyz', () => {
  let dataDir: string;
  let fleet: Fleet;
  /** No proxy trusted (SILO_TRUST_PROXY unset or 0): the socket's peer is the client. */
  let direct: RunningServer;
  /** Behind a proxy on this machine at 127.0.0.2. */
  let proxied: RunningServer;
  /** On ::1, behind a proxy anywhere on loopback. */
  let v6: RunningServer | undefined;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'silo-readyz-'));
    fleet = await openFleet({ schema: sampleSchema(), dataDir });
    direct = await createServer({ fleet, port: 0, shutdownTimeoutMs: 0, trustProxy: parseTrustProxy('0') });
    proxied = await createServer({ fleet, port: 0, shutdownTimeoutMs: 0, trustProxy: parseTrustProxy(PROXY) });
    if (HAS_IPV6_LOOPBACK) v6 = await createServer({ fleet, host: '::1', port: 0, shutdownTimeoutMs: 0, trustProxy: parseTrustProxy('loopback') });
  });

  afterAll(async () => {
    await Promise.all([direct?.close(), proxied?.close(), v6?.close()]);
    await fleet?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('gives a client on this machine the full report, with no folder paths', async () => {
    for (const server of [direct, proxied]) {
      for (const from of ['127.0.0.1', '127.0.0.3']) {
        const answer = await probeReadyz(server.url, { from });
        expectFullReport(answer);
        expect(JSON.stringify(answer.body)).not.toContain(dataDir);
      }
    }
  });

  it('gives a client the trusted proxy forwards from elsewhere the status alone, with the same status code', async () => {
    await expectProxyRules(proxied.url, expectFullReport);
  });

  it('ignores X-Forwarded-For from a peer it does not trust: the socket address decides', async () => {
    // A forged public address does not hide the report from a loopback peer…
    expectFullReport(await probeReadyz(direct.url, { from: '127.0.0.1', forwardedFor: PUBLIC_V4 }));
    expectFullReport(await probeReadyz(proxied.url, { from: '127.0.0.1', forwardedFor: PUBLIC_V4 }));
  });

  it.skipIf(OTHER_V4 === undefined)('keeps the report from a non-loopback peer, whatever loopback address it forges', async () => {
    for (const server of [direct, proxied]) await expectForgedLoopbackRefused(server.url, OTHER_V4 ?? '', ['127.0.0.1', '::1', `${PUBLIC_V4}, 127.0.0.1`]);
  });

  it.skipIf(!HAS_IPV6_LOOPBACK)('IPv6: ::1 gets the report, a public IPv6 client behind the proxy the status alone', async () => {
    await expectIpv6ProxyRules(v6?.url ?? '', expectFullReport);
  });

  it.skipIf(!HAS_IPV6_LOOPBACK || OTHER_V6 === undefined)('IPv6: a non-loopback peer forging ::1 gets the status alone', async () => {
    await expectForgedLoopbackRefused(v6?.url ?? '', OTHER_V6 ?? '', ['::1']);
  });

  it('answers 503 to every client when a region folder takes no write, and the reason to this machine only', async () => {
    // Something other than a folder where the region's folder belongs (a mount gone wrong, an
    // operator's mistake): the fleet opens, but nothing can be created there.
    const region = fleet.settings.regions.at(-1);
    if (!region) throw new Error('the sample fleet has no region');
    mkdirSync(path.dirname(region.dataDir), { recursive: true });
    writeFileSync(region.dataDir, 'not a folder');
    try {
      const local = await probeReadyz(direct.url);
      expect(local.status).toBe(503);
      expect(local.body).toMatchObject({ status: 'not ready', ready: false, catalog: 'ok', writable: [`region ${region.id}: not writable (ENOTDIR)`] });
      expect(JSON.stringify(local.body)).not.toContain(dataDir);

      const remote = [await probeReadyz(proxied.url, { from: PROXY, forwardedFor: PUBLIC_V4 })];
      if (v6) remote.push(await probeReadyz(v6.url, { from: '::1', forwardedFor: PUBLIC_V6 }));
      if (OTHER_V4 !== undefined) remote.push(await probeReadyz(direct.url, { from: OTHER_V4, forwardedFor: '127.0.0.1' }));
      for (const answer of remote) expectStatusAlone(answer, false);
    } finally {
      rmSync(region.dataDir, { force: true });
    }
    expectFullReport(await probeReadyz(direct.url));
  });
});

describe('silo serve behind a trusted proxy: failed authentications', () => {
  let dataDir: string;
  let fleet: Fleet;
  let server: RunningServer;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'silo-readyz-auth-'));
    fleet = await openFleet({ schema: sampleSchema(), dataDir });
    server = await createServer({ fleet, port: 0, shutdownTimeoutMs: 0, trustProxy: parseTrustProxy('loopback'), rateLimits: { failedAuthPerMinute: 3 } });
  });

  afterAll(async () => {
    await server?.close();
    await fleet?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('counts them per client the proxy names, so one guesser does not lock everyone behind the proxy out', async () => {
    const call = async (client: string): Promise<number> => (await fetch(`${server.url}/v1/instances`, { headers: { authorization: 'Bearer silo_000000000000_wrong', 'x-forwarded-for': client } })).status;
    const guesser: number[] = [];
    for (let i = 0; i < 4; i++) guesser.push(await call(PUBLIC_V4));
    expect(guesser).toEqual([401, 401, 401, 429]);
    expect(await call('198.51.100.9')).toBe(401);
  });
});
