/**
 * The fleet's per-instance size cap (SILO_INSTANCE_MAX_BYTES) seen from the TODO app: a write
 * that would grow the list's database past it is refused with 507 and a message in the form,
 * nothing is written, the list stays readable, and deleting todos makes room again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createList, csrfFrom, get, post, uniqueName } from './http';
import { startServer, type TestServer } from './server';

// Room for the schema and a few dozen long todos, no more.
const CAP_BYTES = 256 * 1024;
let server: TestServer;
let base: string;

beforeAll(async () => {
  server = await startServer({ SILO_INSTANCE_MAX_BYTES: String(CAP_BYTES) });
  base = server.url;
});
afterAll(async () => {
  await server?.stop();
});

async function countTodos(name: string): Promise<number> {
  const fleet = await server.fleet();
  return fleet.withInstance(name, async (db) => Number((await db.execute('SELECT count(*) AS n FROM todos')).rows[0]?.['n']));
}

describe('a list at its size cap', () => {
  it('refuses the write that would pass it with 507 and a message, keeps the text, and takes writes again after a delete', async () => {
    const name = uniqueName('capped');
    const cookie = await createList(base, name);
    const csrf = csrfFrom((await get(base, `/t/${name}`, cookie)).body);
    const title = (i: number) => `${String(i).padStart(4, '0')} ${'x'.repeat(990)}`;

    let refused: Awaited<ReturnType<typeof post>> | undefined;
    let added = 0;
    // 1,000-character titles: the cap is reached after a few hundred at most.
    for (let i = 1; i <= 400 && !refused; i++) {
      const reply = await post(base, `/t/${name}?index`, { intent: 'add', title: title(i), csrf }, { cookie });
      if (reply.status === 303) added++;
      else refused = reply;
    }
    expect(refused?.status).toBe(507);
    expect(refused?.body).toContain('storage limit');
    expect(refused?.body).toContain('role="alert"');
    expect(refused?.body).toContain(`value="${title(added + 1)}"`);
    expect(await countTodos(name)).toBe(added);

    // Through a fetcher (JavaScript): the same refusal, as data.
    const viaJs = await post(base, `/t/${name}?index`, { intent: 'add', title: 'one more', csrf, js: '1' }, { cookie });
    expect(viaJs.status).toBe(507);

    // Still readable, and deleting makes room.
    expect((await get(base, `/t/${name}`, cookie)).status).toBe(200);
    expect((await post(base, `/t/${name}?index`, { intent: 'toggle-all', completed: 'true', csrf }, { cookie })).status).toBe(303);
    expect((await post(base, `/t/${name}?index`, { intent: 'clear-completed', csrf }, { cookie })).status).toBe(303);
    expect((await post(base, `/t/${name}?index`, { intent: 'add', title: 'fits again', csrf }, { cookie })).status).toBe(303);
    expect(await countTodos(name)).toBe(1);
  });
});
