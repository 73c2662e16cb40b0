/**
 * Finding 3 of the outside review (issue #13): nothing one tenant stores may make a page or a
 * query unbounded. Small limits here (25 todos per list, 10 per page, 3 members, 2 open
 * invites) so the tests stay quick; the defaults are larger.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type Browser, type BrowserContext } from './browser';
import { PASSWORD, createList, csrfFrom, get, post, uniqueName, type Reply } from './http';
import { startServer, type TestServer } from './server';

const MAX = 25;
const PAGE = 10;
let server: TestServer;
let base: string;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([
    startServer({
      SILO_TODOS_MAX_PER_LIST: String(MAX),
      SILO_TODOS_PAGE_SIZE: String(PAGE),
      SILO_MEMBERS_MAX: '3',
      SILO_OPEN_INVITES_MAX: '2',
    }),
    launchBrowser(),
  ]);
  base = server.url;
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** Puts `count` todos into a list directly (setting up data; the app's own paths are tested below). */
async function seed(name: string, count: number, options: { completedEvery?: number; title?: (i: number) => string } = {}): Promise<void> {
  const fleet = await server.fleet();
  await fleet.withInstance(name, async (db) => {
    const now = Date.now();
    for (let i = 1; i <= count; i++) {
      const completed = options.completedEvery && i % options.completedEvery === 0 ? 1 : 0;
      await db.execute('INSERT INTO todos (title, completed, created_at, updated_at) VALUES (?, ?, ?, ?)', [options.title?.(i) ?? `todo ${i}`, completed, now, now]);
    }
  });
}

async function countTodos(name: string, where = '1'): Promise<number> {
  const fleet = await server.fleet();
  return fleet.withInstance(name, async (db) => Number((await db.execute(`SELECT count(*) AS n FROM todos WHERE ${where}`)).rows[0]?.['n']));
}

function titlesOf(page: Reply): string[] {
  return [...page.body.matchAll(/<label id="todo-title-[^"]*"[^>]*>([^<]*)<\/label>/g)].map((match) => match[1] ?? '');
}

/** The page's HTML without the empty comments React puts between adjacent text parts. */
function text(page: Reply): string {
  return page.body.replaceAll('<!-- -->', '');
}

function linkOf(page: Reply, rel: 'next' | 'prev'): string | null {
  const match = new RegExp(`<a[^>]*href="([^"]+)"[^>]*rel="${rel}"|<a[^>]*rel="${rel}"[^>]*href="([^"]+)"`).exec(page.body);
  return (match?.[1] ?? match?.[2] ?? null)?.replaceAll('&amp;', '&') ?? null;
}

/** Follows the "later" links from `path` and returns every page's titles. */
async function walk(path: string, cookie: string): Promise<string[][]> {
  const pages: string[][] = [];
  let next: string | null = path;
  while (next !== null && pages.length < 20) {
    const page = await get(base, next, cookie);
    expect(page.status).toBe(200);
    pages.push(titlesOf(page));
    next = linkOf(page, 'next');
  }
  return pages;
}

describe('todos per list', () => {
  it('refuses a todo past the limit with 409 and the error in the form, keeps the text, and accepts again after a delete', async () => {
    const name = uniqueName('full');
    const cookie = await createList(base, name);
    await seed(name, MAX - 1);
    const csrf = csrfFrom((await get(base, `/t/${name}`, cookie)).body);
    expect((await post(base, `/t/${name}?index`, { intent: 'add', title: 'the last one that fits', csrf }, { cookie })).status).toBe(303);
    expect(await countTodos(name)).toBe(MAX);

    const refused = await post(base, `/t/${name}?index`, { intent: 'add', title: 'one too many', csrf }, { cookie });
    expect(refused.status).toBe(409);
    expect(refused.body).toContain('role="alert"');
    expect(refused.body).toContain(`holds ${MAX} todos, its limit`);
    // Without JavaScript the page comes back with the text still in the field.
    expect(refused.body).toMatch(/class="new-todo"[^>]*value="one too many"|value="one too many"[^>]*class="new-todo"/);
    expect(await countTodos(name)).toBe(MAX);

    // Through a fetcher (JavaScript) the same refusal, as data.
    const viaJs = await post(base, `/t/${name}?index`, { intent: 'add', title: 'also too many', csrf, js: '1' }, { cookie });
    expect(viaJs.status).toBe(409);
    expect(await countTodos(name)).toBe(MAX);

    const firstId = await (await server.fleet()).withInstance(name, async (db) => Number((await db.execute('SELECT min(id) AS id FROM todos')).rows[0]?.['id']));
    await post(base, `/t/${name}?index`, { intent: 'destroy', id: String(firstId), csrf }, { cookie });
    expect((await post(base, `/t/${name}?index`, { intent: 'add', title: 'one too many', csrf }, { cookie })).status).toBe(303);
    expect(await countTodos(name)).toBe(MAX);
  });

  it('two members adding at once cannot pass the limit together', async () => {
    const name = uniqueName('race');
    const cookie = await createList(base, name);
    await seed(name, MAX - 3);
    const csrf = csrfFrom((await get(base, `/t/${name}`, cookie)).body);
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => post(base, `/t/${name}?index`, { intent: 'add', title: `parallel ${i}`, csrf }, { cookie })),
    );
    expect(answers.filter((answer) => answer.status === 303)).toHaveLength(3);
    expect(answers.filter((answer) => answer.status === 409)).toHaveLength(5);
    expect(await countTodos(name)).toBe(MAX);
  });
});

