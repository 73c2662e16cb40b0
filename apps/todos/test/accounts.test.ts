/**
 * The account lifecycle in Chromium (issue #18), each form with and without JavaScript:
 * password change, removing members and revoking invites, leaving, reset links, handing over
 * the owner role, "Sign in to an existing list" and "Your lists". axe-core checks the new pages.
 */
import AxeBuilder from '@axe-core/playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickAgainAsItPosts, countPosts, launchBrowser, type Browser, type BrowserContext, type Page } from './browser';
import { PASSWORD, createList, get, post, uniqueName } from './http';
import { startServer, type TestServer } from './server';
import { roles, sql, team } from './team';

let server: TestServer;
let base: string;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer({ SILO_INVITE_LIMIT_PER_IP: '1000' }), launchBrowser()]);
  base = server.url;
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const NEW_PASSWORD = 'a brand new passphrase';

/** A browser context signed in with a session cookie from an HTTP helper. */
async function signedIn(name: string, cookie: string, javaScriptEnabled: boolean): Promise<BrowserContext> {
  const context = await browser.newContext({ javaScriptEnabled });
  const value = cookie.slice('silo_session='.length);
  await context.addCookies(
    [`/t/${name}`, `/t/${name}.data`].map((path) => ({ name: 'silo_session', value, domain: '127.0.0.1', path, httpOnly: true, sameSite: 'Lax' as const })),
  );
  return context;
}

/** Opens a page; with JavaScript, waits until React has hydrated it (so forms submit through the router). */
async function open(context: BrowserContext, path: string, js: boolean): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${base}${path}`);
  if (js) await page.waitForSelector('html[data-hydrated]');
  return page;
}

/** axe runs as a script in the page: only where JavaScript is on (the markup is the same). */
async function expectNoSeriousViolations(page: Page, js: boolean): Promise<void> {
  if (!js) return;
  const { violations } = await new AxeBuilder({ page }).analyze();
  const serious = violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
  expect(serious.map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`)).toEqual([]);
}

/** The focused element's id, read by a selector (page.evaluate needs JavaScript). */
async function focusedId(page: Page): Promise<string | null> {
  return page.locator(':focus').getAttribute('id');
}

async function isOnSignIn(page: Page, name: string): Promise<boolean> {
  await page.reload();
  return new URL(page.url()).pathname === `/t/${name}/sign-in`;
}

