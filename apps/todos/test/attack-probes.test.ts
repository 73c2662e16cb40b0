/**
 * The outside review's probes (issue #13) tried again on the merged TODO app, in URL spellings
 * and entry points the first fixes' tests did not try.
 */
import { headerIn, rawRequest } from '@silo/web/raw-http';
import { spawn } from 'node:child_process';
import { lstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, createFields, createList, csrfFrom, get, post, uniqueName } from './http';
import { APP_DIR, startServer, testEngine, type TestServer } from './server';

let server: TestServer;
let base: string;

beforeAll(async () => {
  server = await startServer({ SILO_EXPORTS_PER_HOUR: '1000', SILO_INVITE_LIMIT_PER_IP: '1000' });
  base = server.url;
});
afterAll(async () => {
  await server?.stop();
});

async function teamList(prefix: string): Promise<{ name: string; owner: string; member: string }> {
  const name = uniqueName(prefix);
  const owner = await createList(base, name);
  const csrf = csrfFrom((await get(base, `/t/${name}/settings`, owner)).body);
  const created = await post(base, `/t/${name}/settings`, { intent: 'invite', csrf }, { cookie: owner });
  const link = /\/t\/[a-z0-9-]+\/invite\/[A-Za-z0-9_-]+/.exec(created.body)?.[0];
  if (!link) throw new Error(`No invite link: ${created.status}`);
  const joined = await post(base, link, { email: `member@${name}.test`, password: PASSWORD });
  if (joined.status !== 302 || !joined.cookie) throw new Error(`Joining failed: ${joined.status}`);
  return { name, owner, member: joined.cookie };
}

describe('finding 4: no URL spelling hands a member the list’s data or a credential', () => {
  it('every spelling of the downloads and their .data routes is refused to a member', async () => {
    const { name, member } = await teamList('probe-dl');
    const spellings = [
      `/t/${name}/export.sqlite`,
      `/t/${name}/export.json`,
      `/t/${name}/export.sqlite.data`,
      `/t/${name}/export.json.data`,
      `/t/${name}/export.sqlite.data?_routes=routes/export-sqlite`,
      `/t/${name}/export.sqlite/`,
      `/t/${name}//export.sqlite`,
      `/t/${name}/./export.sqlite`,
      `/t/${name}/x/../export.sqlite`,
      `/t/${name}/export%2Esqlite`,
      `/t/${name}/EXPORT.SQLITE`,
      `/t/${name}/export.json?format=sqlite`,
      `/t/${name}/settings.data`,
      `/t/${name}.data`,
      `/t/${name}/_root.data`,
    ];
    for (const spelling of spellings) {
      const reply = await get(base, spelling, member);
      expect(reply.body.startsWith('SQLite format 3'), spelling).toBe(false);
      expect(reply.body, spelling).not.toMatch(/\$argon2|password_hash|member@.*member@/);
      if (/export/i.test(spelling)) expect(reply.status === 200 && reply.body.includes('todos'), spelling).toBe(false);
    }
  });
});

describe('finding 4: the owner’s download after an operator ran ANALYZE on the list', () => {
  // Turso's servers refuse ANALYZE, so there the statistics this probes cannot arise.
  it.skipIf(testEngine() === 'turso')('holds no session id or invite token hash, not even as a sampled index key', async () => {
    const { name, owner } = await teamList('probe-stat');
    const csrf = csrfFrom((await get(base, `/t/${name}/settings`, owner)).body);
    await post(base, `/t/${name}/settings`, { intent: 'invite', csrf }, { cookie: owner });
    const fleet = await server.fleet();
    await fleet.query(name, 'ANALYZE', [], { readOnly: false });
    const secrets = [
      ...(await fleet.query(name, 'SELECT id FROM sessions')).rows,
      ...(await fleet.query(name, 'SELECT token_hash FROM invites')).rows,
    ].map(([value]) => String(value));
    expect(secrets.length).toBeGreaterThanOrEqual(3);
    const response = await fetch(new URL(`/t/${name}/export.sqlite`, base), { headers: { cookie: owner } });
    expect(response.status).toBe(200);
    const bytes = Buffer.from(await response.arrayBuffer()).toString('latin1');
    expect(bytes.startsWith('SQLite format 3')).toBe(true);
    for (const secret of secrets) expect(bytes).not.toContain(secret);
  });
});

