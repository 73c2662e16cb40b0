import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  CLIENT_ADDRESS_HEADER,
  allowedHosts,
  clientAddressOf,
  createRequestListener,
  parseHostList,
  parseTrustProxy,
  pageAddressOf,
  safeNextPath,
  type RequestListenerOptions,
  type TrustProxy,
} from '../src/index';

describe('safeNextPath', () => {
  const admin = { fallback: '/' };
  const list = { fallback: '/t/acme', within: '/t/acme' };

  // Each of these has sent someone to another origin or out of their list somewhere.
  const bypasses: readonly [string, string][] = [
    ['protocol-relative', '//evil.example/'],
    ['backslash after the slash', '/\\evil.example/'],
    ['backslash first', '\\/evil.example/'],
    ['backslash later', '/t/acme/..\\..\\x'],
    ['encoded tab (browsers strip it: //evil)', '/%09/evil.example/'],
    ['raw tab', '/\t/evil.example/'],
    ['raw CR/LF (header injection, was a 500)', '/\r\nSet-Cookie: x=1'],
    ['encoded CR/LF', '/%0d%0a/evil.example'],
    ['raw LF only', '/\n/evil.example'],
    ['encoded slash', '/%2F/evil.example/'],
    ['encoded slash, lower case', '/%2f%2fevil.example/'],
    ['encoded backslash', '/%5C/evil.example/'],
    ['double-encoded slash', '/%252F/evil.example/'],
    ['absolute URL', 'https://evil.example/'],
    ['scheme-relative with credentials', '//user@evil.example'],
    ['javascript:', 'javascript:alert(1)'],
    ['data:', 'data:text/html,<script>alert(1)</script>'],
    ['no leading slash', 'evil.example'],
    ['fullwidth solidus look-alike', '/\uFF0Fevil.example'],
    ['division slash look-alike', '/\u2215evil.example'],
    ['leading fullwidth solidus', '\uFF0F\uFF0Fevil.example'],
    ['non-breaking space', '/\u00A0/evil.example'],
    ['space', '/ /evil.example'],
    ['NUL', '/\u0000/evil.example'],
    ['empty', ''],
    ['overlong', `/${'a'.repeat(3000)}`],
    ['malformed percent-encoding', '/%E0%A4%A'],
  ];
  for (const [what, value] of bypasses) {
    it(`refuses ${what}`, () => {
      expect(safeNextPath(value, admin)).toBe('/');
      expect(safeNextPath(value, list)).toBe('/t/acme');
    });
  }

  const escapes: readonly [string, string][] = [
    ['dot segments', '/t/acme/../other'],
    ['dot segments after the prefix', '/t/acme/active/../../other/active'],
    ['encoded dot segments', '/t/acme/%2e%2e/other'],
    ['mixed encoded dot segments', '/t/acme/.%2E/other'],
    ['double-encoded dot segments', '/t/acme/%252e%252e/other'],
    ['a longer name with the same prefix', '/t/acme-evil'],
    ['a sibling data route', '/t/acme.data'],
    ['another list', '/t/other'],
    ['the start page', '/'],
  ];
  for (const [what, value] of escapes) {
    it(`keeps a list's next within the list: ${what}`, () => {
      expect(safeNextPath(value, list)).toBe('/t/acme');
    });
  }

  it('keeps what is safe, as the URL parser normalises it', () => {
    expect(safeNextPath('/t/acme', list)).toBe('/t/acme');
    expect(safeNextPath('/t/acme/active?page=2#top', list)).toBe('/t/acme/active?page=2#top');
    expect(safeNextPath('/t/acme/./completed', list)).toBe('/t/acme/completed');
    expect(safeNextPath('/t/acme?q=%0d%0a%2F%2F', list)).toBe('/t/acme?q=%0d%0a%2F%2F');
    expect(safeNextPath('/instances?sort=name&order=asc', admin)).toBe('/instances?sort=name&order=asc');
    expect(safeNextPath('/', admin)).toBe('/');
    expect(safeNextPath(null, admin)).toBe('/');
    expect(safeNextPath(42, admin)).toBe('/');
  });
});

describe('pageAddressOf', () => {
  it('names the page a data request loads, without React Router\'s own parameters', () => {
    const page = (url: string) => pageAddressOf(new URL(url, 'http://app.test'));
    expect(page('/_.data?q=acme&_routes=root,routes/index')).toBe('/?q=acme');
    expect(page('/t/acme/active.data?_routes=a')).toBe('/t/acme/active');
    expect(page('/t/acme?index=&after=5')).toBe('/t/acme?after=5');
    expect(page('/instances/acme/data?table=todos')).toBe('/instances/acme/data?table=todos');
    expect(page('/')).toBe('/');
  });
});