describe.each([
  ['with JavaScript', true],
  ['without JavaScript', false],
])('account pages %s', (_label, js) => {
  it('changes the password from Settings: the other browser is signed out, this one stays', async () => {
    const name = uniqueName(js ? 'pw-js' : 'pw-nojs');
    const cookie = await createList(base, name);
    const other = await post(base, `/t/${name}/sign-in`, { email: `owner@${name}.test`, password: PASSWORD });
    const here = await signedIn(name, cookie, js);
    const elsewhere = await signedIn(name, other.cookie ?? '', js);
    const otherPage = await open(elsewhere, `/t/${name}`, js);

    const page = await open(here, `/t/${name}/settings`, js);
    await page.getByRole('link', { name: 'Change your password or leave this list' }).click();
    await page.waitForURL(`${base}/t/${name}/account`);
    if (js) await page.waitForSelector('html[data-hydrated]');
    await page.getByLabel('Current password').fill('not my password');
    await page.getByLabel('New password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.locator('#field-current-error').waitFor();
    expect(await page.locator('#field-current-error').innerText()).toBe('That is not your current password.');
    expect(await page.getByLabel('Current password').getAttribute('aria-invalid')).toBe('true');
    expect(await focusedId(page)).toBe('field-current');

    await page.getByLabel('Current password').fill(PASSWORD);
    await page.getByLabel('New password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('status').filter({ hasText: 'Your password was changed' }).waitFor();
    expect(await page.getByLabel('New password').inputValue()).toBe('');
    await expectNoSeriousViolations(page, js);

    expect(await isOnSignIn(otherPage, name)).toBe(true);
    expect(await isOnSignIn(page, name)).toBe(false);
    await here.close();
    await elsewhere.close();
  });

  it('the owner removes a member, who is signed out at once, and revokes an open invite', async () => {
    const t = await team(base, js ? 'rm-js' : 'rm-nojs');
    const owner = await signedIn(t.name, t.owner, js);
    const member = await signedIn(t.name, t.adaCookie, js);
    const memberPage = await open(member, `/t/${t.name}`, js);

    const page = await open(owner, `/t/${t.name}/settings`, js);
    await page.getByRole('link', { name: /^Manage members/ }).click();
    await page.waitForURL(`${base}/t/${t.name}/members`);
    if (js) await page.waitForSelector('html[data-hydrated]');
    await expectNoSeriousViolations(page, js);
    await page.getByRole('button', { name: `Remove ${t.ada}` }).click();
    await page.getByRole('status').filter({ hasText: `${t.ada} was removed` }).waitFor();
    await expect.poll(() => page.locator('.member-list').innerText()).not.toContain(t.ada);
    expect(await isOnSignIn(memberPage, t.name)).toBe(true);

    await page.getByRole('button', { name: 'Create an invite link' }).click();
    const link = page.getByLabel(/Send this link to the person you invite/);
    await link.waitFor();
    const inviteUrl = await link.inputValue();
    expect((await get(base, new URL(inviteUrl).pathname)).status).toBe(200);
    await page.getByRole('button', { name: 'Revoke link 1' }).click();
    await page.getByRole('status').filter({ hasText: 'The invite link was revoked.' }).waitFor();
    await page.getByText('No invite link is open.').waitFor();
    expect((await get(base, new URL(inviteUrl).pathname)).status).toBe(404);
    await owner.close();
    await member.close();
  });

  it('a member leaves the list and lands on the home page, told so', async () => {
    const t = await team(base, js ? 'leave-js' : 'leave-nojs');
    const member = await signedIn(t.name, t.bobCookie, js);
    const page = await open(member, `/t/${t.name}/account`, js);
    await expectNoSeriousViolations(page, js);
    await page.getByRole('button', { name: 'Leave this list' }).click();
    await page.waitForURL(`${base}/?left=${t.name}`);
    expect(await page.getByRole('status').innerText()).toContain(`You left the list “${t.name}”`);
    expect(await roles(server, t.name)).toEqual({ [t.ownerEmail]: 'owner', [t.ada]: 'member' });
    const back = await member.newPage();
    await back.goto(`${base}/t/${t.name}`);
    expect(new URL(back.url()).pathname).toBe(`/t/${t.name}/sign-in`);

    // The owner's page says how to leave instead of offering it.
    const owner = await signedIn(t.name, t.owner, js);
    const ownerPage = await open(owner, `/t/${t.name}/account`, js);
    expect(await ownerPage.getByRole('button', { name: 'Leave this list' }).count()).toBe(0);
    expect(await ownerPage.getByRole('link', { name: 'hand the owner role to another member' }).count()).toBe(1);
    await member.close();
    await owner.close();
  });

  it('a password-reset link lets a locked-out member choose a new password, once; their old sessions end', async () => {
    const t = await team(base, js ? 'reset-js' : 'reset-nojs');
    const owner = await signedIn(t.name, t.owner, js);
    const stale = await signedIn(t.name, t.adaCookie, js);
    const stalePage = await open(stale, `/t/${t.name}`, js);
    const page = await open(owner, `/t/${t.name}/members`, js);
    await page.getByRole('button', { name: `Create a password-reset link for ${t.ada}` }).click();
    const link = page.getByLabel(`Send this link to ${t.ada} (valid for 24 hours, once; it signs them out everywhere):`);
    await link.waitFor();
    const resetUrl = await link.inputValue();
    await expect.poll(() => page.locator('.member-list').innerText(), { timeout: 5_000 }).toContain('reset link open');

    const locked = await browser.newContext({ javaScriptEnabled: js });
    const resetPage = await locked.newPage();
    await resetPage.goto(resetUrl);
    if (js) await resetPage.waitForSelector('html[data-hydrated]');
    await expectNoSeriousViolations(resetPage, js);
    expect(await resetPage.getByRole('heading', { level: 1 }).innerText()).toBe('Choose a new password');
    expect(await resetPage.locator('main').innerText()).toContain(t.ada);
    await resetPage.getByLabel('New password', { exact: true }).fill('short');
    await resetPage.getByRole('button', { name: 'Set the new password' }).click();
    await resetPage.locator('#field-password-error').waitFor();
    await resetPage.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await resetPage.getByRole('button', { name: 'Set the new password' }).click();
    await resetPage.waitForURL(`${base}/t/${t.name}`);
    await resetPage.locator('.new-todo').waitFor();

    expect(await isOnSignIn(stalePage, t.name)).toBe(true);
    const again = await resetPage.goto(resetUrl);
    expect(again?.status()).toBe(404);
    expect((await post(base, `/t/${t.name}/sign-in`, { email: t.ada, password: NEW_PASSWORD })).status).toBe(302);
    await owner.close();
    await stale.close();
    await locked.close();
  });

  it('the owner hands the owner role to a member, after ticking the confirmation', async () => {
    const t = await team(base, js ? 'owner-js' : 'owner-nojs');
    const owner = await signedIn(t.name, t.owner, js);
    const page = await open(owner, `/t/${t.name}/members`, js);
    await page.getByLabel('New owner').selectOption({ label: t.bob });
    await page.getByLabel('I understand that I will become a member of this list').check();
    await page.getByRole('button', { name: 'Hand over the owner role' }).click();
    await page.waitForURL(`${base}/t/${t.name}/settings?handed-over=1`);
    expect(await page.getByRole('status').innerText()).toContain('you are now a member of this list');
    expect(await page.getByRole('button', { name: 'Delete this list' }).count()).toBe(0);
    expect(await roles(server, t.name)).toEqual({ [t.ownerEmail]: 'member', [t.ada]: 'member', [t.bob]: 'owner' });

    const newOwner = await signedIn(t.name, t.bobCookie, js);
    const members = await open(newOwner, `/t/${t.name}/members`, js);
    expect(await members.getByRole('button', { name: `Remove ${t.ownerEmail}` }).count()).toBe(1);
    await owner.close();
    await newOwner.close();
  });

  it('"Sign in to an existing list" on the landing page: a known name leads to its sign-in page, an unknown one is explained', async () => {
    const name = uniqueName(js ? 'find-js' : 'find-nojs');
    await createList(base, name);
    const context = await browser.newContext({ javaScriptEnabled: js });
    const page = await open(context, '/', js);
    await page.getByLabel('Name of the list').fill(`${name}-typo`);
    await page.getByRole('button', { name: 'Go to its sign-in page' }).click();
    await page.locator('#field-list-error').waitFor();
    expect(await page.locator('#field-list-error').innerText()).toContain(`There is no list named “${name}-typo”`);
    expect(await focusedId(page)).toBe('field-list');
    await expectNoSeriousViolations(page, js);

    await page.getByLabel('Name of the list').fill(name);
    await page.getByRole('button', { name: 'Go to its sign-in page' }).click();
    await page.waitForURL(`${base}/t/${name}/sign-in`);
    await page.getByRole('heading', { level: 1, name: `Sign in to ${name}` }).waitFor();
    await context.close();
  });

  it('"Your lists" shows the lists this browser signed in to, leads back to them, and can be forgotten', async () => {
    const first = uniqueName(js ? 'mine-js' : 'mine-nojs');
    const second = uniqueName(js ? 'mine-js' : 'mine-nojs');
    await createList(base, first);
    await createList(base, second);
    const context = await browser.newContext({ javaScriptEnabled: js });
    const page = await context.newPage();
    for (const name of [first, second]) {
      await page.goto(`${base}/t/${name}/sign-in`);
      if (js) await page.waitForSelector('html[data-hydrated]');
      await page.getByLabel('Email').fill(`owner@${name}.test`);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(`${base}/t/${name}`);
    }
    await page.goto(base);
    if (js) await page.waitForSelector('html[data-hydrated]');
    const yours = page.getByRole('region', { name: 'Your lists' });
    expect(await yours.getByRole('link').allInnerTexts()).toEqual([second, first]);
    await expectNoSeriousViolations(page, js);
    await yours.getByRole('link', { name: first }).click();
    await page.waitForURL(`${base}/t/${first}`);
    await page.locator('.new-todo').waitFor();

    await page.goto(base);
    if (js) await page.waitForSelector('html[data-hydrated]');
    await page.getByRole('button', { name: 'Forget these lists on this browser' }).click();
    await page.waitForURL(`${base}/?forgotten=1`);
    await page.getByRole('status').filter({ hasText: 'This browser no longer remembers your lists.' }).waitFor();
    expect(await page.getByRole('region', { name: 'Your lists' }).count()).toBe(0);
    await context.close();
  });
});

describe('clicked twice on a slow connection (with JavaScript)', () => {
  /** 400 ms each way: a second click lands while the first submit is on its way. */
  async function slow(context: BrowserContext, page: Page): Promise<void> {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 400, downloadThroughput: -1, uploadThroughput: -1 });
  }

  /** A person's second click, 150 ms after the first; on a disabled button it does nothing. */
  async function clickTwice(page: Page, button: string): Promise<void> {
    const target = page.getByRole('button', { name: button });
    await target.click({ noWaitAfter: true });
    await page.waitForTimeout(150);
    await target.click({ force: true, noWaitAfter: true });
  }

  it('"Join the list" ends signed in to the list, not on "this invite link is not valid"', async () => {
    const name = uniqueName('join-twice-js');
    const owner = await createList(base, name);
    const page0 = await get(base, `/t/${name}/account`, owner);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page0.body)?.[1] ?? '';
    const invite = await post(base, `/t/${name}/members`, { intent: 'invite', csrf }, { cookie: owner });
    const url = /value="(http[^"]+\/invite\/[^"]+)"/.exec(invite.body)?.[1] ?? '';
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForSelector('html[data-hydrated]');
    await slow(context, page);
    await page.getByLabel('Email').fill(`ada@${name}.test`);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await clickTwice(page, 'Join the list');
    await page.waitForURL(`${base}/t/${name}`);
    await page.locator('.new-todo').waitFor();
    expect(await roles(server, name)).toEqual({ [`owner@${name}.test`]: 'owner', [`ada@${name}.test`]: 'member' });
    await context.close();
  });

  it('"Leave this list" ends on the home page that says so, not on the list’s sign-in page', async () => {
    const t = await team(base, 'leave-twice-js');
    const member = await signedIn(t.name, t.bobCookie, true);
    const page = await open(member, `/t/${t.name}/account`, true);
    await slow(member, page);
    await clickTwice(page, 'Leave this list');
    await page.waitForURL(`${base}/?left=${t.name}`);
    expect(await page.getByRole('status').innerText()).toContain(`You left the list “${t.name}”`);
    await member.close();
  });
});

