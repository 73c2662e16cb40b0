import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerClientErrors } from '../src/client-errors';
import { startApi, type ApiHarness } from './api-harness';

/**
 * Requests Node's HTTP parser refuses before any route sees them (a query string or headers over
 * the limit, a malformed request), answered by `silo serve` over real loopback connections.
 */
let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
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
 */
function exchange(port: number, parts: readonly string[], waitFor?: string): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let sent = 0;
    const sendNext = (): void => {
      const part = parts[sent++];
      if (part !== undefined) socket.write(part);
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
