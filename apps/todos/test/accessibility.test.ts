/**
 * axe-core on every page of the TODO app, with and without JavaScript: no serious or critical
 * violation (issue #18). axe runs as a script in the page, which a context without JavaScript
 * refuses; "without JavaScript" here is a context whose app scripts are blocked, so the page
 * stays the server's markup and its forms post natively, as with JavaScript off.
 */
import AxeBuilder from '@axe-core/playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type Browser, type BrowserContext, type Page } from './browser';
import { startServer, type TestServer } from './server';
import { freshList, openList, type FreshList } from './todomvc/fresh-list';

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** The serious and critical violations on the page, one line each (rule, element), so a failure says where. */
async function seriousViolations(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .flatMap((violation) => violation.nodes.map((node) => `${violation.id} (${violation.impact}): ${node.target.join(' ')} ${node.failureSummary ?? ''}`));
}

/** Without JavaScript: the app's own scripts never load, so React never hydrates the page. */
async function blockAppScripts(context: BrowserContext): Promise<void> {
  await context.route(/\.m?js(\?.*)?$/, (route) => route.abort());
}

async function listWithItems(javaScript: boolean): Promise<{ list: FreshList; page: Page }> {
  const list = { ...(await freshList(browser, server.url, true)), javaScript };
  if (!javaScript) await blockAppScripts(list.context);
  const page = await list.context.newPage();
  await openList(page, list);
  for (const title of ['buy some cheese', 'feed the cat', 'a title long enough to wrap onto a second line at a narrow width, as people write them']) {
    await page.locator('.new-todo').fill(title);
    await page.locator('.new-todo').press('Enter');
    await page.locator('.todo-list li', { hasText: title }).waitFor();
  }
  await page.locator('.todo-list li .toggle').first().click();
  await page.locator('.todo-list li.completed').waitFor();
  await page.waitForSelector('.todoapp:not([aria-busy])');
  return { list, page };
}