describe('clicked again as the first click’s form leaves (with JavaScript)', () => {
  // The second click comes before the page has shown anything of the first: the button must
  // already be unavailable, or the browser posts the form twice.
  it('"Sign in" signs in once', async () => {
    const name = uniqueName('signin-twice-js');
    await createList(base, name);
    const sessionsBefore = (await sql(server, name, 'SELECT id FROM sessions')).length;
    const context = await browser.newContext();
    const page = await open(context, `/t/${name}/sign-in`, true);
    const posts = countPosts(page, `/t/${name}/sign-in`);
    await page.getByLabel('Email').fill(`owner@${name}.test`);
    await page.getByLabel('Password').fill(PASSWORD);
    expect(await clickAgainAsItPosts(page.getByRole('button', { name: 'Sign in' }))).toBe(true);
    await page.waitForURL(`${base}/t/${name}`);
    await page.locator('.new-todo').waitFor();
    await page.waitForLoadState('networkidle');
    expect(posts()).toBe(1);
    expect(await sql(server, name, 'SELECT id FROM sessions')).toHaveLength(sessionsBefore + 1);
    await context.close();
  });

  it('"Delete this list" deletes it once and ends on the page that says so, not on "Not found"', async () => {
    const name = uniqueName('delete-twice-js');
    const context = await signedIn(name, await createList(base, name), true);
    const page = await open(context, `/t/${name}/settings`, true);
    const posts = countPosts(page, `/t/${name}/settings`);
    await page.getByRole('textbox', { name: `Type “${name}” to confirm` }).fill(name);
    expect(await clickAgainAsItPosts(page.getByRole('button', { name: 'Delete this list' }))).toBe(true);
    await page.waitForURL(`${base}/?deleted=${name}`);
    expect(await page.getByRole('status').innerText()).toContain(`The list “${name}” was deleted.`);
    expect(posts()).toBe(1);
    expect((await server.fleet()).find(name)?.state).toBe('deleted');
    await context.close();
  });

  it('keeps the focus on a button while its form is on its way, announced as unavailable', async () => {
    const t = await team(base, 'focus-kept-js');
    const context = await signedIn(t.name, t.owner, true);
    const page = await open(context, `/t/${t.name}/members`, true);
    // Held on its way, so the page stays in its "sending" state while it is looked at.
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route(
      (url) => url.pathname.endsWith('/members.data'),
      async (route) => {
        if (route.request().method() === 'POST') await held;
        await route.continue();
      },
    );
    const button = page.getByRole('button', { name: 'Create an invite link' });
    await button.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => button.getAttribute('aria-disabled')).toBe('true');
    expect(await button.evaluate((element) => element === document.activeElement)).toBe(true);
    // Enter again while it is on its way sends nothing.
    const posts = countPosts(page, `/t/${t.name}/members`);
    await page.keyboard.press('Enter');
    release();
    await page.getByRole('status').filter({ hasText: 'An invite link was created.' }).waitFor();
    await expect.poll(() => button.getAttribute('aria-disabled')).toBe(null);
    expect(posts()).toBe(0);
    expect(await sql(server, t.name, 'SELECT token_hash FROM invites WHERE accepted_at IS NULL')).toHaveLength(1);
    await context.close();
  });
});

