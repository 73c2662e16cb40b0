/**
 * A form on Settings, Members, Your account or Sign out sent from a page of an earlier session of this
 * browser (signed out and in again in another tab), without JavaScript: nothing is written, and
 * the answer is the same page with the reason and this session's token, as on the list, not
 * the error page. A form with no token or a forged one is refused the same way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, createList, csrfFrom, get, post, uniqueName, type Reply } from './http';
import { startServer, type TestServer } from './server';
import { csrfOf, sql, team, userId } from './team';

let server: TestServer;
let base: string;

beforeAll(async () => {
  server = await startServer({ SILO_INVITE_LIMIT_PER_IP: '1000' });
  base = server.url;
});
afterAll(() => server?.stop());

const OUT_OF_DATE = 'This page was out of date';
const NEW_PASSWORD = 'a brand new passphrase';

/** Everything a form on these pages could write in the list's database (sessions aside: signing in writes those). */
async function written(name: string): Promise<unknown> {
  return {
    users: await sql(server, name, 'SELECT id, email, role, password_hash FROM users ORDER BY id'),
    invites: await sql(server, name, 'SELECT * FROM invites ORDER BY rowid'),
    resets: await sql(server, name, 'SELECT * FROM password_resets ORDER BY rowid'),
  };
}

/**
 * A page left open while this browser signed out and in again in another tab: the token that
 * page's forms carry, and the browser's new session cookie.
 */
async function stalePage(name: string, email: string, cookie: string): Promise<{ stale: string; cookie: string }> {
  const stale = await csrfOf(base, name, cookie);
  const signedOut = await post(base, `/t/${name}/sign-out`, { csrf: stale }, { cookie });
  expect(signedOut.status).toBe(302);
  const again = await post(base, `/t/${name}/sign-in`, { email, password: PASSWORD });
  if (again.status !== 302 || !again.cookie) throw new Error(`Signing in again failed: ${again.status}`);
  return { stale, cookie: again.cookie };
}

/** The page itself (its heading), the reason in an alert, and this session's token in its forms. */
function expectAnsweredInPage(reply: Reply, heading: string, stale: string): string {
  expect(reply.status).toBe(403);
  expect(reply.body).toContain(`<h1>${heading}</h1>`);
  expect(reply.body).not.toContain('403 Forbidden');
  expect(reply.body).toMatch(new RegExp(`role="alert"[^>]*>${OUT_OF_DATE}[^<]*nothing was changed`));
  const fresh = csrfFrom(reply.body);
  expect(fresh).not.toBe(stale);
  return fresh;
}

describe('a form from an earlier session of this browser, without JavaScript', () => {
  it('on Settings: no rename, invite or deletion; the page says why, and sent again from it, the form works', async () => {
    const name = uniqueName('stale-settings');
    const { stale, cookie } = await stalePage(name, `owner@${name}.test`, await createList(base, name));
    const before = await written(name);
    const page = `/t/${name}/settings`;

    const renamed = await post(base, page, { intent: 'rename', displayName: 'Renamed from an old page', csrf: stale }, { cookie });
    const fresh = expectAnsweredInPage(renamed, 'Settings', stale);
    expect(fresh).toBe(await csrfOf(base, name, cookie));
    expectAnsweredInPage(await post(base, page, { intent: 'invite', csrf: stale }, { cookie }), 'Settings', stale);
    expectAnsweredInPage(await post(base, page, { intent: 'delete', confirm: name, csrf: stale }, { cookie }), 'Settings', stale);
    expect(await written(name)).toEqual(before);
    const settings = await get(base, page, cookie);
    expect(settings.status).toBe(200);
    expect(settings.body).not.toContain('Renamed from an old page');

    const again = await post(base, page, { intent: 'rename', displayName: 'Renamed from an old page', csrf: fresh }, { cookie });
    expect(again.status).toBe(200);
    expect(again.body).toContain('Saved.');
    expect(again.body).not.toContain(OUT_OF_DATE);
    expect((await get(base, page, cookie)).body).toContain('value="Renamed from an old page"');
  });

  it('on Members: no removal, reset link, invite, revocation or hand-over; sent again from the page, it works', async () => {
    const t = await team(base, 'stale-members');
    const invite = await post(base, `/t/${t.name}/members`, { intent: 'invite', csrf: await csrfOf(base, t.name, t.owner) }, { cookie: t.owner });
    expect(invite.status).toBe(200);
    const inviteId = /name="invite" value="([^"]+)"/.exec((await get(base, `/t/${t.name}/members`, t.owner)).body)?.[1] ?? '';
    expect(inviteId).not.toBe('');
    const { stale, cookie } = await stalePage(t.name, t.ownerEmail, t.owner);
    const before = await written(t.name);
    const ada = String(await userId(server, t.name, t.ada));
    const page = `/t/${t.name}/members`;

    let fresh = '';
    const forms: Record<string, string>[] = [
      { intent: 'remove', userId: ada },
      { intent: 'reset', userId: ada },
      { intent: 'invite' },
      { intent: 'revoke', invite: inviteId },
      { intent: 'transfer', userId: ada, confirm: 'yes' },
    ];
    for (const fields of forms) {
      fresh = expectAnsweredInPage(await post(base, page, { ...fields, csrf: stale }, { cookie }), 'Members', stale);
    }
    expect(await written(t.name)).toEqual(before);
    expect((await get(base, `/t/${t.name}`, t.adaCookie)).status).toBe(200);

    const removed = await post(base, page, { intent: 'remove', userId: ada, csrf: fresh }, { cookie });
    expect(removed.status).toBe(200);
    expect(removed.body).toContain(`${t.ada} was removed and signed out.`);
  });

  it('on Your account: the password stays and the member stays; sent again from the page, it works', async () => {
    const t = await team(base, 'stale-account');
    const { stale, cookie } = await stalePage(t.name, t.ada, t.adaCookie);
    const before = await written(t.name);
    const page = `/t/${t.name}/account`;

    const changed = await post(base, page, { intent: 'password', current: PASSWORD, password: NEW_PASSWORD, csrf: stale }, { cookie });
    const fresh = expectAnsweredInPage(changed, 'Your account', stale);
    expectAnsweredInPage(await post(base, page, { intent: 'leave', csrf: stale }, { cookie }), 'Your account', stale);
    expect(await written(t.name)).toEqual(before);
    expect((await get(base, `/t/${t.name}`, cookie)).status).toBe(200);

    const again = await post(base, page, { intent: 'password', current: PASSWORD, password: NEW_PASSWORD, csrf: fresh }, { cookie });
    expect(again.status).toBe(200);
    expect(again.body).toContain('Your password was changed.');
  });
});