describe('finding 8: after the app and the CLI have both worked on one data folder', () => {
  // Local files only: on Turso the tenants are not in the folder, and the stand-in's own files are.
  it.skipIf(testEngine() === 'turso')('every folder under it is 0700 and every file 0600, WAL, staging, backups and the secret included', async () => {
    const name = uniqueName('probe-perm');
    const owner = await createList(base, name);
    const csrf = csrfFrom((await get(base, `/t/${name}`, owner)).body);
    await post(base, `/t/${name}?index`, { intent: 'add', title: 'on disk', csrf }, { cookie: owner });
    expect((await fetch(new URL(`/t/${name}/export.sqlite`, base), { headers: { cookie: owner } })).status).toBe(200);
    const outside = mkdtempSync(path.join(tmpdir(), 'silo-probe-export-'));
    try {
      const exported = path.join(outside, 'copy.sqlite');
      for (const args of [
        ['create', 'cli-made', '--jurisdiction', 'eu'],
        ['clone', name, 'cli-clone'],
        ['export', name, '-o', exported],
        ['import', exported, 'cli-imported', '--jurisdiction', 'us'],
        ['backup', 'now', name],
        ['backup', 'now', 'cli-imported'],
      ]) {
        const result = await silo(server.dataDir, args);
        expect(result.code, `silo ${args.join(' ')}: ${result.stderr}`).toBe(0);
      }
      expect(lstatSync(exported).mode & 0o777).toBe(0o600);
      expect(loose(server.dataDir)).toEqual([]);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});

/** Files not 0600 and folders not 0700 under `dir` (the stand-in's own folder, when there is one, aside). */
function loose(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .map((entry) => path.join(entry.parentPath, entry.name))
    .filter((file) => !file.includes(`${path.sep}turso-standin`))
    .filter((file) => {
      const stat = lstatSync(file);
      return (stat.mode & 0o777) !== (stat.isDirectory() ? 0o700 : 0o600);
    })
    .map((file) => `${file} ${(lstatSync(file).mode & 0o777).toString(8)}`);
}

/** The real `silo` on the server's data folder, in a process of its own, with a loose umask. */
function silo(dataDir: string, args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('SILO_') && key !== 'NODE_OPTIONS') env[key] = value;
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', 'umask 022 && exec "$0" "$@"', process.execPath, path.join(APP_DIR, '../../packages/cli/bin/silo.mjs'), ...args], {
      env: { ...env, SILO_DATA_DIR: dataDir, NO_COLOR: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('finding 3: a list imported with more todos than the limit', () => {
  const MAX = 5_000;
  const OVER = 3 * MAX;

  async function countTodos(name: string, where: string): Promise<number> {
    const fleet = await server.fleet();
    return fleet.withInstance(name, async (db) => Number((await db.execute(`SELECT count(*) AS n FROM todos WHERE ${where}`)).rows[0]?.['n']));
  }

  it('costs each request at most the limit in rows: counts, “toggle all” and “clear completed” are bounded', async () => {
    const name = uniqueName('probe-over');
    const owner = await createList(base, name);
    // What an upload within the size cap may hold: the app never let these rows in.
    const fleet = await server.fleet();
    await fleet.withInstance(name, (db) =>
      db.execute(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${OVER})
         INSERT INTO todos (title, completed, created_at, updated_at) SELECT 'imported ' || i, 0, 0, 0 FROM n`,
      ),
    );
    const page = await get(base, `/t/${name}`, owner);
    expect(page.status).toBe(200);
    expect(page.body).not.toContain(OVER.toLocaleString('en'));
    const csrf = csrfFrom(page.body);
    expect((await post(base, `/t/${name}?index`, { intent: 'toggle-all', completed: 'true', csrf }, { cookie: owner })).status).toBe(303);
    expect(await countTodos(name, 'completed = 1')).toBe(MAX);
    expect((await post(base, `/t/${name}?index`, { intent: 'clear-completed', csrf }, { cookie: owner })).status).toBe(303);
    expect(await countTodos(name, '1')).toBe(OVER - MAX);
    // Still full: an add is refused, whatever the count beyond the limit.
    expect((await post(base, `/t/${name}?index`, { intent: 'add', title: 'one more', csrf }, { cookie: owner })).status).toBe(409);
  });
});

describe('finding 3: what one account adds to every page that lists members', () => {
  it('refuses an email longer than 254 characters when a list is created and when an invite is accepted', async () => {
    const long = `${'a'.repeat(15_000)}@example.test`;
    const name = uniqueName('probe-mail');
    const created = await post(base, '/?index', createFields(name, { email: long }));
    expect(created.status).toBe(400);
    expect(created.cookie).toBeUndefined();
    const { name: team, owner } = await teamList('probe-mail-inv');
    const csrf = csrfFrom((await get(base, `/t/${team}/settings`, owner)).body);
    const invite = await post(base, `/t/${team}/settings`, { intent: 'invite', csrf }, { cookie: owner });
    const link = /\/t\/[a-z0-9-]+\/invite\/[A-Za-z0-9_-]+/.exec(invite.body)?.[0] ?? '';
    const joined = await post(base, link, { email: long, password: PASSWORD });
    expect(joined.status).toBe(400);
    expect(joined.cookie).toBeUndefined();
    const fitting = `${'b'.repeat(240)}@example.test`;
    expect((await post(base, link, { email: fitting, password: PASSWORD })).status).toBe(302);
  });
});

describe('finding 7: sign-in guesses from one IPv6 network', () => {
  let proxied: TestServer;
  beforeAll(async () => {
    proxied = await startServer({ SILO_TRUST_PROXY: '1', SILO_SIGNIN_LIMIT_PER_ACCOUNT: '3', SILO_SIGNIN_LIMIT_PER_IP: '6' });
  });
  afterAll(async () => {
    await proxied?.stop();
  });

  it('a fresh address of the same /64 per guess does not reset the limits; the owner elsewhere still signs in', async () => {
    const name = uniqueName('probe-v6');
    await createList(proxied.url, name);
    const statuses: number[] = [];
    for (let i = 1; i <= 8; i++) {
      const reply = await post(proxied.url, `/t/${name}/sign-in`, { email: `owner@${name}.test`, password: `wrong guess ${i}` }, { headers: { 'x-forwarded-for': `2001:db8:bad:1::${i.toString(16)}` } });
      statuses.push(reply.status);
    }
    expect(statuses.slice(0, 3)).toEqual([400, 400, 400]);
    expect(statuses.slice(3)).toEqual([429, 429, 429, 429, 429]);
    const owner = await post(proxied.url, `/t/${name}/sign-in`, { email: `owner@${name}.test`, password: PASSWORD }, { headers: { 'x-forwarded-for': '2001:db8:900d:1::1' } });
    expect(owner.status).toBe(302);
  });
});

describe('finding 3: an imported list brings no sessions or links along', () => {
  it('an upload with many sessions and an open invite becomes a list without any; its owner signs in again', async () => {
    const name = uniqueName('probe-sess');
    await createList(base, name);
    const fleet = await server.fleet();
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'silo-probe-sessions-')), 'with-sessions.sqlite');
    try {
      // Sessions a file's author made up: each sign-in's clean-up would scan every one of them.
      await fleet.withInstance(name, (db) =>
        db.execute(
          `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50000)
           INSERT INTO sessions (id, user_id, created_at, expires_at) SELECT 'made-up-' || i, (SELECT min(id) FROM users), 0, 9e15 FROM n`,
        ),
      );
      // An open invite link of the list (session 37's probe: it admitted its holder to the copy too).
      await fleet.withInstance(name, (db) =>
        db.execute("INSERT INTO invites (token_hash, created_by, created_at, expires_at) VALUES ('made-up-invite', (SELECT min(id) FROM users), 0, 9e15)"),
      );
      await fleet.exportTo(name, file);
      const copy = uniqueName('probe-sess-copy');
      await fleet.importFile(copy, file, { jurisdiction: 'eu' });
      const count = (table: string) => fleet.withInstance(copy, async (db) => Number((await db.execute(`SELECT count(*) AS n FROM ${table}`)).rows[0]?.['n']));
      expect(await count('sessions')).toBe(0);
      expect(await count('invites')).toBe(0);
      expect(await count('password_resets')).toBe(0);
      const signedIn = await post(base, `/t/${copy}/sign-in`, { email: `owner@${name}.test`, password: PASSWORD });
      expect(signedIn.status).toBe(302);
    } finally {
      rmSync(path.dirname(file), { recursive: true, force: true });
    }
  });
});

describe('finding 9: the settings rename refuses what acts on a terminal', () => {
  it('refuses ESC, CR/LF, C1 and bidi overrides in the display name with 400, and keeps the old name', async () => {
    const name = uniqueName('probe-name');
    const owner = await createList(base, name);
    for (const hostile of ['evil\u001b[2J', 'a\r\nb', 'c1\u009bx', 'rtl\u202Egnp.exe', 'iso\u2066x', 'ls\u2028x']) {
      const csrf = csrfFrom((await get(base, `/t/${name}/settings`, owner)).body);
      const reply = await post(base, `/t/${name}/settings`, { intent: 'rename', displayName: hostile, csrf }, { cookie: owner });
      expect(reply.status, JSON.stringify(hostile)).toBe(400);
    }
    const page = await get(base, `/t/${name}/settings`, owner);
    // eslint-disable-next-line no-control-regex -- looking for exactly these characters is the test
    expect(page.body).not.toMatch(/[\u001b\u009b\u202E\u2066\u2028]/);
  });
});

describe('an outside probe of session 37: renames fill the catalog every tenant shares', () => {
  it('refuses a list’s renames past its budget with 429, and keeps the list’s name', async () => {
    const name = uniqueName('probe-rename');
    const owner = await createList(base, name);
    const csrf = csrfFrom((await get(base, `/t/${name}/settings`, owner)).body);
    const statuses: number[] = [];
    for (let i = 0; i < 22; i++) statuses.push((await post(base, `/t/${name}/settings`, { intent: 'rename', displayName: `Name ${i}`, csrf }, { cookie: owner })).status);
    expect(statuses.slice(0, 20).every((status) => status === 200)).toBe(true);
    expect(statuses.slice(20)).toEqual([429, 429]);
    const page = await get(base, `/t/${name}/settings`, owner);
    expect(page.body).toContain('Name 19');
  });
});

describe('finding 6: a write’s redirect stays on this origin, whatever the request target', () => {
  it('a no-JavaScript add posted to //evil.example/… never sends the browser to another host', async () => {
    const name = uniqueName('probe-next');
    const owner = await createList(base, name);
    const csrf = csrfFrom((await get(base, `/t/${name}`, owner)).body);
    const origin = new URL(base);
    for (const target of [`//evil.example/t/${name}?index`, `/\\evil.example/t/${name}?index`, `/t/${name}/..//evil.example?index`, `//t/${name}?index`]) {
      const body = new URLSearchParams({ intent: 'add', title: 'x', csrf }).toString();
      const reply = await rawRequest(
        base,
        `POST ${target} HTTP/1.1\r\nHost: ${origin.host}\r\nOrigin: ${origin.origin}\r\nCookie: ${owner}\r\n` +
          `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      const location = headerIn(reply.head, 'location') ?? '/';
      expect(reply.status, target).toBeLessThan(500);
      expect(location.startsWith('//') || location.startsWith('/\\'), `${target} → ${location}`).toBe(false);
      expect(new URL(location, base).origin, `${target} → ${location}`).toBe(origin.origin);
    }
  });
});

describe('the probes of 2026-12-04', () => {
  it('stores a title with control characters as one line of text, never a server error', async () => {
    const name = uniqueName('probe-nul');
    const owner = await createList(base, name);
    const csrf = csrfFrom((await get(base, `/t/${name}`, owner)).body);
    for (const title of ['\u0000abc', 'a\u0000b', 'tab\there\nnext']) {
      expect((await post(base, `/t/${name}?index`, { intent: 'add', title, csrf }, { cookie: owner })).status, JSON.stringify(title)).toBe(303);
    }
    const fleet = await server.fleet();
    const rows = (await fleet.query(name, 'SELECT title FROM todos ORDER BY id')).rows.map(([title]) => title);
    expect(rows).toEqual(['abc', 'a b', 'tab here next']);
  });

  it('answers HEAD on a download without building it or spending the budget, and other methods with 405', async () => {
    const name = uniqueName('probe-head');
    const owner = await createList(base, name);
    const fleet = await server.fleet();
    const exports = () => fleet.audit({ instance: name, operation: 'export' }).total;
    for (const file of ['export.sqlite', 'export.json']) {
      const head = await fetch(new URL(`/t/${name}/${file}`, base), { method: 'HEAD', headers: { cookie: owner } });
      expect(head.status, file).toBe(200);
      expect(head.headers.get('content-disposition'), file).toContain('attachment');
      expect((await fetch(new URL(`/t/${name}/${file}`, base), { method: 'OPTIONS', headers: { cookie: owner } })).status, file).toBe(405);
    }
    expect(exports()).toBe(0);
    const download = await fetch(new URL(`/t/${name}/export.sqlite`, base), { headers: { cookie: owner } });
    expect(download.status).toBe(200);
    await download.arrayBuffer();
    // Recorded once the server's stream of it ended, which may trail the last byte's arrival.
    await expect.poll(exports).toBe(1);
  });

  it('takes no X-Request-Id from a client when no proxy is trusted', async () => {
    const reply = await get(base, '/healthz', undefined, { 'x-request-id': 'chosen-by-client' });
    expect(reply.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers an over-long email at sign-in as a failed sign-in, not a server error', async () => {
    const name = uniqueName('probe-long');
    await createList(base, name);
    const reply = await post(base, `/t/${name}/sign-in`, { email: `${'x'.repeat(15_000)}@a.test`, password: 'wrongwrong1' });
    expect(reply.status).toBe(400);
    expect(reply.body).toContain('do not match');
  });
});
