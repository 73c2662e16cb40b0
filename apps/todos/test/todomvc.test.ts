import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickAgainAsItPosts, countPosts, launchBrowser, type Browser, type BrowserContext, type Page } from './browser';
import { createList, get, uniqueName } from './http';
import { startServer, type TestServer } from './server';

let server: TestServer;
let base: string;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  base = server.url;
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** A new list and a browser context signed in to it as the owner. */
async function freshList(options: { javaScriptEnabled?: boolean } = {}): Promise<{ name: string; cookie: string; context: BrowserContext; page: Page }> {
  const name = uniqueName('mvc');
  const cookie = await createList(base, name);
  const context = await browser.newContext({ javaScriptEnabled: options.javaScriptEnabled ?? true });
  await signInContext(context, name, cookie);
  const page = await context.newPage();
  await page.goto(`${base}/t/${name}`);
  if (options.javaScriptEnabled ?? true) await page.waitForSelector('html[data-hydrated]');
  return { name, cookie, context, page };
}

async function signInContext(context: BrowserContext, name: string, cookie: string): Promise<void> {
  const value = cookie.slice('silo_session='.length);
  await context.addCookies(
    [`/t/${name}`, `/t/${name}.data`].map((path) => ({ name: 'silo_session', value, domain: '127.0.0.1', path, httpOnly: true, sameSite: 'Lax' as const })),
  );
}

function titles(page: Page): Promise<string[]> {
  return page.locator('.todo-list li label').allTextContents();
}

function count(page: Page): Promise<string> {
  return page.locator('.todo-count').innerText();
}

/** Waits until no submission is in flight, so the server has the state the page shows. */
async function settled(page: Page): Promise<void> {
  await page.waitForSelector('.todoapp:not([aria-busy])');
}

async function add(page: Page, ...items: string[]): Promise<void> {
  for (const item of items) {
    await page.locator('.new-todo').fill(item);
    await page.locator('.new-todo').press('Enter');
  }
}

/**
 * On a list holding "already here": adds "slow one", which the server stores but whose answer is
 * held on the way back, then "quick one", answered at once, and waits for the page's reload
 * after it, which brings both rows before the first add's answer. Returns what lets that answer go.
 */
async function slowAddStoredThenQuickAdd(page: Page): Promise<() => void> {
  await add(page, 'already here');
  await settled(page);
  let release = (): void => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  let firstStored = (): void => undefined;
  const stored = new Promise<void>((resolve) => (firstStored = resolve));
  let posts = 0;
  await page.route(
    (url) => url.pathname.endsWith('.data'),
    async (route) => {
      if (route.request().method() !== 'POST' || ++posts > 1) return route.continue();
      const response = await route.fetch();
      firstStored();
      await held;
      await route.fulfill({ response });
    },
  );
  await add(page, 'slow one');
  await stored;
  const reloaded = page.waitForResponse((response) => response.request().method() === 'GET' && response.url().includes('.data'));
  await add(page, 'quick one');
  await reloaded;
  return release;
}

