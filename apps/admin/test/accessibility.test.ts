import { AxeBuilder } from '@axe-core/playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { openFleet } from '@silo/fleet';
import { ensureBuilt, launchChromium, removeDir, startServer, tempDataDir, todoSchema, type AdminServer } from './helpers';

const EMAIL = 'a11y@example.com';
const PASSWORD = 'a-long-accessibility-password';

const PAGES = [
  '/',
  '/overview',
  '/instances/acme',
  '/instances/gone',
  '/instances/acme/console',
  '/instances/acme/data',
  '/query',
  '/backups',
  '/migrations',
  '/audit',
  '/residency',
  '/tokens',
  '/no-such-page',
];

/** axe-core's serious and critical findings (WCAG 2 A and AA), one line each. */
async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id}: ${violation.nodes.map((node) => `${node.target.join(' ')} ${node.html.slice(0, 80)} ${node.failureSummary ?? ''}`).join(', ')}`);
}

describe('admin accessibility, titles, dark mode and keyboard', () => {
  let server: AdminServer;
  let dataDir: string;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    dataDir = tempDataDir();
    const fleet = await openFleet({ schema: await todoSchema(), dataDir });
    await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.create('gone', { jurisdiction: 'us' });
    await fleet.delete('gone');
    fleet.touch('acme', { todos: 2, completed: 1 });
    await fleet.close();
    await ensureBuilt();
    server = await startServer(dataDir, { ADMIN_EMAIL: EMAIL, ADMIN_PASSWORD: PASSWORD });
    browser = await launchChromium();
    // axe opens a page of its own in the page's context: a context made with newContext().
    page = await (await browser.newContext()).newPage();
    await page.goto(`${server.url}/login`);
    expect(await seriousViolations(page)).toEqual([]);
    expect(await page.title()).toMatch(/Silo admin$/);
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('table', { name: 'Instances' }).waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dataDir) removeDir(dataDir);
  });

  for (const scheme of ['light', 'dark'] as const) {
    it(`has a title and no serious axe violation on any page (${scheme})`, async () => {
      await page.emulateMedia({ colorScheme: scheme });
      const titles = new Set<string>();
      for (const path of PAGES) {
        await page.goto(`${server.url}${path}`);
        await page.waitForLoadState('load');
        const title = await page.title();
        expect(title, path).toMatch(/^.+ · Silo admin$/);
        titles.add(title);
        expect(await seriousViolations(page), `${path} (${scheme})`).toEqual([]);
      }
      // Every page says which it is.
      expect(titles.size).toBe(PAGES.length);
      const background = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
      const [r = 0, g = 0, b = 0] = (background.match(/\d+/g) ?? []).map(Number);
      if (scheme === 'dark') expect(r + g + b).toBeLessThan(150);
      else expect(r + g + b).toBeGreaterThan(600);
    }, 300_000);
  }

  it('focuses the search with /, also from a page without one', async () => {
    await page.emulateMedia({ colorScheme: 'light' });
    await page.goto(`${server.url}/`);
    await page.locator('body').click({ position: { x: 5, y: 300 } });
    // Pressed again until the page is hydrated and listening.
    await expect
      .poll(
        async () => {
          await page.keyboard.press('/');
          return page.evaluate(() => document.activeElement?.getAttribute('name'));
        },
        { timeout: 20_000 },
      )
      .toBe('q');
    await page.goto(`${server.url}/overview`);
    await expect
      .poll(
        async () => {
          if (!page.url().includes('focus=search')) await page.keyboard.press('/');
          return page.url();
        },
        { timeout: 20_000 },
      )
      .toMatch(/focus=search/);
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('name')), { timeout: 20_000 }).toBe('q');
  });

  it('purges only once the name is typed', async () => {
    await page.goto(`${server.url}/instances/gone`);
    const purge = page.getByRole('button', { name: 'Purge for good' });
    expect(await purge.isDisabled()).toBe(true);
    await page.getByLabel(/Type gone to purge it/).fill('gon');
    expect(await purge.isDisabled()).toBe(true);
    await page.getByLabel(/Type gone to purge it/).fill('gone');
    await purge.click();
    await page.waitForURL(/purged=gone/);
  });
});
