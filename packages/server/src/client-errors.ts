import { maxHeaderSize, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorBody, type ApiOnlyCode } from './api/errors';

/** What a request Node refused before any route saw it is told. */
interface Refusal {
  status: number;
  code: ApiOnlyCode;
  message: string;
}

/**
 * How long a refused connection is still read from after its answer: closing it with the rest
 * of the request unread would reset it, and a reset can discard the answer on its way.
 */
const LINGER_MS = 2_000;

/**
 * Answers the requests Node's HTTP parser refuses (headers over the limit, malformed requests,
 * a request timeout) in the API's JSON error shape, where Node's own answer has no body, then
 * closes the connection. The reason stays on the server: the parser's words name its internals.
 */
export function answerClientErrors(server: Server): void {
  const responses = responsesUnderWay(server);
  // The parser reports again for each later chunk of a connection it has given up on.
  const handled = new WeakSet<Duplex>();
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (handled.has(socket)) return;
    handled.add(socket);
    // A reset or broken connection has nobody to answer; nor has one whose answer to an earlier
    // request is part written, which these bytes would corrupt.
    if (!isRefusal(error.code) || !socket.writable || responses.partWritten(socket)) {
      socket.destroy();
      return;
    }
    socket.end(rawAnswer(refusalOf(error.code)));
    const linger = setTimeout(() => socket.destroy(), LINGER_MS).unref();
    socket.once('close', () => clearTimeout(linger));
  });
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

/** A whole HTTP/1.1 answer, written to the socket itself: a refused request has no response object. */
function rawAnswer({ status, code, message }: Refusal): string {
  const body = JSON.stringify(errorBody(code, message));
  const head = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`, 'Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`, 'Cache-Control: no-store', 'Connection: close'];
  return `${head.join('\r\n')}\r\n\r\n${body}`;
}

/**
 * The responses under way on each connection, to tell whether one has begun on the wire and not
 * finished (Node keeps this on the socket, but not where its API shows it).
 */
function responsesUnderWay(server: Server): { partWritten(socket: Duplex): boolean } {
  const open = new WeakMap<Duplex, Set<ServerResponse>>();
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const responses = open.get(request.socket) ?? new Set<ServerResponse>();
    open.set(request.socket, responses);
    responses.add(response);
    response.once('close', () => responses.delete(response));
  });
  return { partWritten: (socket) => [...(open.get(socket) ?? [])].some((response) => response.headersSent && !response.writableFinished) };
}
