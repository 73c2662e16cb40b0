import { maxHeaderSize, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { logRefusal, type AccessLogger } from './access-log';
import { errorBody, type ApiOnlyCode } from './api/errors';

/** What a request Node refused before any route saw it is told. */
interface Refusal {
  status: number;
  code: ApiOnlyCode;
  message: string;
  headers?: Readonly<Record<string, string>>;
}

/**
 * How long a refused connection is still read from after its answer: closing it with the rest
 * of the request unread would reset it, and a reset can discard the answer on its way.
 */
const LINGER_MS = 2_000;

/** Every method some route of `silo serve` answers: what a CONNECT is told to use instead. */
const SERVED_METHODS = 'GET, HEAD, POST, DELETE';

/** What the server's own access log needs to know of the refusals. */
export interface ClientErrors {
  /**
   * Whether the parser gave up on this request's body (cut short, or too slow): it gets no answer
   * of its own, and the refusal's line in the access log is its line.
   */
  refusedBody(request: IncomingMessage): boolean;
}

/**
 * Answers the requests Node would otherwise answer itself, with no body, or not at all, in the
 * API's JSON error shape, and writes each to the access log (`log`): those its HTTP parser
 * refuses (headers over the limit, malformed requests, a request timeout), CONNECT (Node drops
 * the connection) and an `Expect` other than 100-continue (Node's bodiless 417). The connection
 * is closed after each. The parser's reason stays on the server: its words name its internals.
 */
export function answerClientErrors(server: Server, log?: AccessLogger): ClientErrors {
  const connections = trackConnections(server);
  // The parser reports again for each later chunk of a connection it has given up on.
  const handled = new WeakSet<Duplex>();
  const refusedBodies = new WeakSet<IncomingMessage>();
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (handled.has(socket)) return;
    handled.add(socket);
    if (!isRefusal(error.code)) {
      socket.destroy();
      return;
    }
    const refusal = refusalOf(error.code);
    // A request read up to its body is the one refused, and its method is known.
    const cut = connections.unfinished(socket);
    if (cut) refusedBodies.add(cut);
    // A broken connection has nobody to answer; nor has one whose answer to an earlier request
    // is part written, which these bytes would corrupt. It was a request all the same.
    const answered = socket.writable && !connections.partWritten(socket);
    if (answered) answerAndClose(socket, refusal);
    else socket.destroy();
    if (log) logRefusal(log, { method: cut?.method ?? null, status: answered ? refusal.status : null, code: refusal.code, startedAt: connections.readySince(socket) });
  });

  server.on('connect', (request: IncomingMessage, socket: Duplex) => {
    // Node hands the socket over as it is, without the handler it keeps on its own sockets.
    socket.on('error', () => socket.destroy());
    const refusal: Refusal = {
      status: 405,
      code: 'METHOD_NOT_ALLOWED',
      message: `CONNECT is not served: this is not a proxy. The API is under /v1 (${SERVED_METHODS}).`,
      headers: { Allow: SERVED_METHODS },
    };
    answerAndClose(socket, refusal);
    if (log) logRefusal(log, { method: 'CONNECT', status: refusal.status, code: refusal.code, startedAt: connections.readySince(request.socket) });
  });

  server.on('checkExpectation', (request: IncomingMessage, response: ServerResponse) => {
    const refusal: Refusal = {
      status: 417,
      code: 'EXPECTATION_FAILED',
      message: 'The only expectation the server meets is "Expect: 100-continue"; send the request without the other.',
    };
    const body = JSON.stringify(errorBody(refusal.code, refusal.message));
    // The body was not read: the connection cannot carry another request.
    response.writeHead(refusal.status, { ...jsonHeaders(body), Connection: 'close' });
    response.end(body);
    if (log) logRefusal(log, { method: request.method ?? null, status: refusal.status, code: refusal.code, startedAt: connections.readySince(request.socket) });
  });
  return { refusedBody: (request) => refusedBodies.has(request) };
}

/** The parser's own refusals (`HPE_*`) and the request timeout; other codes are the socket's. */
function isRefusal(code: string | undefined): code is string {
  return code !== undefined && (code.startsWith('HPE_') || code === 'ERR_HTTP_REQUEST_TIMEOUT');
}

function refusalOf(code: string): Refusal {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return {
        status: 431,
        code: 'HEADERS_TOO_LARGE',
        message: `The request's URL and headers are larger than the server accepts (${maxHeaderSize} bytes in all): shorten the query string, or send fewer or smaller headers.`,
      };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, code: 'PAYLOAD_TOO_LARGE', message: "The chunked body's chunk extensions are larger than the server accepts." };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, code: 'REQUEST_TIMEOUT', message: 'The request did not arrive in full in time; send it again.' };
    default:
      return { status: 400, code: 'MALFORMED_REQUEST', message: 'The request is not valid HTTP/1.1 and was not read: check its request line and headers.' };
  }
}

/** Writes the whole answer to the socket itself (a refused request has no response object), then closes it. */
function answerAndClose(socket: Duplex, refusal: Refusal): void {
  socket.end(rawAnswer(refusal));
  const linger = setTimeout(() => socket.destroy(), LINGER_MS).unref();
  socket.once('close', () => clearTimeout(linger));
}

function rawAnswer({ status, code, message, headers = {} }: Refusal): string {
  const body = JSON.stringify(errorBody(code, message));
  const fields = { ...jsonHeaders(body), ...headers, Connection: 'close' };
  const head = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`, ...Object.entries(fields).map(([name, value]) => `${name}: ${value}`)];
  return `${head.join('\r\n')}\r\n\r\n${body}`;
}

function jsonHeaders(body: string): Record<string, string> {
  return { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)), 'Cache-Control': 'no-store' };
}

interface Connections {
  /** Whether an answer has begun on the wire and not finished (Node keeps this on the socket, but not where its API shows it). */
  partWritten(socket: Duplex): boolean;
  /** The request whose body is still being read, if any. */
  unfinished(socket: Duplex): IncomingMessage | undefined;
  /** Since when the connection has been ready for its next request, which a refusal's line counts its time from. */
  readySince(socket: Duplex): number;
}

/** Per connection: the requests under way and their responses. */
function trackConnections(server: Server): Connections {
  const open = new WeakMap<Duplex, Map<ServerResponse, IncomingMessage>>();
  const readyAt = new WeakMap<Duplex, number>();
  server.on('connection', (socket: Duplex) => readyAt.set(socket, performance.now()));
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const responses = open.get(request.socket) ?? new Map<ServerResponse, IncomingMessage>();
    open.set(request.socket, responses);
    responses.set(response, request);
    response.once('close', () => responses.delete(response));
    response.once('finish', () => readyAt.set(request.socket, performance.now()));
  });
  const underWay = (socket: Duplex): [ServerResponse, IncomingMessage][] => [...(open.get(socket) ?? [])];
  return {
    partWritten: (socket) => underWay(socket).some(([response]) => response.headersSent && !response.writableFinished),
    unfinished: (socket) => underWay(socket).find(([, request]) => !request.complete)?.[1],
    readySince: (socket) => readyAt.get(socket) ?? performance.now(),
  };
}
