import { request } from 'node:http';
import { networkInterfaces } from 'node:os';
import { expect } from 'vitest';

/** What a /readyz answer is, as a client sees it. */
export interface ReadyzAnswer {
  readonly status: number;
  readonly cacheControl: string | undefined;
  readonly body: Record<string, unknown>;
}

/** The fields only a client on the machine itself may see (`fleetReadiness`, plus the admin's scheduler). */
export const DETAIL_FIELDS = ['catalog', 'storage', 'warnings', 'writable', 'engine', 'backups'] as const;

/** What a client elsewhere may learn: the status, with the code a load balancer reads, and nothing else. */
export function expectStatusAlone(answer: ReadyzAnswer, ready: boolean): void {
  expect(answer.status).toBe(ready ? 200 : 503);
  expect(answer.body).toEqual({ status: ready ? 'ready' : 'not ready', ready });
  for (const field of DETAIL_FIELDS) expect(answer.body).not.toHaveProperty(field);
  expect(answer.cacheControl).toBe('no-store');
}

/** Whether this machine has the IPv6 loopback address (some containers have IPv4 only). */
export const HAS_IPV6_LOOPBACK = Object.values(networkInterfaces()).some((entries) => entries?.some((entry) => entry.internal && entry.address === '::1'));

/**
 * GET /readyz over real HTTP, from the local address `from` (another loopback address, or one of
 * this machine's other interfaces, so the server sees a peer other than 127.0.0.1) and with the
 * X-Forwarded-For a proxy would add. node:http rather than fetch: fetch cannot pick the source address.
 */
export function probeReadyz(base: string, options: { from?: string; forwardedFor?: string } = {}): Promise<ReadyzAnswer> {
  const url = new URL('/readyz', base);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        // `[::1]` in a URL, `::1` for a socket.
        host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: url.port,
        path: url.pathname,
        // The Host the server's allow-list expects: the one it was reached at.
        headers: { host: url.host, ...(options.forwardedFor === undefined ? {} : { 'x-forwarded-for': options.forwardedFor }) },
        ...(options.from === undefined ? {} : { localAddress: options.from }),
        agent: false,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, cacheControl: res.headers['cache-control'], body: JSON.parse(text) as Record<string, unknown> });
          } catch (error) {
            reject(new Error(`/readyz answered ${res.statusCode} with no JSON: ${text.slice(0, 300)}`, { cause: error }));
          }
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/**
 * An address of this machine that is not loopback (a container's or a host's interface), to
 * connect from so the server's peer is a real non-loopback address; undefined when the machine
 * has none. Link-local IPv6 needs a scope id, so it is passed over.
 */
export function nonLoopbackAddress(family: 'IPv4' | 'IPv6'): string | undefined {
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) {
      if (entry.internal || entry.family !== family) continue;
      if (family === 'IPv6' && /^fe[89ab]/i.test(entry.address)) continue;
      return entry.address;
    }
  }
  return undefined;
}

/** A client elsewhere, as a proxy names it (documentation ranges, RFC 5737 and 3849). */
export const PUBLIC_V4 = '203.0.113.7';
export const PUBLIC_V6 = '2001:db8::7';
/** A second loopback address as the proxy, so 127.0.0.1 stays a peer the server does not trust. */
export const PROXY = '127.0.0.2';

/**
 * The probes every server with the proxy at PROXY must answer alike: a client the proxy
 * forwards from elsewhere gets the status alone (whatever the client wrote to the left of the
 * proxy's hop), and one it vouches for on this machine gets `expectFullReport`'s report.
 */
export async function expectProxyRules(url: string, expectFullReport: (answer: ReadyzAnswer) => void): Promise<void> {
  for (const forwardedFor of [PUBLIC_V4, `127.0.0.1, ${PUBLIC_V4}`, `::ffff:${PUBLIC_V4}`]) {
    expectStatusAlone(await probeReadyz(url, { from: PROXY, forwardedFor }), true);
  }
  // The proxy vouches for a client on this machine (curl on the host through the proxy), as an
  // IPv4 or a dual-stack proxy writes it.
  for (const forwardedFor of ['127.0.0.1', '::ffff:127.0.0.1']) expectFullReport(await probeReadyz(url, { from: PROXY, forwardedFor }));
}

/** A peer elsewhere (`from`, one of this machine's other addresses) gets the status alone, whatever loopback address it forges. */
export async function expectForgedLoopbackRefused(url: string, from: string, forged: readonly string[]): Promise<void> {
  expectStatusAlone(await probeReadyz(url, { from }), true);
  for (const forwardedFor of forged) expectStatusAlone(await probeReadyz(url, { from, forwardedFor }), true);
}

/** A server on ::1 that trusts loopback proxies: ::1 gets the report, a public IPv6 client behind the proxy the status alone. */
export async function expectIpv6ProxyRules(url: string, expectFullReport: (answer: ReadyzAnswer) => void): Promise<void> {
  expectFullReport(await probeReadyz(url, { from: '::1' }));
  expectStatusAlone(await probeReadyz(url, { from: '::1', forwardedFor: PUBLIC_V6 }), true);
  expectStatusAlone(await probeReadyz(url, { from: '::1', forwardedFor: `::1, ${PUBLIC_V6}` }), true);
  expectFullReport(await probeReadyz(url, { from: '::1', forwardedFor: '::1' }));
}
