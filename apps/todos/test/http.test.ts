import { existsSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, createFields, createList, csrfFrom, get, post, rawSocket, uniqueName } from './http';
import { startServer, testEngine, type TestServer } from './server';
import { sql } from './team';

let server: TestServer;
let base: string;

beforeAll(async () => {
  server = await startServer({ SILO_SIGNIN_LIMIT_PER_ACCOUNT: '3' });
  base = server.url;
});
afterAll(() => server?.stop());

describe('creating a list', () => {
  it('creates the instance, signs the owner in and redirects to the list', async () => {
    const name = uniqueName('create');
    const result = await post(base, '/?index', createFields(name));
    expect(result.status).toBe(302);
    expect(result.location).toBe(`/t/${name}`);
    expect(result.cookie).toMatch(/^silo_session=/);
    const page = await get(base, `/t/${name}`, result.cookie);
    expect(page.status).toBe(200);
    expect(page.body).toContain('class="new-todo"');
    const fleet = await server.fleet();
    expect(fleet.find(name)?.state).toBe('ready');
    expect(fleet.find(name)?.jurisdiction).toBe('eu');
  });

  it.each([
    ['too short', 'ab'],
    ['a path', '../x'],
    ['reserved', 'admin'],
    ['unicode look-alike', 'аcme-list'],
    ['empty', ''],
  ])('shows an invalid name (%s) inline and creates nothing', async (_label, name) => {
    const result = await post(base, '/?index', createFields(name, { nonce: `invalid-${name}` }));
    expect(result.status).toBe(400);
    expect(result.body).toContain('id="field-name-error"');
    expect(result.cookie).toBeUndefined();
    const fleet = await server.fleet();
    expect(fleet.list({}).items.filter((item) => item.name === name.toLowerCase())).toHaveLength(0);
  });

  it('shows other field errors inline and creates nothing', async () => {
    const name = uniqueName('fields');
    const result = await post(base, '/?index', createFields(name, { email: 'nope', password: 'short', jurisdiction: 'mars' }));
    expect(result.status).toBe(400);
    expect(result.body).toContain('id="field-email-error"');
    expect(result.body).toContain('id="field-password-error"');
    expect(result.body).toContain('Choose where your data is kept.');
    expect((await server.fleet()).find(name)).toBeUndefined();
  });

  it('reports a taken name inline', async () => {
    const name = uniqueName('taken');
    await createList(base, name);
    const second = await post(base, '/?index', createFields(name, { nonce: 'another-form', email: 'someone@else.test' }));
    expect(second.status).toBe(409);
    expect(second.body).toContain('is taken');
    expect(second.cookie).toBeUndefined();
  });

  it('a double submit of the same form creates one instance and signs in both times', async () => {
    const name = uniqueName('double');
    const fields = createFields(name);
    const [first, second] = await Promise.all([post(base, '/?index', fields), post(base, '/?index', fields)]);
    for (const result of [first, second]) {
      expect(result.status).toBe(302);
      expect(result.location).toBe(`/t/${name}`);
      expect(result.cookie).toBeDefined();
    }
    const fleet = await server.fleet();
    expect(fleet.list({}).items.filter((item) => item.name === name)).toHaveLength(1);
    const owners = await fleet.withInstance(name, async (db) => (await db.execute('SELECT count(*) AS n FROM users')).rows[0]?.['n']);
    expect(Number(owners)).toBe(1);
  });
});