describe('a session that ends while a todo is on its way (with JavaScript)', () => {
  it('offers the todo again in the field once signed in, and adds it on Enter', async () => {
    const name = uniqueName('ended-add');
    const cookie = await createList(base, name);
    const context = await signedIn(name, cookie, true);
    const page = await open(context, `/t/${name}`, true);
    // Signed out elsewhere: the list's sessions are gone.
    await sql(server, name, 'DELETE FROM sessions');
    await page.locator('.new-todo').fill('buy oat milk');
    await page.locator('.new-todo').press('Enter');
    await page.waitForURL(/\/sign-in\?.*ended=1/);
    await page.getByRole('status').filter({ hasText: 'Your session here has ended' }).waitFor();
    await page.getByLabel('Email').fill(`owner@${name}.test`);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${base}/t/${name}`);
    await page.waitForSelector('html[data-hydrated]');
    await page.getByRole('status').filter({ hasText: '“buy oat milk” may not have been added' }).waitFor();
    expect(await page.locator('.new-todo').inputValue()).toBe('buy oat milk');
    expect(await page.locator('.todo-list li').count()).toBe(0);
    // The row shows at once (optimistic); the reload below must come after the add was stored.
    const stored = page.waitForResponse((response) => response.request().method() === 'POST' && response.url().includes(`/t/${name}`));
    await page.locator('.new-todo').press('Enter');
    await page.locator('.todo-list li label', { hasText: 'buy oat milk' }).waitFor();
    expect((await stored).status()).toBe(200);
    expect(await page.locator('.new-todo').inputValue()).toBe('');
    // Offered once: a reload brings nothing back.
    await page.reload();
    await page.waitForSelector('html[data-hydrated]');
    expect(await page.locator('.new-todo').inputValue()).toBe('');
    expect(await page.locator('.todo-list li').count()).toBe(1);
    await context.close();
  });
});

describe('a session that ended before a todo was sent (without JavaScript)', () => {
  it('keeps the todo through sign-in, puts it back in the field once, and adds it only when sent', async () => {
    const name = uniqueName('ended-add-nojs');
    const cookie = await createList(base, name);
    const context = await signedIn(name, cookie, false);
    const page = await open(context, `/t/${name}`, false);
    await sql(server, name, 'DELETE FROM sessions');
    await page.locator('.new-todo').fill('buy rye bread');
    await page.locator('.new-todo').press('Enter');
    await page.waitForURL(/\/sign-in\?.*ended=1/);
    await page.getByLabel('Email').fill(`owner@${name}.test`);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${base}/t/${name}`);
    await page.getByRole('status').filter({ hasText: '“buy rye bread” was not added: your session had ended' }).waitFor();
    expect(await page.locator('.new-todo').inputValue()).toBe('buy rye bread');
    expect(await sql(server, name, 'SELECT title FROM todos')).toEqual([]);
    // The cookie that carried it is HttpOnly and gone once shown.
    expect((await context.cookies()).find((kept) => kept.name === 'silo_unsent_add')).toBeUndefined();
    await page.locator('.new-todo').press('Enter');
    await page.locator('.todo-list li label', { hasText: 'buy rye bread' }).waitFor();
    expect(await page.locator('.new-todo').inputValue()).toBe('');
    await page.reload();
    expect(await page.locator('.new-todo').inputValue()).toBe('');
    expect(await sql(server, name, 'SELECT title FROM todos')).toEqual([{ title: 'buy rye bread' }]);
    await context.close();
  });

  it('keeps nothing for a form that is not an add, an add whose title is too long, or an add sent by JavaScript', async () => {
    const t = await team(base, 'ended-nojs-other');
    await sql(server, t.name, 'DELETE FROM sessions');
    const setCookie = async (fields: Record<string, string>, path = `/t/${t.name}?index`) => (await post(base, path, fields, { cookie: t.adaCookie })).headers.getSetCookie().join('\n');
    // JavaScript's adds (`.data` posts) keep their own title in the tab (unsent-adds.ts).
    expect(await setCookie({ intent: 'add', title: 'kept', csrf: 'old' }, `/t/${t.name}.data?index`)).not.toContain('silo_unsent_add=');
    expect(await setCookie({ intent: 'add', title: 'kept', csrf: 'old' })).toContain('silo_unsent_add=');
    expect(await setCookie({ intent: 'toggle-all', completed: 'true', csrf: 'old' })).not.toContain('silo_unsent_add=');
    expect(await setCookie({ intent: 'add', title: 'x'.repeat(1001), csrf: 'old' })).not.toContain('silo_unsent_add=');
    expect(await setCookie({ intent: 'add', title: '   ', csrf: 'old' })).not.toContain('silo_unsent_add=');
  });
});