describe('TodoMVC with JavaScript', () => {
  it('adds trimmed todos with Enter, ignores empty ones, counts with the right plural, hides main and footer when empty', async () => {
    const { page, context } = await freshList();
    expect(await page.locator('.main').count()).toBe(0);
    expect(await page.locator('.footer').count()).toBe(0);
    await page.evaluate(() => Object.assign(window, { sameDocument: true }));

    await add(page, '  buy milk  ');
    await expect.poll(() => titles(page)).toEqual(['buy milk']);
    expect(await page.locator('.new-todo').inputValue()).toBe('');
    expect(await count(page)).toBe('1 item left');
    await add(page, '', '    ');
    await add(page, 'walk the dog');
    await expect.poll(() => titles(page)).toEqual(['buy milk', 'walk the dog']);
    expect(await count(page)).toBe('2 items left');
    expect(await page.locator('.main').isVisible()).toBe(true);
    expect(await page.locator('.footer').isVisible()).toBe(true);
    // Updated in place: no full page load happened.
    expect(await page.evaluate(() => 'sameDocument' in window)).toBe(true);

    await settled(page);
    await page.reload();
    expect(await titles(page)).toEqual(['buy milk', 'walk the dog']);
    await context.close();
  });

  it('toggles one, toggles all, filters with their own URLs and clears completed', async () => {
    const { page, name, context } = await freshList();
    await add(page, 'one', 'two', 'three');
    await expect.poll(() => titles(page)).toEqual(['one', 'two', 'three']);
    await settled(page);

    await page.locator('.todo-list li').nth(1).locator('.toggle').check();
    await expect.poll(() => count(page)).toBe('2 items left');
    expect(await page.locator('.todo-list li').nth(1).getAttribute('class')).toContain('completed');
    await settled(page);

    await page.getByRole('link', { name: 'Active' }).click();
    await page.waitForURL(`${base}/t/${name}/active`);
    await expect.poll(() => titles(page)).toEqual(['one', 'three']);
    expect(await page.locator('.filters a.selected').innerText()).toBe('Active');

    await page.getByRole('link', { name: 'Completed' }).click();
    await page.waitForURL(`${base}/t/${name}/completed`);
    await expect.poll(() => titles(page)).toEqual(['two']);

    await page.goto(`${base}/t/${name}/active`);
    expect(await titles(page)).toEqual(['one', 'three']);
    await page.getByRole('link', { name: 'All' }).click();
    await page.waitForURL(`${base}/t/${name}`);
    await expect.poll(() => titles(page)).toEqual(['one', 'two', 'three']);
    await page.waitForSelector('html[data-hydrated]');

    await page.locator('.toggle-all').check();
    await expect.poll(() => count(page)).toBe('0 items left');
    expect(await page.locator('.todo-list li.completed').count()).toBe(3);
    await settled(page);
    await page.locator('.toggle-all').uncheck();
    await expect.poll(() => count(page)).toBe('3 items left');
    await settled(page);

    await page.locator('.todo-list li').nth(0).locator('.toggle').check();
    await page.locator('.todo-list li').nth(2).locator('.toggle').check();
    await expect.poll(() => count(page)).toBe('1 item left');
    await page.getByRole('button', { name: 'Clear completed' }).click();
    await expect.poll(() => titles(page)).toEqual(['two']);
    expect(await page.getByRole('button', { name: 'Clear completed' }).count()).toBe(0);
    await settled(page);
    await page.reload();
    expect(await titles(page)).toEqual(['two']);
    await context.close();
  });

  it('edits with double-click: Enter and blur save, Escape cancels, empty deletes; destroy deletes', async () => {
    const { page, context } = await freshList();
    await add(page, 'first', 'second', 'third', 'fourth');
    await expect.poll(() => titles(page)).toEqual(['first', 'second', 'third', 'fourth']);
    await settled(page);
    const item = (index: number) => page.locator('.todo-list li').nth(index);

    await item(0).locator('label').dblclick();
    expect(await item(0).getAttribute('class')).toContain('editing');
    await item(0).locator('.edit').fill('  first, edited  ');
    await item(0).locator('.edit').press('Enter');
    await expect.poll(() => titles(page)).toEqual(['first, edited', 'second', 'third', 'fourth']);
    expect(await page.locator('li.editing').count()).toBe(0);

    await item(1).locator('label').dblclick();
    await item(1).locator('.edit').fill('second, blurred');
    await page.locator('.new-todo').focus();
    await expect.poll(() => titles(page)).toEqual(['first, edited', 'second, blurred', 'third', 'fourth']);

    await item(2).locator('label').dblclick();
    await item(2).locator('.edit').fill('never saved');
    await item(2).locator('.edit').press('Escape');
    await expect.poll(() => titles(page)).toEqual(['first, edited', 'second, blurred', 'third', 'fourth']);

    await item(2).locator('label').dblclick();
    await item(2).locator('.edit').fill('   ');
    await item(2).locator('.edit').press('Enter');
    await expect.poll(() => titles(page)).toEqual(['first, edited', 'second, blurred', 'fourth']);

    await item(2).hover();
    await item(2).locator('.destroy').click();
    await expect.poll(() => titles(page)).toEqual(['first, edited', 'second, blurred']);

    await settled(page);
    await page.reload();
    expect(await titles(page)).toEqual(['first, edited', 'second, blurred']);
    await context.close();
  });

  it('a double-click on a todo still being added opens its editor once it is added, and keeps it through the reload', async () => {
    const { page, context } = await freshList();
    // Hold the add on its way to a slow server: the todo shows at once, without an id yet.
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route(
      (url) => url.pathname.endsWith('.data'),
      async (route) => {
        if (route.request().method() === 'POST') await held;
        await route.continue();
      },
    );
    await add(page, 'slow one');
    const item = page.locator('.todo-list li').first();
    await expect.poll(() => item.getAttribute('class')).toContain('pending');
    await item.locator('label').dblclick();
    expect(await page.locator('.todo-list .edit').count()).toBe(0);
    // The window regaining focus meanwhile reloads nothing: the add's own reload will follow.
    const reloads: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'GET' && request.url().includes('.data')) reloads.push(request.url());
    });
    await page.evaluate(() => window.dispatchEvent(new Event('focus')));
    await page.waitForTimeout(300);
    expect(reloads).toEqual([]);

    release();
    // The editor opens when the todo has its id, on the same item: the page's reload that
    // brings the real row does not replace it (so the editor, and its focus, stay).
    await page.locator('.todo-list li.editing .edit').waitFor();
    await settled(page);
    const editor = page.locator('.todo-list li.editing .edit');
    expect(await editor.evaluate((field) => document.activeElement === field)).toBe(true);
    await editor.fill('slow one, edited');
    await editor.press('Enter');
    await expect.poll(() => titles(page)).toEqual(['slow one, edited']);
    await settled(page);
    await page.reload();
    expect(await titles(page)).toEqual(['slow one, edited']);
    await context.close();
  });

  it('a todo whose add is stored but not yet answered shows once, as the stored row, when another add reloads the page', async () => {
    const { page, context } = await freshList();
    const release = await slowAddStoredThenQuickAdd(page);
    // The first add's row is on the page: it shows once, in the pending copy's place, and its
    // controls work before the add's answer is in.
    await expect.poll(() => page.locator('.todo-list li.pending').count()).toBe(0);
    expect(await titles(page)).toEqual(['already here', 'slow one', 'quick one']);
    await page.locator('.todo-list li').nth(1).locator('.toggle').check();
    release();
    await settled(page);
    expect(await titles(page)).toEqual(['already here', 'slow one', 'quick one']);
    expect(await page.locator('.todo-list li').evaluateAll((items) => items.map((item) => item.classList.contains('completed')))).toEqual([false, true, false]);
    await context.close();
  });

  it('a stored todo deleted before its add is answered stays deleted', async () => {
    const { page, context } = await freshList();
    const release = await slowAddStoredThenQuickAdd(page);
    await expect.poll(() => titles(page)).toEqual(['already here', 'slow one', 'quick one']);
    // Deleted while its add is unanswered: the delete's reload drops the row, and the add must
    // not show it again as pending.
    const deleted = page.waitForResponse((response) => response.request().method() === 'GET' && response.url().includes('.data'));
    const row = page.locator('.todo-list li').nth(1);
    await row.hover();
    await row.locator('.destroy').click();
    await deleted;
    await page.waitForTimeout(200);
    expect(await titles(page)).toEqual(['already here', 'quick one']);
    expect(await page.locator('.todo-count').textContent()).toContain('2');
    release();
    await settled(page);
    expect(await titles(page)).toEqual(['already here', 'quick one']);
    await page.reload();
    expect(await titles(page)).toEqual(['already here', 'quick one']);
    await context.close();
  });

  it('a second browser sees the changes on navigation and when its window regains focus', async () => {
    const one = await freshList();
    const other = await browser.newContext();
    await signInContext(other, one.name, one.cookie);
    const page2 = await other.newPage();
    await page2.goto(`${base}/t/${one.name}`);
    await page2.waitForSelector('html[data-hydrated]');
    expect(await page2.locator('.todo-list li').count()).toBe(0);

    await add(one.page, 'from the first browser');
    await settled(one.page);
    // Focus: the list revalidates without a reload.
    await page2.evaluate(() => window.dispatchEvent(new Event('focus')));
    await expect.poll(() => titles(page2)).toEqual(['from the first browser']);

    await add(page2, 'from the second browser');
    await settled(page2);
    await one.page.getByRole('link', { name: 'Active' }).click();
    await expect.poll(() => titles(one.page)).toEqual(['from the first browser', 'from the second browser']);
    await other.close();
    await one.context.close();
  });
});

