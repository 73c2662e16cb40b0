import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';

/**
 * A node:http listener for a fetch-style handler (Request in, Response or undefined out): what
 * `silo serve` does with its own router, here for tests of the libSQL endpoint alone.
 * Undefined answers 404. A test fixture, never served: an unexpected error's message goes back
 * in the 500's body, for the failing test to show.
 */
export function nodeListener(handler: (request: Request) => Promise<Response | undefined>): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void (async () => {
      const host = req.headers.host ?? 'localhost';
      const method = req.method ?? 'GET';
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === 'string') headers.set(name, value);
        else if (Array.isArray(value)) for (const item of value) headers.append(name, item);
      }
      const hasBody = method !== 'GET' && method !== 'HEAD';
      const request = new Request(`http://${host}${req.url ?? '/'}`, {
        method,
        headers,
        ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: 'half' } : {}),
      });
      const response = (await handler(request)) ?? new Response('Not found', { status: 404 });
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    })().catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(error instanceof Error ? error.message : 'Internal error');
    });
  };
}
