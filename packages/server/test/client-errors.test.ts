import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AccessLogger } from '../src/access-log';
import { answerClientErrors } from '../src/client-errors';
import { startApi, type ApiHarness } from './api-harness';

/**
 * Requests Node's HTTP parser refuses before any route sees them (a query string or headers over
 * the limit, a malformed request), answered by `silo serve` over real loopback connections.
 */
let api: ApiHarness;
/** The access log's lines, each with its message, as `silo serve` wrote them. */
const lines: Record<string, unknown>[] = [];
const log: AccessLogger = { info: (fields, message) => lines.push({ ...fields, message }) };
beforeAll(async () => {
  api = await startApi({ log });
});

/** The access-log lines written while `work` ran. */
async function linesOf(work: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const before = lines.length;
  await work();
  return lines.slice(before);
}

/** The access-log line of a request no route saw: the method only when Node read it, never a route. */
function refusedLine(status: number | null, refused: string, method: string | null = null): Record<string, unknown> {
  return { method, route: null, status, ms: expect.any(Number), refused, message: `${method ?? '-'} - ${status ?? '-'} ${refused}` };
}
afterAll(async () => {
  await api?.close();
});

/** What a connection received from the server until the server closed it. */
interface RawExchange {
  statusLine: string;
  headers: Map<string, string>;
  body: string;
  /** Every byte received, head and body. */
  raw: string;
}

/**
 * Writes `parts` to a new connection to `port`, one after another (each after `waitFor`, if
 * given, is in what came back), and reads until the server closes it: a test of that close too.
 * `halfClose` ends the client's side after the last part, as a client that gives up writing does.
 */
function exchange(port: number, parts: readonly string[], waitFor?: string, halfClose = false): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let sent = 0;
    const sendNext = (): void => {
      const part = parts[sent++];
      if (part === undefined) return;
      if (halfClose && sent === parts.length) socket.end(part);
      else socket.write(part);
    };
    socket.on('connect', sendNext);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (waitFor !== undefined && sent < parts.length && Buffer.concat(chunks).toString('latin1').includes(waitFor)) sendNext();
    });
    // A reset after the answer still counts: what arrived before it is what the client has.
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' ? undefined : reject(error)));
    socket.on('close', () => resolve(parsed(Buffer.concat(chunks).toString('utf8'))));
    socket.setTimeout(10_000, () => reject(new Error('the server did not close the connection')));
  });
}

function parsed(raw: string): RawExchange {
  const [head = '', ...rest] = raw.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = new Map(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
  return { statusLine, headers, body: rest.join('\r\n\r\n'), raw };
}

function expectJsonError(answer: RawExchange, statusLine: string, code: string): string {
  expect(answer.statusLine).toBe(statusLine);
  expect(answer.headers.get('content-type')).toBe('application/json');
  expect(answer.headers.get('cache-control')).toBe('no-store');
  expect(answer.headers.get('connection')).toBe('close');
  expect(Number(answer.headers.get('content-length'))).toBe(Buffer.byteLength(answer.body));
  const body = JSON.parse(answer.body) as { error: { code: string; message: string } };
  expect(body.error.code).toBe(code);
  // Node's parser names its internals ("Parse Error: Header overflow", HPE_…): not for the client.
  expect(body.error.message).not.toMatch(/HPE_|Parse Error|llhttp/i);
  return body.error.message;
}

describe('requests refused before any route', () => {
  it('answers a query string over the header limit with 431 in the JSON error shape (fetch)', async () => {
    const response = await fetch(`${api.server.url}/v1/instances?search=${'x'.repeat(100_000)}`, { headers: { authorization: `Bearer ${api.tokens.read}` } });
    expect(response.status).toBe(431);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('connection')).toBe('close');
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('HEADERS_TOO_LARGE');
    expect(body.error.message).toContain('query string');
  });

  it('answers oversized headers with 431 JSON and closes the connection', async () => {
    const request = `GET /v1/instances HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: ${'p'.repeat(64 * 1024)}\r\n\r\n`;
    const answer = await exchange(api.server.port, [request]);
    expect(expectJsonError(answer, 'HTTP/1.1 431 Request Header Fields Too Large', 'HEADERS_TOO_LARGE')).toContain('headers');
  });

  it('answers a malformed request with 400 MALFORMED_REQUEST JSON and closes the connection', async () => {
    const answer = await exchange(api.server.port, ['GET /v1/instances HTTP/1.1\r\nHost: 127.0.0.1\r\nthis is no header\r\n\r\n']);
    expectJsonError(answer, 'HTTP/1.1 400 Bad Request', 'MALFORMED_REQUEST');
  });

  it('answers a malformed request after a good one on the same connection, after the first answer', async () => {
    const good = `GET /v1/instances HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${api.tokens.read}\r\n\r\n`;
    const answer = await exchange(api.server.port, [good, 'NOT HTTP AT ALL\r\n\r\n'], '"total"');
    expect(answer.statusLine).toBe('HTTP/1.1 200 OK');
    const second = parsed(answer.raw.slice(answer.raw.indexOf('HTTP/1.1 400')));
    expectJsonError(second, 'HTTP/1.1 400 Bad Request', 'MALFORMED_REQUEST');
  });
});