describe('the list page is paged', () => {
  it('shows one page at a time and reaches every todo exactly once through keyset links, per filter', async () => {
    const name = uniqueName('paged');
    const cookie = await createList(base, name);
    // Every third todo completed: 8 completed, 17 active.
    await seed(name, MAX, { completedEvery: 3 });
    const first = await get(base, `/t/${name}`, cookie);
    expect(titlesOf(first)).toHaveLength(PAGE);
    // The counts are the whole list's, not the page's.
    expect(text(first)).toMatch(/<span class="todo-count"[^>]*><strong>17<\/strong> items left/);
    expect(first.body).toContain('class="clear-completed"');
    expect(linkOf(first, 'prev')).toBeNull();
    expect(linkOf(first, 'next')).toMatch(new RegExp(`^/t/${name}\\?after=\\d+$`));

    const all = await walk(`/t/${name}`, cookie);
    expect(all.map((page) => page.length)).toEqual([10, 10, 5]);
    expect(all.flat()).toEqual(Array.from({ length: MAX }, (_, i) => `todo ${i + 1}`));

    const active = (await walk(`/t/${name}/active`, cookie)).flat();
    expect(active).toEqual(Array.from({ length: MAX }, (_, i) => i + 1).filter((i) => i % 3 !== 0).map((i) => `todo ${i}`));
    const completed = await walk(`/t/${name}/completed`, cookie);
    expect(completed.map((page) => page.length)).toEqual([8]);

    // Back from the last page: the previous page is the one before it, in order.
    const last = await get(base, linkOf(await get(base, linkOf(first, 'next') ?? '', cookie), 'next') ?? '', cookie);
    expect(titlesOf(last)).toEqual(['todo 21', 'todo 22', 'todo 23', 'todo 24', 'todo 25']);
    const back = await get(base, linkOf(last, 'prev') ?? '', cookie);
    expect(titlesOf(back)).toEqual(Array.from({ length: PAGE }, (_, i) => `todo ${i + 11}`));
  });

  it('keeps a page small however long its titles, and ignores a hostile cursor', async () => {
    const name = uniqueName('heavy');
    const cookie = await createList(base, name);
    await seed(name, MAX, { title: (i) => `${String(i).padStart(4, '0')}${'x'.repeat(996)}` });
    const page = await get(base, `/t/${name}`, cookie);
    expect(titlesOf(page)).toHaveLength(PAGE);
    expect(page.body).not.toContain(`0011${'x'.repeat(996)}`);
    // Each title is in the page twice (its label and the data for hydration), not once per
    // control that names it.
    const title = `0005${'x'.repeat(996)}`;
    expect(page.body.split(title).length - 1).toBe(2);
    for (const cursor of ['?after=-1', '?after=1e309', '?before=abc', '?after=1%20OR%201=1']) {
      const odd = await get(base, `/t/${name}${cursor}`, cookie);
      expect(odd.status).toBe(200);
      expect(titlesOf(odd)[0]).toMatch(/^0001/);
    }
  });

  it('“toggle all” and “clear completed” act on the whole list from any page', async () => {
    const name = uniqueName('whole');
    const cookie = await createList(base, name);
    await seed(name, MAX);
    const firstPage = await get(base, `/t/${name}`, cookie);
    const csrf = csrfFrom(firstPage.body);
    // A form on a page of the index route posts to ?index&<cursor> (React Router's form action).
    const toggled = await post(base, `/t/${name}?index&${(linkOf(firstPage, 'next') ?? '').split('?')[1]}`, { intent: 'toggle-all', completed: 'true', csrf }, { cookie });
    expect(toggled.status).toBe(303);
    // Back on the page it was posted from.
    expect(toggled.location).toMatch(new RegExp(`^/t/${name}\\?after=\\d+$`));
    expect(await countTodos(name, 'completed = 1')).toBe(MAX);
    expect(text(await get(base, `/t/${name}`, cookie))).toMatch(/<strong>0<\/strong> items left/);
    await post(base, `/t/${name}?index`, { intent: 'clear-completed', csrf }, { cookie });
    expect(await countTodos(name)).toBe(0);
  });
});

