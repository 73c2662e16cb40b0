import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createListInBrowser, launchBrowser, signIn, type Browser, type Page } from './browser';
import { PASSWORD, createList, uniqueName } from './http';
import { startServer, type TestServer } from './server';

let server: TestServer;
let base: string;
let browser: Browser;
const downloads = mkdtempSync(path.join(tmpdir(), 'silo-todos-downloads-'));

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  base = server.url;
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
  rmSync(downloads, { recursive: true, force: true });
});

async function addTodo(page: Page, title: string): Promise<void> {
  await page.locator('.new-todo').fill(title);
  await page.locator('.new-todo').press('Enter');
  await page.locator('.todo-list li:not(.pending) label', { hasText: title }).waitFor();
  await page.waitForSelector('.todoapp:not([aria-busy])');
}

describe('creating a list in the browser', () => {
  it('shows a taken name inline and creates the list with a free one', async () => {
    const taken = uniqueName('taken');
    await createList(base, taken);
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(base);
    await page.getByLabel('List name').fill(taken);
    await page.getByLabel('Your email').fill('someone@example.test');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create list' }).click();
    await page.waitForSelector('#field-name-error');
    expect(await page.locator('#field-name-error').innerText()).toContain('is taken');
    expect(await page.getByLabel('List name').getAttribute('aria-invalid')).toBe('true');

    const name = uniqueName('browser');
    await createListInBrowser(page, base, name);
    expect(await page.locator('.new-todo').isVisible()).toBe(true);
    expect((await server.fleet()).find(name)?.state).toBe('ready');
    await context.close();
  });
});

describe('members', () => {
  it('the owner invites a member, who joins, signs out and signs in again; the link works once', async () => {
    const name = uniqueName('team');
    const owner = await browser.newContext();
    const ownerPage = await owner.newPage();
    await createListInBrowser(ownerPage, base, name);
    await addTodo(ownerPage, 'shared todo');
    await ownerPage.getByRole('link', { name: 'Settings', exact: true }).click();
    await ownerPage.getByRole('button', { name: 'Create an invite link' }).click();
    await ownerPage.locator('.invite-url').waitFor();
    const inviteUrl = await ownerPage.locator('.invite-url').inputValue();
    expect(inviteUrl).toMatch(new RegExp(`^${base}/t/${name}/invite/[A-Za-z0-9_-]{43}$`));

    const member = await browser.newContext();
    const memberPage = await member.newPage();
    await memberPage.goto(`${base}/t/${name}`);
    await memberPage.waitForURL(/\/sign-in/);
    expect(await memberPage.locator('body').innerText()).not.toContain('shared todo');

    await memberPage.goto(inviteUrl);
    await memberPage.getByLabel('Email').fill(`member@${name}.test`);
    await memberPage.getByLabel('Password').fill(PASSWORD);
    await memberPage.getByRole('button', { name: 'Join the list' }).click();
    await memberPage.waitForURL(`${base}/t/${name}`);
    await memberPage.locator('.todo-list').waitFor();
    expect(await memberPage.locator('.todo-list li label').allTextContents()).toEqual(['shared todo']);

    // Members see no owner-only settings.
    await memberPage.goto(`${base}/t/${name}/settings`);
    await memberPage.getByRole('heading', { name: 'Settings' }).waitFor();
    expect(await memberPage.getByRole('button', { name: 'Delete this list' }).count()).toBe(0);
    expect(await memberPage.getByRole('button', { name: 'Create an invite link' }).count()).toBe(0);

    await memberPage.getByRole('button', { name: 'Sign out' }).click();
    await memberPage.waitForURL(`${base}/t/${name}/sign-in`);
    await memberPage.getByRole('button', { name: 'Sign in' }).waitFor();
    await memberPage.goto(`${base}/t/${name}`);
    await memberPage.waitForURL(/\/sign-in/);
    await signIn(memberPage, base, name, `member@${name}.test`);
    expect(await memberPage.locator('.todo-list li label').allTextContents()).toEqual(['shared todo']);

    const again = await (await browser.newContext()).newPage();
    const response = await again.goto(inviteUrl);
    expect(response?.status()).toBe(404);
    await again.context().close();

    await ownerPage.reload();
    expect(await ownerPage.locator('.members').innerText()).toContain(`member@${name}.test`);
    await owner.close();
    await member.close();
  });
});

describe('settings', () => {
  it('renames, shows jurisdiction and region, downloads the database and JSON, then deletes after confirmation', async () => {
    const name = uniqueName('settings');
    const context = await browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    await createListInBrowser(page, base, name);
    await addTodo(page, 'keep me');
    await addTodo(page, 'and me');
    await page.getByRole('link', { name: 'Settings', exact: true }).click();
    await page.waitForURL(`${base}/t/${name}/settings`);
    await page.getByTestId('jurisdiction').waitFor();
    expect(await page.getByTestId('jurisdiction').innerText()).toBe('EU');
    expect(await page.getByTestId('region').innerText()).toBe('eu-west');

    await page.getByRole('textbox', { name: 'Display name' }).fill('Team Rocket');
    await page.getByRole('button', { name: 'Save name' }).click();
    await page.getByText('Saved.').waitFor();
    await expect.poll(() => page.locator('.topbar .brand').innerText()).toBe('Team Rocket');
    expect((await server.fleet()).find(name)?.displayName).toBe('Team Rocket');

    const [sqlite] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: /database \(\.sqlite/ }).click()]);
    expect(sqlite.suggestedFilename()).toBe(`${name}.sqlite`);
    const file = path.join(downloads, `${name}.sqlite`);
    await sqlite.saveAs(file);
    const db = new Database(file, { readonly: true });
    try {
      const rows = db.prepare('SELECT title, completed FROM todos ORDER BY id').all();
      expect(rows).toEqual([
        { title: 'keep me', completed: 0 },
        { title: 'and me', completed: 0 },
      ]);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
    }

    const [json] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: /todos \(\.json\)/ }).click()]);
    expect(json.suggestedFilename()).toBe(`${name}-todos.json`);
    const jsonFile = path.join(downloads, `${name}.json`);
    await json.saveAs(jsonFile);
    const { readFileSync } = await import('node:fs');
    const parsed = JSON.parse(readFileSync(jsonFile, 'utf8')) as { todos: { title: string }[] };
    expect(parsed.todos.map((todo) => todo.title)).toEqual(['keep me', 'and me']);

    await page.getByRole('textbox', { name: `Type “${name}” to confirm` }).fill('wrong');
    await page.getByRole('button', { name: 'Delete this list' }).click();
    await page.locator('#field-confirm-error').waitFor();
    expect((await server.fleet()).find(name)?.state).toBe('ready');

    await page.getByRole('textbox', { name: `Type “${name}” to confirm` }).fill(name);
    await page.getByRole('button', { name: 'Delete this list' }).click();
    await page.waitForURL(`${base}/?deleted=${name}`);
    expect(await page.getByRole('status').innerText()).toContain(name);
    expect((await server.fleet()).find(name)?.state).toBe('deleted');
    const gone = await page.goto(`${base}/t/${name}`);
    expect(gone?.status()).toBe(404);
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Not found');
    await context.close();
  });
});