describe('parseTrustProxy', () => {
  it('reads off, hop counts and address lists, and refuses nonsense', () => {
    expect(parseTrustProxy(undefined)).toEqual({ kind: 'none' });
    expect(parseTrustProxy('0')).toEqual({ kind: 'none' });
    expect(parseTrustProxy('false')).toEqual({ kind: 'none' });
    expect(parseTrustProxy('1')).toEqual({ kind: 'hops', hops: 1 });
    expect(parseTrustProxy('true')).toEqual({ kind: 'hops', hops: 1 });
    expect(parseTrustProxy('2')).toEqual({ kind: 'hops', hops: 2 });
    expect(parseTrustProxy('loopback, 10.0.0.0/8')).toEqual({ kind: 'addresses', addresses: ['loopback', '10.0.0.0/8'] });
    expect(() => parseTrustProxy('yes')).toThrow(/not a hop count or a list of proxy addresses/);
    expect(() => parseTrustProxy('10.0.0.0/99')).toThrow();
  });
});

describe('parseHostList', () => {
  it('accepts host and host:port, refuses anything else', () => {
    expect(parseHostList('todos.example.com, 127.0.0.1:3000,[::1]:3000')).toEqual(['todos.example.com', '127.0.0.1:3000', '[::1]:3000']);
    expect(() => parseHostList('https://todos.example.com')).toThrow(/not a host/);
    expect(() => parseHostList('todos.example.com/x')).toThrow(/not a host/);
    expect(() => parseHostList('user@todos.example.com')).toThrow(/not a host/);
  });
});

describe('allowedHosts', () => {
  it('defaults to the loopback names with the port when listening on loopback', () => {
    const hosts = allowedHosts({ setting: 'X', entries: undefined, listenHost: '127.0.0.1', port: () => 3001 });
    for (const ok of ['127.0.0.1:3001', 'localhost:3001', '[::1]:3001', 'LOCALHOST:3001']) expect(hosts.allows(ok), ok).toBe(true);
    for (const bad of ['evil.example:3001', 'evil.example', '127.0.0.1:3000', '127.0.0.1', 'localhost.:3001', '127.1:3001', undefined, '']) {
      expect(hosts.allows(bad), String(bad)).toBe(false);
    }
  });

  it('on every interface, allows localhost and IP literals but never a DNS name nobody listed', () => {
    const hosts = allowedHosts({ setting: 'X', entries: undefined, listenHost: '0.0.0.0', port: () => 3000 });
    for (const ok of ['localhost:3000', '192.168.1.20:3000', '[fe80::1]:3000', '127.0.0.1:3000']) expect(hosts.allows(ok), ok).toBe(true);
    for (const bad of ['rebind.evil.example:3000', 'todos.example.com:3000', '192.168.1.20:3001']) expect(hosts.allows(bad), bad).toBe(false);
  });

  it('with a list, allows exactly the hosts listed (any port unless one is given)', () => {
    const hosts = allowedHosts({ setting: 'X', entries: parseHostList('todos.example.com,127.0.0.1:3000,admin.example.com:443'), listenHost: '127.0.0.1', port: () => 3000 });
    for (const ok of ['todos.example.com', 'todos.example.com:443', 'Todos.Example.com', '127.0.0.1:3000', 'admin.example.com', 'admin.example.com:443']) expect(hosts.allows(ok), ok).toBe(true);
    for (const bad of ['evil.example', '127.0.0.1:3001', '127.0.0.1', 'localhost:3000', 'todos.example.com.evil.example', 'admin.example.com:8443']) expect(hosts.allows(bad), bad).toBe(false);
    expect(allowedHosts({ setting: 'X', entries: ['*'], listenHost: '127.0.0.1', port: () => 1 }).allows('anything.example')).toBe(true);
  });

  it('remembers answers per Host value and port, and answers the same past its bound', () => {
    let port = 0;
    const hosts = allowedHosts({ setting: 'X', entries: undefined, listenHost: '127.0.0.1', port: () => port });
    expect(hosts.allows('localhost:3001')).toBe(false);
    port = 3001; // PORT=0: the real port is known once the server listens
    expect(hosts.allows('localhost:3001')).toBe(true);
    for (let i = 0; i < 500; i++) expect(hosts.allows(`filler-${i}.example:3001`)).toBe(false);
    expect(hosts.allows('evil.example:3001')).toBe(false);
    expect(hosts.allows('127.0.0.1:3001')).toBe(true);
    expect(hosts.allows('localhost:3001')).toBe(true);
  });
});

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

