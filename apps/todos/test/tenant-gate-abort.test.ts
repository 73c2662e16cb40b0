/**
 * A client that goes away during a whole-list write must not cost its list a turn for good
 * (issue #20 §4: the noisy tenant's requests stalled under the benchmark). When a request is
 * aborted, React Router stops waiting for its action and the request leaves the list's turns
 * while the action still runs, here inside TenantGate.alone; before the fix the gate counted
 * that turn twice and a later "toggle all" of the list waited forever.
 *
 * Deterministic without timings: the requests hold their turns with form bodies that are still
 * arriving, and the test holds the list's write lock on a connection of its own, so the worker's
 * write waits (in the worker, not on the main thread) until the test lets it go.
 */
import net from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createList, csrfFrom, get, post, uniqueName } from './http';
import { startServer, testEngine, type TestServer } from './server';

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
  const { port, host } = new URL(base);
  const socket = net.connect(Number(port), '127.0.0.1');
  let received = '';
  socket.setEncoding('latin1').on('data', (chunk: string) => (received += chunk));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write(
    `POST ${listPath} HTTP/1.1\r\nHost: ${host}\r\nOrigin: ${new URL(base).origin}\r\nCookie: ${cookie}\r\n` +
      `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body.slice(0, 5)}`,
  );
  return {
    send: () => socket.write(body.slice(5)),
    response: async () => {
      await closed;
      return received;
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

    // Three requests of the list hold its three turns, their bodies still arriving.
    const holder = heldPost(listPath, cookie, new URLSearchParams({ intent: 'no-such-intent', csrf }).toString());
    const first = heldPost(listPath, cookie, toggle(true));
    const second = heldPost(listPath, cookie, toggle(false));
    await until(async () => (await get(base, `/t/${name}`, cookie)).status === 503, 'the three requests hold the list’s turns');

    // The list's write lock is taken elsewhere: the first toggle's worker write will wait for it.
    const instance = (await server.fleet()).find(name);
    const match = /^local:([^/]+)\/([0-9a-f]{2})\/(.+\.db)$/.exec(instance?.dbUrl ?? '');
    if (!match) throw new Error(`Unexpected database URL ${instance?.dbUrl}`);
    const lock = new Database(path.join(server.dataDir, 'regions', match[1] as string, 'tenants', match[2] as string, match[3] as string));
    try {
      lock.exec('BEGIN IMMEDIATE');
      // Both toggles reach TenantGate.alone and wait for the holder; the holder ends (400, it
      // writes nothing), the first toggle runs alone, the second waits behind it.
      first.send();
      second.send();
      await settle();
      holder.send();
      expect(await holder.response()).toMatch(/^HTTP\/1\.1 400 /);
      await settle();
      // Both clients go away: React Router stops waiting for their actions.
      first.abort();
      second.abort();
      await settle();
    } finally {
      lock.exec('ROLLBACK');
      lock.close();
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