describe('in the browser', () => {
  async function signedIn(name: string, cookie: string, javaScriptEnabled = true): Promise<BrowserContext> {
    const context = await browser.newContext({ javaScriptEnabled });
    const value = cookie.slice('silo_session='.length);
    await context.addCookies(
      [`/t/${name}`, `/t/${name}.data`].map((path) => ({ name: 'silo_session', value, domain: '127.0.0.1', path, httpOnly: true, sameSite: 'Lax' as const })),
    );
    return context;
  }

  it('with JavaScript: a full list refuses the add in place, keeps the text, and announces why; pages move with links', async () => {
    const name = uniqueName('full-js');
    const cookie = await createList(base, name);
    await seed(name, MAX - 1);
    const context = await signedIn(name, cookie);
    const page = await context.newPage();
    await page.goto(`${base}/t/${name}`);
    await page.waitForSelector('html[data-hydrated]');
    expect(await page.locator('.todo-list li').count()).toBe(PAGE);
    // Every control is named after its todo (edit and delete show on hover or focus, as TodoMVC's).
    expect(await page.getByRole('checkbox', { name: 'Completed: todo 3', exact: true }).count()).toBe(1);
    await page.locator('.todo-list li', { hasText: 'todo 3' }).first().hover();
    expect(await page.getByRole('button', { name: 'Edit: todo 3', exact: true }).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Delete: todo 3', exact: true }).count()).toBe(1);

    // Another member fills the list after this page was loaded: the server refuses, the
    // text comes back into the field with the reason.
    await seed(name, 1);
    await page.locator('.new-todo').fill('refused by the server');
    await page.locator('.new-todo').press('Enter');
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').innerText()).toContain('its limit');
    expect(await page.locator('.new-todo').inputValue()).toBe('refused by the server');
    expect(await page.locator('.new-todo').getAttribute('aria-invalid')).toBe('true');
    expect(await countTodos(name)).toBe(MAX);

    // Now the page knows the list is full and refuses before sending anything.
    await page.reload();
    await page.waitForSelector('html[data-hydrated]');
    await page.locator('.new-todo').fill('refused here');
    await page.locator('.new-todo').press('Enter');
    await page.getByRole('alert').waitFor();
    expect(await page.locator('.new-todo').inputValue()).toBe('refused here');

    await page.getByRole('link', { name: 'Later todos' }).click();
    await expect.poll(() => page.locator('.todo-list li label').first().innerText()).toBe('todo 11');
    await page.getByRole('link', { name: 'Earlier todos' }).click();
    await expect.poll(() => page.locator('.todo-list li label').first().innerText()).toBe('todo 1');
    expect(await page.locator('.todo-count').innerText()).toBe(`${MAX} items left`);
    await context.close();
  });

  it('a todo added from an earlier page of a long list is shown where it landed (with and without JavaScript)', async () => {
    const name = uniqueName('long');
    const cookie = await createList(base, name);
    await seed(name, 15);
    const csrf = csrfFrom((await get(base, `/t/${name}`, cookie)).body);
    const added = await post(base, `/t/${name}?index`, { intent: 'add', title: 'added without js', csrf }, { cookie });
    expect(added.status).toBe(303);
    expect(added.location).toMatch(new RegExp(`^/t/${name}\\?before=\\d+$`));
    expect(titlesOf(await get(base, added.location ?? '', cookie)).at(-1)).toBe('added without js');

    const context = await signedIn(name, cookie);
    const page = await context.newPage();
    await page.goto(`${base}/t/${name}`);
    await page.waitForSelector('html[data-hydrated]');
    await page.locator('.new-todo').fill('added with js');
    await page.locator('.new-todo').press('Enter');
    // Said in the list's live region as it is sent; shown with a link once it is stored.
    await expect.poll(() => page.getByTestId('list-status').textContent()).toBe('Added “added with js” at the end of the list. Items left: 17.');
    const notice = page.locator('.notice').filter({ hasText: 'Added at the end of the list.' });
    await notice.waitFor();
    await page.getByRole('link', { name: 'Show it' }).click();
    await expect.poll(() => page.locator('.todo-list li label').last().innerText()).toBe('added with js');
    expect(await notice.count()).toBe(0);
    await context.close();
  });

  it('without JavaScript: the refusal is a page with the error and the text kept', async () => {
    const name = uniqueName('full-nojs');
    const cookie = await createList(base, name);
    await seed(name, MAX);
    const context = await signedIn(name, cookie, false);
    const page = await context.newPage();
    await page.goto(`${base}/t/${name}`);
    await page.locator('.new-todo').fill('no room');
    const [response] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.locator('.new-todo').press('Enter')]);
    expect(response.status()).toBe(409);
    expect(await page.getByRole('checkbox', { name: 'Completed: todo 3', exact: true }).count()).toBe(1);
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').innerText()).toContain('its limit');
    expect(await page.locator('.new-todo').inputValue()).toBe('no room');
    await page.getByRole('link', { name: 'Later todos' }).click();
    await page.waitForURL(/\?after=\d+$/);
    expect(await page.locator('.todo-list li label').first().innerText()).toBe('todo 11');
    await context.close();
  });
});