describe('double clicks on the list (with JavaScript)', () => {
  it('a double click on a todo’s delete button deletes that todo only, with one request', async () => {
    const { page, name, context } = await freshList();
    await add(page, 'one', 'two', 'three');
    await expect.poll(() => titles(page)).toEqual(['one', 'two', 'three']);
    await settled(page);
    const posts = countPosts(page, `/t/${name}`);

    // The second click comes as the first one's request leaves: the row is gone already.
    await page.locator('.todo-list li').first().hover();
    expect(await clickAgainAsItPosts(page.locator('.todo-list li').first().locator('.destroy'))).toBe(true);
    await expect.poll(() => titles(page)).toEqual(['two', 'three']);
    await settled(page);
    expect(posts()).toBe(1);

    // A person's double click: its second click lands where the button was, on the next row's
    // delete button, which moved up into its place once the first click took the row away.
    await page.locator('.todo-list li').first().hover();
    const box = await page.locator('.todo-list li').first().locator('.destroy').boundingBox();
    if (!box) throw new Error('No delete button');
    const [x, y] = [box.x + box.width / 2, box.y + box.height / 2];
    await page.mouse.click(x, y);
    await expect.poll(() => titles(page)).toEqual(['three']);
    await page.mouse.down({ clickCount: 2 });
    await page.mouse.up({ clickCount: 2 });
    await page.waitForTimeout(300);
    await settled(page);
    expect(await titles(page)).toEqual(['three']);
    expect(posts()).toBe(2);
    await page.reload();
    expect(await titles(page)).toEqual(['three']);
    await context.close();
  });
});

