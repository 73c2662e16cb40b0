import type { Context, MiddlewareHandler } from 'hono';
import { ApiError } from './errors';

/**
 * The size cap of the API's JSON bodies, without turning every request into a web stream.
 *
 * Hono's `bodyLimit` asks for `c.req.raw.body`, which makes @hono/node-server build a full
 * Fetch `Request` around the socket (`Readable.toWeb`), GETs included, and the body is then read
 * chunk by chunk through web streams: on a create that was about a tenth of the API's own cost.
 * A body whose size the request declares (Content-Length without Transfer-Encoding: Node's
 * parser holds the body to it) is checked by its header and read later in one piece from the
 * socket (@hono/node-server's direct read, which `c.req.text()` takes). Any other body is
 * counted as it streams.
 */
export function jsonBodyLimit(maxBytes: number): MiddlewareHandler {
  return async (c, next) => {
    const declared = declaredBodySize(c);
    if (declared === 'streamed') await bufferCounted(c, maxBytes);
    else if (declared > maxBytes) tooLarge(maxBytes);
    await next();
  };
}

function tooLarge(maxBytes: number): never {
  throw new ApiError('PAYLOAD_TOO_LARGE', `The request body is larger than ${maxBytes} bytes.`);
}

/**
 * The body's size as the request declares it (0 for GET and HEAD, which have none), or
 * 'streamed' when only reading it tells: chunked, or no usable Content-Length (a request handed
 * to `app.fetch` in process may carry a stream without one, or with any header it likes).
 */
function declaredBodySize(c: Context): number | 'streamed' {
  const method = c.req.method;
  if (method === 'GET' || method === 'HEAD') return 0;
  const length = c.req.header('content-length');
  const chunked = c.req.header('transfer-encoding') !== undefined;
  // A bodyless POST or DELETE (a backup, a clone, a delete from `fetch`) sends neither header.
  if (length === undefined && !chunked && framedByParser(c)) return 0;
  if (length === undefined || !/^\d+$/.test(length) || chunked) return 'streamed';
  return Number(length);
}

/** Where `withParserFraming` leaves the request it vouches for, beside @hono/node-server's bindings. */
const FRAMED_REQUEST = 'siloFramedRequest';

/**
 * `env` noting that `request` is the one @hono/node-server made from Node's HTTP parser, whose
 * body therefore ends where its headers say: with neither Content-Length nor Transfer-Encoding
 * it has none (RFC 9112 §6.3). server.ts says so for the requests it accepts from a socket; a
 * request handed to `app.fetch` by anyone else may carry a stream without either header.
 */
export function withParserFraming(env: unknown, request: Request): unknown {
  return typeof env === 'object' && env !== null ? { ...env, [FRAMED_REQUEST]: request } : env;
}

function framedByParser(c: Context): boolean {
  const env: unknown = c.env;
  return typeof env === 'object' && env !== null && (env as Record<string, unknown>)[FRAMED_REQUEST] === c.req.raw;
}

/** Reads the body, refusing it once it passes `maxBytes`, and hands the rest of the app a request holding it whole. */
async function bufferCounted(c: Context, maxBytes: number): Promise<void> {
  const body = c.req.raw.body;
  if (body === null) return;
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > maxBytes) tooLarge(maxBytes);
    chunks.push(chunk);
  }
  c.req.raw = new Request(c.req.raw, { body: Buffer.concat(chunks, size) });
}
