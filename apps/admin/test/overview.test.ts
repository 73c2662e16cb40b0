import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFleet } from '@silo/fleet';
import { formatBytes } from '@silo/fleet/format';
import { removeDir, signedInAdmin, tempDataDir, text, todoSchema, type AdminServer, type Client } from './helpers';

const PASSWORD = 'overview-test-password-123';

/** The value shown on the card marked data-stat="id". */
function stat(html: string, id: string): string | undefined {
  const match = new RegExp(`data-stat="${id}"[\\s\\S]*?class="stat-value num">([^<]*)<`).exec(html);
  return match?.[1];
}

describe('overview page over HTTP', () => {
  let server: AdminServer;
  let dataDir: string;
  let admin: Client;
  let sizeBytes = 0;

  beforeAll(async () => {
    dataDir = tempDataDir();
    const fleet = await openFleet({ schema: await todoSchema(), dataDir });
    for (const name of ['eu-1', 'eu-2', 'eu-3']) await fleet.create(name, { jurisdiction: 'eu', actor: 'seed' });
    for (const name of ['us-1', 'us-2']) await fleet.create(name, { jurisdiction: 'us', actor: 'seed' });
    await fleet.delete('us-2', { actor: 'seed' });
    await fleet.close();
    // Activity reported by another process on the same data folder.
    const other = await openFleet({ schema: await todoSchema(), dataDir });
    other.touch('eu-2');
    await other.flushActivity();
    sizeBytes = other.overview().sizeBytes;
    await other.close();

    ({ server, admin } = await signedInAdmin({ dataDir, password: PASSWORD }));
  });

  afterAll(async () => {
    await server?.stop();
    if (dataDir) removeDir(dataDir);
  });

  it('shows counts by state and jurisdiction, size on disk and recent activity', async () => {
    const response = await admin.get('/overview');
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(stat(html, 'total')).toBe('5');
    expect(stat(html, 'active')).toBe('1');
    expect(stat(html, 'size')).toBe(formatBytes(sizeBytes));
    expect(stat(html, 'state-ready')).toBe('4');
    expect(stat(html, 'state-deleted')).toBe('1');
    expect(stat(html, 'state-failed')).toBe('0');
    expect(stat(html, 'state-provisioning')).toBe('0');
    expect(stat(html, 'jurisdiction-eu')).toBe('3');
    expect(stat(html, 'jurisdiction-us')).toBe('2');
    // Cards link to the pre-filtered instances table.
    expect(html).toContain('href="/?state=deleted"');
    expect(html).toContain('href="/?jurisdiction=us"');
    // The nav lists Overview first.
    expect(text(html)).toMatch(/Silo admin Overview Instances Fleet query/);
  });

  it('lists every one of the last 30 days, today with the activity', async () => {
    const html = await (await admin.get('/overview')).text();
    const days = [...html.matchAll(/data-day="(\d{4}-\d{2}-\d{2})"/g)].map((m) => m[1]);
    expect(days).toHaveLength(30);
    const today = new Date().toISOString().slice(0, 10);
    expect(days.at(-1)).toBe(today);
    const row = new RegExp(`data-day="${today}"[\\s\\S]*?</tr>`).exec(html)?.[0] ?? '';
    // Created 5, active that day 1, active that week 1.
    expect([...row.matchAll(/<td class="num">(\d+)<\/td>/g)].map((m) => m[1])).toEqual(['5', '1', '1']);
    expect(html).toContain('<figcaption');
  });
});