describe('sessions', () => {
  it('a visitor without a session gets the sign-in page, never the data', async () => {
    const name = uniqueName('private');
    const cookie = await createList(base, name);
    const page = await get(base, `/t/${name}`, cookie);
    await post(base, `/t/${name}?index`, { intent: 'add', title: 'secret plans', csrf: csrfFrom(page.body) }, { cookie });
    for (const path of [`/t/${name}`, `/t/${name}/active`, `/t/${name}/settings`, `/t/${name}/export.json`, `/t/${name}/export.sqlite`]) {
      const anonymous = await get(base, path);
      expect(anonymous.status).toBe(302);
      expect(anonymous.location).toMatch(new RegExp(`^/t/${name}/sign-in`));
      expect(anonymous.body).not.toContain('secret plans');
    }
    const signIn = await get(base, `/t/${name}/sign-in`);
    expect(signIn.status).toBe(200);
    expect(signIn.body).not.toContain('secret plans');
    const data = await get(base, `/t/${name}.data`);
    expect(data.body).not.toContain('secret plans');
  });

  it('a session of instance A opens no other instance', async () => {
    const a = uniqueName('tenant-a');
    const b = uniqueName('tenant-b');
    const cookieA = await createList(base, a);
    await createList(base, b);
    // The cookie is scoped to /t/<a>; even sent to B on purpose, B's database does not know it.
    expect((await post(base, '/?index', createFields(uniqueName('probe')))).status).toBe(302);
    const denied = await get(base, `/t/${b}`, cookieA);
    expect(denied.status).toBe(302);
    expect(denied.location).toMatch(new RegExp(`^/t/${b}/sign-in`));
    expect((await get(base, `/t/${a}`, cookieA)).status).toBe(200);
  });

  it('scopes the session cookie to the instance path, HttpOnly and SameSite=Lax', async () => {
    const name = uniqueName('cookie');
    const result = await post(base, '/?index', createFields(name));
    const headers = result.headers.getSetCookie().filter((value) => value.startsWith('silo_session='));
    // /t/<name> for the pages, /t/<name>.data for React Router's data request of the list page.
    expect(headers.map((header) => /Path=([^;]+)/.exec(header)?.[1]).sort()).toEqual([`/t/${name}`, `/t/${name}.data`]);
    for (const header of headers) {
      expect(header).toContain('HttpOnly');
      expect(header).toContain('SameSite=Lax');
      expect(header).not.toContain('Secure');
    }
  });

  it('signs in with the right password, refuses a wrong one, and rate-limits per account', async () => {
    const name = uniqueName('signin');
    await createList(base, name);
    const email = `owner@${name}.test`;
    const wrong = await post(base, `/t/${name}/sign-in`, { email, password: 'not the password' });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toContain('do not match');
    const right = await post(base, `/t/${name}/sign-in`, { email, password: PASSWORD });
    expect(right.status).toBe(302);
    expect(right.cookie).toBeDefined();
    expect((await get(base, `/t/${name}`, right.cookie)).status).toBe(200);
    // The limit is 3 attempts per account in this server: the fourth in a row is refused.
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) codes.push((await post(base, `/t/${name}/sign-in`, { email, password: `wrong ${i}` })).status);
    expect(codes).toContain(429);
    const blocked = await post(base, `/t/${name}/sign-in`, { email, password: PASSWORD });
    expect(blocked.status).toBe(429);
    expect(blocked.body).toContain('Too many sign-in attempts');
  });

  it('an expired session gets the sign-in page', async () => {
    const name = uniqueName('expired');
    const cookie = await createList(base, name);
    expect((await get(base, `/t/${name}`, cookie)).status).toBe(200);
    const fleet = await server.fleet();
    await fleet.withInstance(name, (db) => db.execute('UPDATE sessions SET expires_at = ?', [Date.now() - 1000]));
    const page = await get(base, `/t/${name}`, cookie);
    expect(page.status).toBe(302);
    expect(page.location).toMatch(/\/sign-in/);
  });

  it('signs out by POST only, ending the session', async () => {
    const name = uniqueName('signout');
    const cookie = await createList(base, name);
    const page = await get(base, `/t/${name}`, cookie);
    // A GET asks to confirm and changes nothing; signed out, it sends to the sign-in page.
    const confirm = await get(base, `/t/${name}/sign-out`, cookie);
    expect(confirm.status).toBe(200);
    expect(confirm.body).toContain('<h1>Sign out</h1>');
    expect(csrfFrom(confirm.body)).toBe(csrfFrom(page.body));
    expect((await get(base, `/t/${name}`, cookie)).status).toBe(200);
    const anonymous = await get(base, `/t/${name}/sign-out`);
    expect(anonymous.status).toBe(302);
    expect(anonymous.location).toBe(`/t/${name}/sign-in`);
    const out = await post(base, `/t/${name}/sign-out`, { csrf: csrfFrom(page.body) }, { cookie });
    expect(out.status).toBe(302);
    expect(out.location).toBe(`/t/${name}/sign-in`);
    expect((await get(base, `/t/${name}`, cookie)).status).toBe(302);
  });
});

