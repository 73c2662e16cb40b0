/**
 * A client that goes away during a whole-list write must not cost its list a turn for good
 * (issue #20 §4: the noisy tenant's requests stalled under the benchmark). When a request is
 * aborted, React Router stops waiting for its action and the request leaves the list's turns
 * while the action still runs, here inside TenantGate.alone; before the fix the gate counted
 * that turn twice and a later "toggle all" of the list waited forever.
 *
 * Deterministic without timings: the test holds the list's write lock, and another list's, on
 * connections of its own, so the worker's writes wait (in the worker, not on the main thread)
 * until the test lets them go; the list's turns are held by requests waiting for the worker.
 * (Form bodies still arriving hold no turns: the server receives a body before its request
 * takes one.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createList, csrfFrom, get, post, rawSocket, uniqueName } from './http';
import { startServer, testEngine, type TestServer } from './server';
import { lockListDatabase } from './team';

let server: TestServer;
let base: string;

beforeAll(async () => {
  // Three turns and no queue: a request that finds the list busy is answered 503 at once, which
  // tells the test when all three held requests have their turns.
  server = await startServer({ SILO_TENANT_MAX_IN_FLIGHT: '3', SILO_TENANT_MAX_QUEUED: '0' });
  base = server.url;
});
afterAll(() => server?.stop());

/** A form POST on a socket of its own whose body arrives when `send` is called. */
function heldPost(listPath: string, cookie: string, body: string): { send(): void; response(): Promise<string>; abort(): void } {
  const { host } = new URL(base);
  const { socket, received, closed } = rawSocket(base);
  socket.write(
    `POST ${listPath} HTTP/1.1\r\nHost: ${host}\r\nOrigin: ${new URL(base).origin}\r\nCookie: ${cookie}\r\n` +
      `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body.slice(0, 5)}`,
  );
  return {
    send: () => socket.write(body.slice(5)),
    response: async () => {
      await closed;
      return received();
    },
    abort: () => socket.destroy(),
  };
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`Gave up waiting until ${what}.`);
}

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 300));

describe.skipIf(testEngine() === 'turso')('a client that disconnects during "toggle all"', () => {
  it('gives its turn back once, so the list’s next whole-list write still runs', async () => {
    const name = uniqueName('gate-abort');
    const cookie = await createList(base, name);
    const listPath = `/t/${name}?index`;
    const csrf = csrfFrom((await get(base, `/t/${name}`, cookie)).body);
    expect((await post(base, listPath, { intent: 'add', title: 'one', csrf }, { cookie })).status).toBe(303);
    const toggle = (completed: boolean): string => new URLSearchParams({ intent: 'toggle-all', completed: String(completed), csrf }).toString();

    // Another list's "toggle all" waits on the worker thread for that list's write lock, which
    // the test holds: the worker's next jobs wait behind it.
    const other = uniqueName('gate-abort-other');
    const otherCookie = await createList(base, other);
    const otherCsrf = csrfFrom((await get(base, `/t/${other}`, otherCookie)).body);
    expect((await post(base, `/t/${other}?index`, { intent: 'add', title: 'two', csrf: otherCsrf }, { cookie: otherCookie })).status).toBe(303);
    const unlockOther = await lockListDatabase(server, other);
    const unlockList = await lockListDatabase(server, name);
    try {
      const blocker = post(base, `/t/${other}?index`, { intent: 'toggle-all', completed: 'true', csrf: otherCsrf }, { cookie: otherCookie });
      await settle();
      // Three requests of the list hold its three turns: a download, whose read waits behind that
      // job on the worker, and the two toggles, which wait to run alone until the download ends.
      const holder = get(base, `/t/${name}/export.json`, cookie);
      await settle();
      const first = heldPost(listPath, cookie, toggle(true));
      const second = heldPost(listPath, cookie, toggle(false));
      first.send();
      second.send();
      await until(async () => (await get(base, `/t/${name}`, cookie)).status === 503, 'the three requests hold the list’s turns');
      await settle();
      // The worker goes on: the download ends, the first toggle runs alone and its worker write
      // waits for this list's lock; the second waits behind it.
      unlockOther();
      expect((await blocker).status).toBe(303);
      expect((await holder).status).toBe(200);
      await settle();
      // Both clients go away: React Router stops waiting for their actions.
      first.abort();
      second.abort();
      await settle();
    } finally {
      unlockOther();
      unlockList();
    }

    // The aborted toggles finish on the worker (the list answers 503 meanwhile: no queue);
    // then the list takes whole-list writes again. Before the fix this one never got an answer.
    const toggleAgain = async (): Promise<number> =>
      (
        await fetch(new URL(listPath, base), {
          method: 'POST',
          redirect: 'manual',
          headers: { cookie, origin: new URL(base).origin, 'content-type': 'application/x-www-form-urlencoded' },
          body: toggle(true),
          signal: AbortSignal.timeout(20_000),
        })
      ).status;
    let status = 503;
    await until(async () => (status = await toggleAgain()) !== 503, 'the aborted toggles are done');
    expect(status).toBe(303);
    // And its turns are all free again: three requests at once are served, not one refused.
    const pages = await Promise.all([1, 2, 3].map(() => get(base, `/t/${name}`, cookie)));
    expect(pages.map((page) => page.status)).toEqual([200, 200, 200]);
    expect(pages[0]?.body).toContain('one');
  });
});