for (const javaScript of [true, false]) {
  describe(`axe-core ${javaScript ? 'with' : 'without'} JavaScript`, () => {
    it('the landing page, sign-in and not-found pages', async () => {
      const context = await browser.newContext();
      if (!javaScript) await blockAppScripts(context);
      const page = await context.newPage();
      const { list } = await listWithItems(javaScript);
      for (const path of ['/', `/t/${list.name}/sign-in`, '/no/such/page', '/t/no-such-list']) {
        await page.goto(`${server.url}${path}`);
        expect(await seriousViolations(page), path).toEqual([]);
      }
      await list.context.close();
      await context.close();
    });

    it('a refused form puts the focus on what to fix: the create form’s first field in error, the sign-in’s password', async () => {
      const context = await browser.newContext();
      if (!javaScript) await blockAppScripts(context);
      const page = await context.newPage();
      const focusedId = (): Promise<string | undefined> => page.evaluate(() => document.activeElement?.id);
      await page.goto(`${server.url}/`);
      if (javaScript) await page.waitForSelector('html[data-hydrated]');
      await page.getByRole('button', { name: 'Create list' }).click();
      await expect.poll(focusedId).toBe('field-name');
      expect(await page.locator('#field-name').getAttribute('aria-describedby')).toContain('field-name-error');
      // A name, but no email yet: the email is next.
      await page.locator('#field-name').fill('focus-after-error');
      await page.getByRole('button', { name: 'Create list' }).click();
      await expect.poll(focusedId).toBe('field-email');

      const { list } = await listWithItems(javaScript);
      await page.goto(`${list.url}/sign-in`);
      if (javaScript) await page.waitForSelector('html[data-hydrated]');
      await page.getByLabel('Email').fill('nobody@example.com');
      await page.getByLabel('Password').fill('not the password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('alert').filter({ hasText: 'do not match' }).waitFor();
      await expect.poll(focusedId).toBe('field-password');
      await list.context.close();
      await context.close();
    });

    it('the list with items, its filters and the edit page', async () => {
      const { list, page } = await listWithItems(javaScript);
      expect(await seriousViolations(page), 'list').toEqual([]);
      // Hovered, the row's controls show.
      await page.locator('.todo-list li').nth(1).hover();
      expect(await seriousViolations(page), 'list, a row hovered').toEqual([]);
      for (const path of ['/active', '/completed']) {
        await page.goto(`${list.url}${path}`);
        expect(await seriousViolations(page), path).toEqual([]);
      }
      await page.goto(list.url);
      if (javaScript) {
        await page.waitForSelector('html[data-hydrated]');
        await page.locator('.todo-list li').nth(1).locator('label').dblclick();
        await page.locator('.todo-list li.editing .edit').waitFor();
        expect(await seriousViolations(page), 'editing in place').toEqual([]);
      } else {
        const editUrl = await page.locator('.todo-list li').nth(1).locator('a.edit-button').getAttribute('href');
        expect(editUrl).toMatch(/\?edit=\d+$/);
        await page.goto(new URL(editUrl ?? '', page.url()).toString());
        expect(await page.locator('.todo-list li.editing .edit').evaluate((field) => field === document.activeElement)).toBe(true);
        expect(await seriousViolations(page), 'edit page').toEqual([]);
      }
      await list.context.close();
    });

    it('settings, sign-out and an invite', async () => {
      const { list, page } = await listWithItems(javaScript);
      await page.goto(`${list.url}/settings`);
      expect(await seriousViolations(page), 'settings').toEqual([]);
      await page.goto(`${list.url}/sign-out`);
      expect(await seriousViolations(page), 'sign-out').toEqual([]);
      await page.goto(`${list.url}/settings`);
      await page.getByRole('button', { name: 'Create an invite link' }).click();
      await page.locator('.invite-url').waitFor();
      expect(await seriousViolations(page), 'settings with an invite').toEqual([]);
      const inviteUrl = await page.locator('.invite-url').inputValue();
      const guest = await browser.newContext();
      if (!javaScript) await blockAppScripts(guest);
      const invitePage = await guest.newPage();
      await invitePage.goto(inviteUrl);
      expect(await seriousViolations(invitePage), 'invite').toEqual([]);
      await guest.close();
      await list.context.close();
    });
  });
}

describe('the focus after a keyboard action, with JavaScript', () => {
  it('goes back to the edit button after Enter or Escape, to the next todo after a delete, to the new-todo field after Clear completed', async () => {
    const { list, page } = await listWithItems(true);
    await page.waitForSelector('html[data-hydrated]');
    const focused = (): Promise<string> =>
      page.evaluate(() => {
        const element = document.activeElement;
        const item = element?.closest('li')?.querySelector('[data-testid="todo-title"]')?.textContent ?? '';
        return `${element?.className ?? element?.tagName} ${item}`.trim();
      });
    const second = page.locator('.todo-list li').nth(1);
    // The row's controls show once the row has the focus: its checkbox, then Tab.
    await second.locator('.toggle').focus();
    await page.keyboard.press('Tab');
    await expect.poll(focused).toBe('edit-button feed the cat');
    await page.keyboard.press('Enter');
    await second.locator('.edit').waitFor();
    await page.keyboard.press('Escape');
    await expect.poll(focused).toBe('edit-button feed the cat');
    await page.keyboard.press('Enter');
    await second.locator('.edit').fill('feed the cat twice');
    await page.keyboard.press('Enter');
    await expect.poll(focused).toBe('edit-button feed the cat twice');

    // Deleted from the keyboard: the next todo's checkbox, then (the last one) the previous one's.
    const deleteFromKeyboard = async (item: ReturnType<typeof page.locator>): Promise<void> => {
      await item.locator('.toggle').focus();
      await page.keyboard.press('Tab');
      await page.keyboard.press('Tab');
      expect(await focused()).toMatch(/^destroy /);
      await page.keyboard.press('Enter');
    };
    await deleteFromKeyboard(page.locator('.todo-list li').first());
    await expect.poll(focused).toBe('toggle feed the cat twice');
    await deleteFromKeyboard(page.locator('.todo-list li').last());
    await expect.poll(focused).toBe('toggle feed the cat twice');

    await page.locator('.todo-list li .toggle').first().check();
    await page.locator('.clear-completed').focus();
    await page.keyboard.press('Enter');
    await expect.poll(focused).toBe('new-todo');
    await list.context.close();
  });
});

describe('two tabs on one list, with JavaScript', () => {
  it('a toggle of a todo the other tab deleted says why the todo went', async () => {
    const { list, page } = await listWithItems(true);
    await page.waitForSelector('html[data-hydrated]');
    const other = await list.context.newPage();
    await openList(other, list);
    await other.waitForSelector('html[data-hydrated]');
    const gone = other.locator('.todo-list li', { hasText: 'feed the cat' });
    await gone.hover();
    await gone.locator('.destroy').click();
    await gone.waitFor({ state: 'detached' });
    await page.locator('.todo-list li', { hasText: 'feed the cat' }).locator('.toggle').check();
    await page.getByRole('alert').filter({ hasText: 'That todo was deleted meanwhile' }).waitFor();
    await list.context.close();
  });
});

describe('layout and first load', () => {
  it('at 375 px a long title uses the row, not a column beside hidden controls', async () => {
    const { list, page } = await listWithItems(true);
    await page.setViewportSize({ width: 375, height: 800 });
    await page.mouse.move(0, 0);
    const row = page.locator('.todo-list li').nth(2);
    const [rowBox, labelBox] = await Promise.all([row.boundingBox(), row.locator('label').boundingBox()]);
    if (!rowBox || !labelBox) throw new Error('The row is not laid out.');
    // The label runs to the row's end: the hidden edit and delete controls take no room.
    expect(rowBox.x + rowBox.width - (labelBox.x + labelBox.width)).toBeLessThan(2);
    expect(await row.locator('.destroy').isVisible()).toBe(false);
    await row.hover();
    expect(await row.locator('.destroy').isVisible()).toBe(true);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await list.context.close();
  });

  it('a first load asks for nothing that is not there (the favicon included)', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const missing: string[] = [];
    page.on('response', (response) => {
      if (response.status() >= 400) missing.push(`${response.status()} ${response.url()}`);
    });
    await page.goto(server.url);
    await page.waitForSelector('html[data-hydrated]');
    expect(missing).toEqual([]);
    // Headless Chromium need not fetch icons at all: the page names one, and it is there.
    const icon = await page.locator('link[rel=icon]').getAttribute('href');
    expect((await context.request.get(new URL(icon ?? '', server.url).toString())).status()).toBe(200);
    await context.close();
  });
});