describe('before the page’s script has started', () => {
  it('keeps what was typed in the new-todo field, and Enter then adds it in place', async () => {
    const { page, name, context } = await freshList();
    // A slow start: the page's scripts come 500 ms late, so typing begins before hydration.
    await page.route(
      (url) => url.pathname.startsWith('/assets/') && url.pathname.endsWith('.js'),
      async (route) => {
        await new Promise((resolve) => setTimeout(resolve, 500));
        await route.continue();
      },
    );
    await page.goto(`${base}/t/${name}`, { waitUntil: 'commit' });
    await page.waitForFunction(() => document.activeElement?.classList.contains('new-todo'), undefined, { polling: 10 });
    expect(await page.evaluate(() => 'hydrated' in document.documentElement.dataset)).toBe(false);
    await page.keyboard.type('typed early');
    await page.waitForSelector('html[data-hydrated]');
    expect(await page.locator('.new-todo').inputValue()).toBe('typed early');
    await page.evaluate(() => Object.assign(window, { sameDocument: true }));
    await page.locator('.new-todo').press('Enter');
    await expect.poll(() => titles(page)).toEqual(['typed early']);
    expect(await page.evaluate(() => 'sameDocument' in window)).toBe(true);
    await context.close();
  });
});

describe('what a screen reader hears (with JavaScript)', () => {
  it('a polite live region says each change to the list once, with the items left', async () => {
    const { page, context } = await freshList();
    const region = page.getByTestId('list-status');
    expect(await region.getAttribute('role')).toBe('status');
    expect(await region.getAttribute('aria-live')).toBe('polite');
    expect(await region.textContent()).toBe('');
    // Every text the region shows, in order: what a screen reader announces.
    await region.evaluate((element) => {
      const said: string[] = [];
      Object.assign(window, { said });
      new MutationObserver(() => {
        if (element.textContent) said.push(element.textContent);
      }).observe(element, { childList: true, subtree: true, characterData: true });
    });
    const said = (): Promise<string[]> => page.evaluate(() => (window as unknown as { said: string[] }).said);
    const item = (title: string) => page.locator('.todo-list li').filter({ hasText: title });
    const heard: string[] = [];
    const expectSaid = async (message: string): Promise<void> => {
      heard.push(message);
      await expect.poll(said).toEqual(heard);
      await settled(page);
    };

    await add(page, 'buy milk');
    await expectSaid('Added “buy milk”. Items left: 1.');
    await add(page, 'walk the dog');
    await expectSaid('Added “walk the dog”. Items left: 2.');
    await item('buy milk').locator('.toggle').check();
    await expectSaid('“buy milk” completed. Items left: 1.');
    await item('buy milk').locator('.toggle').uncheck();
    await expectSaid('“buy milk” marked as not completed. Items left: 2.');
    await item('walk the dog').hover();
    await item('walk the dog').locator('.destroy').click();
    await expectSaid('Deleted “walk the dog”. Items left: 1.');
    await add(page, 'feed the cat');
    await expectSaid('Added “feed the cat”. Items left: 2.');
    await page.locator('.toggle-all').check();
    await expectSaid('All todos completed. Items left: 0.');
    await page.getByRole('button', { name: 'Clear completed' }).click();
    await expectSaid('Cleared 2 completed todos. Items left: 0.');
    await add(page, 'buy bread');
    await expectSaid('Added “buy bread”. Items left: 1.');
    await add(page, 'buy cheese');
    await expectSaid('Added “buy cheese”. Items left: 2.');
    // The same words twice in a row are said twice: a new element in the region each time.
    for (const title of ['buy bread', 'buy cheese']) {
      await item(title).locator('label').dblclick();
      await page.locator('.todo-list li.editing .edit').fill('buy food');
      await page.locator('.todo-list li.editing .edit').press('Enter');
      await expectSaid('Changed to “buy food”.');
    }
    expect(await region.locator('span').count()).toBe(1);
    // Nothing more once the page has reloaded what it showed: each change was said once.
    await page.evaluate(() => window.dispatchEvent(new Event('focus')));
    await page.waitForLoadState('networkidle');
    expect(await said()).toEqual(heard);
    await context.close();
  });
});

