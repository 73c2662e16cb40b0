/**
 * The backups panel and page, over HTTP and in chromium: a real server (running the backup
 * scheduler) on a temporary fleet; a stored backup is damaged on disk to see verification fail.
 */
import { readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { openFleet } from '@silo/fleet';
import { launchChromium, removeDir, signIn, signedInAdmin, tempDataDir, text, todoSchema, type AdminServer, type Client } from './helpers';

const EMAIL = 'admin@localhost';
const PASSWORD = 'backups-test-password-123';

/** The point's time, from its id (13 digits of milliseconds first). */
function takenAtOf(pointId: string): number {
  return Number(pointId.slice(0, 13));
}

function pointIdIn(message: string): string {
  const id = /point (\d{13}-[a-z]+-[0-9a-f]+)/.exec(message)?.[1];
  if (!id) throw new Error(`no point id in: ${message}`);
  return id;
}

/** Every file below `dir`. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

/** Overwrites every stored chunk of the instance `name` (its manifests name it) with garbage. */
function damageBackups(dataDir: string, name: string): number {
  const manifests = filesUnder(path.join(dataDir, 'regions')).filter(
    (file) => file.includes(`${path.sep}backups${path.sep}`) && file.endsWith('.json') && readFileSync(file, 'utf8').includes(`"name":"${name}"`),
  );
  const chunkDirs = new Set(manifests.map((file) => path.join(path.dirname(path.dirname(file)), 'chunks')));
  let damaged = 0;
  for (const dir of chunkDirs) {
    for (const file of filesUnder(dir)) {
      writeFileSync(file, Buffer.from('not what was stored'));
      damaged++;
    }
  }
  return damaged;
}

describe('backups in the admin console', () => {
  let server: AdminServer;
  let dataDir: string;
  let admin: Client;

  /** The todo titles of an instance joined with "+", read through the console (as an operator would check). */
  async function titles(name: string): Promise<string> {
    const html = await (await admin.post(`/instances/${name}/console`, { sql: "SELECT group_concat(title, '+') AS joined FROM todos" })).text();
    const result = text(/data-testid="query-result"[\s\S]*?<\/table>/.exec(html)?.[0] ?? '');
    const joined = / ?joined (\S+)/.exec(result)?.[1];
    if (joined === undefined) throw new Error(`no result on the console page of ${name}`);
    return joined;
  }

  async function backUpNow(name: string): Promise<string> {
    const response = await admin.post(`/instances/${name}`, { intent: 'backup-now' });
    expect(response.status).toBe(200);
    return pointIdIn(text(await response.text()));
  }

  // The state some tests start from is what an earlier test leaves. These make it when it is
  // missing (a test run alone with -t), and leave a whole run unchanged.

  /** acme holds "before+after", as the restore-as-new test leaves it. */
  async function acmeWithAfter(): Promise<void> {
    if ((await titles('acme')) === 'before') {
      await admin.post('/instances/acme/console', { sql: "INSERT INTO todos (title, created_at, updated_at) VALUES ('after', 2, 2)", mode: 'write' });
    }
  }

  /**
   * The scheduler's start-up cycle is over, as it is long before the failing-location test in a
   * whole run: a cycle still running would back up into the folder that test swaps for a file.
   */
  async function startUpCycleDone(): Promise<void> {
    await expect.poll(async () => text(await (await admin.get('/backups')).text()), { timeout: 30_000 }).toMatch(/Last cycle .*\d+ scanned/);
  }

  /** hurt has a backup point whose stored chunks are damaged, as the verification test leaves it. */
  async function hurtDamaged(): Promise<void> {
    const damaged = filesUnder(path.join(dataDir, 'regions')).some((file) => file.includes(`${path.sep}chunks${path.sep}`) && readFileSync(file, 'utf8') === 'not what was stored');
    if (damaged) return;
    await backUpNow('hurt');
    expect(damageBackups(dataDir, 'hurt')).toBeGreaterThan(0);
  }

  beforeAll(async () => {
    dataDir = tempDataDir();
    const fleet = await openFleet({ schema: await todoSchema(), dataDir });
    for (const name of ['acme', 'hurt', 'spare']) {
      await fleet.create(name, { jurisdiction: 'eu', actor: 'seed' });
      await fleet.query(name, "INSERT INTO todos (title, created_at, updated_at) VALUES ('before', 1, 1)", undefined, { readOnly: false });
    }
    await fleet.close();
    // One scheduled cycle at start-up (then an hour's wait): the page shows a live scheduler.
    ({ server, admin } = await signedInAdmin({ dataDir, password: PASSWORD, env: { SILO_BACKUPS: 'on', SILO_BACKUP_INTERVAL_SEC: '3600', SILO_BACKUP_VERIFY_SAMPLE: '0' } }));
  });

  afterAll(async () => {
    await server?.stop();
    if (dataDir) removeDir(dataDir);
  });

  it('starts the scheduler in the server and shows it on the backups page', async () => {
    expect(server.output()).toContain('backups every 3600 s');
    const page = text(await (await admin.get('/backups')).text());
    expect(page).toContain('Running in');
    expect(page).toContain('eu-west');
    expect(page).toContain('Automatic: changed instances are backed up every 1 h');
  });

  it('"Back up now" adds a point the panel lists, audited with the admin', async () => {
    const id = await backUpNow('spare');
    const html = await (await admin.get('/instances/spare')).text();
    expect(html).toContain(`data-point="${id}"`);
    expect(html).toContain('aria-label="Backup points"');
    expect(text(html)).toContain('backed up now');
    const audit = text(await (await admin.get('/audit?instance=spare&operation=backup')).text());
    expect(audit).toContain(`admin:${EMAIL}`);
  });

  it('refuses backup actions without the CSRF token or from another site', async () => {
    expect((await admin.post('/instances/spare', { intent: 'backup-now' }, { csrf: false })).status).toBe(403);
    expect([400, 403]).toContain((await admin.post('/instances/spare', { intent: 'backup-now' }, { origin: 'https://evil.example' })).status);
    expect((await admin.post('/backups', { sample: '5' }, { csrf: false })).status).toBe(403);
    expect((await admin.post('/instances/spare', { intent: 'backup-restore', mode: 'in-place', confirm: 'spare', point: String(Date.now()) }, { csrf: false })).status).toBe(403);
  });

  it('restores as a new instance, with inline errors for a bad name, a taken name and a moment before any point', async () => {
    const id = await backUpNow('acme');
    await admin.post('/instances/acme/console', { sql: "INSERT INTO todos (title, created_at, updated_at) VALUES ('after', 2, 2)", mode: 'write' });
    const point = String(takenAtOf(id));

    const bad = await admin.post('/instances/acme', { intent: 'backup-restore', mode: 'new', point, newName: 'Bad Name' });
    expect(bad.status).toBe(400);
    const badHtml = await bad.text();
    expect(badHtml).toContain('id="restore-newName-error"');
    expect(badHtml).toMatch(/id="restore-newName"[^>]*aria-invalid="true"/);
    const taken = text(await (await admin.post('/instances/acme', { intent: 'backup-restore', mode: 'new', point, newName: 'hurt' })).text());
    expect(taken).toContain('is taken');
    const early = await (await admin.post('/instances/acme', { intent: 'backup-restore', mode: 'new', moment: '2001-01-01T00:00:00', newName: 'acme-early' })).text();
    expect(early).toContain('id="restore-moment-error"');
    expect(text(early)).toContain('has no backup point at or before 2001-01-01');
    const garbled = await (await admin.post('/instances/acme', { intent: 'backup-restore', mode: 'new', moment: 'yesterday', newName: 'acme-early' })).text();
    expect(text(garbled)).toContain('is not a date and time');
    expect((await admin.get('/instances/acme-early')).status).toBe(404);

    const restored = await admin.post('/instances/acme', { intent: 'backup-restore', mode: 'new', point, newName: 'acme-old' });
    expect(restored.status).toBe(302);
    expect(restored.headers.get('location')).toBe('/instances/acme-old?restored=acme');
    expect(text(await (await admin.get('/instances/acme-old?restored=acme')).text())).toContain('Restored from a backup of acme.');
    expect(await titles('acme-old')).toBe('before');
    // A moment typed in the picker (UTC, to the second) restores the latest point at or before it.
    const moment = new Date(takenAtOf(id) + 999).toISOString().slice(0, 19);
    expect((await admin.post('/instances/acme', { intent: 'backup-restore', mode: 'new', moment, newName: 'acme-moment' })).status).toBe(302);
    expect(await titles('acme-moment')).toBe('before');
  });

  it('restores in place after a typed confirmation, then undoes it', async () => {
    await acmeWithAfter();
    const id = await backUpNow('acme');
    await admin.post('/instances/acme/console', { sql: "INSERT INTO todos (title, created_at, updated_at) VALUES ('later', 3, 3)", mode: 'write' });
    const point = String(takenAtOf(id));
    const unconfirmed = await admin.post('/instances/acme', { intent: 'backup-restore', mode: 'in-place', point, confirm: 'acm' });
    expect(unconfirmed.status).toBe(400);
    const unconfirmedHtml = await unconfirmed.text();
    expect(unconfirmedHtml).toContain('id="restore-confirm-error"');
    expect(await titles('acme')).toBe('before+after+later');

    const inPlace = text(await (await admin.post('/instances/acme', { intent: 'backup-restore', mode: 'in-place', point, confirm: 'acme' })).text());
    expect(inPlace).toContain('Restored acme in place');
    expect(inPlace).toContain('Undo last restore');
    expect(await titles('acme')).toBe('before+after');

    const undone = text(await (await admin.post('/instances/acme', { intent: 'backup-undo' })).text());
    expect(undone).toContain('Undone: acme is back');
    expect(await titles('acme')).toBe('before+after+later');
    const audit = text(await (await admin.get(`/audit?instance=acme&actor=${encodeURIComponent(`admin:${EMAIL}`)}`)).text());
    expect(audit).toContain('backup-restore');
    expect(audit).toContain('backup-undo');
  });

  it('shows a damaged backup as a failed verification, and refuses to restore from it', async () => {
    await backUpNow('hurt');
    expect(damageBackups(dataDir, 'hurt')).toBeGreaterThan(0);
    const badSample = await admin.post('/backups', { sample: 'lots' });
    expect(badSample.status).toBe(400);
    expect(await badSample.text()).toContain('id="verify-sample-error"');

    const verified = text(await (await admin.post('/backups', { sample: '50' })).text());
    expect(verified).toMatch(/Verified \d+ instances: 1 failed/);
    const page = await (await admin.get('/backups')).text();
    expect(page).toContain('aria-label="Failed verifications"');
    const failures = text(page.slice(page.indexOf('aria-label="Failed verifications"')));
    expect(failures).toContain('hurt');
    expect(failures).toMatch(/damaged/);
    expect(text(await (await admin.get('/instances/hurt')).text())).toMatch(/Last verification failed .*damaged/);

    const refused = await admin.post('/instances/hurt', { intent: 'backup-restore', mode: 'new', point: String(Date.now()), newName: 'hurt-copy' });
    expect(refused.status).toBe(400);
    const refusedText = text(await refused.text());
    expect(refusedText).toMatch(/damaged|corrupt/i);
    expect(refusedText).not.toMatch(/\bat .*\.ts:\d+/);
    expect((await admin.get('/instances/hurt-copy')).status).toBe(404);
    expect(text(await (await admin.get('/audit?operation=backup-verify&outcome=error')).text())).toContain('hurt');
  });

  it('shows a failing backup attempt on the panel and in the failing table', async () => {
    await startUpCycleDone();
    // A file where the region's backup folder should be: every write to the location fails.
    const folder = path.join(dataDir, 'regions', 'eu-west', 'backups');
    renameSync(folder, `${folder}.away`);
    writeFileSync(folder, 'in the way');
    try {
      const refused = await admin.post('/instances/spare', { intent: 'backup-now' });
      expect(refused.status).toBe(400);
      const panel = text(await refused.text());
      expect(panel).toContain('Backing up "spare" failed (backup location');
      expect(panel).toMatch(/failing 1 failed attempt/);
      // The instance page still opens while its backup location is unusable.
      expect((await admin.get('/instances/spare')).status).toBe(200);
      const page = await (await admin.get('/backups')).text();
      expect(page).toContain('aria-label="Failing backups"');
      expect(text(page.slice(page.indexOf('aria-label="Failing backups"')))).toMatch(/spare .*(ENOTDIR|EEXIST|not a directory|exists)/);
    } finally {
      rmSync(folder);
      renameSync(`${folder}.away`, folder);
    }
    await backUpNow('spare');
    expect(text(await (await admin.get('/backups')).text())).toContain("No instance's last backup attempt failed.");
  });

  it('names a backup location that is no longer configured but still holds backups', async () => {
    const { server: moved, admin: other } = await signedInAdmin({ dataDir, password: PASSWORD, env: { SILO_BACKUPS: 'off', SILO_BACKUP_LOCATIONS: `eu-west=${path.join(dataDir, 'eu-backups-2')}` } });
    try {
      const page = text(await (await other.get('/backups')).text());
      expect(page).toContain('No longer configured, still holding backups');
      expect(page).toContain(path.join(dataDir, 'regions', 'eu-west', 'backups'));
    } finally {
      await moved.stop();
    }
    expect(text(await (await admin.get('/backups')).text())).not.toContain('No longer configured');
  });

  describe('in chromium', () => {
    let browser: Browser;
    let page: Page;
    const browserErrors: string[] = [];

    beforeAll(async () => {
      browser = await launchChromium();
      page = await browser.newPage();
      page.on('pageerror', (error) => browserErrors.push(error.message));
      page.on('dialog', (dialog) => void dialog.accept());
      await signIn(page, server.url, EMAIL, PASSWORD);
    });

    afterAll(async () => {
      await browser?.close();
    });

    const activeId = (): Promise<string> => page.evaluate(() => document.activeElement?.id ?? '');

    /** Presses Tab until the element with this id has focus. */
    async function tabTo(id: string): Promise<void> {
      for (let i = 0; i < 120; i++) {
        if ((await activeId()) === id) return;
        await page.keyboard.press('Tab');
      }
      throw new Error(`Tab never reached #${id}`);
    }

    it('backs up and restores with the keyboard only, with focus on the error and then on the new instance', async () => {
      await page.goto(`${server.url}/instances/spare`);
      const panel = page.getByTestId('backups-panel');
      await panel.waitFor();
      // The button names the mode once the page is hydrated.
      await panel.getByRole('button', { name: 'Restore as a new instance' }).waitFor();
      await tabTo('restore-point');
      // The mode radios: in place shows the typed confirmation, and back.
      await tabTo('restore-mode-new');
      await page.keyboard.press('ArrowDown');
      await panel.getByLabel('Type spare to confirm an in-place restore').waitFor();
      await panel.getByRole('button', { name: 'Restore in place' }).waitFor();
      await page.keyboard.press('ArrowUp');
      await panel.getByRole('button', { name: 'Restore as a new instance' }).waitFor();
      await page.keyboard.press('Tab');
      expect(await activeId()).toBe('restore-newName');
      await page.keyboard.type('acme');
      await page.keyboard.press('Enter');
      await panel.locator('#restore-newName-error').filter({ hasText: 'is taken' }).waitFor();
      await page.waitForFunction(() => document.activeElement?.id === 'restore-newName');
      expect(await page.locator('#restore-newName').getAttribute('aria-invalid')).toBe('true');
      // The page refreshes itself every 5 s: the error, the typed name and the focus stay.
      await page.waitForResponse((response) => response.url().includes('/instances/spare.data'), { timeout: 30_000 });
      await page.waitForTimeout(100);
      await panel.locator('#restore-newName-error').filter({ hasText: 'is taken' }).waitFor();
      expect(await page.locator('#restore-newName').inputValue()).toBe('acme');
      expect(await activeId()).toBe('restore-newName');
      await page.keyboard.press('Control+A');
      await page.keyboard.type('spare-kb');
      await page.keyboard.press('Enter');
      await page.waitForURL(/\/instances\/spare-kb\?restored=spare/);
      await page.getByText('Restored from a backup of spare.').waitFor();
    });

    it('verifies from the backups page, reached from the navigation', async () => {
      await hurtDamaged();
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Backups' }).click();
      await page.getByRole('heading', { name: 'Backups', level: 1 }).waitFor();
      await page.getByLabel('Instances to check').fill('50');
      await page.getByRole('button', { name: 'Verify a sample now' }).click();
      await page.getByTestId('verify-result').filter({ hasText: '1 failed' }).waitFor();
      await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'verify-result');
      await page.getByRole('table', { name: 'Failed verifications' }).getByText('hurt').waitFor();
    });

    it('raised no errors in the browser', () => {
      expect(browserErrors).toEqual([]);
    });
  });
});
