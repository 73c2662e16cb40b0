/**
 * Finding 3 (noisy neighbour): a tenant's signed-in requests take turns, so one tenant's many
 * requests wait behind each other instead of in front of other tenants. One request in
 * progress per tenant and one waiting in this server. The held turn is a write whose form body
 * is still arriving: no timing involved. Its request asks for `100 Continue`, which Node sends
 * just before it runs the handler, so the test knows the write is in the server before it sends
 * the next request of that list.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createList, csrfFrom, get, uniqueName } from './http';
import { startServer, type TestServer } from './server';

let server: TestServer;
let base: string;

beforeAll(async () => {
  server = await startServer({ SILO_TENANT_MAX_IN_FLIGHT: '1', SILO_TENANT_MAX_QUEUED: '1' });
  base = server.url;
});
afterAll(() => server?.stop());

/**
 * A form POST whose body arrives in two parts: the request is in progress until `finish`.
 * `started` resolves once the server's handler has the request (its `100 Continue`).
 */
function slowPost(path: string, cookie: string, body: string): { started: Promise<void>; finish(): Promise<string> } {
  const { port, host } = new URL(base);
  const socket = net.connect(Number(port), '127.0.0.1');
  let received = '';
  let markStarted: () => void = () => {};
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  socket.setEncoding('latin1').on('data', (chunk: string) => {
    received += chunk;
    if (received.startsWith('HTTP/1.1 100 ')) markStarted();
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write(
    `POST ${path} HTTP/1.1\r\nHost: ${host}\r\nOrigin: ${new URL(base).origin}\r\nCookie: ${cookie}\r\n` +
      `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n${body.slice(0, 10)}`,
  );
  return {
    started,
    async finish() {
      socket.write(body.slice(10));
      await closed;
      return received.replace(/^HTTP\/1\.1 100 [^\r]*\r\n\r\n/, '');
    },
  };
}

describe('turns per tenant', () => {
  it('another tenant is served while one tenant’s turn is taken; that tenant’s next request waits, the one after gets 503', async () => {
    const a = uniqueName('turns-a');
    const b = uniqueName('turns-b');
    const cookieA = await createList(base, a);
    const cookieB = await createList(base, b);
    const csrf = csrfFrom((await get(base, `/t/${a}`, cookieA)).body);

    const write = slowPost(`/t/${a}?index`, cookieA, new URLSearchParams({ intent: 'add', title: 'arrives slowly', csrf }).toString());
    await write.started;
    // B is answered although A's turn is taken (and the POST has reached its action meanwhile).
    expect((await get(base, `/t/${b}`, cookieB)).status).toBe(200);

    let waitingSettled = false;
    const waiting = get(base, `/t/${a}`, cookieA).then((reply) => {
      waitingSettled = true;
      return reply;
    });
    expect((await get(base, `/t/${b}`, cookieB)).status).toBe(200);
    // A's queue holds one: the next request of A is turned away at once, with Retry-After.
    const busy = await get(base, `/t/${a}`, cookieA);
    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).not.toBeNull();
    expect(busy.body).toContain('many requests at once');
    expect(waitingSettled).toBe(false);

    // The write finishes, and the waiting request gets its turn and sees it.
    expect(await write.finish()).toMatch(/^HTTP\/1\.1 303 /);
    const page = await waiting;
    expect(page.status).toBe(200);
    expect(page.body).toContain('arrives slowly');
  });

  it('anonymous requests take no turns: a stranger’s slow sign-in does not hold the list', async () => {
    const name = uniqueName('turns-anon');
    const cookie = await createList(base, name);
    const slow = slowPost(`/t/${name}/sign-in`, '', new URLSearchParams({ email: `owner@${name}.test`, password: 'not the password' }).toString());
    const slow2 = slowPost(`/t/${name}/sign-in`, '', new URLSearchParams({ email: `owner@${name}.test`, password: 'not the password' }).toString());
    expect((await get(base, `/t/${name}`, cookie)).status).toBe(200);
    expect((await get(base, `/t/${name}/settings`, cookie)).status).toBe(200);
    expect(await slow.finish()).toMatch(/^HTTP\/1\.1 400 /);
    expect(await slow2.finish()).toMatch(/^HTTP\/1\.1 400 /);
  });
});
