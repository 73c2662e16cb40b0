/**
 * An outside robustness probe (2026-12-06): forms sent again, and requests sent many at once,
 * over HTTP against the real server.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createList, csrfFrom, get, post, uniqueName, type Reply } from './http';
import { startServer, type TestServer } from './server';
import { sql } from './team';

let server: TestServer;
let base: string;

beforeAll(async () => {
  // One turn per list, so one request holding it shows (the default is 2).
  server = await startServer({ SILO_TODOS_MAX_PER_LIST: '3', SILO_TENANT_MAX_IN_FLIGHT: '1' });
  base = server.url;
});
afterAll(() => server?.stop());

/** The new-todo form's hidden add key, as a page without JavaScript sends it. */
function addKeyFrom(html: string): string {
  const key = /name="addKey" value="([^"]+)"/.exec(html)?.[1];
  if (!key) throw new Error('The new-todo form carries no add key.');
  return key;
}

async function titles(name: string): Promise<string[]> {
  return (await sql(server, name, 'SELECT title FROM todos ORDER BY id')).map((row) => String(row['title']));
}

describe('an add sent again', () => {
  it('without JavaScript (a double click, at once and one after the other) stores the todo once; both answers go to the list', async () => {
    const name = uniqueName('add-twice');
    const cookie = await createList(base, name);
    const page = (await get(base, `/t/${name}`, cookie)).body;
    const fields = { intent: 'add', title: 'buy milk', csrf: csrfFrom(page), addKey: addKeyFrom(page) };
    const answers = await Promise.all([post(base, `/t/${name}?index`, fields, { cookie }), post(base, `/t/${name}?index`, fields, { cookie })]);
    answers.push(await post(base, `/t/${name}?index`, fields, { cookie }));
    for (const answer of answers) {
      expect(answer.status).toBe(303);
      expect(answer.location).toBe(`/t/${name}`);
    }
    expect(await titles(name)).toEqual(['buy milk']);
    // The page after it carries a new key: the next add is a new todo, even with the same title.
    const next = (await get(base, `/t/${name}`, cookie)).body;
    expect(addKeyFrom(next)).not.toBe(fields.addKey);
    await post(base, `/t/${name}?index`, { ...fields, addKey: addKeyFrom(next) }, { cookie });
    expect(await titles(name)).toEqual(['buy milk', 'buy milk']);
  });

  it('as a replayed .data fetch stores the todo once and answers both with its id', async () => {
    const name = uniqueName('add-replay');
    const cookie = await createList(base, name);
    const csrf = csrfFrom((await get(base, `/t/${name}`, cookie)).body);
    const fields = { intent: 'add', title: 'feed the cat', csrf, js: '1', addKey: 'todo-1796526854584-1-k3j5x9q2' };
    const answers = await Promise.all([1, 2, 3].map(() => post(base, `/t/${name}.data?index`, fields, { cookie })));
    const [row] = await sql(server, name, 'SELECT id FROM todos');
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.body).toContain(`"addedId",${String(row?.['id'])}]`);
    }
    expect(await titles(name)).toEqual(['feed the cat']);
  });

  it('with its key and another title (an old page brought back) is a new todo; a refused add may be sent again', async () => {
    const name = uniqueName('add-key-reused');
    const cookie = await createList(base, name);
    const page = (await get(base, `/t/${name}`, cookie)).body;
    const fields = { intent: 'add', csrf: csrfFrom(page), addKey: addKeyFrom(page) };
    for (const title of ['one', 'two', 'three']) expect((await post(base, `/t/${name}?index`, { ...fields, title }, { cookie })).status).toBe(303);
    // The list is full (3): refused, nothing stored, nothing remembered.
    const full = await post(base, `/t/${name}?index`, { ...fields, title: 'four' }, { cookie });
    expect(full.status).toBe(409);
    const [first] = await sql(server, name, 'SELECT id FROM todos ORDER BY id');
    await post(base, `/t/${name}?index`, { intent: 'destroy', id: String(first?.['id']), csrf: fields.csrf }, { cookie });
    const again: Reply = await post(base, `/t/${name}?index`, { ...fields, title: 'four' }, { cookie });
    expect(again.status).toBe(303);
    expect(await titles(name)).toEqual(['two', 'three', 'four']);
  });

  it('by another session of the list with the same key is that session’s own todo', async () => {
    const name = uniqueName('add-two-sessions');
    const owner = await createList(base, name);
    const again = await post(base, `/t/${name}/sign-in`, { email: `owner@${name}.test`, password: 'correct horse battery' });
    const second = again.cookie ?? '';
    const key = 'todo-1796526854584-1-samekey1';
    for (const cookie of [owner, second]) {
      const csrf = csrfFrom((await get(base, `/t/${name}`, cookie)).body);
      expect((await post(base, `/t/${name}.data?index`, { intent: 'add', title: 'call mum', csrf, js: '1', addKey: key }, { cookie })).status).toBe(200);
    }
    expect(await titles(name)).toEqual(['call mum', 'call mum']);
  });
});

