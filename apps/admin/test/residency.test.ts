/**
 * The residency page and its report download, over HTTP and in chromium: a real server on a
 * temporary fleet with EU and US instances; an EU database planted in the US region folder
 * must turn the page red and name the file.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { openFleet, type ResidencyListing, type ResidencyReportFile } from '@silo/fleet';
import { launchChromium, removeDir, signIn, signedInAdmin, tempDataDir, text, todoSchema, type AdminServer, type Client } from './helpers';

const EMAIL = 'admin@localhost';
const PASSWORD = 'residency-test-password-123';

describe('the residency page', () => {
  let server: AdminServer;
  let dataDir: string;
  let admin: Client;
  let acmeFile: string;

  beforeAll(async () => {
    dataDir = tempDataDir();
    const fleet = await openFleet({ schema: await todoSchema(), dataDir });
    await fleet.create('acme', { jurisdiction: 'eu', actor: 'seed' });
    await fleet.create('globex', { jurisdiction: 'us', actor: 'seed' });
    await fleet.clone('acme', 'acme-branch', { actor: 'seed' });
    const listing: ResidencyListing = await fleet.residency({ instance: 'acme' });
    acmeFile = listing.instances[0]?.places.find((place) => place.kind === 'database')?.location ?? '';
    await fleet.close();
    ({ server, admin } = await signedInAdmin({ dataDir, password: PASSWORD }));
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    if (dataDir) removeDir(dataDir);
  });

  it('lists every instance with its places, jurisdictions and filesystems; passes with the one-disk warning', async () => {
    const response = await admin.get('/residency');
    expect(response.status).toBe(200);
    const html = await response.text();
    const page = text(html);
    expect(page).toContain('Pass Every byte found is in a place of its own jurisdiction');
    expect(page).toContain(acmeFile);
    expect(page).toContain('cloned from acme');
    expect(page).toContain('SHARED_FILESYSTEM');
    expect(page).toContain('regions are labels, not places');
    expect(html).toContain('aria-label="Places holding globex"');
    expect(html).toMatch(/<a[^>]+href="\/residency"[^>]*>Residency<\/a>/);

    const one = text(await (await admin.get('/residency?instance=globex')).text());
    expect(one).toContain('globex');
    expect(one).not.toContain(acmeFile);
    const missing = await (await admin.get('/residency?instance=nobody')).text();
    expect(missing).toContain('role="alert"');
    expect(text(missing)).toContain('nobody');
  });

  it('downloads a report whose SHA-256 verifies, and the audit log records the admin and the hash', async () => {
    const response = await admin.post('/residency/report', { instance: '', format: 'json' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="residency-.+\.json"$/);
    const report = (await response.json()) as ResidencyReportFile;
    expect(createHash('sha256').update(JSON.stringify(report.listing)).digest('hex')).toBe(report.sha256);
    expect(response.headers.get('x-residency-sha256')).toBe(report.sha256);
    expect(report.producedBy).toBe(`admin:${EMAIL}`);
    const markdown = await admin.post('/residency/report', { instance: 'acme', format: 'md' });
    expect(markdown.headers.get('content-type')).toContain('text/markdown');
    expect(await markdown.text()).toContain('# Silo residency report: acme');
    const audit = text(await (await admin.get('/audit')).text());
    expect(audit).toContain('residency-report');
    expect(audit).toContain(report.sha256.slice(0, 16));
  });

  it('turns red and names the file when an EU database sits in the US region folder', async () => {
    const planted = path.join(dataDir, 'regions', 'us-east', 'tenants', path.basename(path.dirname(acmeFile)), 'acme.db');
    mkdirSync(path.dirname(planted), { recursive: true });
    copyFileSync(acmeFile, planted);
    try {
      const html = await (await admin.get('/residency')).text();
      expect(html).toMatch(/<p class="warning-box error" role="alert"[^>]*>/);
      const page = text(html);
      expect(page).toContain('Fail 1 violation, 0 orphans.');
      expect(page).toMatch(new RegExp(`acme eu ${planted.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} us`));
    } finally {
      rmSync(planted, { force: true });
    }
  });

  describe('in chromium', () => {
    let browser: Browser;
    let page: Page;
    const browserErrors: string[] = [];

    beforeAll(async () => {
      browser = await launchChromium();
      page = await browser.newPage();
      page.on('pageerror', (error) => browserErrors.push(error.message));
      await signIn(page, server.url, EMAIL, PASSWORD);
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
    });

    it('is reached from the main navigation and narrowed to one instance with the keyboard only', async () => {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Residency' }).click();
      await page.getByRole('heading', { name: 'Residency', level: 1 }).waitFor();
      const input = page.getByLabel('Instance (empty: the whole fleet)');
      await input.focus();
      await page.keyboard.type('globex');
      await page.keyboard.press('Enter');
      await page.waitForURL(/\/residency\?instance=globex$/);
      await page.getByRole('table', { name: 'Places holding globex', exact: true }).waitFor();
      await page.getByRole('table', { name: 'Places holding acme', exact: true }).waitFor({ state: 'detached' });
      expect(await page.getByRole('table', { name: /^Places holding/ }).count()).toBe(1);
      expect(await page.getByLabel('Format').inputValue()).toBe('json');
      expect(browserErrors).toEqual([]);
    });
  });
});
