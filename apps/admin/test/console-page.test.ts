import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { openFleet } from '@silo/fleet';
import { ensureBuilt, launchChromium, removeDir, signIn, startServer, tempDataDir, todoSchema, type AdminServer } from './helpers';

const EMAIL = 'console@example.com';
const PASSWORD = 'a-long-console-page-password';

const QUERIES = [
  'SELECT count(*) AS n FROM todos',
  "SELECT id, title, completed, created_at, updated_at FROM todos WHERE title LIKE '%quarterly planning and a very long title that goes on%' ORDER BY created_at DESC LIMIT 20",
  'SELECT 1',
  'SELECT name, type FROM sqlite_schema ORDER BY name',
];

describe('SQL console page in a browser', () => {
  let server: AdminServer;
  let dataDir: string;
  let browser: Browser;
  let page: Page;
  const browserErrors: string[] = [];

  beforeAll(async () => {
    dataDir = tempDataDir();
    const fleet = await openFleet({ schema: await todoSchema(), dataDir });
    await fleet.create('acme', { jurisdiction: 'eu' });
    for (let i = 1; i <= 6; i++) await fleet.create(`shop-${i}`, { jurisdiction: i % 2 ? 'eu' : 'us' });
    await fleet.close();
    await ensureBuilt();
    server = await startServer(dataDir, { ADMIN_EMAIL: EMAIL, ADMIN_PASSWORD: PASSWORD });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (error) => browserErrors.push(error.message));
    await signIn(page, server.url, EMAIL, PASSWORD);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dataDir) removeDir(dataDir);
    expect(browserErrors).toEqual([]);
  });

  async function run(sql: string): Promise<void> {
    const editor = page.locator('.cm-content');
    await editor.click();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(sql);
    await page.getByRole('button', { name: 'Run (read-only)' }).click();
    await page.getByTestId('query-result').waitFor();
    await page.locator('.history-sql', { hasText: sql.slice(0, 20) }).first().waitFor();
  }

  it('keeps the history readable after four queries, at 1280 and 390 px wide', async () => {
    await page.goto(`${server.url}/instances/acme/console`);
    for (const sql of QUERIES) await run(sql);
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      const layout = await page.evaluate(() => ({
        height: document.documentElement.scrollHeight,
        width: document.documentElement.scrollWidth,
        sqlWidths: [...document.querySelectorAll('.history-sql')].map((element) => element.getBoundingClientRect().width),
        sqlHeights: [...document.querySelectorAll('.history-sql')].map((element) => element.getBoundingClientRect().height),
      }));
      // It was 4,756 px tall with the history one character per line.
      expect(layout.height, `page height at ${width} px`).toBeLessThan(width === 1280 ? 1_800 : 2_600);
      expect(layout.width, `no sideways scrolling at ${width} px`).toBeLessThanOrEqual(width);
      expect(layout.sqlWidths).toHaveLength(4);
      for (const sqlWidth of layout.sqlWidths) expect(sqlWidth).toBeGreaterThan(200);
      // Four lines at most, however long the query.
      for (const sqlHeight of layout.sqlHeights) expect(sqlHeight).toBeLessThan(90);
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('keeps a wide result and a long line of SQL inside a 320 px screen (WCAG 1.4.10)', async () => {
    await page.goto(`${server.url}/instances/acme/console`);
    await page.setViewportSize({ width: 320, height: 800 });
    try {
      await run(`SELECT printf('%0300d', 1) AS wide, '${'x'.repeat(200)}' AS long_literal_in_a_long_line`);
      const widths = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
      expect(widths[0]).toBeLessThanOrEqual(widths[1] ?? 0);
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  });

  it('shows EXPLAIN QUERY PLAN as a tree, without running the statement', async () => {
    await page.goto(`${server.url}/instances/acme/console`);
    const editor = page.locator('.cm-content');
    await editor.click();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText('SELECT * FROM todos WHERE id = 1');
    await page.getByRole('button', { name: 'EXPLAIN QUERY PLAN' }).click();
    const plan = await page.getByTestId('query-plan').innerText();
    expect(plan).toMatch(/^QUERY PLAN\n.*SEARCH todos USING INTEGER PRIMARY KEY \(rowid=\?\)/);
  });

  it('groups fleet query errors by message, with a count', async () => {
    await page.goto(`${server.url}/query`);
    const editor = page.locator('.cm-content');
    await editor.click();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText('SELECT nope FROM todos');
    await page.getByRole('button', { name: 'Run on the fleet' }).click();
    await page.getByTestId('fq-progress').filter({ hasText: 'Finished: 7 of 7 instances' }).waitFor();
    const groups = page.getByTestId('fq-errors').locator('li');
    expect(await groups.count()).toBe(1);
    expect(await groups.first().getAttribute('data-error-count')).toBe('7');
    expect(await groups.first().innerText()).toMatch(/no such column: nope — 7 instances/);
  });

  it('saves queries per admin, loads and deletes them', async () => {
    await page.goto(`${server.url}/instances/acme/console`);
    const editor = page.locator('.cm-content');
    await editor.click();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText('SELECT count(*) AS open FROM todos WHERE completed = 0');
    await page.getByLabel("Name for the editor's query").fill('Open todos');
    await page.getByRole('button', { name: 'Save query' }).click();
    await page.locator('[data-saved-query="Open todos"]').waitFor();
    // Kept in the catalog: there after a reload, and on the fleet query page too.
    await page.goto(`${server.url}/query`);
    await page.getByText('Saved queries (1)').click();
    await page.locator('[data-saved-query="Open todos"]').getByRole('button', { name: /Load/ }).click();
    await expect.poll(() => page.locator('.cm-content').innerText()).toContain('completed = 0');
    await page.locator('[data-saved-query="Open todos"]').getByRole('button', { name: /Delete/ }).click();
    await page.locator('[data-saved-query="Open todos"]').waitFor({ state: 'detached' });
  });
});
