/**
 * The console's /readyz over real HTTP: the reasons, disk figures and backup scheduler go to a
 * client on this machine only. The client is the socket's peer, or the right-most
 * X-Forwarded-For hop when the peer is a proxy ADMIN_TRUST_PROXY (else SILO_TRUST_PROXY) names;
 * "remote" clients are a trusted proxy's X-Forwarded-For, or this machine's own non-loopback
 * interface when it has one.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HAS_IPV6_LOOPBACK,
  PROXY,
  PUBLIC_V4,
  expectForgedLoopbackRefused,
  expectIpv6ProxyRules,
  expectProxyRules,
  expectStatusAlone,
  nonLoopbackAddress,
  probeReadyz,
  type ReadyzAnswer,
} from '../../../packages/web/test/readyz-client';
import { ensureBuilt, removeDir, startServer, tempDataDir, type AdminServer } from './helpers';

const OTHER_V4 = nonLoopbackAddress('IPv4');
const OTHER_V6 = nonLoopbackAddress('IPv6');

function expectFullReport(answer: ReadyzAnswer): void {
  expect(answer.status).toBe(200);
  // SILO_BACKUPS=off in the test server: no scheduler, no cycle yet.
  expect(answer.body).toMatchObject({ status: 'ready', ready: true, catalog: 'ok', writable: 'ok', engine: 'ok', warnings: [], backups: { running: false, lagSeconds: null } });
  expect(answer.body['storage']).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'data', freeBytes: expect.any(Number), totalBytes: expect.any(Number) })]));
  expect(answer.cacheControl).toBe('no-store');
}

describe('the admin console /readyz', () => {
  let dataDir: string;
  /** The us-east region's own folder (its own disk, in a real deployment): made by its first instance. */
  let regionDir: string;
  /** Behind a proxy on this machine at 127.0.0.2 (SILO_TRUST_PROXY). */
  let proxied: AdminServer;

  beforeAll(async () => {
    await ensureBuilt();
    dataDir = tempDataDir();
    regionDir = path.join(dataDir, 'us-disk', 'us-east');
    proxied = await startServer(dataDir, { SILO_TRUST_PROXY: PROXY, SILO_REGIONS: `eu-west=eu,us-east=us:${regionDir}` });
  });

  afterAll(async () => {
    await proxied?.stop();
    if (dataDir) removeDir(dataDir);
  });

  it('gives a client on this machine the full report, with no folder paths', async () => {
    for (const from of ['127.0.0.1', '127.0.0.3']) {
      const answer = await probeReadyz(proxied.url, { from });
      expectFullReport(answer);
      expect(JSON.stringify(answer.body)).not.toContain(dataDir);
    }
  });

  it('gives a client the trusted proxy forwards from elsewhere the status alone, with the same status code', async () => {
    await expectProxyRules(proxied.url, expectFullReport);
  });

  it('ignores X-Forwarded-For from a peer it does not trust: a forged public address hides nothing', async () => {
    expectFullReport(await probeReadyz(proxied.url, { from: '127.0.0.1', forwardedFor: PUBLIC_V4 }));
  });

  it.skipIf(OTHER_V4 === undefined)('keeps the report from a non-loopback peer, whatever loopback address it forges', async () => {
    await expectForgedLoopbackRefused(proxied.url, OTHER_V4 ?? '', ['127.0.0.1', '::1', `${PUBLIC_V4}, 127.0.0.1`]);
  });

  it('answers 503 to every client when a region folder takes no write, and the reason to this machine only', async () => {
    // A file where the region's folder belongs (its disk not mounted, an operator's mistake):
    // the console runs, but nothing can be created in that region.
    mkdirSync(path.dirname(regionDir), { recursive: true });
    writeFileSync(regionDir, 'not a folder');
    try {
      const local = await probeReadyz(proxied.url);
      expect(local.status).toBe(503);
      expect(local.body).toMatchObject({ status: 'not ready', ready: false, catalog: 'ok', writable: ['region us-east: not writable (ENOTDIR)'], backups: { running: false } });
      expect(JSON.stringify(local.body)).not.toContain(dataDir);

      expectStatusAlone(await probeReadyz(proxied.url, { from: PROXY, forwardedFor: PUBLIC_V4 }), false);
      if (OTHER_V4 !== undefined) expectStatusAlone(await probeReadyz(proxied.url, { from: OTHER_V4, forwardedFor: '127.0.0.1' }), false);
    } finally {
      rmSync(regionDir, { force: true });
    }
    expectFullReport(await probeReadyz(proxied.url));
  });
});

describe.skipIf(!HAS_IPV6_LOOPBACK)('the admin console /readyz on ::1', () => {
  let dataDir: string;
  let server: AdminServer;

  beforeAll(async () => {
    await ensureBuilt();
    dataDir = tempDataDir();
    // The console's own setting wins over the fleet-wide one, which here believes no proxy.
    server = await startServer(dataDir, { ADMIN_HOST: '::1', SILO_TRUST_PROXY: '0', ADMIN_TRUST_PROXY: 'loopback' });
  });

  afterAll(async () => {
    await server?.stop();
    if (dataDir) removeDir(dataDir);
  });

  it('gives ::1 the full report and a public IPv6 client behind the proxy the status alone', async () => {
    expect(server.url).toMatch(/^http:\/\/\[::1\]:\d+$/);
    await expectIpv6ProxyRules(server.url, expectFullReport);
  });

  it.skipIf(OTHER_V6 === undefined)('gives a non-loopback IPv6 peer the status alone, even when it forges ::1', async () => {
    await expectForgedLoopbackRefused(server.url, OTHER_V6 ?? '', ['::1']);
  });
});
