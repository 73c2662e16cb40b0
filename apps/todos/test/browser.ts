import type { Browser, BrowserContext, Page } from 'playwright-core';
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

export type { Browser, BrowserContext, Page };
