import type { IncomingMessage, ServerResponse } from 'node:http';

/** Bodies above this are refused: the stand-in serves tests, not bulk imports. */
const MAX_BODY_BYTES = 32 * 1024 * 1024;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(typeof body['error'] === 'string' ? body['error'] : `HTTP ${status}`);
  }
}

/**
 * What sqld answers when a client breaks the Hrana protocol (libsql-server/src/hrana/mod.rs
 * `ProtocolError`, hrana/http/mod.rs `protocol_error_response`): the whole HTTP request fails
 * with 400 and the error's text as `text/plain` (not the `{ message, code }` JSON of a stream
 * error), nothing after the failing request runs, and the stream is dropped. HRANA_3_SPEC.md
 * "Errors" (HTTP): "the stream is no longer valid".
 */
export class ProtocolError extends HttpError {
  constructor(message: string) {
    super(400, { message });
    this.message = message;
  }
}

/** The Platform API's error shape: `{ "error": "<message>" }` (every error response in the OpenAPI file). */
export function platformError(status: number, message: string): HttpError {
  return new HttpError(status, { error: message });
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw platformError(413, 'request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses a JSON body; an empty body is `undefined` (several Platform endpoints take none). */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = await readBody(req);
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw platformError(400, 'request body is not valid JSON');
  }
}

/**
 * `content-type` is exactly `application/json`: @libsql/hrana-client compares the header
 * with `===` before it reads an error body as JSON.
 */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return match?.[1];
}
