import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFleet } from '@silo/fleet';
import { removeDir, rowNames, signedInAdmin, tempDataDir, text, todoSchema, type AdminServer, type Client } from './helpers';

const PASSWORD = 'ten-thousand-test-password';
const COUNT = 10_000;

/** The operator's first task on a real fleet: find one instance among 10,000, then work on it. */
describe('an operator on a fleet of 10,000 instances', () => {
  let server: AdminServer;
  let dataDir: string;
  let admin: Client;

  beforeAll(async () => {
    dataDir = tempDataDir();
    const fleet = await openFleet({ schema: await todoSchema(), dataDir });
    for (let i = 0; i < COUNT; i++) await fleet.create(`customer-${i}`, { jurisdiction: i % 2 ? 'eu' : 'us', actor: 'seed' });
    await fleet.close();
    ({ server, admin } = await signedInAdmin({ dataDir, password: PASSWORD }));
  }, 600_000);

  afterAll(async () => {
    await server?.stop();
    removeDir(dataDir);
  });

  it('pages the table on the server and finds one instance by search', async () => {
    const first = await (await admin.get('/')).text();
    expect(rowNames(first).length).toBeLessThanOrEqual(100);
    expect(text(first)).toContain('10,000');

    const found = await (await admin.get('/?q=customer-4242')).text();
    expect(rowNames(found)).toEqual(['customer-4242']);

    const filtered = await (await admin.get('/?jurisdiction=eu&q=customer-99')).text();
    expect(rowNames(filtered).every((name) => name.startsWith('customer-99') && Number(name.slice(9)) % 2 === 1)).toBe(true);
  });

  it('opens the found instance, queries it in the console, and clones it', async () => {
    expect((await admin.get('/instances/customer-4242')).status).toBe(200);
    const query = await admin.post('/instances/customer-4242/console', { sql: "SELECT 'found it' AS answer, count(*) AS n FROM todos" });
    expect(query.status).toBe(200);
    const result = await query.text();
    expect(result).toContain('data-testid="query-result"');
    expect(text(result)).toContain('found it');
    const clone = await admin.post('/instances/customer-4242', { intent: 'clone', newName: 'customer-4242-copy' });
    expect(clone.status).toBeLessThan(400);
    const copy = await (await admin.get('/?q=customer-4242-copy')).text();
    expect(rowNames(copy)).toEqual(['customer-4242-copy']);
  });
});