describe('the access log of requests refused before any route', () => {
  // Header values and bodies are never logged: this one stands for a credential.
  const secret = 'silo_feedfacecafe_NeverLogThisSecretValue';

  it('writes one line for a 431, with no method or route it did not read and no header value', async () => {
    const request = `GET /v1/instances?secret=${secret} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${secret}\r\nX-Padding: ${'p'.repeat(64 * 1024)}\r\n\r\n`;
    const logged = await linesOf(async () => expectJsonError(await exchange(api.server.port, [request]), 'HTTP/1.1 431 Request Header Fields Too Large', 'HEADERS_TOO_LARGE'));
    expect(logged).toEqual([refusedLine(431, 'HEADERS_TOO_LARGE')]);
    expect(JSON.stringify(logged)).not.toContain(secret);
  });

  it('writes one line for a malformed request, after the line of a good one before it on the connection', async () => {
    const good = `GET /v1/instances HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${api.tokens.read}\r\n\r\n`;
    const logged = await linesOf(() => exchange(api.server.port, [good, `NOT HTTP ${secret}\r\nX-Secret: ${secret}\r\n\r\n`], '"total"'));
    expect(logged).toEqual([expect.objectContaining({ method: 'GET', route: '/v1/instances', status: 200 }), refusedLine(400, 'MALFORMED_REQUEST')]);
    expect(JSON.stringify(logged)).not.toContain(secret);
  });

  it('writes one line for a request whose body is cut short, the refusal, with the method it read', async () => {
    const head = `POST /v1/instances/acme/query HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${api.tokens.read}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n`;
    const logged = await linesOf(async () => {
      expectJsonError(await exchange(api.server.port, [`${head}{"sql":"SELECT 1"}`], undefined, true), 'HTTP/1.1 400 Bad Request', 'MALFORMED_REQUEST');
      // The route fails on the cut body after the refusal was answered: a line of its own would come now.
      await new Promise((resolve) => setTimeout(resolve, 200));
    });
    expect(logged).toEqual([refusedLine(400, 'MALFORMED_REQUEST', 'POST')]);
  });
});