describe('a page from an earlier session of this browser (signed in again in another tab), with JavaScript', () => {
  it('keeps a typed todo in the field and a toggle undone, says why, reloads the page, and the next try works', async () => {
    const name = uniqueName('stale-page');
    const cookie = await createList(base, name);
    const context = await signedIn(name, cookie, true);
    const page = await open(context, `/t/${name}`, true);
    await page.locator('.new-todo').fill('water the plants');
    await page.locator('.new-todo').press('Enter');
    await page.locator('.todo-list li label', { hasText: 'water the plants' }).waitFor();
    // The row shows before its add is answered: the revalidation after it must be over before
    // the sign-in elsewhere, or it would bring the new session's token and nothing would be out
    // of date (seen once under CI load).
    await page.waitForLoadState('networkidle');

    /** Signs this browser in again, as another tab would: the page keeps the old session's token. */
    const signInElsewhere = async (): Promise<void> => {
      const again = await post(base, `/t/${name}/sign-in`, { email: `owner@${name}.test`, password: PASSWORD });
      await context.addCookies(
        [`/t/${name}`, `/t/${name}.data`].map((path) => ({ name: 'silo_session', value: (again.cookie ?? '').slice('silo_session='.length), domain: '127.0.0.1', path, httpOnly: true, sameSite: 'Lax' as const })),
      );
    };

    await signInElsewhere();
    await page.locator('.new-todo').fill('call the bank');
    await page.locator('.new-todo').press('Enter');
    await page.locator('#new-todo-error').filter({ hasText: 'This page was out of date' }).waitFor();
    expect(await page.locator('.new-todo').inputValue()).toBe('call the bank');
    expect(page.url()).toBe(`${base}/t/${name}`);
    // The page was reloaded with this session's token: Enter again adds it.
    await expect.poll(async () => (await page.locator('.new-todo').press('Enter'), page.locator('.todo-list li label', { hasText: 'call the bank' }).count()), { timeout: 10_000 }).toBe(1);
    await expect.poll(() => sql(server, name, 'SELECT title FROM todos ORDER BY id')).toEqual([{ title: 'water the plants' }, { title: 'call the bank' }]);
    // The add's revalidation must be over before the next sign-in: made after it, it would
    // rightly bring that session's token, and the toggle below would not be out of date.
    await page.waitForLoadState('networkidle');

    await signInElsewhere();
    const first = page.locator('.todo-list li').first();
    await first.locator('input.toggle').check();
    await page.getByRole('alert').filter({ hasText: 'This page was out of date' }).waitFor();
    await expect.poll(() => first.locator('input.toggle').isChecked()).toBe(false);
    expect(await sql(server, name, 'SELECT completed FROM todos ORDER BY id')).toEqual([{ completed: 0 }, { completed: 0 }]);
    // Done again from the reloaded page, it sticks, and the message goes.
    await expect
      .poll(async () => {
        if (!(await first.locator('input.toggle').isChecked())) await first.locator('input.toggle').check();
        return (await sql(server, name, 'SELECT completed FROM todos ORDER BY id'))[0];
      }, { timeout: 10_000 })
      .toEqual({ completed: 1 });
    await expect.poll(() => page.getByRole('alert').count()).toBe(0);
    await context.close();
  });
});