describe('members, invites and names', () => {
  async function invite(name: string, cookie: string): Promise<Reply> {
    const csrf = csrfFrom((await get(base, `/t/${name}/settings`, cookie)).body);
    return post(base, `/t/${name}/settings`, { intent: 'invite', csrf }, { cookie });
  }
  const linkIn = (reply: Reply): string => /\/t\/[a-z0-9-]+\/invite\/[A-Za-z0-9_-]+/.exec(reply.body)?.[0] ?? '';

  it('caps open invites and members; an invite accepted past the member limit is refused and stays unused', async () => {
    const name = uniqueName('team');
    const owner = await createList(base, name);
    const first = linkIn(await invite(name, owner));
    const second = linkIn(await invite(name, owner));
    const third = await invite(name, owner);
    expect(third.status).toBe(409);
    expect(third.body).toContain('2 open invite links, its limit');

    expect((await post(base, first, { email: `one@${name}.test`, password: PASSWORD })).status).toBe(302);
    const opened = linkIn(await invite(name, owner));
    expect((await post(base, second, { email: `two@${name}.test`, password: PASSWORD })).status).toBe(302);
    // Owner + 2 members = 3, the limit: no more invites, and an open one cannot be used.
    const refused = await invite(name, owner);
    expect(refused.status).toBe(409);
    expect(refused.body).toContain('3 members, its limit');
    const late = await post(base, opened, { email: `three@${name}.test`, password: PASSWORD });
    expect(late.status).toBe(409);
    expect(late.body).toContain('its limit');
    const fleet = await server.fleet();
    const open = await fleet.withInstance(name, async (db) => Number((await db.execute('SELECT count(*) AS n FROM invites WHERE accepted_at IS NULL')).rows[0]?.['n']));
    expect(open).toBe(1);
    expect((await get(base, `/t/${name}/settings`, owner)).body).toContain(`two@${name}.test`);
  });

  it('the settings page lists at most the member limit, even for a database imported with more', async () => {
    const name = uniqueName('imported');
    const owner = await createList(base, name);
    const fleet = await server.fleet();
    await fleet.withInstance(name, async (db) => {
      for (let i = 0; i < 6; i++) await db.execute("INSERT INTO users (email, password_hash, role, created_at) VALUES (?, 'x', 'member', ?)", [`extra${i}@${name}.test`, Date.now() + i]);
    });
    const settings = await get(base, `/t/${name}/settings`, owner);
    expect([...text(settings).matchAll(/@[a-z0-9-]+\.test <span class="muted">/g)]).toHaveLength(3);
    expect(text(settings)).toContain('more accounts than its limit of 3');
  });

  it('keeps at most 10 sessions per account: signing in again ends the oldest', async () => {
    const name = uniqueName('sessions');
    const first = await createList(base, name);
    const cookies = [first];
    for (let i = 0; i < 11; i++) {
      const signedIn = await post(base, `/t/${name}/sign-in`, { email: `owner@${name}.test`, password: PASSWORD });
      expect(signedIn.status).toBe(302);
      cookies.push(signedIn.cookie ?? '');
    }
    const fleet = await server.fleet();
    expect(await fleet.withInstance(name, async (db) => Number((await db.execute('SELECT count(*) AS n FROM sessions')).rows[0]?.['n']))).toBe(10);
    expect((await get(base, `/t/${name}`, cookies[0])).status).toBe(302);
    expect((await get(base, `/t/${name}`, cookies[1])).status).toBe(302);
    expect((await get(base, `/t/${name}`, cookies.at(-1))).status).toBe(200);
  });

  it('refuses a display name over 200 characters', async () => {
    const name = uniqueName('named');
    const owner = await createList(base, name);
    const csrf = csrfFrom((await get(base, `/t/${name}/settings`, owner)).body);
    const long = await post(base, `/t/${name}/settings`, { intent: 'rename', displayName: 'n'.repeat(201), csrf }, { cookie: owner });
    expect(long.status).toBe(400);
    expect((await server.fleet()).find(name)?.displayName).toBe(name);
  });
});
