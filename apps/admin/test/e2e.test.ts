import { afterAll, beforeAll, describe, expect, it as base } from 'vitest';
import type { Browser, ConsoleMessage, Page } from 'playwright-core';
import { defineTenantSchema, openFleet } from '@silo/fleet';
import { clickAgainAsItPosts, countPosts } from '../../todos/test/browser';
import { Client, ensureBuilt, launchChromium, removeDir, startServer, tempDataDir, text, todoExport, todoSchema, type AdminServer } from './helpers';

const EMAIL = 'ops@example.com';
const PASSWORD = 'a-very-long-e2e-password';

describe('admin console in a browser', () => {
  let server: AdminServer;
  let dataDir: string;
  let browser: Browser;
  let page: Page;
  let work: string;
  let sqliteFile: string;
  const browserErrors: string[] = [];

  beforeAll(async () => {
    dataDir = tempDataDir();
    const fleet = await openFleet({ schema: await todoSchema(), dataDir });
    for (const name of ['alpha', 'bravo', 'charlie']) await fleet.create(name, { jurisdiction: 'eu' });
    await fleet.create('delta', { jurisdiction: 'us' });
    await fleet.close();
    const old = await openFleet({ schema: defineTenantSchema({ id: 'todos', migrations: [] }), dataDir });
    await old.create('legacy', { jurisdiction: 'eu' });
    await old.close();
    work = tempDataDir();
    sqliteFile = await todoExport(work, 2);
    await ensureBuilt();
    server = await startServer(dataDir, { ADMIN_EMAIL: EMAIL, ADMIN_PASSWORD: PASSWORD });
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('pageerror', (error) => browserErrors.push(error.message));
    page.on('dialog', (dialog) => void dialog.accept());
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dataDir) removeDir(dataDir);
    if (work) removeDir(work);
  });

  /** Signs the shared page in through the form unless its session still holds; leaves it on the instances table. */
  async function signIn(): Promise<Page> {
    await page.goto(`${server.url}/`);
    if (new URL(page.url()).pathname === '/login') {
      await page.getByLabel('Email').fill(EMAIL);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
    }
    await page.getByRole('table', { name: 'Instances' }).waitFor();
    return page;
  }

  /** The same admin over HTTP, for state a test needs but does not exercise. */
  async function api(): Promise<Client> {
    const client = new Client(server.url);
    expect((await client.signIn(EMAIL, PASSWORD)).status).toBe(302);
    return client;
  }

  /**
   * Each test takes the browser page from a fixture that signs it in and makes the state the
   * test starts from (only when it is missing, so a whole run is unchanged): any test runs
   * alone with -t.
   */
  const it = base.extend<{ signedOut: Page; signedIn: Page; withEcho: Page; onEcho: Page; afterConsoleWrite: Page }>({
    // eslint-disable-next-line no-empty-pattern -- Vitest reads a fixture's dependencies from its destructuring.
    signedOut: async ({}, use) => {
      await page.context().clearCookies();
      await use(page);
    },
    // eslint-disable-next-line no-empty-pattern -- as above
    signedIn: async ({}, use) => {
      await use(await signIn());
    },
    // The instance the "creates an instance" test makes, counted by the fleet query and the overview.
    withEcho: async ({ signedIn }, use) => {
      const client = await api();
      if ((await client.get('/instances/echo')).status === 404) {
        expect((await client.post('/?index', { intent: 'create', name: 'echo', jurisdiction: 'eu' })).status).toBe(302);
      }
      await use(signedIn);
    },
    onEcho: async ({ withEcho }, use) => {
      await withEcho.goto(`${server.url}/instances/echo`);
      await withEcho.getByRole('heading', { name: /echo/ }).waitFor();
      await use(withEcho);
    },
    // The audited console write of the CodeMirror test, which the audit filter finds.
    afterConsoleWrite: async ({ signedIn }, use) => {
      const client = await api();
      const writes = await (await client.get(`/audit?operation=${encodeURIComponent('query (write)')}`)).text();
      if (/(^|\s)0 entries/.test(text(writes))) {
        await client.post('/instances/alpha/console', { sql: "INSERT INTO todos (title, created_at, updated_at) VALUES ('e2e', 1, 1)", mode: 'write' });
      }
      await use(signedIn);
    },
  });

  it('signs in through the form and lands on the instances table', async ({ signedOut: page }) => {
    await page.goto(`${server.url}/query`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill('wrong-password-here');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Wrong email or password.' }).waitFor();
    // The focus is on what to type again, not lost with the button that was disabled while sending.
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('password');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Fleet query' }).waitFor();
    await page.getByRole('link', { name: 'Instances' }).click();
    await page.getByRole('table', { name: 'Instances' }).waitFor();
    expect(await page.locator('tbody tr[data-instance]').count()).toBe(5);
  });

  it('sorts by a column header and filters with the form', async ({ signedIn: page }) => {
    await page.getByRole('link', { name: 'Name' }).click();
    await page.waitForURL(/order=desc/);
    await page.waitForFunction(() => document.querySelector('tbody tr[data-instance]')?.getAttribute('data-instance') === 'legacy');
    await page.getByRole('search', { name: 'Filter instances' }).getByLabel('Jurisdiction').selectOption('us');
    await page.waitForURL(/jurisdiction=us/);
    await page.waitForFunction(
      () => document.querySelectorAll('tbody tr[data-instance]').length === 1 && document.querySelector('tbody tr[data-instance]')?.getAttribute('data-instance') === 'delta',
    );
  });

  it('creates an instance, showing an inline error first', async ({ signedIn: page }) => {
    await page.goto(`${server.url}/`);
    await page.getByText('Create an instance').click();
    const form = page.getByRole('form', { name: 'Create an instance' });
    await form.getByLabel('Name', { exact: true }).fill('alpha');
    await form.getByRole('button', { name: 'Create' }).click();
    await page.locator('#create-error').filter({ hasText: 'is taken' }).waitFor();
    expect(await form.getByLabel('Name', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    await form.getByLabel('Name', { exact: true }).fill('echo');
    await form.getByRole('button', { name: 'Create' }).click();
    await page.waitForURL(/\/instances\/echo/);
    await page.getByRole('heading', { name: /echo/ }).waitFor();
  });

  it('deletes and undeletes from the instance page', async ({ onEcho: page }) => {
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByText('Deleted echo').waitFor();
    await page.getByRole('button', { name: 'Undelete' }).click();
    await page.getByText('Undeleted echo').waitFor();
  });

  it('runs SQL in the CodeMirror console, with completion and write mode', async ({ signedIn: page }) => {
    await page.goto(`${server.url}/instances/alpha/console`);
    const editor = page.locator('.cm-content');
    await editor.waitFor();
    await editor.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.type('SELECT * FROM tod');
    await page.keyboard.press('Control+Space');
    await page.locator('.cm-tooltip-autocomplete').getByText('todos').first().waitFor();
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+A');
    await page.keyboard.type("INSERT INTO todos (title, created_at, updated_at) VALUES ('e2e', 1, 1)");
    await page.keyboard.press('Control+Enter');
    await page.getByTestId('query-error').filter({ hasText: 'QUERY_READ_ONLY' }).waitFor();
    await page.getByLabel(/Write mode/).check();
    await page.getByText('Write mode is ON').waitFor();
    await page.getByRole('button', { name: 'Run as write' }).click();
    await page.getByTestId('query-result').filter({ hasText: '1 changed' }).waitFor();
    await page.getByRole('list').filter({ hasText: 'INSERT INTO todos' }).first().waitFor();
  });

  it('fleet query shows live progress, combined rows and per-instance errors', async ({ withEcho: page }) => {
    await page.goto(`${server.url}/query`);
    await page.locator('.cm-content').waitFor();
    await page.getByRole('button', { name: 'Run on the fleet' }).click();
    await page.getByTestId('fq-progress').filter({ hasText: 'Finished: 6 of 6 instances' }).waitFor();
    await page.getByTestId('fq-errors').filter({ hasText: 'legacy' }).waitFor();
    const rows = page.getByRole('table', { name: 'Combined results' }).locator('tbody tr');
    expect(await rows.count()).toBe(5);
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download CSV' }).click();
    expect((await download).suggestedFilename()).toMatch(/^fleet-query-.*\.csv$/);
  });

  it('migrates all with streamed progress and a results table', async ({ signedIn: page }) => {
    await page.goto(`${server.url}/migrations`);
    await page.getByTestId('behind').filter({ hasText: '1 instance is behind' }).waitFor();
    await page.getByRole('button', { name: 'Migrate all' }).click();
    await page.getByTestId('migrate-summary').filter({ hasText: 'Migrated 1' }).waitFor();
    await page.getByRole('table', { name: 'Migration results' }).getByText('legacy').waitFor();
    await page.getByTestId('behind').filter({ hasText: 'Every instance is up to date' }).waitFor();
  });

  it('filters the audit page', async ({ afterConsoleWrite: page }) => {
    await page.goto(`${server.url}/audit`);
    await page.getByLabel('Operation').fill('query (write)');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByTestId('audit-total').filter({ hasText: '1 entries' }).waitFor();
    await page.getByRole('table', { name: 'Audit entries' }).getByText(`admin:${EMAIL}`).first().waitFor();
  });

  it('shows the overview: cards and a chart of created instances and active tenants', async ({ withEcho: page }) => {
    const consoleErrors: string[] = [];
    const onConsole = (message: ConsoleMessage): void => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    };
    page.on('console', onConsole);
    try {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Overview' }).click();
      await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
      expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link').first().textContent()).toBe('Overview');
      const figure = page.locator('figure.chart');
      // The chart is drawn after hydration: an svg with one bar per non-empty day and series.
      await figure.locator('svg .recharts-bar-rectangle').first().waitFor();
      // Two bar series (created, active that day) and a line (active that week).
      expect(await figure.locator('svg .recharts-bar').count()).toBe(2);
      expect(await figure.locator('.recharts-legend-item').count()).toBe(3);
      await figure.getByText('Instances created, and active tenants per day and week').first().waitFor();
      expect(await page.locator('[data-stat="total"] .stat-value').textContent()).toBe('6');
      expect(await page.locator('[data-stat="jurisdiction-us"] .stat-value').textContent()).toBe('1');
      await page.locator('[data-stat="state-ready"] a').click();
      await page.waitForURL(/\?state=ready/);
      await page.getByRole('table', { name: 'Instances' }).waitFor();
      expect(consoleErrors).toEqual([]);
    } finally {
      page.off('console', onConsole);
    }
  });

  it('imports a .sqlite file through the import form', async ({ signedIn: page }) => {
    await page.goto(`${server.url}/`);
    await page.getByText('Import a .sqlite file').click();
    const form = page.getByRole('form', { name: 'Import an instance' });
    await form.getByLabel('SQLite file').setInputFiles(sqliteFile);
    await form.getByLabel('New instance name').fill('imported');
    await form.getByRole('button', { name: 'Import' }).click();
    await page.waitForURL(/\/instances\/imported\?imported=1/);
    await page.getByText('Imported.', { exact: true }).first().waitFor();
    await page.getByRole('heading', { name: /imported/ }).waitFor();
  });

  it('an unknown address is a 404 page inside the console, with its navigation; signed out it is the sign-in page only', async ({ signedIn: page }) => {
    for (const pathname of ['/no-such-page', '/instances/no-such-instance']) {
      const response = await page.goto(`${server.url}${pathname}`);
      expect(response?.status(), pathname).toBe(404);
      await page.getByRole('heading', { level: 1, name: 'Not found' }).waitFor();
      expect(await page.title()).toBe('Not found · Silo admin');
      const navigation = page.getByRole('navigation', { name: 'Main' });
      expect(await navigation.getByRole('link').allTextContents()).toEqual(['Overview', 'Instances', 'Fleet query', 'Migrations', 'Backups', 'Residency', 'Audit log', 'API tokens']);
      expect(await page.getByRole('banner').getByRole('button', { name: 'Sign out' }).count()).toBe(1);
    }
    await page.getByRole('main').getByRole('link', { name: 'Back to the instances' }).click();
    await page.getByRole('table', { name: 'Instances' }).waitFor();
    // Signed out, an unknown address and a known one get the same answer: sign in first.
    await page.context().clearCookies();
    for (const pathname of ['/no-such-page', '/instances/no-such-instance', '/instances/alpha']) {
      await page.goto(`${server.url}${pathname}`);
      expect(`${new URL(page.url()).pathname}${new URL(page.url()).search}`).toBe(`/login?next=${encodeURIComponent(pathname)}`);
      expect(await page.getByRole('navigation', { name: 'Main' }).count()).toBe(0);
      expect(await page.locator('body').innerText()).not.toContain('Not found');
    }
  });

  it('a second click as the first one’s request leaves sends nothing: signs in once, creates once, deletes once', async ({ signedOut: page }) => {
    /** Until React has hydrated the page, a click submits the form without it. */
    const hydrated = (): Promise<unknown> => page.waitForFunction(() => Object.keys(document.querySelector('button[type="submit"]') ?? {}).some((key) => key.startsWith('__reactProps')));
    await page.goto(`${server.url}/login`);
    await hydrated();
    const signIns = countPosts(page, '/login');
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    expect(await clickAgainAsItPosts(page.getByRole('button', { name: 'Sign in' }))).toBe(true);
    await page.getByRole('table', { name: 'Instances' }).waitFor();
    expect(signIns()).toBe(1);

    await hydrated();
    const creates = countPosts(page, '/');
    await page.getByText('Create an instance').click();
    const form = page.getByRole('form', { name: 'Create an instance' });
    await form.getByLabel('Name', { exact: true }).fill('foxtrot');
    expect(await clickAgainAsItPosts(form.getByRole('button', { name: 'Create' }))).toBe(true);
    await page.waitForURL(/\/instances\/foxtrot\?created=1/);
    await page.getByRole('heading', { name: /foxtrot/ }).waitFor();
    expect(await page.getByText('Created.', { exact: true }).count()).toBe(1);
    expect(creates()).toBe(1);

    await hydrated();
    const deletes = countPosts(page, '/instances/foxtrot');
    // The page's confirm() is accepted (the dialog handler above), once per click that asks.
    expect(await clickAgainAsItPosts(page.getByRole('button', { name: 'Delete', exact: true }))).toBe(true);
    await page.getByText('Deleted foxtrot').waitFor();
    await page.waitForLoadState('networkidle');
    expect(deletes()).toBe(1);
    const client = await api();
    expect(text(await (await client.get('/audit?instance=foxtrot&operation=delete')).text())).toMatch(/(^|\s)1 entries/);
    // Left as the other tests expect the fleet.
    expect((await client.post('/instances/foxtrot', { intent: 'purge', confirmName: 'foxtrot' })).status).toBe(302);
  });

  it('without JavaScript, Create pressed again before the first answer came creates once and lands on that instance', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    try {
      const page = await context.newPage();
      await page.goto(`${server.url}/login`);
      await page.getByLabel('Email').fill(EMAIL);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('table', { name: 'Instances' }).waitFor();
      await page.getByText('Create an instance').click();
      const form = page.getByRole('form', { name: 'Create an instance' });
      await form.getByLabel('Name', { exact: true }).fill('golf');
      const button = form.getByRole('button', { name: 'Create' });
      const box = await button.boundingBox();
      if (!box) throw new Error('the Create button is not on screen');
      // The mouse itself: a locator's click would wait for the first post's navigation to end.
      const press = (): Promise<void> => page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
      const posts = countPosts(page, '/');
      const answers: number[] = [];
      page.on('response', (response) => {
        if (response.request().method() === 'POST') answers.push(response.status());
      });
      // The first post goes to the server and is done there (the instance exists); before the
      // browser has its answer, Create is pressed again: the browser drops the first post's
      // navigation and posts the form once more, as a double click on a slow answer does.
      let firstAnswer: number | undefined;
      await page.route(
        (url) => url.pathname === '/',
        async (route) => {
          if (route.request().method() !== 'POST' || firstAnswer !== undefined) return route.continue();
          firstAnswer = (await route.fetch({ maxRedirects: 0 })).status();
          await press();
          await route.abort();
        },
      );
      await press();
      // Whichever page the second post's answer is: the new instance's, or the form with an error.
      await page.locator('h1:has-text("golf"), #create-error').first().waitFor();
      expect(await page.locator('#create-error').count()).toBe(0);
      expect(page.url()).toBe(`${server.url}/instances/golf?created=1`);
      expect(await page.getByText('Created.', { exact: true }).count()).toBe(1);
      expect(firstAnswer).toBe(302);
      expect(posts()).toBe(2);
      // The second post's own answer led here: the server answered it with a redirect.
      expect(answers).toContain(302);
      // One create, and no refused one.
      const client = await api();
      expect(text(await (await client.get('/audit?instance=golf&operation=create')).text())).toMatch(/(^|\s)1 entries/);
      // Left as the other tests expect the fleet.
      await client.post('/instances/golf', { intent: 'delete', confirmed: 'yes' });
      expect((await client.post('/instances/golf', { intent: 'purge', confirmName: 'golf' })).status).toBe(302);
    } finally {
      await context.close();
    }
  });

  it('raised no errors in the browser', () => {
    expect(browserErrors).toEqual([]);
  });
});