describe.each([
  ['with JavaScript', true],
  ['without JavaScript', false],
])('Settings, Your account and Sign out from an earlier session of this browser, %s', (_label, js) => {
  it('a form sent from them changes nothing, the page says why, and sent again it works', async () => {
    const name = uniqueName(js ? 'stale-forms-js' : 'stale-forms-nojs');
    const context = await signedIn(name, await createList(base, name), js);
    const settings = await open(context, `/t/${name}/settings`, js);
    const account = await open(context, `/t/${name}/account`, js);
    const list = await open(context, `/t/${name}`, js);
    // Another tab signs this browser out and in again: the pages keep the old session's token.
    const again = await post(base, `/t/${name}/sign-in`, { email: `owner@${name}.test`, password: PASSWORD });
    const cookie = again.cookie ?? '';
    await context.addCookies(
      [`/t/${name}`, `/t/${name}.data`].map((path) => ({ name: 'silo_session', value: cookie.slice('silo_session='.length), domain: '127.0.0.1', path, httpOnly: true, sameSite: 'Lax' as const })),
    );
    const outOfDate = (page: Page) => page.getByRole('alert').filter({ hasText: 'This page was out of date' });

    await settings.getByRole('textbox', { name: 'Display name' }).fill('Renamed from an old tab');
    await settings.getByRole('button', { name: 'Save name' }).click();
    await outOfDate(settings).waitFor();
    expect(await outOfDate(settings).innerText()).toContain('nothing was changed');
    expect(settings.url()).toBe(`${base}/t/${name}/settings`);
    expect((await get(base, `/t/${name}/settings`, cookie)).body).not.toContain('Renamed from an old tab');
    // With JavaScript the field keeps what was typed; without, the page is new.
    if (!js) await settings.getByRole('textbox', { name: 'Display name' }).fill('Renamed from an old tab');
    await settings.getByRole('button', { name: 'Save name' }).click();
    await settings.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    expect(await outOfDate(settings).count()).toBe(0);
    expect((await get(base, `/t/${name}/settings`, cookie)).body).toContain('value="Renamed from an old tab"');

    const fillPasswords = async () => {
      await account.getByLabel('Current password').fill(PASSWORD);
      await account.getByLabel('New password').fill(NEW_PASSWORD);
    };
    await fillPasswords();
    await account.getByRole('button', { name: 'Change password' }).click();
    await outOfDate(account).waitFor();
    expect(account.url()).toBe(`${base}/t/${name}/account`);
    expect((await post(base, `/t/${name}/sign-in`, { email: `owner@${name}.test`, password: PASSWORD })).status).toBe(302);
    if (!js) await fillPasswords();
    await account.getByRole('button', { name: 'Change password' }).click();
    await account.getByRole('status').filter({ hasText: 'Your password was changed.' }).waitFor();
    expect(await outOfDate(account).count()).toBe(0);
    expect((await post(base, `/t/${name}/sign-in`, { email: `owner@${name}.test`, password: NEW_PASSWORD })).status).toBe(302);

    // Sign out from the list's header: still signed in, told why on the sign-out page, and its button signs out.
    await list.getByRole('banner').getByRole('button', { name: 'Sign out' }).click();
    await outOfDate(list).waitFor();
    expect(list.url()).toBe(`${base}/t/${name}/sign-out`);
    expect((await get(base, `/t/${name}`, cookie)).status).toBe(200);
    await list.getByRole('main').getByRole('button', { name: 'Sign out' }).click();
    await list.waitForURL(`${base}/t/${name}/sign-in`);
    expect((await get(base, `/t/${name}`, cookie)).status).toBe(302);
    await context.close();
  });
});
