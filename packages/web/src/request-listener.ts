import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { createHeaders, sendResponse } from '@remix-run/node-fetch-server';
import { forwardedFor, fromTrustedProxy, NO_PROXY, type Forwarded, type TrustProxy } from './forwarded';
import type { AllowedHosts } from './hosts';
import { createNonce, securityHeaders } from './http';
import { discardUnreadBodyAfterResponse } from './unread-body';
import { REQUEST_ID_HEADER, requestIdOf } from './app-server/request-id';

/** How much of a request body may wait unread before the socket is paused. */
const BODY_BUFFER_BYTES = 64 * 1024;

/**
 * The header carrying the client's address to the app (rate limits key on it). The listener
 * always overwrites it, so a value a client sends never reaches the app.
 */
export const CLIENT_ADDRESS_HEADER = 'x-silo-client-address';

/** What the listener decided about a request, handed to the app with it. */
export interface RequestInfo {
  /** This response's CSP nonce: inline scripts must carry it. */
  readonly nonce: string;
  /** The client's address (the socket's peer, or what trusted proxies say). */
  readonly clientAddress: string;
  /** The request's id (X-Request-Id from a proxy, or generated), also in the response's X-Request-Id. */
  readonly requestId?: string;
}

/** Where the listener reports refused and failed requests (pino's logger fits; console by default). */
export interface ListenerLog {
  warn(message: string): void;
  error(error: unknown): void;
}

/** One year: the value browsers' preload lists ask for at least. */
const HSTS_MAX_AGE_SECONDS = 31_536_000;

const CONSOLE_LOG: ListenerLog = { warn: (message) => console.warn(message), error: (error) => console.error(error) };

export interface RequestListenerOptions {
  /** Host values this server answers for; others get 421. Default: any. */
  readonly allowedHosts?: AllowedHosts;
  /** Which proxies' X-Forwarded-* headers are believed. Default: none. */
  readonly trustProxy?: TrustProxy;
  /** Serves a built client file if the request names one (after the Host check, with the headers). */
  readonly staticFiles?: (req: IncomingMessage, res: ServerResponse) => boolean;
  /** Give each request an id (X-Request-Id, honoured from a proxy or generated). Default: off. */
  readonly requestIds?: boolean;
  readonly log?: ListenerLog;
}

/**
 * The node:http listener of both apps, in front of a fetch-style handler (React Router's
 * request handler). Everything every response needs happens here, before any app code, so
 * nothing can bypass it:
 * - the security headers (with a fresh CSP nonce) are set on the response first, HSTS on a
 *   request that came over https, and `Cache-Control: no-store` on every response that is not a static file (unless it sets its own);
 * - a Host that is not allowed is refused with 421 (DNS rebinding);
 * - the client address comes from `forwardedFor` (trusted proxies only), in the
 *   `x-silo-client-address` header, replacing whatever the client sent;
 * - the body is read with back-pressure (the socket pauses once 64 KiB wait unread) and
 *   responses are written by @remix-run/node-fetch-server's `sendResponse`, which waits for
 *   drain. (@react-router/node's adapter buffered every chunk of an upload and ignored drain.)
 */
