import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { createHeaders, sendResponse } from '@remix-run/node-fetch-server';

/** How much of a request body may wait unread before the socket is paused. */
const BODY_BUFFER_BYTES = 64 * 1024;

/**
 * A node:http listener for a fetch-style handler (React Router's `createRequestHandler`).
 *
 * It replaces @react-router/node's `createRequestListener` for one reason: that adapter
 * (@mjackson/node-fetch-server 0.2) enqueues every chunk of a request body as it arrives,
 * whatever its reader takes, so an upload that arrives faster than it is stored piles up in
 * memory, and it writes response bodies without waiting for the socket to drain. Here the
 * body is read with back-pressure (the socket pauses once 64 KiB wait unread), and responses
 * are written by @remix-run/node-fetch-server's `sendResponse`, which waits for drain.
 */
export function createRequestListener(handler: (request: Request) => Promise<Response>): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const controller = new AbortController();
    // A client that goes away before the response is complete aborts the work for it.
    res.once('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    let response: Response;
    try {
      response = await handler(createRequest(req, controller.signal));
    } catch (error) {
      console.error(error);
      response = new Response('Internal Server Error', { status: 500, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
    }
    if (res.destroyed || controller.signal.aborted) return;
    await sendResponse(res, response);
  };
}

/** The fetch Request for a node:http request; its body streams from the socket with back-pressure. */
export function createRequest(req: IncomingMessage, signal: AbortSignal): Request {
  const method = req.method ?? 'GET';
  const encrypted = 'encrypted' in req.socket && req.socket.encrypted === true;
  const url = `${encrypted ? 'https:' : 'http:'}//${req.headers.host ?? 'localhost'}${req.url ?? '/'}`;
  const init: RequestInit & { duplex?: 'half' } = { method, headers: createHeaders(req), signal };
  if (method !== 'GET' && method !== 'HEAD') {
    init.body = Readable.toWeb(req, { strategy: new ByteLengthQueuingStrategy({ highWaterMark: BODY_BUFFER_BYTES }) }) as ReadableStream<Uint8Array>;
    init.duplex = 'half';
  }
  return new Request(url, init);
}