describe('TodoMVC without JavaScript', () => {
  it('adds, toggles, edits and deletes with plain form posts', async () => {
    const { page, name, cookie, context } = await freshList({ javaScriptEnabled: false });
    await add(page, '  no script  ');
    await page.waitForURL(`${base}/t/${name}`);
    expect(await titles(page)).toEqual(['no script']);
    await add(page, 'second');
    expect(await titles(page)).toEqual(['no script', 'second']);
    expect(await count(page)).toBe('2 items left');

    await page.locator('.todo-list li').nth(0).locator('.toggle').click();
    expect(await page.locator('.todo-list li').nth(0).getAttribute('class')).toContain('completed');
    expect(await count(page)).toBe('1 item left');

    await page.locator('.toggle-all').click();
    expect(await count(page)).toBe('0 items left');
    await page.locator('.toggle-all').click();
    expect(await count(page)).toBe('2 items left');

    // A row's edit and delete controls show on hover or focus (visibility, not opacity: issue #18).
    await page.locator('.todo-list li').nth(1).hover();
    await page.locator('.todo-list li').nth(1).getByRole('link', { name: /Edit/ }).click();
    await page.locator('.todo-list li.editing .edit').fill('second, edited');
    await page.locator('.todo-list li.editing .edit').press('Enter');
    await page.waitForURL(`${base}/t/${name}`);
    expect(await titles(page)).toEqual(['no script', 'second, edited']);

    await page.locator('.todo-list li').nth(0).hover();
    await page.locator('.todo-list li').nth(0).locator('.destroy').click();
    expect(await titles(page)).toEqual(['second, edited']);

    await page.getByRole('link', { name: 'Completed' }).click();
    await page.waitForURL(`${base}/t/${name}/completed`);
    expect(await titles(page)).toEqual([]);

    const server = await get(base, `/t/${name}`, cookie);
    expect(server.body).toContain('second, edited');
    await context.close();
  });
});
