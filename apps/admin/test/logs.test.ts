import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, createList, csrfFrom, get, post, uniqueName } from '../../todos/test/http';
import { startServer as startTodos, type TestServer } from '../../todos/test/server';
import { Client, ensureBuilt, startServer as startAdmin, type AdminServer } from './helpers';

const ADMIN_EMAIL = 'ops@example.test';
const ADMIN_PASSWORD = 'a long admin passphrase 7';
const SECRET = 'server-secret-for-the-log-test-0123456789abcdef';

/**
 * Secrets and session tokens never reach the logs: a whole run (sign up, sign in, add todos,
 * the admin signs in and opens the list) through both servers, then every line both wrote is
 * searched for every secret the run used or was handed.
 */
describe('logs of a full run', () => {
  let todos: TestServer;
  let admin: AdminServer;

  beforeAll(async () => {
    await ensureBuilt();
    todos = await startTodos({ SILO_SECRET: SECRET, LOG_LEVEL: 'debug' });
    admin = await startAdmin(todos.dataDir, { ADMIN_EMAIL, ADMIN_PASSWORD, SILO_SECRET: SECRET, LOG_LEVEL: 'debug' });
  });
  afterAll(async () => {
    await admin?.stop();
    await todos?.stop();
  });

  it('the admin answers /healthz, and /readyz with the backup scheduler, without a session', async () => {
    expect((await fetch(`${admin.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${admin.url}/readyz`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as Record<string, unknown>;
    // SILO_BACKUPS=off in the test server: no scheduler, no cycle yet.
    expect(body).toMatchObject({ status: 'ready', writable: 'ok', backups: { running: false, lagSeconds: null } });
  });

  it('hold no password, session token, CSRF token or server secret', async () => {
    const secrets: string[] = [PASSWORD, ADMIN_PASSWORD, SECRET, encodeURIComponent(PASSWORD), encodeURIComponent(ADMIN_PASSWORD)];
    const name = uniqueName('secrets');
    const signedUp = await createList(todos.url, name);
    secrets.push(signedUp.split('=')[1] ?? signedUp);
    const signedIn = await post(todos.url, `/t/${name}/sign-in`, { email: `owner@${name}.test`, password: PASSWORD });
    expect(signedIn.status).toBe(302);
    const cookie = signedIn.cookie ?? '';
    secrets.push(cookie.split('=')[1] ?? cookie);
    const page = await get(todos.url, `/t/${name}`, cookie);
    const csrf = csrfFrom(page.body);
    secrets.push(csrf);
    for (const title of ['first', 'second']) {
      expect((await post(todos.url, `/t/${name}?index`, { intent: 'add', title, csrf }, { cookie })).status).toBeLessThan(400);
    }
    expect((await get(todos.url, `/t/${name}`, cookie)).body).toContain('second');
    // A wrong password is logged as nothing but a refused request either.
    await post(todos.url, `/t/${name}/sign-in`, { email: `owner@${name}.test`, password: 'wrong-password-in-the-log?' });
    secrets.push('wrong-password-in-the-log?');

    const client = new Client(admin.url);
    expect((await client.signIn(ADMIN_EMAIL, ADMIN_PASSWORD)).status).toBe(302);
    secrets.push(client.cookie.split('=')[1] ?? client.cookie, client.csrf);
    expect((await client.get(`/instances/${name}`)).status).toBe(200);

    await new Promise((resolve) => setTimeout(resolve, 200));
    const logs = `${todos.output()}\n${admin.output()}\n${admin.errors()}`;
    // The run was logged: access-log lines from both servers.
    expect(logs).toContain('"route":"/t/:name/sign-in"');
    expect(logs).toContain('"route":"/login"');
    for (const secret of secrets.filter((value) => value.length >= 8)) expect(logs, `a secret of ${secret.length} characters`).not.toContain(secret);
  });
});
