/**
 * The account lifecycle's security edges over HTTP (issue #18): CSRF, sessions that must end at
 * once, one-time links, roles re-checked inside the transaction, double submits.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, createList, csrfFrom, get, post, uniqueName, type Reply } from './http';
import { startServer, type TestServer } from './server';
import { csrfOf, roles as rolesOf, sql as sqlOf, team as makeTeam, userId as userIdOf } from './team';

let server: TestServer;
let base: string;

beforeAll(async () => {
  server = await startServer({ SILO_INVITE_LIMIT_PER_IP: '1000' });
  base = server.url;
});
afterAll(() => server?.stop());

const NEW_PASSWORD = 'a brand new passphrase';

const csrf = (name: string, cookie: string) => csrfOf(base, name, cookie);
const sql = (name: string, statement: string, args: (string | number)[] = []) => sqlOf(server, name, statement, args);
const userId = (name: string, email: string) => userIdOf(server, name, email);
const roles = (name: string) => rolesOf(server, name);
const team = (prefix: string) => makeTeam(base, prefix);

async function signIn(name: string, email: string, password = PASSWORD): Promise<Reply> {
  return post(base, `/t/${name}/sign-in`, { email, password });
}

async function signedIn(name: string, email: string, password = PASSWORD): Promise<string> {
  const reply = await signIn(name, email, password);
  if (reply.status !== 302 || !reply.cookie) throw new Error(`Signing in ${email} failed: ${reply.status}`);
  return reply.cookie;
}

function isSignInRedirect(reply: Reply, name: string): boolean {
  return reply.status === 302 && (reply.location ?? '').startsWith(`/t/${name}/sign-in`);
}

describe('changing your password', () => {
  it('checks the current password, ends every other session of yours and keeps this one', async () => {
    const name = uniqueName('password');
    const email = `owner@${name}.test`;
    const here = await createList(base, name);
    const elsewhere = await signedIn(name, email);
    const token = await csrf(name, here);

    const wrong = await post(base, `/t/${name}/account`, { intent: 'password', current: 'not my password', password: NEW_PASSWORD, csrf: token }, { cookie: here });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toContain('That is not your current password.');
    const short = await post(base, `/t/${name}/account`, { intent: 'password', current: PASSWORD, password: 'short', csrf: token }, { cookie: here });
    expect(short.status).toBe(400);
    expect((await get(base, `/t/${name}`, elsewhere)).status).toBe(200);

    const changed = await post(base, `/t/${name}/account`, { intent: 'password', current: PASSWORD, password: NEW_PASSWORD, csrf: token }, { cookie: here });
    expect(changed.status).toBe(200);
    expect(changed.body).toContain('Every other session of yours was signed out.');
    expect((await get(base, `/t/${name}`, here)).status).toBe(200);
    expect(isSignInRedirect(await get(base, `/t/${name}`, elsewhere), name)).toBe(true);
    expect((await signIn(name, email, PASSWORD)).status).toBe(400);
    expect((await signIn(name, email, NEW_PASSWORD)).status).toBe(302);

    // The same form sent again (a reload of the POST): the old password no longer matches.
    const again = await post(base, `/t/${name}/account`, { intent: 'password', current: PASSWORD, password: NEW_PASSWORD, csrf: token }, { cookie: here });
    expect(again.status).toBe(400);
  });

  it('is refused without the session’s CSRF token or from another site', async () => {
    const name = uniqueName('password-csrf');
    const cookie = await createList(base, name);
    const other = await signedIn(name, `owner@${name}.test`);
    const fields = { intent: 'password', current: PASSWORD, password: NEW_PASSWORD };
    expect((await post(base, `/t/${name}/account`, fields, { cookie })).status).toBe(403);
    expect((await post(base, `/t/${name}/account`, { ...fields, csrf: await csrf(name, other) }, { cookie })).status).toBe(403);
    // Refused before any action runs (React Router's own origin check answers 400, ours 403).
    const foreign = await post(base, `/t/${name}/account`, { ...fields, csrf: await csrf(name, cookie) }, { cookie, origin: 'https://evil.example' });
    expect([400, 403]).toContain(foreign.status);
    expect((await signIn(name, `owner@${name}.test`, PASSWORD)).status).toBe(302);
  });
});

describe('members', () => {
  it('the owner removes a member: their session is refused at once and they cannot sign in; a second submit changes nothing', async () => {
    const t = await team('remove');
    expect((await get(base, `/t/${t.name}`, t.adaCookie)).status).toBe(200);
    const fields = { intent: 'remove', userId: String(await userId(t.name, t.ada)), csrf: await csrf(t.name, t.owner) };
    const removed = await post(base, `/t/${t.name}/members`, fields, { cookie: t.owner });
    expect(removed.status).toBe(200);
    expect(removed.body).toContain(`${t.ada} was removed and signed out.`);
    expect(isSignInRedirect(await get(base, `/t/${t.name}`, t.adaCookie), t.name)).toBe(true);
    expect((await signIn(t.name, t.ada)).status).toBe(400);
    expect(await sql(t.name, 'SELECT 1 FROM sessions WHERE user_id NOT IN (SELECT id FROM users)')).toEqual([]);

    const twice = await post(base, `/t/${t.name}/members`, fields, { cookie: t.owner });
    expect(twice.status).toBe(409);
    expect(await roles(t.name)).toEqual({ [t.ownerEmail]: 'owner', [t.bob]: 'member' });
    expect((await get(base, `/t/${t.name}`, t.bobCookie)).status).toBe(200);
  });

  it('a member cannot remove anyone, see the members page or issue links', async () => {
    const t = await team('member-cannot');
    const token = await csrf(t.name, t.adaCookie);
    expect((await get(base, `/t/${t.name}/members`, t.adaCookie)).status).toBe(403);
    for (const target of [t.bob, t.ownerEmail]) {
      const id = String(await userId(t.name, target));
      for (const intent of ['remove', 'reset', 'transfer']) {
        const reply = await post(base, `/t/${t.name}/members`, { intent, userId: id, confirm: 'yes', csrf: token }, { cookie: t.adaCookie });
        expect(reply.status).toBe(403);
      }
    }
    expect(await roles(t.name)).toEqual({ [t.ownerEmail]: 'owner', [t.ada]: 'member', [t.bob]: 'member' });
    expect(await sql(t.name, 'SELECT 1 FROM password_resets')).toEqual([]);
  });

  it('the owner cannot remove themselves, and member actions need the CSRF token', async () => {
    const t = await team('remove-self');
    const ownerId = String(await userId(t.name, t.ownerEmail));
    const self = await post(base, `/t/${t.name}/members`, { intent: 'remove', userId: ownerId, csrf: await csrf(t.name, t.owner) }, { cookie: t.owner });
    expect(self.status).toBe(409);
    const noToken = await post(base, `/t/${t.name}/members`, { intent: 'remove', userId: String(await userId(t.name, t.ada)) }, { cookie: t.owner });
    expect(noToken.status).toBe(403);
    expect(Object.keys(await roles(t.name))).toHaveLength(3);
  });

  it('the owner revokes an open invite link: it stops working, and revoking it again says so', async () => {
    const name = uniqueName('revoke');
    const owner = await createList(base, name);
    const token = await csrf(name, owner);
    const invite = await post(base, `/t/${name}/members`, { intent: 'invite', csrf: token }, { cookie: owner });
    const url = /value="(http[^"]+\/invite\/[^"]+)"/.exec(invite.body)?.[1] ?? '';
    expect((await get(base, new URL(url).pathname)).status).toBe(200);
    const page = await get(base, `/t/${name}/members`, owner);
    const id = /name="invite" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
    expect(id).not.toBe('');
    expect((await post(base, `/t/${name}/members`, { intent: 'revoke', invite: id, csrf: token }, { cookie: owner })).status).toBe(200);
    expect((await get(base, new URL(url).pathname)).status).toBe(404);
    expect((await post(base, new URL(url).pathname, { email: `late@${name}.test`, password: PASSWORD })).status).toBe(404);
    expect((await post(base, `/t/${name}/members`, { intent: 'revoke', invite: id, csrf: token }, { cookie: owner })).status).toBe(409);
  });

  it('a member leaves: signed out, account gone, the list forgotten by this browser; the owner cannot leave', async () => {
    const t = await team('leave');
    const left = await post(base, `/t/${t.name}/account`, { intent: 'leave', csrf: await csrf(t.name, t.adaCookie) }, { cookie: t.adaCookie });
    expect(left.status).toBe(302);
    expect(left.location).toBe(`/?left=${t.name}`);
    expect(left.headers.getSetCookie().some((value) => value.startsWith('silo_session=;'))).toBe(true);
    expect(isSignInRedirect(await get(base, `/t/${t.name}`, t.adaCookie), t.name)).toBe(true);
    expect((await signIn(t.name, t.ada)).status).toBe(400);

    const ownerLeaves = await post(base, `/t/${t.name}/account`, { intent: 'leave', csrf: await csrf(t.name, t.owner) }, { cookie: t.owner });
    expect(ownerLeaves.status).toBe(409);
    expect(await roles(t.name)).toEqual({ [t.ownerEmail]: 'owner', [t.bob]: 'member' });
    expect((await post(base, `/t/${t.name}/account`, { intent: 'leave' }, { cookie: t.bobCookie })).status).toBe(403);
  });
});

describe('password-reset links', () => {
  async function issue(name: string, owner: string, email: string): Promise<{ reply: Reply; path: string }> {
    const reply = await post(base, `/t/${name}/members`, { intent: 'reset', userId: String(await userId(name, email)), csrf: await csrf(name, owner) }, { cookie: owner });
    const url = /value="(http[^"]+\/reset\/[^"]+)"/.exec(reply.body)?.[1];
    return { reply, path: url ? new URL(url).pathname : '' };
  }

  it('work once: the member chooses a new password, every session of theirs ends, the link is then refused', async () => {
    const t = await team('reset');
    const second = await signedIn(t.name, t.ada);
    const { reply, path } = await issue(t.name, t.owner, t.ada);
    expect(reply.status).toBe(200);
    expect(path).toMatch(new RegExp(`^/t/${t.name}/reset/[A-Za-z0-9_-]{43}$`));
    // Only the hash is stored.
    const stored = await sql(t.name, 'SELECT token_hash FROM password_resets');
    expect(stored.map((row) => String(row['token_hash']))).not.toContain(path.split('/').pop());

    const page = await get(base, path);
    expect(page.status).toBe(200);
    expect(page.body).toContain(t.ada);
    expect((await post(base, path, { password: 'short' })).status).toBe(400);
    const used = await post(base, path, { password: NEW_PASSWORD });
    expect(used.status).toBe(302);
    expect(used.location).toBe(`/t/${t.name}`);
    expect((await get(base, `/t/${t.name}`, used.cookie)).status).toBe(200);
    for (const old of [t.adaCookie, second]) expect(isSignInRedirect(await get(base, `/t/${t.name}`, old), t.name)).toBe(true);
    expect((await signIn(t.name, t.ada, NEW_PASSWORD)).status).toBe(302);

    expect((await get(base, path)).status).toBe(404);
    expect((await post(base, path, { password: 'another new passphrase' })).status).toBe(404);
    expect((await signIn(t.name, t.ada, NEW_PASSWORD)).status).toBe(302);
  });

  it('expire after 24 hours, and a new link replaces the open one', async () => {
    const t = await team('reset-expiry');
    const first = await issue(t.name, t.owner, t.ada);
    const second = await issue(t.name, t.owner, t.ada);
    expect((await get(base, first.path)).status).toBe(404);
    expect((await get(base, second.path)).status).toBe(200);
    const [row] = await sql(t.name, 'SELECT expires_at - created_at AS ttl FROM password_resets');
    expect(Number(row?.['ttl'])).toBe(24 * 60 * 60 * 1000);
    await sql(t.name, 'UPDATE password_resets SET expires_at = ?', [Date.now() - 1]);
    expect((await get(base, second.path)).status).toBe(404);
    expect((await post(base, second.path, { password: NEW_PASSWORD })).status).toBe(404);
    expect((await signIn(t.name, t.ada)).status).toBe(302);
  });

  it('a double submit of the form uses the link once', async () => {
    const t = await team('reset-double');
    const { path } = await issue(t.name, t.owner, t.ada);
    const replies = await Promise.all([post(base, path, { password: NEW_PASSWORD }), post(base, path, { password: 'the other passphrase' })]);
    expect(replies.map((reply) => reply.status).sort()).toEqual([302, 404]);
    const winner = replies.find((reply) => reply.status === 302);
    expect((await get(base, `/t/${t.name}`, winner?.cookie)).status).toBe(200);
    expect(await sql(t.name, 'SELECT count(*) AS n FROM sessions WHERE user_id = ?', [await userId(t.name, t.ada)])).toEqual([{ n: 1 }]);
  });

  it('are not issued for the owner, and the removed member’s link dies with the account', async () => {
    const t = await team('reset-owner');
    expect((await issue(t.name, t.owner, t.ownerEmail)).reply.status).toBe(409);
    const { path } = await issue(t.name, t.owner, t.bob);
    await post(base, `/t/${t.name}/members`, { intent: 'remove', userId: String(await userId(t.name, t.bob)), csrf: await csrf(t.name, t.owner) }, { cookie: t.owner });
    expect((await get(base, path)).status).toBe(404);
  });
});

describe('the owner’s download', () => {
  it('holds no password-reset link', async () => {
    const t = await team('reset-export');
    const reply = await post(base, `/t/${t.name}/members`, { intent: 'reset', userId: String(await userId(t.name, t.ada)), csrf: await csrf(t.name, t.owner) }, { cookie: t.owner });
    expect(reply.status).toBe(200);
    expect(await sql(t.name, 'SELECT count(*) AS n FROM password_resets')).toEqual([{ n: 1 }]);
    const response = await fetch(new URL(`/t/${t.name}/export.sqlite`, base), { headers: { cookie: t.owner } });
    expect(response.status).toBe(200);
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'silo-accounts-')), 'export.sqlite');
    writeFileSync(file, Buffer.from(await response.arrayBuffer()));
    const db = new Database(file, { readonly: true });
    try {
      expect(db.prepare('SELECT count(*) AS n FROM password_resets').get()).toEqual({ n: 0 });
      expect(db.prepare('SELECT count(*) AS n FROM users').get()).toEqual({ n: 3 });
    } finally {
      db.close();
      rmSync(path.dirname(file), { recursive: true, force: true });
    }
  });
});

describe('the owner role', () => {
  it('is handed to a member in one step, after confirmation; there is always exactly one owner', async () => {
    const t = await team('transfer');
    const token = await csrf(t.name, t.owner);
    const adaId = String(await userId(t.name, t.ada));
    const unconfirmed = await post(base, `/t/${t.name}/members`, { intent: 'transfer', userId: adaId, csrf: token }, { cookie: t.owner });
    expect(unconfirmed.status).toBe(400);
    const toSelf = await post(base, `/t/${t.name}/members`, { intent: 'transfer', userId: String(await userId(t.name, t.ownerEmail)), confirm: 'yes', csrf: token }, { cookie: t.owner });
    expect(toSelf.status).toBe(409);
    const toNobody = await post(base, `/t/${t.name}/members`, { intent: 'transfer', userId: '999999', confirm: 'yes', csrf: token }, { cookie: t.owner });
    expect(toNobody.status).toBe(409);
    expect(await roles(t.name)).toEqual({ [t.ownerEmail]: 'owner', [t.ada]: 'member', [t.bob]: 'member' });

    const handed = await post(base, `/t/${t.name}/members`, { intent: 'transfer', userId: adaId, confirm: 'yes', csrf: token }, { cookie: t.owner });
    expect(handed.status).toBe(302);
    expect(handed.location).toBe(`/t/${t.name}/settings?handed-over=1`);
    expect(await roles(t.name)).toEqual({ [t.ownerEmail]: 'member', [t.ada]: 'owner', [t.bob]: 'member' });
    // Sessions stay; roles are read on every request.
    expect((await get(base, `/t/${t.name}/members`, t.adaCookie)).status).toBe(200);
    expect((await get(base, `/t/${t.name}/members`, t.owner)).status).toBe(403);
    const back = await post(base, `/t/${t.name}/members`, { intent: 'transfer', userId: adaId, confirm: 'yes', csrf: token }, { cookie: t.owner });
    expect(back.status).toBe(403);
    // The former owner may now leave; the new owner may not.
    expect((await post(base, `/t/${t.name}/account`, { intent: 'leave', csrf: await csrf(t.name, t.adaCookie) }, { cookie: t.adaCookie })).status).toBe(409);
    expect((await post(base, `/t/${t.name}/account`, { intent: 'leave', csrf: token }, { cookie: t.owner })).status).toBe(302);
    expect(await roles(t.name)).toEqual({ [t.ada]: 'owner', [t.bob]: 'member' });
  });

  it('two hand-overs sent at once to different members: one wins, one owner remains', async () => {
    const t = await team('transfer-race');
    const token = await csrf(t.name, t.owner);
    const ids = [await userId(t.name, t.ada), await userId(t.name, t.bob)];
    const replies = await Promise.all(
      ids.map((id) => post(base, `/t/${t.name}/members`, { intent: 'transfer', userId: String(id), confirm: 'yes', csrf: token }, { cookie: t.owner })),
    );
    expect(replies.filter((reply) => reply.status === 302)).toHaveLength(1);
    expect(replies.filter((reply) => reply.status === 302 || reply.status === 403 || reply.status === 409)).toHaveLength(2);
    const owners = Object.entries(await roles(t.name)).filter(([, role]) => role === 'owner');
    expect(owners).toHaveLength(1);
    expect(owners[0]?.[0]).not.toBe(t.ownerEmail);
  });
});

describe('a link’s form sent again', () => {
  async function inviteLink(name: string, owner: string): Promise<string> {
    const invite = await post(base, `/t/${name}/members`, { intent: 'invite', csrf: await csrf(name, owner) }, { cookie: owner });
    const url = /value="(http[^"]+\/invite\/[^"]+)"/.exec(invite.body)?.[1];
    if (!url) throw new Error(`No invite link: ${invite.status}`);
    return new URL(url).pathname;
  }

  async function resetLink(name: string, owner: string, email: string): Promise<string> {
    const reply = await post(base, `/t/${name}/members`, { intent: 'reset', userId: String(await userId(name, email)), csrf: await csrf(name, owner) }, { cookie: owner });
    const url = /value="(http[^"]+\/reset\/[^"]+)"/.exec(reply.body)?.[1];
    if (!url) throw new Error(`No reset link: ${reply.status}`);
    return new URL(url).pathname;
  }

  it('the reset and invite links an owner made stop working once they hand the role over', async () => {
    // An outside probe (session 37): the former owner, now a member, reset another member's password with an old link.
    const t = await team('handover-links');
    const reset = await resetLink(t.name, t.owner, t.bob);
    const invite = await inviteLink(t.name, t.owner);
    const handed = await post(base, `/t/${t.name}/members`, { intent: 'transfer', userId: String(await userId(t.name, t.ada)), confirm: 'yes', csrf: await csrf(t.name, t.owner) }, { cookie: t.owner });
    expect(handed.status).toBe(302);
    expect((await get(base, reset)).status).toBe(404);
    expect((await post(base, reset, { password: 'a new password for bob', confirm: 'a new password for bob' })).status).toBe(404);
    expect((await post(base, invite, { email: `eve@${t.name}.test`, password: PASSWORD })).status).toBe(404);
    expect(await roles(t.name)).toEqual({ [t.ownerEmail]: 'member', [t.ada]: 'owner', [t.bob]: 'member' });
    expect((await signIn(t.name, t.bob)).status).toBe(302);
  });

  it('an invite form sent again (its first answer lost) signs the new member in, once, with the same email and password only', async () => {
    const name = uniqueName('join-again');
    const owner = await createList(base, name);
    const link = await inviteLink(name, owner);
    const email = `ada@${name}.test`;
    const first = await post(base, link, { email, password: PASSWORD });
    expect(first.status).toBe(302);
    // The browser dropped that answer (a second click, a lost connection) and sends the form again.
    const again = await post(base, link, { email: email.toUpperCase(), password: PASSWORD });
    expect(again.status).toBe(302);
    expect(again.location).toBe(`/t/${name}`);
    expect((await get(base, `/t/${name}`, again.cookie)).status).toBe(200);
    expect(await roles(name)).toEqual({ [`owner@${name}.test`]: 'owner', [email]: 'member' });
    // Anything else still finds the link used.
    expect((await post(base, link, { email, password: 'not the password at all' })).status).toBe(404);
    expect((await post(base, link, { email: `owner@${name}.test`, password: PASSWORD })).status).toBe(404);
    expect((await post(base, link, { email: `eve@${name}.test`, password: PASSWORD })).status).toBe(404);
    expect((await get(base, link)).status).toBe(404);
    // Minutes later, the link is just used.
    const past = Date.now() - 11 * 60 * 1000;
    await sql(name, 'UPDATE invites SET accepted_at = ?', [past]);
    await sql(name, 'UPDATE users SET created_at = ? WHERE email = ?', [past, email]);
    expect((await post(base, link, { email, password: PASSWORD })).status).toBe(404);
  });

  it('an invite form sent twice at once makes one account and signs both answers in', async () => {
    const name = uniqueName('join-twice');
    const owner = await createList(base, name);
    const link = await inviteLink(name, owner);
    const email = `ada@${name}.test`;
    const replies = await Promise.all([post(base, link, { email, password: PASSWORD }), post(base, link, { email, password: PASSWORD })]);
    expect(replies.map((reply) => reply.status)).toEqual([302, 302]);
    for (const reply of replies) expect((await get(base, `/t/${name}`, reply.cookie)).status).toBe(200);
    expect(await sql(name, 'SELECT count(*) AS n FROM users')).toEqual([{ n: 2 }]);
  });

  it('two invite links used at once with one email: one account, the other answer says the email is taken (no 500), its link stays open', async () => {
    const name = uniqueName('join-same-email');
    const owner = await createList(base, name);
    const email = `ada@${name}.test`;
    for (let round = 0; round < 3; round += 1) {
      const links = [await inviteLink(name, owner), await inviteLink(name, owner)];
      const address = round === 0 ? email : `ada${round}@${name}.test`;
      const replies = await Promise.all(links.map((link) => post(base, link, { email: address, password: PASSWORD })));
      expect(replies.map((reply) => reply.status).sort()).toEqual([302, 409]);
      const refused = replies.find((reply) => reply.status === 409);
      expect(refused?.body).toContain('There is already an account with this email. Sign in instead.');
      const open = links[replies.indexOf(refused as Reply)] ?? '';
      expect((await get(base, open)).status).toBe(200);
    }
    expect(await sql(name, 'SELECT count(*) AS n FROM users')).toEqual([{ n: 4 }]);
    expect(server.output()).not.toContain('UNIQUE constraint failed');
  });

  it('a password-reset form sent again (its first answer lost) signs the member in with the new password; another password finds the link used', async () => {
    const t = await team('reset-again');
    const link = await resetLink(t.name, t.owner, t.ada);
    expect((await post(base, link, { password: NEW_PASSWORD })).status).toBe(302);
    const again = await post(base, link, { password: NEW_PASSWORD });
    expect(again.status).toBe(302);
    expect(again.location).toBe(`/t/${t.name}`);
    expect((await get(base, `/t/${t.name}`, again.cookie)).status).toBe(200);
    expect((await post(base, link, { password: 'another new passphrase' })).status).toBe(404);
    expect((await post(base, link, { password: PASSWORD })).status).toBe(404);
    expect((await signIn(t.name, t.ada, NEW_PASSWORD)).status).toBe(302);
    await sql(t.name, 'UPDATE password_resets SET used_at = ?', [Date.now() - 11 * 60 * 1000]);
    expect((await post(base, link, { password: NEW_PASSWORD })).status).toBe(404);
  });

  it('the invite and reset pages say so when this browser is signed in to the list as someone else', async () => {
    const t = await team('links-signed-in');
    const invite = await get(base, await inviteLink(t.name, t.owner), t.owner);
    expect(invite.status).toBe(200);
    expect(invite.body).toContain(`This browser is signed in to this list as <strong>${t.ownerEmail}</strong>. Joining makes a new account`);
    expect((await get(base, await inviteLink(t.name, t.owner))).body).not.toContain('This browser is signed in');
    const link = await resetLink(t.name, t.owner, t.ada);
    const reset = await get(base, link, t.owner);
    expect(reset.body).toContain(`This browser is signed in to this list as <strong>${t.ownerEmail}</strong>. Setting this password signs it in as`);
    expect((await get(base, link, t.adaCookie)).body).not.toContain('This browser is signed in');
  });
});

describe('a session that ended while a page was open', () => {
  it('sends its next page or form to sign-in, which says why, then back to that page (not to `?index`)', async () => {
    const t = await team('ended');
    // The owner removes ada while her tabs are open.
    const token = await csrf(t.name, t.owner);
    expect((await post(base, `/t/${t.name}/members`, { intent: 'remove', userId: String(await userId(t.name, t.ada)), csrf: token }, { cookie: t.owner })).status).toBe(200);
    const page = await get(base, `/t/${t.name}/settings`, t.adaCookie);
    expect(page.location).toBe(`/t/${t.name}/sign-in?next=${encodeURIComponent(`/t/${t.name}/settings`)}&ended=1`);
    const signInPage = await get(base, page.location ?? '', t.adaCookie);
    expect(signInPage.status).toBe(200);
    expect(signInPage.body).toContain('Your session here has ended');
    const added = await post(base, `/t/${t.name}/active?index`, { intent: 'add', title: 'typed while signed out', csrf: token }, { cookie: t.adaCookie });
    expect(added.location).toBe(`/t/${t.name}/sign-in?next=${encodeURIComponent(`/t/${t.name}/active`)}&ended=1`);

    // bob changes his password elsewhere: this session ended too, and signing in again goes back.
    const elsewhere = await signedIn(t.name, t.bob);
    const changed = await post(base, `/t/${t.name}/account`, { intent: 'password', current: PASSWORD, password: NEW_PASSWORD, csrf: await csrf(t.name, elsewhere) }, { cookie: elsewhere });
    expect(changed.status).toBe(200);
    const form = await post(base, `/t/${t.name}/account`, { intent: 'leave', csrf: token }, { cookie: t.bobCookie });
    expect(form.location).toBe(`/t/${t.name}/sign-in?next=${encodeURIComponent(`/t/${t.name}/account`)}&ended=1`);
    const back = await post(base, form.location ?? '', { email: t.bob, password: NEW_PASSWORD, next: `/t/${t.name}/account` });
    expect(back.location).toBe(`/t/${t.name}/account`);
    expect(await roles(t.name)).toEqual({ [t.ownerEmail]: 'owner', [t.bob]: 'member' });

    // Never signed in here: the plain sign-in page.
    const anonymous = await get(base, `/t/${t.name}/settings`);
    expect(anonymous.location).toBe(`/t/${t.name}/sign-in?next=${encodeURIComponent(`/t/${t.name}/settings`)}`);
    expect((await get(base, anonymous.location ?? '')).body).not.toContain('Your session here has ended');
  });
});

describe('finding lists again', () => {
  it('"Sign in to an existing list" goes to a known list’s sign-in page and says plainly when there is none', async () => {
    const name = uniqueName('find');
    await createList(base, name);
    const found = await get(base, `/sign-in?list=${encodeURIComponent(` ${name.toUpperCase()} `)}`);
    expect(found.status).toBe(302);
    expect(found.location).toBe(`/t/${name}/sign-in`);
    const unknown = await get(base, `/sign-in?list=${name}-nope`);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toContain(`There is no list named “${name}-nope”`);
    const invalid = await get(base, `/sign-in?list=${encodeURIComponent('../etc')}`);
    expect(invalid.status).toBe(404);
    expect(invalid.body).toContain('Enter the name of a list');
    expect((await get(base, '/sign-in')).status).toBe(200);
  });

  it('a deleted list is not found', async () => {
    const name = uniqueName('find-deleted');
    const cookie = await createList(base, name);
    const settings = await get(base, `/t/${name}/settings`, cookie);
    await post(base, `/t/${name}/settings`, { intent: 'delete', confirm: name, csrf: csrfFrom(settings.body) }, { cookie });
    expect((await get(base, `/sign-in?list=${name}`)).status).toBe(404);
  });

  it('"Your lists" is a signed cookie: lists this browser signed in to show on the landing page, forged ones do not', async () => {
    const first = uniqueName('mine');
    const second = uniqueName('mine');
    const created = await post(base, '/?index', { name: first, email: `owner@${first}.test`, password: PASSWORD, jurisdiction: 'eu', nonce: `n-${first}` });
    const lists = listsCookie(created);
    expect(lists).toMatch(/^silo_lists=/);
    await createList(base, second);
    const signIn2 = await post(base, `/t/${second}/sign-in`, { email: `owner@${second}.test`, password: PASSWORD }, { headers: { cookie: lists } });
    const both = listsCookie(signIn2);
    const landing = await get(base, '/', both);
    expect(landing.body).toContain('Your lists');
    expect(landing.body).toContain(`href="/t/${first}"`);
    expect(landing.body).toContain(`href="/t/${second}"`);
    expect(landing.body.indexOf(`/t/${second}"`)).toBeLessThan(landing.body.indexOf(`/t/${first}"`));

    // Altered: another name in the signed value, or no signature at all.
    const value = decodeURIComponent(both.slice('silo_lists='.length));
    const [payload] = value.split('.');
    const forgedPayload = Buffer.from(JSON.stringify(['someone-elses'])).toString('base64');
    for (const forged of [`${forgedPayload}.${value.split('.')[1]}`, forgedPayload, `${payload}.AAAA`]) {
      const page = await get(base, '/', `silo_lists=${encodeURIComponent(forged)}`);
      expect(page.status).toBe(200);
      expect(page.body).not.toContain('Your lists');
    }

    const forget = await post(base, '/sign-in', { intent: 'forget-lists' }, { headers: { cookie: both } });
    expect(forget.status).toBe(302);
    expect(listsCookie(forget)).toBe('silo_lists=');
  });
});

function listsCookie(reply: Reply): string {
  const value = reply.headers.getSetCookie().find((header) => header.startsWith('silo_lists='));
  if (!value) throw new Error(`No silo_lists cookie (${reply.status})`);
  return value.split(';')[0] ?? '';
}
