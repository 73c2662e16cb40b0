/**
 * Finding 3 (noisy neighbour): a tenant's signed-in requests take turns, so one tenant's many
 * requests wait behind each other instead of in front of other tenants. One request in
 * progress per tenant and one waiting in this server. The held turn is a whole-list write that
 * waits for the list's write lock, held by the test. (A form body still arriving holds no turn:
 * the server receives it first, `test/robustness.test.ts`.) The anonymous requests below ask for
 * `100 Continue`, which Node sends just before it runs the handler, so the test knows they are
 * in the server.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createList, csrfFrom, get, post, uniqueName, type Reply } from './http';
import { startServer, testEngine, type TestServer } from './server';
import { lockListDatabase } from './team';

let server: TestServer;
let base: string;

beforeAll(async () => {
  server = await startServer({ SILO_TENANT_MAX_IN_FLIGHT: '1', SILO_TENANT_MAX_QUEUED: '1' });
  base = server.url;
});
afterAll(() => server?.stop());

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`Gave up waiting until ${what}.`);
}

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
  // The held turn is a whole-list write waiting for the list's write lock, which the test holds
  // (local engine: the lock is taken on the list's file).
  it.skipIf(testEngine() === 'turso')('another tenant is served while one tenant’s turn is taken; that tenant’s next request waits, the one after gets 503', async () => {
    const a = uniqueName('turns-a');
    const b = uniqueName('turns-b');
    const cookieA = await createList(base, a);
    const cookieB = await createList(base, b);
    const csrf = csrfFrom((await get(base, `/t/${a}`, cookieA)).body);
    expect((await post(base, `/t/${a}?index`, { intent: 'add', title: 'held up', csrf }, { cookie: cookieA })).status).toBe(303);

    const unlock = await lockListDatabase(server, a);
    const writes: Promise<Reply>[] = [];
    let settled = 0;
    try {
      // Two "toggle all": the first to arrive takes A's one turn and waits for the lock, the other
      // waits for a turn (they ask for the same, so which is which does not matter).
      for (let i = 0; i < 2; i++) {
        writes.push(
          post(base, `/t/${a}?index`, { intent: 'toggle-all', completed: 'true', csrf }, { cookie: cookieA }).then((reply) => {
            settled += 1;
            return reply;
          }),
        );
      }
      // A's queue holds one: the next request of A is turned away at once, with Retry-After.
      let busy: Reply | undefined;
      await until(async () => (busy = await get(base, `/t/${a}`, cookieA)).status === 503, 'A’s turn is taken and its queue is full');
      expect(busy?.headers.get('retry-after')).not.toBeNull();
      expect(busy?.body).toContain('many requests at once');
      // B is answered although A's turn is taken.
      expect((await get(base, `/t/${b}`, cookieB)).status).toBe(200);
      expect(settled).toBe(0);
    } finally {
      unlock();
    }
    // The held write finishes, then the waiting one gets its turn.
    expect((await Promise.all(writes)).map((reply) => reply.status)).toEqual([303, 303]);
    const page = await get(base, `/t/${a}`, cookieA);
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/<li class="completed"/);
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
