import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, createList, csrfFrom, get, post, uniqueName } from './http';
import { createCatalogDatabase, startJurisdictionStandin } from '@silo/turso-standin';
import { startServer, type TestServer } from './server';

/**
 * The TODO app end to end with SILO_ENGINE=turso: the real app server, configured by
 * environment variables only, against the Turso stand-in on loopback. No app code knows
 * which engine it runs on. (Every app suite also runs on Turso with SILO_TEST_ENGINE=turso.)
 */
let server: TestServer;
let base: string;

const JWT = /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+/;

beforeAll(async () => {
  server = await startServer({}, { engine: 'turso' });
  base = server.url;
});

afterAll(() => server?.stop());

interface ExportedTodo {
  id: number;
  title: string;
  completed: boolean;
}

async function todosOf(name: string, cookie: string): Promise<ExportedTodo[]> {
  const json = await get(base, `/t/${name}/export.json`, cookie);
  expect(json.status).toBe(200);
  return (JSON.parse(json.body) as { todos: ExportedTodo[] }).todos;
}

describe('the TODO app on Turso (stand-in)', () => {
  it('creates each list as a Turso database in the group of its jurisdiction', async () => {
    const eu = uniqueName('turso-eu');
    const us = uniqueName('turso-us');
    await createList(base, eu);
    await createList(base, us, { jurisdiction: 'us' });
    const fleet = await server.fleet();
    expect(fleet.find(eu)).toMatchObject({ state: 'ready', engine: 'turso', dbUrl: `turso:silo-eu/${eu}`, jurisdiction: 'eu' });
    expect(fleet.find(us)).toMatchObject({ state: 'ready', engine: 'turso', dbUrl: `turso:silo-us/${us}`, jurisdiction: 'us' });
    expect(await fleet.engine.exists(`turso:silo-eu/${eu}`)).toBe(true);
  });

  it('signs in, adds, toggles and deletes todos, and exports them', async () => {
    const name = uniqueName('turso-todos');
    const created = await createList(base, name);
    // Sign out, then in again with the password: sessions live in the tenant's Turso database.
    const page = await get(base, `/t/${name}`, created);
    expect((await post(base, `/t/${name}/sign-out`, { csrf: csrfFrom(page.body) }, { cookie: created })).status).toBe(302);
    expect((await get(base, `/t/${name}`, created)).status).toBe(302);
    const wrong = await post(base, `/t/${name}/sign-in`, { email: `owner@${name}.test`, password: 'not the password' });
    expect(wrong.status).toBe(400);
    const signedIn = await post(base, `/t/${name}/sign-in`, { email: `owner@${name}.test`, password: PASSWORD });
    expect(signedIn.status).toBe(302);
    const cookie = signedIn.cookie as string;

    const csrf = csrfFrom((await get(base, `/t/${name}`, cookie)).body);
    for (const title of ['buy milk', 'walk the dog', 'file taxes']) {
      expect((await post(base, `/t/${name}?index`, { intent: 'add', title, csrf }, { cookie })).status).toBe(303);
    }
    const [milk, dog, taxes] = await todosOf(name, cookie);
    expect([milk?.title, dog?.title, taxes?.title]).toEqual(['buy milk', 'walk the dog', 'file taxes']);
    await post(base, `/t/${name}?index`, { intent: 'toggle', id: String(milk?.id), completed: 'true', csrf }, { cookie });
    await post(base, `/t/${name}?index`, { intent: 'destroy', id: String(dog?.id), csrf }, { cookie });
    await post(base, `/t/${name}?index`, { intent: 'edit', id: String(taxes?.id), title: 'file taxes early', csrf }, { cookie });
    expect((await todosOf(name, cookie)).map(({ title, completed }) => ({ title, completed }))).toEqual([
      { title: 'buy milk', completed: true },
      { title: 'file taxes early', completed: false },
    ]);
    const list = await get(base, `/t/${name}`, cookie);
    expect(list.body).toContain('file taxes early');

    const download = await fetch(new URL(`/t/${name}/export.sqlite`, base), { headers: { cookie } });
    expect(download.status).toBe(200);
    expect(download.headers.get('content-disposition')).toBe(`attachment; filename="${name}.sqlite"`);
    const file = path.join(server.dataDir, 'downloaded.sqlite');
    writeFileSync(file, Buffer.from(await download.arrayBuffer()));
    const exported = new Database(file, { readonly: true });
    expect(exported.prepare('SELECT title, completed FROM todos ORDER BY id').all()).toEqual([
      { title: 'buy milk', completed: 1 },
      { title: 'file taxes early', completed: 0 },
    ]);
    expect(exported.pragma('integrity_check', { simple: true })).toBe('ok');
    exported.close();

    const fleet = await server.fleet();
    await fleet.flushActivity();
    const settings = await get(base, `/t/${name}/settings`, cookie);
    expect(settings.status).toBe(200);
    const deleted = await post(base, `/t/${name}/settings`, { intent: 'delete', confirm: name, csrf: csrfFrom(settings.body) }, { cookie });
    expect(deleted.status).toBe(302);
    expect((await get(base, `/t/${name}`, cookie)).status).toBe(404);
    expect((await server.fleet()).find(name)?.state).toBe('deleted');
  });

  it('never shows a token in pages or the server output', async () => {
    const apiToken = server.turso?.apiToken ?? '';
    expect(apiToken).not.toBe('');
    const name = uniqueName('turso-secret');
    const cookie = await createList(base, name);
    for (const pagePath of [`/t/${name}`, `/t/${name}/settings`, '/']) {
      const page = await get(base, pagePath, cookie);
      expect(page.body).not.toContain(apiToken);
      expect(page.body).not.toMatch(JWT);
    }
    expect(server.output()).not.toContain(apiToken);
    expect(server.output()).not.toMatch(JWT);
  });
});

describe('two app servers sharing one catalog on Turso', () => {
  it('a list created on one server opens, with the same session, on the other; writes show on both', async () => {
    const standinDir = mkdtempSync(path.join(tmpdir(), 'silo-todos-shared-'));
    const standin = await startJurisdictionStandin(standinDir, { notReadyMs: 100 });
    const catalog = await createCatalogDatabase(standin);
    // Behind one load balancer the servers share the session secret, not the data folder.
    const env = { ...catalog, SILO_SECRET: 'shared-secret-of-the-two-servers-0123456789abcdef' };
    const one = await startServer(env, { standin });
    const two = await startServer(env, { standin });
    try {
      const name = uniqueName('shared');
      const cookie = await createList(one.url, name);
      const onTwo = await get(two.url, `/t/${name}`, cookie);
      expect(onTwo.status).toBe(200);
      await post(two.url, `/t/${name}?index`, { intent: 'add', title: 'added on two', csrf: csrfFrom(onTwo.body) }, { cookie });
      expect((await get(one.url, `/t/${name}`, cookie)).body).toContain('added on two');
      expect((await get(two.url, `/t/${uniqueName('nowhere')}`)).status).toBe(404);
      for (const server of [one, two]) expect(server.output()).not.toContain(catalog.SILO_CATALOG_AUTH_TOKEN);
    } finally {
      await one.stop();
      await two.stop();
      await standin.close();
      rmSync(standinDir, { recursive: true, force: true });
    }
  });
});
