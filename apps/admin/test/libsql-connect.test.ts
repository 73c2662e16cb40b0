/**
 * The instance page's "Connect with libSQL" card in chromium (issue #15): copy the URL, create a
 * token with the keyboard (focus lands on it), copy it, connect with @libsql/client, and revoke
 * every token only after the confirmation is accepted.
 */
import { createClient, type Client as LibsqlClient } from '@libsql/client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFleet, type Fleet } from '@silo/fleet';
import { createServer, type RunningServer } from '@silo/server';
import { ensureBuilt, eventually, launchChromium, removeDir, signIn, startServer, tempDataDir, todoSchema, type AdminServer } from './helpers';

const EMAIL = 'admin@localhost';
const PASSWORD = 'libsql-connect-test-password-123';

describe('Connect with libSQL, in chromium', () => {
  let dataDir: string;
  let fleet: Fleet;
  let serve: RunningServer;
  let server: AdminServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];
  const clients: LibsqlClient[] = [];

  beforeAll(async () => {
    dataDir = tempDataDir();
    await ensureBuilt();
    fleet = await openFleet({ schema: await todoSchema(), dataDir });
    await fleet.create('acme', { jurisdiction: 'eu', actor: 'seed' });
    serve = await createServer({ fleet, port: 0, shutdownTimeoutMs: 0 });
    server = await startServer(dataDir, { ADMIN_PASSWORD: PASSWORD, SILO_SERVE_URL: `${serve.url}/` });
    browser = await launchChromium();
    context = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await signIn(page, server.url, EMAIL, PASSWORD);
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    await browser?.close();
    await server?.stop();
    await serve?.close();
    await fleet?.close();
    if (dataDir) removeDir(dataDir);
  });

  function connect(url: string, authToken: string): LibsqlClient {
    const client = createClient({ url, authToken });
    clients.push(client);
    return client;
  }

  const clipboard = (): Promise<string> => page.evaluate(() => navigator.clipboard.readText());
  const focusedId = (): Promise<string> => page.evaluate(() => document.activeElement?.id ?? '');

  it('copies the URL, creates a token from the keyboard with focus on it, and the token connects', async () => {
    await page.goto(`${server.url}/instances/acme`);
    const card = page.getByTestId('connect-card');
    await card.getByRole('heading', { name: 'Connect with libSQL' }).waitFor();
    const url = await card.getByLabel('libSQL URL', { exact: true }).inputValue();
    expect(url).toBe(`${serve.url}/db/acme`);

    await card.getByRole('button', { name: 'Copy the libSQL URL' }).click();
    await expect.poll(clipboard).toBe(url);
    await expect.poll(() => card.getByRole('status').first().textContent()).toBe('Copied');

    // Keyboard only: focus the submit button, press Enter; focus then lands on the new token.
    await card.getByRole('button', { name: 'Create a libSQL token' }).focus();
    await page.keyboard.press('Enter');
    const tokenField = card.getByLabel('New token: copy it now, it will not be shown again');
    await tokenField.waitFor();
    await expect.poll(focusedId).toBe('libsql-token');
    const token = await tokenField.inputValue();
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(await card.getByTestId('libsql-snippet').textContent()).toContain(`authToken: '${token}'`);

    await card.getByRole('button', { name: 'Copy the token' }).click();
    await expect.poll(clipboard).toBe(token);

    const db = connect(url, await clipboard());
    const rows = await db.execute("SELECT 'connected' AS state");
    expect(rows.rows[0]?.['state']).toBe('connected');
    expect(pageErrors).toEqual([]);
  });

  it('creates a read-only token that cannot write', async () => {
    await page.goto(`${server.url}/instances/acme`);
    const card = page.getByTestId('connect-card');
    await card.getByLabel('Read-only').check();
    await card.getByRole('button', { name: 'Create a libSQL token' }).click();
    const token = await card.getByTestId('libsql-token').inputValue();
    const db = connect(`${serve.url}/db/acme`, token);
    await expect(db.execute('CREATE TABLE not_allowed (id INTEGER)')).rejects.toThrow();
    expect((await db.execute('SELECT 1 AS one')).rows[0]?.['one']).toBe(1);
  });

  it('revokes every token only once the confirmation is accepted', async () => {
    await page.goto(`${server.url}/instances/acme`);
    const card = page.getByTestId('connect-card');
    await card.getByRole('button', { name: 'Create a libSQL token' }).click();
    const token = await card.getByTestId('libsql-token').inputValue();
    const db = connect(`${serve.url}/db/acme`, token);
    expect((await db.execute('SELECT 1 AS one')).rows[0]?.['one']).toBe(1);

    const dialogs: string[] = [];
    page.once('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await card.getByRole('button', { name: 'Revoke all tokens' }).click();
    await expect.poll(() => dialogs.length).toBe(1);
    expect(dialogs[0]).toContain('Revoke every libSQL token of acme?');
    // Dismissed: nothing was sent, the token still works past the servers' refresh.
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect((await db.execute('SELECT 1 AS one')).rows[0]?.['one']).toBe(1);

    page.once('dialog', (dialog) => void dialog.accept());
    await card.getByRole('button', { name: 'Revoke all tokens' }).click();
    await card.getByText(/revoked/i).first().waitFor();
    await eventually(async () => {
      await expect(connect(`${serve.url}/db/acme`, token).execute('SELECT 1')).rejects.toThrow(/401|invalid|revoked/i);
    });
    expect(pageErrors).toEqual([]);
  });
});