interface Seen {
  url: string;
  clientAddress: string;
  headerAddress: string;
  nonce: string;
}

async function listen(options: (port: () => number) => RequestListenerOptions, respond: (request: Request) => Response = () => new Response('ok')): Promise<{ port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  let port = 0;
  const listener = createRequestListener(async (request, info) => {
    seen.push({ url: request.url, clientAddress: info.clientAddress, headerAddress: clientAddressOf(request), nonce: info.nonce });
    return respond(request);
  }, options(() => port));
  const server = createServer((req, res) => void listener(req, res));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  return { port, seen };
}

/** Sends raw bytes (a forged Host, a header no fetch would send) and returns the raw answer. */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
    socket.write(text);
  });
}

function statusOf(answer: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);
}

function headerOf(answer: string, name: string): string | undefined {
  const head = answer.split('\r\n\r\n', 1)[0] ?? '';
  const line = head.split('\r\n').find((item) => item.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}

describe('createRequestListener: headers, Host and client address', () => {
  it('puts the security headers and a fresh nonce on every response, including ones the handler builds bare', async () => {
    const { port, seen } = await listen(() => ({}), () => new Response('bare', { status: 405 }));
    const first = await raw(port, 'POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    const second = await raw(port, 'GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    expect(statusOf(first)).toBe(405);
    for (const answer of [first, second]) {
      const csp = headerOf(answer, 'content-security-policy') ?? '';
      expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]{24}'/);
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).toMatch(/style-src 'self' 'nonce-[^']+';/);
      expect(headerOf(answer, 'x-frame-options')).toBe('DENY');
      expect(headerOf(answer, 'x-content-type-options')).toBe('nosniff');
    }
    const nonces = [first, second].map((answer) => /'nonce-([^']+)'/.exec(headerOf(answer, 'content-security-policy') ?? '')?.[1]);
    expect(nonces[0]).not.toBe(nonces[1]);
    expect(seen.map((item) => item.nonce)).toEqual(nonces);
  });

  it('marks every app response no-store unless it sets its own Cache-Control; static files keep theirs', async () => {
    const { port } = await listen(
      () => ({
        staticFiles: (req, res) => {
          if (req.url !== '/assets/app.js') return false;
          res.writeHead(200, { 'Cache-Control': 'public, max-age=31536000, immutable' }).end('js');
          return true;
        },
      }),
      (request) => (request.url.endsWith('/own') ? new Response('own', { headers: { 'Cache-Control': 'private, max-age=5' } }) : new Response('page')),
    );
    const page = await raw(port, 'GET /t/acme HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    const data = await raw(port, 'GET /t/acme.data HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    const own = await raw(port, 'GET /own HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    const asset = await raw(port, 'GET /assets/app.js HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    expect(headerOf(page, 'cache-control')).toBe('no-store');
    expect(headerOf(data, 'cache-control')).toBe('no-store');
    expect(headerOf(own, 'cache-control')).toBe('private, max-age=5');
    expect(headerOf(asset, 'cache-control')).toBe('public, max-age=31536000, immutable');
  });

  it('refuses a forged Host with 421 and a clear message, before the app sees it', async () => {
    const { port, seen } = await listen((actual) => ({ allowedHosts: allowedHosts({ setting: 'ADMIN_ALLOWED_HOSTS', entries: undefined, listenHost: '127.0.0.1', port: actual }) }));
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const refused = await raw(port, `GET / HTTP/1.1\r\nHost: rebind.evil.example:${port}\r\nConnection: close\r\n\r\n`);
    const noHost = await raw(port, 'GET / HTTP/1.0\r\n\r\n');
    warn.mockRestore();
    expect(statusOf(refused)).toBe(421);
    expect(refused).toContain('does not answer for the host "rebind.evil.example:');
    expect(refused).toContain('ADMIN_ALLOWED_HOSTS');
    expect(headerOf(refused, 'content-security-policy')).toContain("default-src 'self'");
    expect(statusOf(noHost)).toBe(421);
    expect(seen).toHaveLength(0);
    const allowed = await raw(port, `GET / HTTP/1.1\r\nHost: localhost:${port}\r\nConnection: close\r\n\r\n`);
    expect(statusOf(allowed)).toBe(200);
  });

  it('keeps the origin the app sees (`GET //evil/x`, absolute-form targets) and refuses malformed paths with one line', async () => {
    const { port, seen } = await listen(() => ({}));
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    await raw(port, `GET //evil.example/x HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
    const absolute = await raw(port, `GET http://evil.example/x HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
    const malformed = await raw(port, `GET /t/%E0%A4%A HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
    const warnings = warn.mock.calls.length;
    warn.mockRestore();
    expect(seen.map((item) => item.url)).toEqual([`http://127.0.0.1:${port}//evil.example/x`]);
    expect(statusOf(absolute)).toBe(400);
    expect(statusOf(malformed)).toBe(400);
    expect(warnings).toBe(2);
  });

  async function addressFor(trust: TrustProxy, headers: string): Promise<Seen> {
    const { port, seen } = await listen(() => ({ trustProxy: trust }));
    await raw(port, `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}Connection: close\r\n\r\n`);
    const result = seen[0];
    if (!result) throw new Error('the handler was not called');
    return result;
  }

  it('takes the client address from the socket and overwrites a client-sent address header', async () => {
    const seen = await addressFor(parseTrustProxy('0'), `X-Forwarded-For: 203.0.113.9\r\n${CLIENT_ADDRESS_HEADER}: 203.0.113.10\r\n`);
    expect(seen.clientAddress).toBe('127.0.0.1');
    expect(seen.headerAddress).toBe('127.0.0.1');
  });

  it('behind one trusted proxy, takes the right-most X-Forwarded-For hop, not what the client wrote on the left', async () => {
    // The client wrote "1.2.3.4"; the proxy appended the address it saw (198.51.100.7).
    const seen = await addressFor(parseTrustProxy('1'), 'X-Forwarded-For: 1.2.3.4, 198.51.100.7\r\n');
    expect(seen.clientAddress).toBe('198.51.100.7');
    expect(seen.headerAddress).toBe('198.51.100.7');
    const twoHops = await addressFor(parseTrustProxy('2'), 'X-Forwarded-For: 1.2.3.4, 198.51.100.7, 10.0.0.2\r\n');
    expect(twoHops.clientAddress).toBe('198.51.100.7');
  });

  it('with a list of proxy addresses, skips trusted hops from the right and ignores headers from an untrusted peer', async () => {
    const trusted = await addressFor(parseTrustProxy('loopback,10.0.0.0/8'), 'X-Forwarded-For: 1.2.3.4, 198.51.100.7, 10.1.2.3\r\nX-Forwarded-Proto: https\r\n');
    expect(trusted.clientAddress).toBe('198.51.100.7');
    expect(trusted.url.startsWith('https://')).toBe(true);
    const untrusted = await addressFor(parseTrustProxy('10.0.0.0/8'), 'X-Forwarded-For: 1.2.3.4\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: evil.example\r\n');
    expect(untrusted.clientAddress).toBe('127.0.0.1');
    expect(untrusted.url).toMatch(/^http:\/\/127\.0\.0\.1\//);
  });

  it('sends HSTS only on requests that came over https through a trusted proxy', async () => {
    const { port } = await listen(() => ({ trustProxy: parseTrustProxy('loopback') }));
    const request = (headers: string) => raw(port, `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}Connection: close\r\n\r\n`);
    expect(headerOf(await request('X-Forwarded-Proto: https\r\n'), 'strict-transport-security')).toBe('max-age=31536000');
    expect(headerOf(await request(''), 'strict-transport-security')).toBeUndefined();
    expect(headerOf(await request('X-Forwarded-Proto: http\r\n'), 'strict-transport-security')).toBeUndefined();
    // A client claiming https past no trusted proxy gets none: a tunnel to http stays usable.
    const { port: direct } = await listen(() => ({}));
    const claimed = await raw(direct, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-Proto: https\r\nConnection: close\r\n\r\n');
    expect(headerOf(claimed, 'strict-transport-security')).toBeUndefined();
  });

  it('checks the Host a trusted proxy forwarded, so rebinding through the proxy is refused too', async () => {
    const { port, seen } = await listen((actual) => ({
      trustProxy: parseTrustProxy('1'),
      allowedHosts: allowedHosts({ setting: 'SILO_ALLOWED_HOSTS', entries: parseHostList('todos.example.com'), listenHost: '127.0.0.1', port: actual }),
    }));
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const refused = await raw(port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-Host: rebind.evil.example\r\nConnection: close\r\n\r\n');
    warn.mockRestore();
    const served = await raw(port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-Host: todos.example.com\r\nX-Forwarded-Proto: https\r\nConnection: close\r\n\r\n');
    expect(statusOf(refused)).toBe(421);
    expect(statusOf(served)).toBe(200);
    expect(seen.map((item) => item.url)).toEqual(['https://todos.example.com/']);
  });
});
