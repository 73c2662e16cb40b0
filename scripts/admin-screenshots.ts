/**
 * The admin screenshots of the READMEs (docs/images/admin-*.png): a seeded fleet, the real
 * server, Chromium through playwright-core.
 *
 *   npm run build -w @silo/admin && npx tsx --conditions=@silo/source scripts/admin-screenshots.ts
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { openFleet } from '@silo/fleet';
import { launchChromium, removeDir, startServer, tempDataDir, todoSchema } from '../apps/admin/test/helpers';

const OUT = fileURLToPath(new URL('../docs/images/', import.meta.url));
const EMAIL = 'ops@example.com';
const PASSWORD = 'screenshots-only-password';
const DAY = 86_400_000;

const dataDir = tempDataDir();
const fleet = await openFleet({ schema: await todoSchema(), dataDir });
const names = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark'];
for (const [index, name] of names.entries()) await fleet.create(name, { jurisdiction: index % 2 ? 'us' : 'eu', displayName: `${name[0]?.toUpperCase()}${name.slice(1)} Inc.` });
await fleet.withInstance('acme', async (db) => {
  await db.execute(
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 240) INSERT INTO todos (title, completed, created_at, updated_at) SELECT 'Task ' || i || ': ' || CASE i % 4 WHEN 0 THEN 'renew the certificate' WHEN 1 THEN 'call the supplier' WHEN 2 THEN 'review the quarterly numbers' ELSE 'plan the offsite' END, i % 3 = 0, 1764000000 + i * 3600, 1764000000 + i * 3600 FROM n",
  );
});
await fleet.query('acme', 'UPDATE todos SET completed = 1 WHERE id <= 20', undefined, { readOnly: false, actor: 'screenshots' });
for (let i = 0; i < 40; i++) fleet.touch('acme');
await fleet.flushActivity();
const acmeId = fleet.require('acme').id;
const ids = names.map((name) => fleet.require(name).id);
await fleet.close();

// Thirty days of history for the charts (the fleet only records today's as it happens).
const catalog = new Database(path.join(dataDir, 'catalog.db'));
const today = Math.floor(Date.now() / DAY);
const insert = catalog.prepare('INSERT OR REPLACE INTO instance_daily (instance_id, day, active, reads, writes, size_bytes) VALUES (?, ?, 1, ?, ?, ?)');
for (let d = 29; d >= 1; d--) {
  insert.run(acmeId, today - d, 200 + ((d * 37) % 180), 20 + ((d * 13) % 40), 90_000 + (29 - d) * 1_500);
  for (const [index, id] of ids.entries()) if (index > 0 && (d + index) % 3 !== 0) insert.run(id, today - d, 10 + index, index, 40_000);
}
catalog.close();

const server = await startServer(dataDir, { ADMIN_EMAIL: EMAIL, ADMIN_PASSWORD: PASSWORD });
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${server.url}/login`);
  await page.getByLabel('Email').fill(EMAIL);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('table', { name: 'Instances' }).waitFor();

  await page.goto(`${server.url}/instances/acme`);
  await page.locator('.usage-chart svg').first().waitFor();
  await page.screenshot({ path: path.join(OUT, 'admin-instance.png'), fullPage: false });

  await page.goto(`${server.url}/instances/acme/data?table=todos&sort=completed&order=desc`);
  await page.locator('table.grid').waitFor();
  await page.screenshot({ path: path.join(OUT, 'admin-data-browser.png') });

  await page.goto(`${server.url}/query`);
  await page.locator('.cm-content').click();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText('SELECT count(*) AS todos, sum(completed) AS done FROM todos');
  await page.getByRole('button', { name: 'Run on the fleet' }).click();
  await page.getByTestId('fq-progress').filter({ hasText: 'Finished' }).waitFor();
  await page.screenshot({ path: path.join(OUT, 'admin-fleet-query.png') });
  console.log(`screenshots written to ${OUT}`);
} finally {
  await browser.close();
  await server.stop();
  removeDir(dataDir);
}
