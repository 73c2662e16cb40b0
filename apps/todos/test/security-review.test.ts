/**
 * Findings of the outside review (issue #13) on the TODO app: what a member may download,
 * what the invite form tells a stranger, and who the sign-in limiter can lock out. Client
 * addresses come from X-Forwarded-For (SILO_TRUST_PROXY=1), so one test plays many clients.
 */
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stagingDirOf } from '@silo/fleet/internal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, createList, csrfFrom, get, post, uniqueName } from './http';
import { startServer, type TestServer } from './server';

let server: TestServer;
let base: string;
const scratch = mkdtempSync(path.join(tmpdir(), 'silo-todos-review-'));

beforeAll(async () => {
  server = await startServer({
    SILO_TRUST_PROXY: '1',
    SILO_SIGNIN_LIMIT_PER_ACCOUNT: '3',
    SILO_SIGNIN_LIMIT_PER_IP: '6',
    SILO_INVITE_LIMIT_PER_IP: '4',
    SILO_EXPORTS_PER_HOUR: '3',
  });
  base = server.url;
});
afterAll(async () => {
  await server?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

let addressCounter = 0;
/** A client address of its own for each caller (TEST-NET-3). */
function newAddress(): Record<string, string> {
  addressCounter += 1;
  return { 'x-forwarded-for': `203.0.113.${addressCounter}` };
}

async function inviteLink(name: string, cookie: string): Promise<string> {
  const csrf = csrfFrom((await get(base, `/t/${name}/settings`, cookie)).body);
  const created = await post(base, `/t/${name}/settings`, { intent: 'invite', csrf }, { cookie });
  const link = /\/t\/[a-z0-9-]+\/invite\/[A-Za-z0-9_-]+/.exec(created.body)?.[0];
  if (!link) throw new Error(`No invite link: ${created.status}`);
  return link;
}

/** A list with an owner, a todo and a member who joined through an invite. */
async function teamList(prefix: string): Promise<{ name: string; owner: string; member: string }> {
  const name = uniqueName(prefix);
  const owner = await createList(base, name);
  const csrf = csrfFrom((await get(base, `/t/${name}`, owner)).body);
  await post(base, `/t/${name}?index`, { intent: 'add', title: 'the customer’s todo', csrf }, { cookie: owner });
  const joined = await post(base, await inviteLink(name, owner), { email: `member@${name}.test`, password: PASSWORD }, { headers: newAddress() });
  if (joined.status !== 302 || !joined.cookie) throw new Error(`Joining failed: ${joined.status}`);
  return { name, owner, member: joined.cookie };
}

describe('finding 4: what the exports contain and who may download them', () => {
  it('a member gets 403 for both exports, and the settings page offers them no download', async () => {
    const { name, member } = await teamList('export-member');
    for (const file of ['export.sqlite', 'export.json']) {
      const answer = await get(base, `/t/${name}/${file}`, member);
      expect(answer.status).toBe(403);
      expect(answer.body).not.toContain('argon2');
    }
    const settings = await get(base, `/t/${name}/settings`, member);
    expect(settings.body).not.toContain('export.sqlite');
    expect(settings.body).not.toContain('export.json');
  });

  it('the owner’s .sqlite has todos and members but no password hash, session or invite; the operator export keeps them', async () => {
    const { name, owner } = await teamList('export-owner');
    // An open invite too, so the invites table has a row to leak.
    await inviteLink(name, owner);
    const fleet = await server.fleet();
    const hashes = await fleet.withInstance(name, async (db) => (await db.execute('SELECT password_hash FROM users')).rows.map((row) => String(row['password_hash'])));
    expect(hashes).toHaveLength(2);
    for (const hash of hashes) expect(hash).toMatch(/^\$argon2id\$/);

    const response = await fetch(new URL(`/t/${name}/export.sqlite`, base), { headers: { cookie: owner } });
    expect(response.status).toBe(200);
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(Number(response.headers.get('content-length'))).toBe(bytes.length);
    const raw = bytes.toString('latin1');
    for (const hash of hashes) {
      expect(raw).not.toContain(hash);
      // The salt and digest alone, should a header ever be stripped.
      expect(raw).not.toContain(hash.split('$').at(-1) ?? hash);
    }
    expect(raw).not.toContain('$argon2id$');
    const file = path.join(scratch, `${name}.sqlite`);
    writeFileSync(file, bytes);
    const db = new Database(file, { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.prepare('SELECT title FROM todos').pluck().all()).toEqual(['the customer’s todo']);
      expect(db.prepare('SELECT email, role, password_hash FROM users ORDER BY id').all()).toEqual([
        { email: `owner@${name}.test`, role: 'owner', password_hash: '' },
        { email: `member@${name}.test`, role: 'member', password_hash: '' },
      ]);
      expect(db.prepare('SELECT count(*) FROM sessions').pluck().get()).toBe(0);
      expect(db.prepare('SELECT count(*) FROM invites').pluck().get()).toBe(0);
    } finally {
      db.close();
    }

    // Nothing of the staged copies stays behind in the region's staging folder.
    const instance = fleet.find(name);
    if (instance) {
      const staging = stagingDirOf(fleet.regions.get(instance.region));
      await expect.poll(() => (existsSync(staging) ? readdirSync(staging).filter((entry) => entry.startsWith(name)) : [])).toEqual([]);
    }

    // The live database is untouched: the owner's session still works.
    expect((await get(base, `/t/${name}`, owner)).status).toBe(200);

    // The operator's export (silo export, the admin) is the full file.
    const full = path.join(scratch, `${name}-operator.sqlite`);
    await fleet.exportTo(name, full);
    expect(readFileSync(full).toString('latin1')).toContain(hashes[0]);
    const operatorCopy = new Database(full, { readonly: true });
    try {
      expect(operatorCopy.prepare('SELECT password_hash FROM users ORDER BY id').pluck().all()).toEqual(hashes);
      expect(operatorCopy.prepare('SELECT count(*) FROM sessions').pluck().get()).toBeGreaterThan(0);
      expect(operatorCopy.prepare('SELECT count(*) FROM invites').pluck().get()).toBe(2);
    } finally {
      operatorCopy.close();
    }
  });

  it('the owner’s JSON export has todos and members, and no credential', async () => {
    const { name, owner } = await teamList('export-json');
    const json = await get(base, `/t/${name}/export.json`, owner);
    expect(json.status).toBe(200);
    const parsed = JSON.parse(json.body) as { todos: { title: string }[]; members: { email: string; role: string }[] };
    expect(parsed.todos.map((todo) => todo.title)).toEqual(['the customer’s todo']);
    expect(parsed.members.map(({ email, role }) => ({ email, role }))).toEqual([
      { email: `owner@${name}.test`, role: 'owner' },
      { email: `member@${name}.test`, role: 'member' },
    ]);
    expect(json.body).not.toContain('argon2');
    expect(json.body).not.toMatch(/password|token|session/i);
  });
});

describe('finding 3: downloads read the whole list', () => {
  it('limits downloads per list and hour (both formats count), with Retry-After; another list is unaffected', async () => {
    const name = uniqueName('export-budget');
    const owner = await createList(base, name);
    const statuses: number[] = [];
    for (const file of ['export.json', 'export.sqlite', 'export.json', 'export.sqlite']) statuses.push((await get(base, `/t/${name}/${file}`, owner)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const refused = await get(base, `/t/${name}/export.json`, owner);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.body).toContain('Try again in');
    const other = uniqueName('export-budget');
    expect((await get(base, `/t/${other}/export.json`, await createList(base, other))).status).toBe(200);
  });
});

describe('finding 5: the invite form and a bad token', () => {
  it('answers a bogus token the same for a member’s email and a stranger’s', async () => {
    const { name } = await teamList('invite-probe');
    const bogus = `/t/${name}/invite/${'A'.repeat(43)}`;
    const client = newAddress();
    const member = await post(base, bogus, { email: `member@${name}.test`, password: PASSWORD }, { headers: client });
    const owner = await post(base, bogus, { email: `owner@${name}.test`, password: PASSWORD }, { headers: client });
    const stranger = await post(base, bogus, { email: `nobody@${name}.test`, password: PASSWORD }, { headers: client });
    expect([member.status, owner.status, stranger.status]).toEqual([404, 404, 404]);
    // Every response carries its own CSP nonce and request id; everything else must be the same.
    const page = (body: string) => body.replaceAll(/nonce="[^"]*"/g, 'nonce=""').replaceAll(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<request id>');
    expect(page(member.body)).toBe(page(stranger.body));
    expect(page(owner.body)).toBe(page(stranger.body));
    expect(member.body).not.toContain('already an account');
  });

  it('rate-limits invite posts per client address; another address still joins', async () => {
    const { name, owner } = await teamList('invite-limit');
    const bogus = `/t/${name}/invite/${'B'.repeat(43)}`;
    const client = newAddress();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await post(base, bogus, { email: `probe${i}@example.test`, password: PASSWORD }, { headers: client })).status);
    // The server allows 4 posts per address in 15 minutes.
    expect(statuses).toEqual([404, 404, 404, 404, 429, 429]);
    const link = await inviteLink(name, owner);
    const refused = await post(base, link, { email: `late@${name}.test`, password: PASSWORD }, { headers: client });
    expect(refused.status).toBe(429);
    expect(refused.body).toContain('Too many attempts');
    const joined = await post(base, link, { email: `late@${name}.test`, password: PASSWORD }, { headers: newAddress() });
    expect(joined.status).toBe(302);
  });
});

describe('guessing invite and password-reset tokens with page loads', () => {
  it('bad-token loads are refused past the budget, valid link or not; loads of a valid link do not count', async () => {
    const { name, owner } = await teamList('link-probe');
    const link = await inviteLink(name, owner);
    const client = newAddress();
    const valid: number[] = [];
    for (let i = 0; i < 6; i++) valid.push((await get(base, link, undefined, client)).status);
    expect(valid).toEqual([200, 200, 200, 200, 200, 200]);
    // The server allows 4 per address in 15 minutes: invite and reset pages (and their .data) share them.
    const statuses: number[] = [];
    for (const path of ['invite/AAAA', 'reset/AAAA', 'invite/BBBB.data', 'reset/BBBB', 'invite/CCCC', 'reset/CCCC.data']) {
      statuses.push((await get(base, `/t/${name}/${path}`, undefined, client)).status);
    }
    expect(statuses).toEqual([404, 404, 404, 404, 429, 429]);
    // A right guess now looks like a wrong one; another address is not affected.
    const blocked = await get(base, link, undefined, client);
    expect(blocked.status).toBe(429);
    expect(blocked.body).toContain('Too many attempts');
    expect((await get(base, link, undefined, newAddress())).status).toBe(200);
  });
});

describe('finding 7: a stranger cannot lock the owner out', () => {
  it('after a stranger’s flood of failures with the owner’s email, the owner signs in from another address', async () => {
    const name = uniqueName('lockout');
    await createList(base, name);
    const email = `owner@${name}.test`;
    const stranger = newAddress();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await post(base, `/t/${name}/sign-in`, { email, password: `guess ${i}` }, { headers: stranger })).status);
    expect(statuses).toEqual([400, 400, 400, 429, 429]);
    // Even the right password is refused from the stranger's address now.
    expect((await post(base, `/t/${name}/sign-in`, { email, password: PASSWORD }, { headers: stranger })).status).toBe(429);
    const ownerSignIn = await post(base, `/t/${name}/sign-in`, { email, password: PASSWORD }, { headers: newAddress() });
    expect(ownerSignIn.status).toBe(302);
    expect(ownerSignIn.cookie).toBeDefined();
  });

  it('limits one address’s failures across accounts, and never blocks an address whose sign-ins succeed', async () => {
    const names = [uniqueName('spray'), uniqueName('spray'), uniqueName('spray')];
    for (const name of names) await createList(base, name);
    // Successes only: more than the per-address budget (6), none refused.
    const good = newAddress();
    for (let i = 0; i < 8; i++) {
      const name = names[i % names.length] ?? '';
      expect((await post(base, `/t/${name}/sign-in`, { email: `owner@${name}.test`, password: PASSWORD }, { headers: good })).status).toBe(302);
    }
    // Two failures per account stay under the per-account budget (3), but the address's
    // failures add up across accounts: 6 allowed, then refused.
    const sprayer = newAddress();
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const name = names[i % names.length] ?? '';
      statuses.push((await post(base, `/t/${name}/sign-in`, { email: `owner@${name}.test`, password: `wrong ${i}` }, { headers: sprayer })).status);
    }
    expect(statuses).toEqual([400, 400, 400, 400, 400, 400, 429, 429]);
  });
});
