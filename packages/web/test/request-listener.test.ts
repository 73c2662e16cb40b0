import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRequestListener } from '../src/index';

const MiB = 1024 * 1024;
const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function listen(handler: (request: Request) => Promise<Response>, onRequest?: (req: IncomingMessage) => void): Promise<string> {
  const listener = createRequestListener(handler);
  const server = createServer((req, res) => {
    onRequest?.(req);
    void listener(req, res);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('createRequestListener', () => {
  it('reads a request body with back-pressure: what the handler has not read stays on the wire', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let incoming: IncomingMessage | undefined;
    const url = await listen(
      async (request) => {
        await held;
        let total = 0;
        for await (const chunk of request.body as unknown as AsyncIterable<Uint8Array>) total += chunk.byteLength;
        return new Response(String(total));
      },
      (req) => (incoming = req),
    );
    const size = 64 * MiB;
    const response = fetch(`${url}/upload`, { method: 'POST', body: new Uint8Array(size) });
    // While the handler reads nothing, the server takes in only what the socket buffers hold.
    // Waits for the request to arrive first (a loaded machine may take a while), then gives an
    // adapter without back-pressure ample time to swallow the whole body.
    await vi.waitFor(() => expect(incoming?.socket.bytesRead ?? 0).toBeGreaterThan(0), { timeout: 30_000, interval: 50 });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const socketBytes = incoming?.socket.bytesRead ?? 0;
    expect(socketBytes).toBeLessThan(16 * MiB);
    release();
    const answer = await response;
    expect(answer.status).toBe(200);
    expect(await answer.text()).toBe(String(size));
  });

  it('sends status, every header (several Set-Cookie) and a streamed body; HEAD gets no body', async () => {
    const url = await listen(async (request) => {
      const headers = new Headers({ 'X-Method': request.method, 'X-Url': new URL(request.url).pathname + new URL(request.url).search });
      headers.append('Set-Cookie', 'a=1');
      headers.append('Set-Cookie', 'b=2');
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('one,'));
          controller.enqueue(new TextEncoder().encode('two'));
          controller.close();
        },
      });
      return new Response(body, { status: 201, headers });
    });
    const response = await fetch(`${url}/path?q=1`);
    expect(response.status).toBe(201);
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(response.headers.get('x-url')).toBe('/path?q=1');
    expect(await response.text()).toBe('one,two');
    const head = await fetch(`${url}/`, { method: 'HEAD' });
    expect(head.status).toBe(201);
    expect(await head.text()).toBe('');
  });

  it('answers 500 when the handler throws, and aborts the signal when the client goes away', async () => {
    let aborted: Promise<void> = Promise.resolve();
    const url = await listen(async (request) => {
      if (request.url.endsWith('/throw')) throw new Error('boom');
      aborted = new Promise((resolve) => request.signal.addEventListener('abort', () => resolve()));
      await aborted;
      return new Response('late');
    });
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const failed = await fetch(`${url}/throw`);
    expect(failed.status).toBe(500);
    expect(logged).toHaveBeenCalledOnce();
    logged.mockRestore();
    const client = new AbortController();
    const pending = fetch(`${url}/slow`, { signal: client.signal }).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 200));
    client.abort();
    await pending;
    await aborted;
  });
});
