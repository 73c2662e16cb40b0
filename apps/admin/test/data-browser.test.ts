import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { openFleet } from '@silo/fleet';
import { Client, ensureBuilt, launchChromium, removeDir, signIn, startServer, tempDataDir, todoSchema, type AdminServer } from './helpers';

const EMAIL = 'data@example.com';
const PASSWORD = 'a-long-data-browser-password';

describe('data browser in a browser', () => {
  let server: AdminServer;
  let dataDir: string;
  let browser: Browser;
  let page: Page;
  const browserErrors: string[] = [];

  beforeAll(async () => {
    dataDir = tempDataDir();
    const fleet = await openFleet({ schema: await todoSchema(), dataDir });
    await fleet.create('shop', { jurisdiction: 'eu' });
    await fleet.withInstance('shop', async (db) => {
      await db.execute('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL, note TEXT)');
      await db.execute('CREATE INDEX items_price ON items (price)');
      await db.execute("CREATE TRIGGER items_named AFTER INSERT ON items BEGIN UPDATE items SET note = coalesce(note, 'new') WHERE id = NEW.id; END");
      await db.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 120) INSERT INTO items (id, name, price) SELECT i, 'item ' || i, CASE WHEN i % 7 = 0 THEN NULL ELSE i * 1.5 END FROM n",
      );
    });
    await fleet.close();
    await ensureBuilt();
    server = await startServer(dataDir, { ADMIN_EMAIL: EMAIL, ADMIN_PASSWORD: PASSWORD });
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('pageerror', (error) => browserErrors.push(error.message));
    page.on('dialog', (dialog) => void dialog.accept());
    await signIn(page, server.url, EMAIL, PASSWORD);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dataDir) removeDir(dataDir);
    expect(browserErrors).toEqual([]);
  });

  const firstColumn = async (): Promise<string[]> => page.locator('table.grid tbody tr td:first-child').allInnerTexts();

  it('lists tables with row counts and shows a schema; read-only has no editing affordance', async () => {
    await page.goto(`${server.url}/instances/shop`);
    await page.getByRole('link', { name: 'Browse data' }).click();
    await page.getByRole('navigation', { name: 'Tables' }).waitFor();
    expect(await page.locator('[data-table-name="items"] [data-row-count]').innerText()).toBe('120');
    await page.getByRole('navigation', { name: 'Tables' }).getByRole('link', { name: 'items' }).click();
    await page.getByTestId('grid-total').filter({ hasText: '120 rows' }).waitFor();
    await page.getByTestId('schema').locator('summary').click();
    const schema = await page.getByTestId('schema').innerText();
    for (const part of ['price', 'REAL', 'NOT NULL', 'PRIMARY KEY', 'items_price', 'items_named', 'CREATE TABLE items']) expect(schema).toContain(part);
    // Read-only: nothing to click that writes.
    expect(await page.locator('.cell-button').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Delete' }).count()).toBe(0);
    expect(await page.getByRole('heading', { name: 'Insert a row' }).count()).toBe(0);
    expect(await page.title()).toBe('Data · shop · Silo admin');
  });

  it('sorts, filters and pages by keyset', async () => {
    await page.goto(`${server.url}/instances/shop/data?table=items`);
    expect((await firstColumn()).slice(0, 3)).toEqual(['1', '2', '3']);
    await page.getByRole('link', { name: 'Next →' }).click();
    await page.waitForURL(/after=/);
    await expect.poll(async () => (await firstColumn())[0]).toBe('51');
    await page.getByRole('link', { name: '← Previous' }).click();
    await page.waitForURL(/before=/);
    await expect.poll(async () => (await firstColumn())[0]).toBe('1');
    // Price descending: the largest first, the NULL prices last (on the last page).
    await page.locator('[data-sort-column="price"]').click();
    await page.locator('th[aria-sort="ascending"] [data-sort-column="price"]').click();
    await page.waitForURL(/order=desc/);
    await expect.poll(async () => (await firstColumn())[0]).toBe('120');
    const pageOne = page.url();
    await page.getByRole('link', { name: 'Next →' }).click();
    await page.waitForURL((url) => url.toString() !== pageOne);
    const pageTwo = page.url();
    await page.getByRole('link', { name: 'Next →' }).click();
    await page.waitForURL((url) => url.toString() !== pageTwo);
    // The last three priced rows, then the NULL prices (by rowid, descending too).
    const nulls = Array.from({ length: 17 }, (_, i) => String(119 - i * 7));
    await expect.poll(firstColumn).toEqual(['3', '2', '1', ...nulls]);
    expect(await page.getByRole('link', { name: 'Next →' }).count()).toBe(0);
    await page.getByRole('link', { name: '← Previous' }).click();
    await page.waitForURL(/before=/);
    await expect.poll(async () => (await firstColumn()).at(-1)).toBe('4');
    // A filter.
    await page.getByLabel('Filter column').selectOption('name');
    await page.getByLabel('Comparison').selectOption('contains');
    await page.getByLabel('Value').fill('item 11');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByTestId('grid-total').filter({ hasText: '11 matching rows' }).waitFor();
  });

  it('edits a cell, inserts and deletes rows in write mode, each audited with old and new values', async () => {
    await page.goto(`${server.url}/instances/shop/data?table=items`);
    await page.getByTestId('mode-toggle').click();
    await page.waitForURL(/mode=write/);
    await page.getByRole('button', { name: 'Edit name: item 1', exact: true }).click();
    await page.getByLabel('New value of name').fill('renamed');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('.notice').filter({ hasText: 'Saved name.' }).waitFor();
    await page.getByRole('button', { name: 'Edit name: renamed' }).waitFor();

    await page.getByLabel('name TEXT').fill('added');
    await page.getByLabel('price REAL').fill('9.5');
    await page.getByRole('button', { name: 'Insert' }).click();
    await page.locator('.notice').filter({ hasText: 'Inserted a row into items.' }).waitFor();

    await page.locator('tr', { has: page.getByRole('button', { name: 'Edit name: item 2', exact: true }) }).getByRole('button', { name: 'Delete' }).click();
    await page.locator('.notice').filter({ hasText: 'Deleted the row.' }).waitFor();
    await page.getByTestId('grid-total').filter({ hasText: '120 rows' }).waitFor();

    const client = new Client(server.url);
    expect((await client.signIn(EMAIL, PASSWORD)).status).toBe(302);
    const audit = await (await client.get(`/audit?instance=shop&operation=${encodeURIComponent('query (write)')}`)).text();
    const decoded = audit.replaceAll('&quot;', '"');
    expect(decoded).toContain('"table":"items","key":{"rowid":1},"column":"name","old":"item 1","new":"renamed"');
    expect(decoded).toContain('"table":"items","new":{"name":"added","price":"9.5"}');
    expect(decoded).toContain('"table":"items","key":{"rowid":2},"old":{"id":2,"name":"item 2","price":3,"note":"new"}');
  });
});
