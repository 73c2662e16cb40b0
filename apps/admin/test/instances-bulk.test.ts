/**
 * The instance list's bulk actions, its CSV/JSON downloads, the Ctrl/Cmd+K palette and the
 * Clone form's "as of" (issue 17), in Chromium against the built admin on a real fleet.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { AxeBuilder } from '@axe-core/playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Download, Page } from 'playwright-core';
import { openFleet } from '@silo/fleet';
import { ensureBuilt, launchChromium, removeDir, siloCli, signIn, startServer, tempDataDir, todoSchema, type AdminServer } from './helpers';

const EMAIL = 'bulk@example.com';
const PASSWORD = 'a-long-bulk-actions-password';
const TENANTS = Array.from({ length: 30 }, (_, index) => `t-${String(index + 1).padStart(2, '0')}`);

/** The entries of a tar archive: name and bytes. */
function untar(archive: Buffer): { name: string; data: Buffer }[] {
  const entries: { name: string; data: Buffer }[] = [];
  for (let offset = 0; offset + 512 <= archive.length; ) {
    const header = archive.subarray(offset, offset + 512);
    if (header.every((byte) => byte === 0)) break;
    const name = header.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
    const size = Number.parseInt(header.subarray(124, 136).toString('utf8').replace(/\0.*$/s, ''), 8);
    let sum = 0;
    header.forEach((byte, index) => (sum += index >= 148 && index < 156 ? 0x20 : byte));
    expect(Number.parseInt(header.subarray(148, 156).toString('utf8'), 8)).toBe(sum);
    entries.push({ name, data: archive.subarray(offset + 512, offset + 512 + size) });
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return entries;
}

async function downloaded(download: Download): Promise<Buffer> {
  const file = await download.path();
  return readFileSync(file);
}

/** `silo <args> --json` against the server's fleet, parsed. */
async function cliJson<T>(dataDir: string, args: readonly string[]): Promise<T> {
  const run = await siloCli(dataDir, [...args, '--json']);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as T;
}

describe('instance list: bulk actions, downloads, palette and clone as of', () => {
  let server: AdminServer;
  let dataDir: string;
  let browser: Browser;
  let page: Page;
  const browserErrors: string[] = [];

  beforeAll(async () => {
    dataDir = tempDataDir();
    const fleet = await openFleet({ schema: await todoSchema(), dataDir });
    for (const name of TENANTS) await fleet.create(name, { jurisdiction: 'eu' });
    await fleet.create('gone-1', { jurisdiction: 'eu' });
    await fleet.create('gone-2', { jurisdiction: 'eu' });
    await fleet.create('keep-us', { jurisdiction: 'us' });
    await fleet.delete('gone-1');
    await fleet.delete('gone-2');
    await fleet.close();
    await ensureBuilt();
    server = await startServer(dataDir, { ADMIN_EMAIL: EMAIL, ADMIN_PASSWORD: PASSWORD, SILO_BACKUPS: 'on', SILO_BACKUP_INTERVAL_SEC: '3600', SILO_BACKUP_VERIFY_SAMPLE: '0' });
    browser = await launchChromium();
    page = await (await browser.newContext({ acceptDownloads: true })).newPage();
    page.on('pageerror', (error) => browserErrors.push(error.message));
    await signIn(page, server.url, EMAIL, PASSWORD);
  });

  /** The list's checkboxes are enabled once its script runs. */
  const hydrated = (): Promise<void> => page.locator('thead input[type="checkbox"]:not([disabled])').waitFor();

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dataDir) removeDir(dataDir);
    expect(browserErrors).toEqual([]);
  });

  it('backs up all instances matching the filter, not just the page, with failures grouped by message', async () => {
    await page.goto(`${server.url}/?jurisdiction=eu`);
    await page.getByText(/^32 matching · schema/).waitFor();
    await hydrated();
    await page.getByRole('checkbox', { name: 'Select all on this page' }).check();
    expect(await page.locator('tbody input[type="checkbox"]:checked').count()).toBe(25);
    await page.getByText('25 selected.').waitFor();
    await page.getByRole('button', { name: 'Select all 32 matching the filter' }).click();
    await page.getByText('All 32 instances matching the filter are selected.').waitFor();
    await page.getByRole('button', { name: 'Back up now' }).click();
    await page.getByTestId('bulk-progress').filter({ hasText: /^Backed up: 30 done · 2 failed · 0 remaining/ }).waitFor({ timeout: 60_000 });
    // The two deleted instances fail with one message: one line, counted, naming both.
    const groups = page.getByRole('list', { name: 'Failures' }).getByRole('listitem');
    expect(await groups.count()).toBe(1);
    expect(await groups.first().getAttribute('data-error-count')).toBe('2');
    expect(await groups.first().innerText()).toMatch(/gone-1, gone-2/);
    // One audited operation per instance, by this admin.
    const audit = await cliJson<{ items: { instance: string; actor: string; outcome: string }[] }>(dataDir, ['audit', '--operation', 'backup', '--limit', '100']);
    const ok = audit.items.filter((entry) => entry.outcome === 'ok');
    expect(new Set(ok.map((entry) => entry.instance))).toEqual(new Set(TENANTS));
    expect(ok.every((entry) => entry.actor.includes(EMAIL))).toBe(true);
  });

  it('deletes the checked instances after a confirmation, from the keyboard', async () => {
    await page.goto(`${server.url}/?jurisdiction=eu`);
    await hydrated();
    const first = page.getByRole('checkbox', { name: 'Select t-01' });
    await first.focus();
    await page.keyboard.press('Space');
    await page.getByRole('checkbox', { name: 'Select t-02' }).focus();
    await page.keyboard.press('Space');
    await page.getByText('2 selected.').waitFor();
    const deleteButton = page.getByRole('button', { name: 'Delete…' });
    await deleteButton.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Delete 2 instances?' });
    await dialog.waitFor();
    // Cancel has the focus: Enter or Escape there deletes nothing.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Cancel');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Delete…');
    expect((await cliJson<{ state: string }>(dataDir, ['show', 't-01'])).state).toBe('ready');
    await page.keyboard.press('Enter');
    await dialog.getByRole('button', { name: 'Delete 2' }).click();
    await page.getByTestId('bulk-progress').filter({ hasText: /^Deleted: 2 done · 0 failed/ }).waitFor();
    await page.locator('tr[data-instance="t-01"] [data-column="state"]').filter({ hasText: 'deleted' }).waitFor();
    expect((await cliJson<{ state: string }>(dataDir, ['show', 't-02'])).state).toBe('deleted');
    // The selection was used up.
    await page.getByText('Select instances to act on several at once.').waitFor();
  });

  it('migrates the checked instances, one audited migration each', async () => {
    await page.goto(`${server.url}/?jurisdiction=eu&q=t-1`);
    await hydrated();
    await page.getByRole('checkbox', { name: 'Select t-10' }).check();
    await page.getByRole('checkbox', { name: 'Select t-11' }).check();
    await page.getByRole('button', { name: 'Migrate' }).click();
    await page.getByTestId('bulk-progress').filter({ hasText: /^Migrated: 2 done · 0 failed/ }).waitFor();
    const audit = await cliJson<{ items: { instance: string }[] }>(dataDir, ['audit', '--operation', 'migrate']);
    expect(audit.items.map((entry) => entry.instance).sort()).toEqual(['t-10', 't-11']);
  });

  it('exports the checked instances as one .tar.gz whose report names what failed', async () => {
    await page.goto(`${server.url}/?jurisdiction=eu&q=t-0`);
    await hydrated();
    for (const name of ['t-03', 't-04', 't-05']) await page.getByRole('checkbox', { name: `Select ${name}` }).check();
    // t-05 goes away after it was checked: the others are exported all the same.
    expect((await siloCli(dataDir, ['delete', 't-05'])).code).toBe(0);
    expect((await siloCli(dataDir, ['purge', 't-05', '--yes'])).code).toBe(0);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export (.tar.gz)' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^silo-export-.*\.tar\.gz$/);
    const entries = untar(gunzipSync(await downloaded(download)));
    const names = entries.map((entry) => entry.name);
    expect(names.filter((name) => name.endsWith('.sqlite'))).toHaveLength(2);
    expect(names.some((name) => name.startsWith('t-03'))).toBe(true);
    expect(names.some((name) => name.startsWith('t-04'))).toBe(true);
    for (const entry of entries.filter((e) => e.name.endsWith('.sqlite'))) expect(entry.data.subarray(0, 16).toString('latin1')).toBe('SQLite format 3\0');
    const report = JSON.parse(entries.find((entry) => entry.name === 'export-report.json')?.data.toString('utf8') ?? '{}') as {
      requested: number;
      exported: unknown[];
      failed: { code: string; count: number; instances: string[] }[];
    };
    expect(report.requested).toBe(3);
    expect(report.exported).toHaveLength(2);
    expect(report.failed).toEqual([expect.objectContaining({ code: 'INSTANCE_NOT_FOUND', count: 1, instances: ['t-05'] })]);
  });

  it('downloads the list as CSV and JSON with the filters and sort of the table, every page', async () => {
    await page.goto(`${server.url}/?jurisdiction=eu&state=ready&sort=name&order=desc&size=25`);
    const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'CSV' }).click()]);
    const lines = (await downloaded(csvDownload)).toString('utf8').trimEnd().split('\n');
    const header = lines[0]?.split(',') ?? [];
    expect(header.slice(0, 3)).toEqual(['name', 'display_name', 'state']);
    expect(header).toContain('metric:todos');
    // 30 created, t-01 and t-02 deleted, t-05 purged: 27 ready, more than a page.
    const rows = lines.slice(1).map((line) => line.split(','));
    expect(rows).toHaveLength(27);
    expect(rows[0]?.[0]).toBe('t-30');
    expect(rows.at(-1)?.[0]).toBe('t-03');
    expect(rows[0]?.[header.indexOf('created_at')]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    const [jsonDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'JSON' }).click()]);
    const items = JSON.parse((await downloaded(jsonDownload)).toString('utf8')) as { name: string; state: string; created_at: string }[];
    expect(items.map((item) => item.name)).toEqual(rows.map((row) => row[0]));
    expect(items.every((item) => item.state === 'ready')).toBe(true);
  });

  it('opens a command palette with Ctrl+K: pages and instances, arrows, Enter, Escape', async () => {
    await page.goto(`${server.url}/overview`);
    const opener = page.getByRole('link', { name: 'Backups' });
    const dialog = page.getByRole('dialog', { name: 'Command palette' });
    const combobox = dialog.getByRole('combobox', { name: 'Go to a page or an instance' });
    // Pressed again until the page is hydrated and listening: under load a key pressed
    // before hydration reaches no listener.
    await expect
      .poll(
        async () => {
          await opener.focus();
          await page.keyboard.press('Control+k');
          return dialog.isVisible();
        },
        { timeout: 20_000 },
      )
      .toBe(true);
    await combobox.waitFor();
    expect(await combobox.evaluate((element) => element === document.activeElement)).toBe(true);
    const violations = (await new AxeBuilder({ page }).include('dialog.palette').withTags(['wcag2a', 'wcag2aa']).analyze()).violations.filter(
      (violation) => violation.impact === 'serious' || violation.impact === 'critical',
    );
    expect(violations.map((violation) => violation.id)).toEqual([]);
    // Escape closes it and gives the focus back.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(await opener.evaluate((element) => element === document.activeElement)).toBe(true);
    // A page by name.
    await page.keyboard.press('Control+k');
    await combobox.fill('audit');
    await dialog.getByRole('option', { name: 'Audit log' }).waitFor();
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/audit$/);
    // An instance, searched in the catalog; the arrows move the active option.
    // Cmd+K (macOS) opens it as well.
    await page.keyboard.press('Meta+k');
    await dialog.waitFor();
    await combobox.fill('t-2');
    await dialog.getByRole('option', { name: 't-21 ready' }).waitFor();
    const activeName = async (): Promise<string | null> => combobox.evaluate((input) => document.getElementById(input.getAttribute('aria-activedescendant') ?? '')?.textContent ?? null);
    expect(await activeName()).toMatch(/^t-20/);
    await page.keyboard.press('ArrowDown');
    expect(await activeName()).toBe('t-20: SQL console');
    await page.keyboard.press('ArrowDown');
    expect(await activeName()).toMatch(/^t-21/);
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/instances\/t-21$/);
    await page.getByRole('heading', { name: /^t-21/ }).waitFor();
  });

  it('clones an instance as of a moment, from its newest backup point at or before it (UTC)', async () => {
    // t-06 was backed up by the first test; a todo written after that is not in the clone.
    const before = new Date(Date.now() - 500);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const write = await siloCli(dataDir, ['query', 't-06', "INSERT INTO todos (title, completed, created_at, updated_at) VALUES ('after', 0, 0, 0)", '--write']);
    expect(write.code, write.stderr).toBe(0);
    await page.goto(`${server.url}/instances/t-06`);
    const clone = page.getByRole('form', { name: 'Clone' });
    await clone.getByLabel('As of (optional, UTC)').fill('yesterday-ish');
    await clone.getByRole('button', { name: 'Clone' }).click();
    await page.getByRole('alert').filter({ hasText: '"yesterday-ish" is not a moment' }).waitFor();
    // The same moment written with a +01:00 offset.
    const local = new Date(before.getTime() + 3_600_000).toISOString().replace('Z', '+01:00');
    await clone.getByLabel('Clone as (optional)').fill('t-06-before');
    await clone.getByLabel('As of (optional, UTC)').fill(local);
    await clone.getByRole('button', { name: 'Clone' }).click();
    await page.waitForURL(/\/instances\/t-06-before\?/);
    await page.getByText(`Clone created as of ${before.toISOString()} (UTC), from the backup point of`).waitFor();
    const count = async (name: string): Promise<number> => {
      const result = await cliJson<{ rows: { n: number }[] }>(dataDir, ['query', name, 'SELECT count(*) AS n FROM todos']);
      return Number(result.rows[0]?.n);
    };
    expect(await count('t-06')).toBe(1);
    expect(await count('t-06-before')).toBe(0);
  });
});
