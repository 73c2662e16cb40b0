import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { launchChromium } from '../../../packages/web/test/chromium';
import { PASSWORD } from './http';

export { launchChromium as launchBrowser };

/** Fills the landing page form and waits for the new list. */
export async function createListInBrowser(page: Page, base: string, name: string, email = `owner@${name}.test`): Promise<void> {
  await page.goto(base);
  await page.getByLabel('List name').fill(name);
  await page.getByLabel('Your email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByLabel(/European Union/).check();
  await page.getByRole('button', { name: 'Create list' }).click();
  await page.waitForURL(`${base}/t/${name}`);
  await page.locator('.new-todo').waitFor();
  await page.waitForSelector('html[data-hydrated]');
}

export async function signIn(page: Page, base: string, name: string, email: string): Promise<void> {
  await page.goto(`${base}/t/${name}/sign-in`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}/t/${name}`);
  await page.locator('.new-todo').waitFor();
}

/**
 * Clicks `target`, then clicks it again the moment the first click's POST leaves, before the page
 * runs anything else (React's rendering included): a double click as it goes on a slow device,
 * where the second click comes before the page has shown anything of the first. The page's fetch
 * is watched, not changed: every request goes out as it was.
 *
 * Returns whether the button was unavailable (disabled, aria-disabled or gone) as soon as the
 * first click's handler had run: however soon a second click comes, it finds it so.
 */
export async function clickAgainAsItPosts(target: Locator): Promise<boolean> {
  return target.evaluate((element: HTMLElement) => {
    const send = window.fetch;
    window.fetch = function (this: unknown, ...args: Parameters<typeof fetch>) {
      const [input, init] = args;
      const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
      if (method.toUpperCase() === 'POST') {
        window.fetch = send;
        queueMicrotask(() => element.click());
      }
      return send.apply(this, args);
    };
    element.click();
    return !element.isConnected || element.matches(':disabled, [aria-disabled="true"]');
  });
}

/** Counts the POST requests the page sends to a path (documents and data requests alike). */
export function countPosts(page: Page, pathname: string): () => number {
  // React Router's data requests: `/t/x.data` for `/t/x`, `/_.data` for `/`.
  const data = pathname === '/' ? '/_.data' : `${pathname}.data`;
  let posts = 0;
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (request.method() === 'POST' && (url.pathname === pathname || url.pathname === data)) posts += 1;
  });
  return () => posts;
}

export type { Browser, BrowserContext, Page };
