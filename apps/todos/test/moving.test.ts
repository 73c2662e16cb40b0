import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createList, get, uniqueName } from './http';
import { startServer, type TestServer } from './server';

/**
 * While `silo move` copies an instance to another engine its catalog state is `moving`: the
 * list answers a maintenance 503 with Retry-After (never its data, never an error page), and
 * is back as soon as the move switched it over or rolled it back.
 */
let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server?.stop());

function setState(name: string, state: string): void {
  const catalog = new Database(path.join(server.dataDir, 'catalog.db'));
  catalog.pragma('busy_timeout = 5000');
  catalog.prepare('UPDATE instances SET state = ? WHERE name = ?').run(state, name);
  catalog.close();
}

it('answers a moving instance with a maintenance 503 and Retry-After, then serves it again', async () => {
  const name = uniqueName('moving');
  const cookie = await createList(server.url, name);
  setState(name, 'moving');
  const page = await get(server.url, `/t/${name}`, cookie);
  expect(page.status).toBe(503);
  expect(page.headers.get('retry-after')).toBe('2');
  expect(page.body).toMatch(/under maintenance/i);
  expect(page.body).not.toMatch(/could not be set up/i);
  expect(page.body).not.toContain('class="new-todo"');
  setState(name, 'ready');
  expect((await get(server.url, `/t/${name}`, cookie)).status).toBe(200);
});