export function createRequestListener(
  handler: (request: Request, info: RequestInfo) => Promise<Response>,
  options: RequestListenerOptions = {},
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const trust = options.trustProxy ?? NO_PROXY;
  const log = options.log ?? CONSOLE_LOG;
  return async (req, res) => {
    const nonce = createNonce();
    // Headers passed to writeHead later take precedence, so a response may still set its own.
    for (const [name, value] of Object.entries(securityHeaders(nonce))) res.setHeader(name, value);
    const requestId = options.requestIds ? requestIdOf(req, fromTrustedProxy(req, trust)) : undefined;
    if (requestId !== undefined) res.setHeader(REQUEST_ID_HEADER, requestId);
    const forwarded = forwardedFor(req, trust);
    // Browsers ignore HSTS over plain http (RFC 6797 §8.1), and a console reached through an SSH
    // tunnel must stay reachable over http: only a request that came over https gets it. No
    // includeSubDomains: other hosts under the same domain are not ours to pin.
    if (forwarded.protocol === 'https') res.setHeader('Strict-Transport-Security', `max-age=${HSTS_MAX_AGE_SECONDS}`);
    if (options.allowedHosts && !options.allowedHosts.allows(forwarded.host)) {
      const host = JSON.stringify(forwarded.host ?? '');
      log.warn(`Refused a request for host ${oneLine(host)}: ${options.allowedHosts.describe()}.`);
      res.writeHead(421, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' });
      res.end(`This server does not answer for the host ${host}. If it should, list that host in ${options.allowedHosts.setting}.\n`);
      return;
    }
    if (options.staticFiles?.(req, res)) return;
    // Pages and data carry a viewer's lists, tokens and CSRF token: no cache (shared or the
    // browser's disk) keeps them unless the response says otherwise (static files did above;
    // a route may set its own). Like the security headers, the response's own value wins.
    res.setHeader('Cache-Control', 'no-store');
    discardUnreadBodyAfterResponse(req, res);
    const controller = new AbortController();
    // A client that goes away before the response is complete aborts the work for it.
    res.once('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    let request: Request;
    try {
      request = createRequest(req, controller.signal, forwarded);
    } catch (error) {
      // A target that is not a path, or a path with malformed percent-encoding: one line.
      log.warn(`Bad request ${oneLine(req.method ?? '')} ${oneLine(JSON.stringify(req.url ?? ''))}: ${error instanceof Error ? error.message : String(error)}`);
      res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Bad request.\n');
      return;
    }
    let response: Response;
    try {
      response = await handler(request, requestId === undefined ? { nonce, clientAddress: forwarded.clientAddress } : { nonce, clientAddress: forwarded.clientAddress, requestId });
    } catch (error) {
      log.error(error);
      const body = requestId === undefined ? 'Internal Server Error' : `Internal Server Error (request ${requestId})`;
      response = new Response(body, { status: 500, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
    }
    if (res.destroyed || controller.signal.aborted) return;
    await sendResponse(res, response);
  };
}

/** The fetch Request for a node:http request; its body streams from the socket with back-pressure. */
export function createRequest(req: IncomingMessage, signal: AbortSignal, forwarded: Forwarded = forwardedFor(req, NO_PROXY)): Request {
  const method = req.method ?? 'GET';
  const target = req.url ?? '/';
  // Origin-form only. Resolving the target against the host instead would let `GET //evil/x`
  // or an absolute-form `GET http://evil/x` change the origin the app sees.
  if (!target.startsWith('/')) throw new Error('the request target must be a path');
  const url = new URL(`${forwarded.protocol}://${forwarded.host ?? 'localhost'}${target}`);
  // React Router would answer 404 and warn twice per request; a malformed path is the client's mistake.
  decodeURI(url.pathname);
  const headers = createHeaders(req);
  headers.set(CLIENT_ADDRESS_HEADER, forwarded.clientAddress);
  const init: RequestInit & { duplex?: 'half' } = { method, headers, signal };
  if (method !== 'GET' && method !== 'HEAD') {
    init.body = Readable.toWeb(req, { strategy: new ByteLengthQueuingStrategy({ highWaterMark: BODY_BUFFER_BYTES }) }) as ReadableStream<Uint8Array>;
    init.duplex = 'half';
  }
  return new Request(url, init);
}

/** The client address `createRequestListener` put on the request. */
export function clientAddressOf(request: Request): string {
  return request.headers.get(CLIENT_ADDRESS_HEADER) ?? 'unknown';
}

/** A client-supplied value for a log line: no line breaks, bounded. */
function oneLine(value: string): string {
  return value.replace(/[\r\n]+/g, ' ').slice(0, 200);
}