describe('a client that resets its connection in the middle of a body', () => {
  it('is logged as a client error, not as a failure of the server', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(`${warning.name}: ${warning.message}`);
    process.on('warning', onWarning);
    try {
      const logged = await linesOf(async () => {
        const before = lines.length;
        const socket = connect(api.server.port, '127.0.0.1');
        socket.on('error', () => undefined);
        await new Promise((resolve) => socket.once('connect', resolve));
        socket.write(`POST /v1/instances/acme/query HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${api.tokens.read}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"sql":`);
        // Once the route reads the body: the request is in, the body never will be.
        await new Promise((resolve) => setTimeout(resolve, 100));
        socket.resetAndDestroy();
        await vi.waitFor(() => expect(lines.length).toBeGreaterThan(before), { timeout: 5_000 });
      });
      expect(logged).toEqual([expect.objectContaining({ method: 'POST', route: '/v1/instances/{name}/query', status: 400 })]);
      expect(warnings.filter((warning) => warning.includes('unexpected error'))).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});

describe('a request timeout', () => {
  let server: Server;
  const timeoutLines: Record<string, unknown>[] = [];
  beforeAll(async () => {
    // Node's own clock, made short: `silo serve` keeps its defaults (requestTimeout 300 s).
    server = createHttpServer({ requestTimeout: 300, headersTimeout: 300, connectionsCheckingInterval: 50 }, (_request, response) => response.end());
    answerClientErrors(server, { info: (fields, message) => timeoutLines.push({ ...fields, message }) });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('is answered 408 in the JSON error shape and written to the access log', async () => {
    const { port } = server.address() as AddressInfo;
    // Headers that never end.
    const answer = await exchange(port, ['GET /v1/instances HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Secret: never-logged\r\n']);
    expectJsonError(answer, 'HTTP/1.1 408 Request Timeout', 'REQUEST_TIMEOUT');
    expect(timeoutLines).toEqual([refusedLine(408, 'REQUEST_TIMEOUT')]);
  });
});

describe('requests Node reads but no route can take', () => {
  it('answers a target or Host no URL can be made of with 400 MALFORMED_REQUEST JSON and logs it', async () => {
    const auth = `Authorization: Bearer ${api.tokens.read}\r\n`;
    for (const [what, request] of [
      ['a backslash in the path', `GET /v1\\instances HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}\r\n`],
      ['a Host that is no host name', `GET /v1/instances HTTP/1.1\r\nHost: a b\r\n${auth}\r\n`],
      ['a Host with user info', `GET /v1/instances HTTP/1.1\r\nHost: user@127.0.0.1\r\n${auth}\r\n`],
      ['an absolute URL that does not parse', `GET http://[::1/v1/instances HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}\r\n`],
      ['the asterisk form', 'OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'],
    ] as const) {
      const method = request.slice(0, request.indexOf(' '));
      const logged = await linesOf(async () => {
        const message = expectJsonError(await exchange(api.server.port, [request]), 'HTTP/1.1 400 Bad Request', 'MALFORMED_REQUEST');
        expect(message, what).toContain('URL');
      });
      expect(logged, what).toEqual([refusedLine(400, 'MALFORMED_REQUEST', method)]);
    }
  });

  it('answers CONNECT with 405 JSON and Allow, not a dropped connection', async () => {
    const logged = await linesOf(async () => {
      const answer = await exchange(api.server.port, ['CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n']);
      expect(expectJsonError(answer, 'HTTP/1.1 405 Method Not Allowed', 'METHOD_NOT_ALLOWED')).toContain('CONNECT');
      expect(answer.headers.get('allow')).toBe('GET, HEAD, POST, DELETE');
    });
    expect(logged).toEqual([refusedLine(405, 'METHOD_NOT_ALLOWED', 'CONNECT')]);
  });

  it('answers an expectation it cannot meet with 417 JSON', async () => {
    const request = `POST /v1/instances HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${api.tokens.write}\r\nExpect: 200-ok\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`;
    const logged = await linesOf(async () => {
      const message = expectJsonError(await exchange(api.server.port, [request]), 'HTTP/1.1 417 Expectation Failed', 'EXPECTATION_FAILED');
      expect(message).toContain('100-continue');
    });
    expect(logged).toEqual([refusedLine(417, 'EXPECTATION_FAILED', 'POST')]);
  });
});

describe('a refusal while an answer is part written', () => {
  let server: Server;
  let release: () => void = () => undefined;
  beforeAll(async () => {
    // A response that sends its head and part of its body, then waits: a garbled request
    // pipelined behind it must not write into the middle of it.
    server = createHttpServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain', 'content-length': '20' });
      response.write('first half|');
      release = () => response.end('2nd half!');
    });
    answerClientErrors(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    release();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('closes the connection without writing an answer into it', async () => {
    const { port } = server.address() as AddressInfo;
    const answer = await exchange(port, ['GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 'NOT HTTP AT ALL\r\n\r\n'], 'first half|');
    expect(answer.statusLine).toBe('HTTP/1.1 200 OK');
    expect(answer.body).toBe('first half|');
    expect(answer.raw).not.toContain('MALFORMED_REQUEST');
  });
});