describe('request safety', () => {
  it('refuses a write without a CSRF token or with another session’s token', async () => {
    const name = uniqueName('csrf');
    const cookie = await createList(base, name);
    const other = await createList(base, uniqueName('csrf-other'));
    void other;
    const missing = await post(base, `/t/${name}?index`, { intent: 'add', title: 'forged' }, { cookie });
    expect(missing.status).toBe(403);
    const wrong = await post(base, `/t/${name}?index`, { intent: 'add', title: 'forged', csrf: 'AAAA' }, { cookie });
    expect(wrong.status).toBe(403);
    const page = await get(base, `/t/${name}`, cookie);
    expect(page.body).not.toContain('forged');
  });

  it('a form from an earlier session of the same browser (signed in again elsewhere) is answered in the page, not by an error page', async () => {
    const name = uniqueName('csrf-stale');
    const first = await createList(base, name);
    const stale = csrfFrom((await get(base, `/t/${name}`, first)).body);
    const again = await post(base, `/t/${name}/sign-in`, { email: `owner@${name}.test`, password: PASSWORD });
    const cookie = again.cookie ?? '';
    const refused = await post(base, `/t/${name}?index`, { intent: 'add', title: 'call the bank', csrf: stale }, { cookie });
    expect(refused.status).toBe(403);
    // The list with the typed title back in its field, the reason, and this session's token.
    expect(refused.body).toContain('This page was out of date');
    expect(refused.body).toMatch(/class="new-todo"[^>]*value="call the bank"/);
    const fresh = csrfFrom(refused.body);
    expect(fresh).not.toBe(stale);
    expect(await sql(server, name, 'SELECT title FROM todos')).toEqual([]);
    // Sent again from that page, it is added.
    const sent = await post(base, `/t/${name}?index`, { intent: 'add', title: 'call the bank', csrf: fresh }, { cookie });
    expect(sent.status).toBe(303);
    expect(await sql(server, name, 'SELECT title FROM todos')).toEqual([{ title: 'call the bank' }]);
  });

  it('refuses a write from another origin', async () => {
    const name = uniqueName('origin');
    const cookie = await createList(base, name);
    const page = await get(base, `/t/${name}`, cookie);
    const csrf = csrfFrom(page.body);
    const foreign = await post(base, `/t/${name}?index`, { intent: 'add', title: 'cross-site', csrf }, { cookie, origin: 'https://evil.example' });
    expect(foreign.status).toBeGreaterThanOrEqual(400);
    expect(foreign.status).toBeLessThan(500);
    expect((await get(base, `/t/${name}`, cookie)).body).not.toContain('cross-site');
    const accepted = await post(base, `/t/${name}?index`, { intent: 'add', title: 'same-site', csrf }, { cookie });
    expect(accepted.status).toBe(303);
    expect((await get(base, `/t/${name}`, cookie)).body).toContain('same-site');
  });

  it('refuses oversized bodies with 413', async () => {
    const name = uniqueName('big');
    const cookie = await createList(base, name);
    const csrf = csrfFrom((await get(base, `/t/${name}`, cookie)).body);
    const result = await post(base, `/t/${name}?index`, { intent: 'add', title: 'x'.repeat(100_000), csrf }, { cookie });
    expect(result.status).toBe(413);
    const landing = await post(base, '/?index', createFields(uniqueName('big-create'), { padding: 'y'.repeat(100_000) }));
    expect(landing.status).toBe(413);
  });

  it.each([
    ['announced by Content-Length', false],
    ['sent chunked, counted while reading', true],
  ])('refuses an oversized body %s with 413 and answers the next request on the connection', async (_label, chunked) => {
    const { host } = new URL(base);
    // Without the fix the server resets the connection at its keep-alive timeout.
    const { socket, received, closed } = rawSocket(base);
    const until = (pattern: RegExp): Promise<boolean> =>
      new Promise((resolve) => {
        const check = (): void => {
          if (pattern.test(received())) resolve(true);
          else if (socket.destroyed) resolve(false);
          else setTimeout(check, 10);
        };
        check();
      });
    const body = `padding=${'y'.repeat(200_000)}`;
    const framing = chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${body.length}`;
    const frame = (part: string): string => (chunked ? `${part.length.toString(16)}\r\n${part}\r\n` : part);
    socket.write(
      `POST /?index HTTP/1.1\r\nHost: ${host}\r\nOrigin: ${new URL(base).origin}\r\n` +
        `Content-Type: application/x-www-form-urlencoded\r\n${framing}\r\n\r\n`,
    );
    // Part of the body, the refusal, then the rest: the server must read past what it refused.
    socket.write(frame(body.slice(0, 40_000)));
    expect(await until(/^HTTP\/1\.1 413 /)).toBe(true);
    socket.write(frame(body.slice(40_000)) + (chunked ? '0\r\n\r\n' : ''));
    socket.write(`GET /nowhere HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    await closed;
    expect(received()).toMatch(/HTTP\/1\.1 404 /);
  });

  it('closes the connection of a refused body whose rest trickles in, long before the request timeout', async () => {
    const { host } = new URL(base);
    const { socket, received, closed } = rawSocket(base);
    socket.write(
      `POST /?index HTTP/1.1\r\nHost: ${host}\r\nOrigin: ${new URL(base).origin}\r\n` +
        `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 200000\r\n\r\npadding=${'y'.repeat(40_000)}`,
    );
    // The rest of the body trickles in a byte at a time (each keeps the connection from going
    // idle): the server answers, then lets the connection go rather than read it for minutes.
    const trickle = setInterval(() => socket.write('y'), 500);
    await closed;
    clearInterval(trickle);
    expect(received()).toMatch(/^HTTP\/1\.1 413 /);
  }, 30_000);

  it('sends security headers and 404s unknown or hostile names', async () => {
    const home = await get(base, '/');
    expect(home.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(home.headers.get('x-content-type-options')).toBe('nosniff');
    for (const path of ['/t/does-not-exist', '/t/..%2f..%2fcatalog', '/t/%2e%2e%2fx', '/t/ADMIN', '/nowhere']) {
      expect((await get(base, path)).status).toBe(404);
    }
  });
});

describe('exports and deletion', () => {
  it('downloads the JSON export and the SQLite file as attachments', async () => {
    const name = uniqueName('export');
    const cookie = await createList(base, name);
    const csrf = csrfFrom((await get(base, `/t/${name}`, cookie)).body);
    await post(base, `/t/${name}?index`, { intent: 'add', title: 'exported todo', csrf }, { cookie });
    const json = await get(base, `/t/${name}/export.json`, cookie);
    expect(json.status).toBe(200);
    expect(json.headers.get('content-disposition')).toBe(`attachment; filename="${name}-todos.json"`);
    const parsed = JSON.parse(json.body) as { todos: { title: string; completed: boolean }[] };
    expect(parsed.todos).toEqual([expect.objectContaining({ title: 'exported todo', completed: false })]);
    const file = await fetch(new URL(`/t/${name}/export.sqlite`, base), { headers: { cookie } });
    expect(file.status).toBe(200);
    expect(file.headers.get('content-disposition')).toBe(`attachment; filename="${name}.sqlite"`);
    const bytes = Buffer.from(await file.arrayBuffer());
    expect(bytes.subarray(0, 16).toString('latin1')).toBe('SQLite format 3\0');
  });

  it('a member cannot delete the list; the owner can, after confirming, and it is 404 afterwards', async () => {
    const name = uniqueName('delete');
    const cookie = await createList(base, name);
    const csrf = csrfFrom((await get(base, `/t/${name}/settings`, cookie)).body);
    const unconfirmed = await post(base, `/t/${name}/settings`, { intent: 'delete', confirm: 'nope', csrf }, { cookie });
    expect(unconfirmed.status).toBe(400);
    expect((await server.fleet()).find(name)?.state).toBe('ready');
    const deleted = await post(base, `/t/${name}/settings`, { intent: 'delete', confirm: name, csrf }, { cookie });
    expect(deleted.status).toBe(302);
    expect(deleted.location).toBe(`/?deleted=${name}`);
    expect((await server.fleet()).find(name)?.state).toBe('deleted');
    expect((await get(base, `/t/${name}`, cookie)).status).toBe(404);
    expect((await get(base, `/t/${name}/sign-in`)).status).toBe(404);
  });
});

describe('a form sent twice without JavaScript (a double click posts it again)', () => {
  it('signing in twice signs in twice: both answers go to the list with a session that works', async () => {
    const name = uniqueName('signin-twice');
    await createList(base, name);
    const fields = { email: `owner@${name}.test`, password: PASSWORD };
    const answers = await Promise.all([post(base, `/t/${name}/sign-in`, fields), post(base, `/t/${name}/sign-in`, fields)]);
    answers.push(await post(base, `/t/${name}/sign-in`, fields));
    for (const answer of answers) {
      expect(answer.status).toBe(302);
      expect(answer.location).toBe(`/t/${name}`);
      expect((await get(base, `/t/${name}`, answer.cookie)).status).toBe(200);
    }
  });

  it('deleting a todo twice deletes it once, and the second answer is the list again', async () => {
    const name = uniqueName('destroy-twice');
    const cookie = await createList(base, name);
    const csrf = csrfFrom((await get(base, `/t/${name}`, cookie)).body);
    for (const title of ['one', 'two', 'three']) await post(base, `/t/${name}?index`, { intent: 'add', title, csrf }, { cookie });
    const [first] = await sql(server, name, 'SELECT id FROM todos ORDER BY id');
    const fields = { intent: 'destroy', id: String(first?.['id']), csrf };
    const answers = await Promise.all([post(base, `/t/${name}?index`, fields, { cookie }), post(base, `/t/${name}?index`, fields, { cookie })]);
    answers.push(await post(base, `/t/${name}?index`, fields, { cookie }));
    for (const answer of answers) {
      expect(answer.status).toBe(303);
      expect(answer.location).toBe(`/t/${name}`);
    }
    expect(await sql(server, name, 'SELECT title FROM todos ORDER BY id')).toEqual([{ title: 'two' }, { title: 'three' }]);
  });

  it('deleting the list twice deletes it once; the second answer says there is no list here, and that it may have been deleted', async () => {
    const name = uniqueName('delete-twice');
    const cookie = await createList(base, name);
    const csrf = csrfFrom((await get(base, `/t/${name}/settings`, cookie)).body);
    const fields = { intent: 'delete', confirm: name, csrf };
    const first = await post(base, `/t/${name}/settings`, fields, { cookie });
    expect(first.status).toBe(302);
    expect(first.location).toBe(`/?deleted=${name}`);
    const second = await post(base, `/t/${name}/settings`, fields, { cookie });
    expect(second.status).toBe(404);
    expect(second.body).toContain('It may have been deleted.');
    // Deleted once, and still restorable: nothing more happened to it.
    const fleet = await server.fleet();
    expect(fleet.find(name)?.state).toBe('deleted');
    expect(fleet.audit({ instance: name, limit: 50 }).items.filter((entry) => entry.operation === 'delete')).toHaveLength(1);
  });
});

describe('instance states and invite expiry', () => {
  /** Changes the catalog row behind the server's back, as another process (the admin, a crash) would. */
  function setCatalog(sql: string, ...args: (string | number)[]): void {
    const catalog = new Database(path.join(server.dataDir, 'catalog.db'));
    catalog.pragma('busy_timeout = 5000');
    catalog.prepare(sql).run(...args);
    catalog.close();
  }

  it('answers an instance still being set up with a short 503 page, never its data', async () => {
    const name = uniqueName('setup');
    const cookie = await createList(base, name);
    setCatalog("UPDATE instances SET state = 'provisioning' WHERE name = ?", name);
    const page = await get(base, `/t/${name}`, cookie);
    expect(page.status).toBe(503);
    expect(page.headers.get('retry-after')).toBe('2');
    expect(page.body).toMatch(/being set up/i);
    expect(page.body).not.toContain('class="new-todo"');
    setCatalog("UPDATE instances SET state = 'ready' WHERE name = ?", name);
    expect((await get(base, `/t/${name}`, cookie)).status).toBe(200);
  });

  it('answers an instance behind the schema with a maintenance 503, not a crash', async () => {
    const name = uniqueName('behind');
    const cookie = await createList(base, name);
    setCatalog('UPDATE instances SET schema_version = 0 WHERE name = ?', name);
    const page = await get(base, `/t/${name}`, cookie);
    expect(page.status).toBe(503);
    expect(page.headers.get('retry-after')).not.toBeNull();
    expect(page.body).not.toContain('class="new-todo"');
  });

  it('refuses an expired invite link', async () => {
    const name = uniqueName('expired');
    const cookie = await createList(base, name);
    const csrf = csrfFrom((await get(base, `/t/${name}/settings`, cookie)).body);
    const created = await post(base, `/t/${name}/settings`, { intent: 'invite', csrf }, { cookie });
    const link = /\/t\/[a-z0-9-]+\/invite\/[A-Za-z0-9_-]+/.exec(created.body)?.[0];
    expect(link).toBeDefined();
    expect((await get(base, link as string)).status).toBe(200);
    const fleet = await server.fleet();
    await fleet.withInstance(name, (db) => db.execute('UPDATE invites SET expires_at = ?', [Date.now() - 1]));
    const expired = await get(base, link as string);
    expect(expired.status).toBe(404);
    expect(expired.body).toContain('may have expired');
  });
});

describe('isolation, placement and safe rendering', () => {
  it('a direct POST with instance A\'s session and token changes nothing in instance B', async () => {
    const a = uniqueName('iso-a');
    const b = uniqueName('iso-b');
    const cookieA = await createList(base, a);
    const cookieB = await createList(base, b);
    const csrfA = csrfFrom((await get(base, `/t/${a}`, cookieA)).body);
    const attack = await post(base, `/t/${b}?index`, { intent: 'add', title: 'planted by A', csrf: csrfA }, { cookie: cookieA });
    expect(attack.status).toBeGreaterThanOrEqual(300);
    expect(attack.location ?? '').not.toBe(`/t/${b}`);
    const fleet = await server.fleet();
    const rows = await fleet.withInstance(b, (db) => db.execute('SELECT count(*) AS n FROM todos'));
    expect(rows.rows[0]?.['n']).toBe(0);
    // B's own session still works, and sees nothing of A.
    expect((await get(base, `/t/${b}`, cookieB)).body).not.toContain('planted by A');
  });

  it('keeps an EU list\'s database in a folder of an EU region (on Turso: in the EU group)', async () => {
    const name = uniqueName('placed');
    await createList(base, name, { jurisdiction: 'eu' });
    const instance = (await server.fleet()).find(name);
    expect(instance?.jurisdiction).toBe('eu');
    if (testEngine() === 'turso') {
      expect(instance?.dbUrl).toBe(`turso:silo-eu/${name}`);
      expect(await (await server.fleet()).engine.exists(instance?.dbUrl ?? '')).toBe(true);
      return;
    }
    const match = /^local:(eu-[a-z]+)\/([0-9a-f]{2})\/(.+\.db)$/.exec(instance?.dbUrl ?? '');
    expect(match).not.toBeNull();
    const file = path.join(server.dataDir, 'regions', match?.[1] ?? '', 'tenants', match?.[2] ?? '', match?.[3] ?? '');
    expect(existsSync(file)).toBe(true);
  });

  it('renders a todo titled like markup as text', async () => {
    const name = uniqueName('xss');
    const cookie = await createList(base, name);
    const csrf = csrfFrom((await get(base, `/t/${name}`, cookie)).body);
    await post(base, `/t/${name}?index`, { intent: 'add', title: '<script>alert("owned")</script><img src=x onerror=alert(1)>', csrf }, { cookie });
    const page = await get(base, `/t/${name}`, cookie);
    expect(page.body).toContain('&lt;script&gt;alert(');
    expect(page.body).not.toContain('<script>alert("owned")</script>');
    expect(page.body).not.toContain('<img src=x');
  });
});

describe('activity for the admin', () => {
  it('reports todo counts to the catalog after writes, without scanning databases', async () => {
    const name = uniqueName('metrics');
    const cookie = await createList(base, name);
    const csrf = csrfFrom((await get(base, `/t/${name}`, cookie)).body);
    for (const title of ['one', 'two', 'three']) await post(base, `/t/${name}?index`, { intent: 'add', title, csrf }, { cookie });
    await post(base, `/t/${name}?index`, { intent: 'toggle-all', completed: 'true', csrf }, { cookie });
    const fleet = await server.fleet();
    // Activity is written in batches (every 2 s by default): wait for the batch, assert its content.
    // On Turso the catalog also keeps the service's own usage figures.
    const usage = testEngine() === 'turso' ? { 'turso.rowsRead': expect.any(Number), 'turso.rowsWritten': expect.any(Number) } : {};
    await expect.poll(() => fleet.find(name)?.metrics, { timeout: 15_000, interval: 200 }).toEqual({ todos: 3, completed: 3, ...usage });
    expect(fleet.find(name)?.lastActiveAt).not.toBeNull();
  });
});

describe('a todo deleted meanwhile', () => {
  it('a toggle or an edit of it changes nothing and says why, with and without JavaScript', async () => {
    const name = uniqueName('gone');
    const cookie = await createList(base, name);
    const csrf = csrfFrom((await get(base, `/t/${name}`, cookie)).body);
    expect((await post(base, `/t/${name}?index`, { intent: 'add', title: 'soon gone', csrf }, { cookie })).status).toBe(303);
    const fleet = await server.fleet();
    const id = await fleet.withInstance(name, async (db) => Number((await db.execute('SELECT id FROM todos')).rows[0]?.['id']));
    // Another tab deletes it.
    expect((await post(base, `/t/${name}?index`, { intent: 'destroy', id: String(id), csrf }, { cookie })).status).toBe(303);
    const said = 'That todo was deleted meanwhile';
    const toggled = await post(base, `/t/${name}?index`, { intent: 'toggle', id: String(id), completed: 'true', csrf }, { cookie });
    expect(toggled.status).toBe(404);
    expect(toggled.body).toMatch(new RegExp(`role="alert"[^>]*>${said}`));
    const edited = await post(base, `/t/${name}?index`, { intent: 'edit', id: String(id), title: 'renamed', csrf, js: '1' }, { cookie });
    expect(edited.status).toBe(404);
    expect(edited.body).toContain(said);
    expect(await fleet.withInstance(name, async (db) => (await db.execute('SELECT count(*) AS n FROM todos')).rows[0]?.['n'])).toBe(0);
  });
});