describe('the new-todo form’s add key', () => {
  it('is made for a page loaded as a document only: a .data load (revalidation, client navigation) sends the fetcher’s key', async () => {
    const name = uniqueName('add-key-loads');
    const cookie = await createList(base, name);
    expect(addKeyFrom((await get(base, `/t/${name}`, cookie)).body)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    for (const path of [`/t/${name}.data`, `/t/${name}/active.data`, `/t/${name}.data?_routes=list-all`]) {
      const load = await get(base, path, cookie);
      expect(load.status).toBe(200);
      expect(load.body).toContain('"displayName"');
      // Before: a fresh key on every load, which no form sent.
      expect(load.body).not.toContain('"addKey"');
    }
  });
});

/** A POST whose body stops after `sent` (of `length` bytes) until `finish` sends the rest; resolves with its status line. */
function stalledPost(path: string, cookie: string, body: string, sent: number): { finish(): void; status: Promise<string> } {
  const { port, origin, host } = new URL(base);
  const socket = net.connect(Number(port), '127.0.0.1');
  let received = '';
  socket.setEncoding('latin1').on('data', (chunk: string) => (received += chunk));
  const status = new Promise<string>((resolve, reject) => {
    socket.once('close', () => resolve(received.split('\r\n')[0] ?? ''));
    socket.once('error', reject);
  });
  socket.write(
    `POST ${path} HTTP/1.1\r\nHost: ${host}\r\nOrigin: ${origin}\r\nCookie: ${cookie}\r\nConnection: close\r\n` +
      `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, sent)}`,
  );
  return { finish: () => socket.write(body.slice(sent)), status };
}

describe('a signed-in form whose body stalls (a flaky connection)', () => {
  it('holds none of the list’s turns meanwhile: the list still answers its members, and the form is stored once its body arrives', async () => {
    const name = uniqueName('stalled-body');
    const cookie = await createList(base, name);
    const csrf = csrfFrom((await get(base, `/t/${name}`, cookie)).body);
    const stalled = stalledPost(`/t/${name}?index`, cookie, new URLSearchParams({ intent: 'add', title: 'slow upload', csrf }).toString(), 10);
    // Its headers are in before these requests are (they pass through the same server).
    await get(base, '/healthz');
    await get(base, '/healthz');
    // Without the fix this waits for the stalled body (here: for ever) behind the list's one turn.
    const page = await get(base, `/t/${name}`, cookie);
    expect(page.status).toBe(200);
    expect((await post(base, `/t/${name}?index`, { intent: 'add', title: 'quick one', csrf }, { cookie })).status).toBe(303);
    stalled.finish();
    expect(await stalled.status).toMatch(/^HTTP\/1\.1 303/);
    expect(await titles(name)).toEqual(['quick one', 'slow upload']);
  });
});

describe('a list form with fields the page never sends', () => {
  it('is refused with 400 and changes nothing: a todo id that is no id, a completed flag that is neither true nor false', async () => {
    const name = uniqueName('bad-fields');
    const cookie = await createList(base, name);
    const csrf = csrfFrom((await get(base, `/t/${name}`, cookie)).body);
    expect((await post(base, `/t/${name}?index`, { intent: 'add', title: 'keep me', csrf }, { cookie })).status).toBe(303);
    const [row] = await sql(server, name, 'SELECT id FROM todos');
    const id = String(row?.['id']);
    expect((await post(base, `/t/${name}?index`, { intent: 'toggle', id, completed: 'true', csrf }, { cookie })).status).toBe(303);
    const forged: Record<string, string>[] = [
      // Before the fix: read as `false`, so every todo was marked active again.
      { intent: 'toggle-all', completed: 'yes' },
      { intent: 'toggle-all' },
      { intent: 'toggle', id, completed: '1' },
      // Before the fix: answered 404, "deleted meanwhile", for a todo that never was.
      ...['abc', '', '0', '-1', '1.5', '1e3', '0x10', `${id}abc`, '99999999999999999999'].flatMap((bad): Record<string, string>[] => [
        { intent: 'toggle', id: bad, completed: 'false' },
        { intent: 'edit', id: bad, title: 'changed' },
        { intent: 'destroy', id: bad },
      ]),
    ];
    for (const fields of forged) {
      for (const js of [false, true]) {
        const answer = await post(base, `/t/${name}${js ? '.data' : ''}?index`, { ...fields, csrf, ...(js ? { js: '1' } : {}) }, { cookie });
        expect({ fields, js, status: answer.status }).toEqual({ fields, js, status: 400 });
      }
    }
    expect(await sql(server, name, 'SELECT title, completed FROM todos')).toEqual([{ title: 'keep me', completed: 1 }]);
  });
});

describe('a signed-in form body past the limit', () => {
  it('sent chunked (no Content-Length) is refused with 413 and stores nothing; the list answers afterwards', async () => {
    const name = uniqueName('chunked-big');
    const cookie = await createList(base, name);
    const csrf = csrfFrom((await get(base, `/t/${name}`, cookie)).body);
    const body = new URLSearchParams({ intent: 'add', title: 'x'.repeat(40_000), csrf }).toString();
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < body.length; at += 4_000) controller.enqueue(new TextEncoder().encode(body.slice(at, at + 4_000)));
        controller.close();
      },
    });
    const answer = await fetch(new URL(`/t/${name}?index`, base), {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, origin: new URL(base).origin, 'content-type': 'application/x-www-form-urlencoded' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(answer.status).toBe(413);
    await answer.text();
    expect((await get(base, `/t/${name}`, cookie)).status).toBe(200);
    expect(await titles(name)).toEqual([]);
  });
});

describe('a todo title sent as a file (multipart)', () => {
  it('is refused with 400, not answered as if the add had worked', async () => {
    const name = uniqueName('title-file');
    const cookie = await createList(base, name);
    const csrf = csrfFrom((await get(base, `/t/${name}`, cookie)).body);
    const form = new FormData();
    form.set('csrf', csrf);
    form.set('intent', 'add');
    form.set('title', new Blob(['buy milk']), 'title.txt');
    const answer = await fetch(new URL(`/t/${name}?index`, base), { method: 'POST', redirect: 'manual', headers: { cookie, origin: new URL(base).origin }, body: form });
    // Before the fix: 303 back to the list, and nothing added.
    expect(answer.status).toBe(400);
    expect(await answer.text()).toContain('must be text');
    expect(await titles(name)).toEqual([]);
  });
});
