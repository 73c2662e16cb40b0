/**
 * What a demanding operator, an accessibility audit and a robustness run found in the console
 * (sessions that end mid-action, a page whose script never started, error pages that lost
 * their request id, wide tables at 375 px, refused forms that dropped the keyboard, an
 * oversized import), in Chromium against the built admin on a real fleet.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { openFleet } from '@silo/fleet';
import { Client, ensureBuilt, launchChromium, removeDir, signIn, siloCli, startServer, tempDataDir, todoSchema, type AdminServer } from './helpers';

const EMAIL = 'operator@example.com';
const PASSWORD = 'a-long-operator-robustness-password';
/** Small, so a file over the import limit is quick to make. */
const UPLOAD_MAX_BYTES = 64 * 1024;

/** axe-core's serious and critical findings (WCAG 2 A and AA), one line each. */
async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id}: ${violation.nodes.map((node) => `${node.target.join(' ')} ${node.html.slice(0, 80)}`).join(', ')}`);
}

/** What has the keyboard focus: tag, id and text. */
function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const element = document.activeElement;
    return element ? `${element.tagName.toLowerCase()}#${element.id} ${(element.textContent ?? '').trim().slice(0, 40)}` : 'none';
  });
}

describe('operator robustness: sessions, keyboard, narrow screens, bad input', () => {
  let server: AdminServer;
  let dataDir: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    dataDir = tempDataDir();
    const fleet = await openFleet({ schema: await todoSchema(), dataDir });
    await fleet.create('acme', { jurisdiction: 'eu', actor: 'seed' });
    await fleet.create('beta', { jurisdiction: 'eu', actor: 'seed' });
    await fleet.query('acme', "INSERT INTO todos (title, completed, created_at, updated_at) VALUES ('first', 0, 0, 0)", undefined, { readOnly: false, actor: 'seed' });
    await fleet.exportTo('acme', path.join(dataDir, 'acme-export.sqlite'));
    await fleet.close();
    writeFileSync(path.join(dataDir, 'too-big.sqlite'), Buffer.alloc(UPLOAD_MAX_BYTES * 2, 1));
    await ensureBuilt();
    server = await startServer(dataDir, { ADMIN_EMAIL: EMAIL, ADMIN_PASSWORD: PASSWORD, ADMIN_UPLOAD_MAX_BYTES: String(UPLOAD_MAX_BYTES) });
    browser = await launchChromium();
    context = await browser.newContext();
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(`${page.url()}: ${error.message}`));
    await signIn(page, server.url, EMAIL, PASSWORD);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dataDir) removeDir(dataDir);
  });

  /** Signs in on the page the console sent the browser to, and waits to be sent on. */
  async function signInHere(): Promise<void> {
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.pathname !== '/login');
  }

  it('a data request without a session names the page to come back to, not its .data address', async () => {
    const anonymous = new Client(server.url);
    // The instance list's live revalidation asks for /_.data; sign-in must lead back to /, not to /_ (a 404).
    for (const [asked, next] of [
      ['/_.data?q=acme&_routes=routes%2Finstances%2Froute', '/?q=acme'],
      ['/instances/acme.data?_routes=routes%2Finstance%2Froute', '/instances/acme'],
      ['/audit.data', '/audit'],
    ] as const) {
      const body = await (await anonymous.get(asked)).text();
      expect(body, asked).toContain(`/login?next=${encodeURIComponent(next)}`);
    }
  });

  it('the instance list whose session ends goes to sign-in and back to the same filtered list', async () => {
    await page.goto(`${server.url}/?q=acme`);
    await page.locator('thead input[type="checkbox"]:not([disabled])').waitFor();
    await context.clearCookies();
    // The list revalidates every few seconds; without a session that is a sign-in redirect.
    await page.waitForURL(/\/login\?next=/, { timeout: 30_000 });
    expect(new URL(page.url()).searchParams.get('next')).toBe('/?q=acme');
    await signInHere();
    expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe('/?q=acme');
    await page.getByRole('table', { name: 'Instances' }).waitFor();
  });

  it('a console run whose session ended goes to sign-in, comes back, and keeps the typed SQL', async () => {
    await page.goto(`${server.url}/instances/acme/console`);
    const editor = page.getByTestId('sql-editor').locator('.cm-content');
    await editor.waitFor();
    await editor.click();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.type('SELECT title AS kept_after_sign_in FROM todos');
    await context.clearCookies();
    await page.getByRole('button', { name: 'Run (read-only)' }).click();
    await page.waitForURL(/\/login\?/);
    const url = new URL(page.url());
    expect(url.searchParams.get('next')).toBe('/instances/acme/console');
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Your session has ended' }).count(), { timeout: 10_000 }).toBe(1);
    await signInHere();
    expect(new URL(page.url()).pathname).toBe('/instances/acme/console');
    await expect.poll(() => page.getByTestId('sql-editor').locator('.cm-content').textContent(), { timeout: 10_000 }).toBe('SELECT title AS kept_after_sign_in FROM todos');
    // The draft is gone once a run answers: a later visit starts from the page's own query.
    await page.getByRole('button', { name: 'Run (read-only)' }).click();
    await page.getByTestId('query-result').waitFor();
    await page.goto(`${server.url}/instances/acme/console`);
    await page.getByTestId('sql-editor').locator('.cm-content').waitFor();
    await expect.poll(() => page.getByTestId('sql-editor').locator('.cm-content').textContent(), { timeout: 10_000 }).toContain('LIMIT 50');
  });

  it('a bulk action whose session ended goes to sign-in and back to the list', async () => {
    await page.goto(`${server.url}/`);
    await page.locator('thead input[type="checkbox"]:not([disabled])').waitFor();
    await page.getByRole('checkbox', { name: 'Select beta' }).check();
    await context.clearCookies();
    await page.getByRole('button', { name: 'Back up now' }).click();
    await page.waitForURL(/\/login\?/);
    expect(new URL(page.url()).searchParams.get('next')).toBe('/');
    await signInHere();
    await page.getByRole('table', { name: 'Instances' }).waitFor();
  });

  it('after a console error the SQL stays, the keyboard stays on Run, and one run goes at a time', async () => {
    await page.goto(`${server.url}/instances/acme/console`);
    const editor = page.getByTestId('sql-editor').locator('.cm-content');
    await editor.waitFor();
    await editor.click();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.type('SELECT no_such_column FROM todos');
    const run = page.getByRole('button', { name: /Run \(read-only\)|Running/ });
    await run.focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('query-error').waitFor();
    expect(await page.getByTestId('query-error').textContent()).toContain('no such column: no_such_column');
    expect(await editor.textContent()).toBe('SELECT no_such_column FROM todos');
    expect(await focused(page)).toContain('Run (read-only)');
  });

  it('while a console run is under way, Run and Run again do nothing and stay focusable', async () => {
    await page.goto(`${server.url}/instances/acme/console`);
    const editor = page.getByTestId('sql-editor').locator('.cm-content');
    await editor.waitFor();
    await editor.click();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.type('SELECT count(*) AS n FROM todos');
    // Once, so the history has an entry with Run again.
    await page.getByRole('button', { name: 'Run (read-only)' }).click();
    await page.getByRole('button', { name: 'Run again (read-only)' }).first().waitFor();
    // The next run is held on its way, so it is still under way while the forms are submitted.
    await page.route('**/console*', async (route) => {
      if (route.request().method() === 'POST') await new Promise((resolve) => setTimeout(resolve, 3_000));
      // The page may have moved on meanwhile: nothing left to continue.
      await route.continue().catch(() => undefined);
    });
    try {
      await page.getByRole('button', { name: 'Run (read-only)' }).click();
      await page.getByRole('button', { name: /Running/ }).waitFor();
      expect(await page.getByRole('button', { name: 'Run again (read-only)' }).first().getAttribute('aria-disabled')).toBe('true');
      // Each form submitted as a press would: the page refuses it (the router, listening on the
      // document, sends only what is not prevented; this listener runs after it).
      const prevented = await page.evaluate(() =>
        ['Run again', 'Running'].map((label) => {
          const button = [...document.querySelectorAll('button')].find((element) => element.textContent?.startsWith(label));
          if (!button?.form) return `no form for ${label}`;
          let seen = 'not submitted';
          window.addEventListener('submit', (event) => (seen = event.defaultPrevented ? 'prevented' : 'sent'), { once: true });
          button.form.requestSubmit(button);
          return seen;
        }),
      );
      expect(prevented).toEqual(['prevented', 'prevented']);
      await page.getByRole('button', { name: 'Run (read-only)' }).waitFor({ timeout: 15_000 });
    } finally {
      await page.unrouteAll({ behavior: 'wait' });
    }
  });

  it('a refused create gives the name field the focus', async () => {
    await page.goto(`${server.url}/`);
    await page.locator('thead input[type="checkbox"]:not([disabled])').waitFor();
    await page.getByText('Create an instance').click();
    await page.locator('#create-name').fill('acme');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.locator('#create-error').waitFor();
    expect(await page.locator('#create-error').textContent()).toContain('taken');
    expect(await focused(page)).toMatch(/^input#create-name/);
    expect(await page.locator('#create-name').getAttribute('aria-invalid')).toBe('true');
  });

  it('a file over the import limit is refused before it is sent, and the server says it inside the form', async () => {
    await page.goto(`${server.url}/`);
    await page.locator('thead input[type="checkbox"]:not([disabled])').waitFor();
    await page.getByText('Import a .sqlite file').click();
    await page.locator('#import-name').fill('too-big');
    await page.locator('#import-file').setInputFiles(path.join(dataDir, 'too-big.sqlite'));
    const message = page.locator('#import-file-error');
    await message.waitFor();
    expect(await message.textContent()).toContain('The upload is larger than 64 KB');
    expect(await page.locator('#import-file').getAttribute('aria-invalid')).toBe('true');
    let posted = false;
    page.on('request', (request) => {
      if (request.method() === 'POST') posted = true;
    });
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.waitForTimeout(500);
    expect(posted).toBe(false);
    expect(await page.locator('#import-name').inputValue()).toBe('too-big');

    // Sent anyway (no script): the page answers 413 with the message next to the form, not an error page in its place.
    const admin = new Client(server.url);
    await admin.signIn(EMAIL, PASSWORD);
    const form = new FormData();
    form.set('csrf', admin.csrf);
    form.set('intent', 'import');
    form.set('name', 'too-big');
    form.set('jurisdiction', 'eu');
    form.set('file', new Blob([new Uint8Array(UPLOAD_MAX_BYTES * 2)]), 'too-big.sqlite');
    const refused = await admin.request('/?index', { method: 'POST', body: form });
    expect(refused.status).toBe(413);
    const html = await refused.text();
    expect(html).toContain('id="import-error"');
    expect(html).toContain('<h1>Instances</h1>');
  });

  it('an import shows how much of the file has gone, then opens the new instance; a refusal stays in the form', async () => {
    await page.goto(`${server.url}/`);
    await page.locator('thead input[type="checkbox"]:not([disabled])').waitFor();
    await page.getByText('Import a .sqlite file').click();
    // A slow uplink, so the upload lasts a few seconds.
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 8 * 1024 });
    try {
      await page.locator('#import-name').fill('uploaded');
      await page.locator('#import-file').setInputFiles(path.join(dataDir, 'acme-export.sqlite'));
      await page.getByRole('button', { name: 'Import', exact: true }).click();
      const status = page.locator('#import-progress + p [role="status"]');
      await expect.poll(async () => (await status.textContent()) ?? '', { timeout: 20_000 }).toMatch(/^Uploading: [1-9]\d?%$/);
      expect(Number(await page.locator('#import-progress').getAttribute('value'))).toBeGreaterThan(0);
      // A second press while it runs sends nothing more; the keyboard stays on the button.
      await page.getByRole('button', { name: 'Importing…' }).press('Enter');
      expect(await focused(page)).toMatch(/^button# Importing…/);
      await page.waitForURL(/\/instances\/uploaded\?imported=1/, { timeout: 30_000 });
    } finally {
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    }
    // The same name again: Silo refuses it, and the answer shows inside the form, name field focused.
    await page.goto(`${server.url}/`);
    await page.locator('thead input[type="checkbox"]:not([disabled])').waitFor();
    await page.getByText('Import a .sqlite file').click();
    await page.locator('#import-name').fill('uploaded');
    await page.locator('#import-file').setInputFiles(path.join(dataDir, 'acme-export.sqlite'));
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.locator('#import-error').waitFor();
    expect(await page.locator('#import-error').textContent()).toMatch(/taken/);
    expect(await focused(page)).toMatch(/^input#import-name/);
    expect(new URL(page.url()).pathname).toBe('/');
  });

  it('the API tokens page starts its script (no @silo/fleet in the browser bundle)', async () => {
    const before = pageErrors.length;
    await page.goto(`${server.url}/tokens`);
    await page.waitForLoadState('networkidle');
    await expect
      .poll(async () => {
        await page.keyboard.press('ControlOrMeta+k');
        return page.locator('dialog.palette[open]').count();
      })
      .toBe(1);
    await page.keyboard.press('Escape');
    expect(pageErrors.slice(before)).toEqual([]);
  });

  it('an error page hydrates and keeps its request id', async () => {
    const before = pageErrors.length;
    await page.goto(`${server.url}/no-such-page`);
    await page.waitForLoadState('networkidle');
    await page.waitForTimeout(300);
    expect(pageErrors.slice(before)).toEqual([]);
    expect(await page.locator('.request-id').textContent()).toMatch(/^Request id: \S+/);
  });

  it('at 320 px (WCAG 1.4.10) no page scrolls sideways, and wide tables scroll by keyboard with no serious axe finding', async () => {
    await page.setViewportSize({ width: 320, height: 800 });
    try {
      for (const pathname of ['/', '/instances/acme', '/residency', '/audit', '/tokens', '/instances/acme/data?table=todos', '/instances/acme/console', '/query', '/backups', '/migrations']) {
        await page.goto(`${server.url}${pathname}`);
        await page.waitForLoadState('networkidle');
        const widths = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
        // What sticks out, named in the failure.
        const outside = await page.evaluate(() =>
          [...document.querySelectorAll('body *')]
            .filter((element) => element.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5 && !element.closest('.table-wrap, .cm-scroller'))
            .slice(0, 5)
            .map((element) => `${element.tagName.toLowerCase()}.${[...element.classList].join('.')}`),
        );
        expect(widths[0], `${pathname}: ${outside.join(', ')}`).toBeLessThanOrEqual(widths[1] ?? 0);
        // An axe run takes seconds on a busy machine: the poll's default second is too short for one.
        await expect.poll(() => seriousViolations(page), { message: pathname, timeout: 20_000 }).toEqual([]);
      }
      // The instance page's audit table is wider than the phone: a labelled region the keyboard can reach.
      await page.goto(`${server.url}/instances/acme`);
      const region = page.getByRole('region', { name: 'Audit entries (scrolls sideways)' });
      await region.waitFor();
      expect(await region.getAttribute('tabindex')).toBe('0');
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  it('Export .sqlite says it is preparing until the download starts, and a double click exports once', async () => {
    const exportsOfAcme = async (): Promise<number> => {
      const { stdout } = await siloCli(dataDir, ['audit', '--operation', 'export', '--instance', 'acme', '--json']);
      return (JSON.parse(stdout) as { items: unknown[] }).items.length;
    };
    const before = await exportsOfAcme();
    await page.goto(`${server.url}/instances/acme`);
    // Hydrated: React has put its props on the button (its submit handler is in place).
    await page.waitForFunction(() => Object.keys(document.querySelector('form[action$="/export"] button') ?? {}).some((key) => key.startsWith('__reactProps')));
    let requests = 0;
    const count = (request: { url(): string; method(): string }): void => {
      if (request.method() === 'POST' && request.url().endsWith('/instances/acme/export')) requests++;
    };
    page.on('request', count);
    try {
      const label = (): Promise<string> => page.evaluate(() => document.querySelector('form[action$="/export"] button')?.textContent ?? '');
      const download = page.waitForEvent('download');
      await page.locator('form[action$="/export"] button').dblclick();
      // The page watches for the download's start every 250 ms: busy until then at least.
      expect(await label()).toBe('Preparing the export…');
      expect(await page.evaluate(() => document.querySelector('form[action$="/export"] button')?.getAttribute('aria-disabled'))).toBe('true');
      expect(await (await download).path()).toBeTruthy();
      await expect.poll(label, { timeout: 10_000 }).toBe('Export .sqlite');
      expect(requests).toBe(1);
      expect(await exportsOfAcme()).toBe(before + 1);
    } finally {
      page.off('request', count);
    }
  });

  it('no page error anywhere', () => {
    expect(pageErrors).toEqual([]);
  });
});
