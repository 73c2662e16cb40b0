import type { IncomingMessage, ServerResponse } from 'node:http';

/** How much of a refused body is read and dropped to keep its connection; past it, the connection is closed. */
const DISCARD_LIMIT_BYTES = 8 * 1024 * 1024;
/**
 * How long the rest of a refused body may take to arrive; then the connection is closed. Else a
 * client trickling it would hold the connection until node:http's request timeout (5 minutes
 * by default, an hour in the admin): 8 MiB in this time is a 6.7 Mbit/s upload.
 */
const DISCARD_LIMIT_MS = 10_000;

/**
 * Keeps a kept-alive connection usable after a response that did not read the whole request
 * body (a 413 decided from Content-Length or part-way through reading).
 *
 * The request adapter (`createRequestListener`, request-listener.ts) reads the body through a
 * web stream that pauses the socket once 64 KiB are buffered and nobody reads on; Node then
 * considers the body "consumed" and never drains it. The rest of the body stays on the wire, the parser never reaches the next
 * request on that connection, and the client waits until the keep-alive timeout resets it.
 * Once the response is finished, what is left of the body is read and dropped, as Node does
 * for a body no one touched — up to a bound, so a refused upload cannot keep streaming.
 */
export function discardUnreadBodyAfterResponse(req: IncomingMessage, res: ServerResponse): void {
  res.once('finish', () => {
    if (req.complete || req.destroyed) return;
    let budget = DISCARD_LIMIT_BYTES;
    const deadline = setTimeout(() => req.socket.destroy(), DISCARD_LIMIT_MS).unref();
    req.once('end', () => clearTimeout(deadline));
    req.once('close', () => clearTimeout(deadline));
    req.removeAllListeners('data');
    req.on('data', (chunk: Buffer) => {
      budget -= chunk.byteLength;
      if (budget < 0) req.socket.destroy();
    });
    req.resume();
  });
}