describe('signing out from a page of an earlier session of this browser', () => {
  it('keeps this session, answers on the sign-out page with its token, and signs out from there', async () => {
    const name = uniqueName('stale-signout');
    const { stale, cookie } = await stalePage(name, `owner@${name}.test`, await createList(base, name));
    const sessions = await sql(server, name, 'SELECT id FROM sessions');

    const refused = await post(base, `/t/${name}/sign-out`, { csrf: stale }, { cookie });
    const fresh = expectAnsweredInPage(refused, 'Sign out', stale);
    expect(refused.cookie).toBeUndefined();
    expect(await sql(server, name, 'SELECT id FROM sessions')).toEqual(sessions);
    expect((await get(base, `/t/${name}`, cookie)).status).toBe(200);
    // A forged or missing token is answered the same way, and signs nobody out either.
    expectAnsweredInPage(await post(base, `/t/${name}/sign-out`, {}, { cookie }), 'Sign out', stale);
    expectAnsweredInPage(await post(base, `/t/${name}/sign-out`, { csrf: 'AAAA' }, { cookie }), 'Sign out', stale);
    expect((await get(base, `/t/${name}`, cookie)).status).toBe(200);

    const out = await post(base, `/t/${name}/sign-out`, { csrf: fresh }, { cookie });
    expect(out.status).toBe(302);
    expect(out.location).toBe(`/t/${name}/sign-in`);
    expect((await get(base, `/t/${name}`, cookie)).status).toBe(302);
  });
});

describe('a form with no token or a forged one', () => {
  it('changes nothing on Settings, Members or Your account, and another site’s post is still refused before any action', async () => {
    const t = await team(base, 'forged');
    const before = await written(t.name);
    const ada = String(await userId(server, t.name, t.ada));
    const adaToken = await csrfOf(base, t.name, t.adaCookie);
    const ownerToken = await csrfOf(base, t.name, t.owner);
    const forms: [string, Record<string, string>][] = [
      [`/t/${t.name}/settings`, { intent: 'rename', displayName: 'Forged name' }],
      [`/t/${t.name}/settings`, { intent: 'delete', confirm: t.name }],
      [`/t/${t.name}/members`, { intent: 'remove', userId: ada }],
      [`/t/${t.name}/members`, { intent: 'transfer', userId: ada, confirm: 'yes' }],
      [`/t/${t.name}/account`, { intent: 'password', current: PASSWORD, password: NEW_PASSWORD }],
    ];
    for (const [page, fields] of forms) {
      // No token; a made-up one; a real one of another account's session.
      for (const csrf of [undefined, 'AAAA', adaToken]) {
        const reply = await post(base, page, csrf === undefined ? fields : { ...fields, csrf }, { cookie: t.owner });
        expect(reply.status, `${page} ${fields['intent']} ${csrf}`).toBe(403);
      }
      const foreign = await post(base, page, { ...fields, csrf: ownerToken }, { cookie: t.owner, origin: 'https://evil.example' });
      expect([400, 403], `${page} ${fields['intent']} cross-site`).toContain(foreign.status);
      expect(foreign.body).not.toContain(OUT_OF_DATE);
    }
    expect(await written(t.name)).toEqual(before);
    const settings = await get(base, `/t/${t.name}/settings`, t.owner);
    expect(settings.status).toBe(200);
    expect(settings.body).not.toContain('Forged name');
    expect((await post(base, `/t/${t.name}/sign-in`, { email: t.ownerEmail, password: PASSWORD })).status).toBe(302);
  });
});
