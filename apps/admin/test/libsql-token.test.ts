import { createClient, type Client as LibsqlClient } from '@libsql/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFleet, type Fleet } from '@silo/fleet';
import { createServer, type RunningServer } from '@silo/server';
import { eventually, removeDir, signedInAdmin, tempDataDir, text, todoSchema, type AdminServer, type Client } from './helpers';

const EMAIL = 'admin@localhost';
const PASSWORD = 'libsql-token-test-password-123';

/** The token in a page, from the Connect card's read-only field. */
function tokenIn(html: string): string | undefined {
  return /id="libsql-token"[^>]*value="([^"]+)"/.exec(html)?.[1];
}

describe('libSQL tokens on the instance page over HTTP', () => {
  let dataDir: string;
  let fleet: Fleet;
  let serve: RunningServer;
  let server: AdminServer;
  let admin: Client;
  const clients: LibsqlClient[] = [];

  beforeAll(async () => {
    dataDir = tempDataDir();
    // `silo serve` in this process, on the console's data folder: the tokens must work there.
    fleet = await openFleet({ schema: await todoSchema(), dataDir });
    await fleet.create('acme', { jurisdiction: 'eu', actor: 'seed' });
    serve = await createServer({ fleet, port: 0, shutdownTimeoutMs: 0 });
    ({ server, admin } = await signedInAdmin({ dataDir, password: PASSWORD, env: { SILO_SERVE_URL: `${serve.url}/` } }));
  });

  afterAll(async () => {
    for (const client of clients) client.close();
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

  it('creates a token shown once that @libsql/client connects with at the page URL, until all are revoked', async () => {
    const page = await (await admin.get('/instances/acme')).text();
    const url = /id="libsql-url"[^>]*value="([^"]+)"/.exec(page)?.[1];
    expect(url).toBe(`${serve.url}/db/acme`);
    expect(text(page)).toContain('Create a libSQL token');

    const created = await admin.post('/instances/acme', { intent: 'libsql-create', days: '1' });
    expect(created.status).toBe(200);
    expect(created.headers.get('cache-control')).toBe('no-store');
    const html = await created.text();
    const token = tokenIn(html);
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(text(html)).toContain('read-write libSQL token for acme, expiring');
    expect(html).toContain(`authToken: &#x27;${token}&#x27;`);

    // Shown once: not on the next load, not in the audit log.
    const reloaded = await (await admin.get('/instances/acme')).text();
    expect(tokenIn(reloaded)).toBeUndefined();
    expect(reloaded).not.toContain(token);
    const entry = fleet.audit({ instance: 'acme', operation: 'token create' }).items[0];
    expect(entry).toMatchObject({ actor: expect.stringContaining(EMAIL), detail: { kind: 'libsql', access: 'read-write', expiresAt: expect.any(Number) } });
    expect(JSON.stringify(entry)).not.toContain(token);
    expect(server.output() + server.errors()).not.toContain(token);

    const db = connect(url ?? '', token ?? '');
    await db.execute("INSERT INTO todos (title, created_at, updated_at) VALUES ('from the admin', 1, 1)");
    expect((await db.execute('SELECT title FROM todos')).rows.map((row) => row['title'])).toEqual(['from the admin']);

    const revoked = await admin.post('/instances/acme', { intent: 'libsql-revoke' });
    expect(revoked.status).toBe(200);
    expect(text(await revoked.text())).toContain('Revoked every libSQL token of acme');
    await eventually(() => expect(db.execute('SELECT 1')).rejects.toThrow());
    expect(fleet.audit({ instance: 'acme', operation: 'token revoke' }).items[0]?.actor).toContain(EMAIL);
  });

  it('makes a read-only token that never expires when asked', async () => {
    const html = await (await admin.post('/instances/acme', { intent: 'libsql-create', readOnly: 'on', days: '0' })).text();
    expect(text(html)).toContain('read-only libSQL token for acme that never expires');
    const db = connect(`${serve.url}/db/acme`, tokenIn(html) ?? '');
    expect((await db.execute('SELECT count(*) AS n FROM todos')).rows[0]?.['n']).toBe(1);
    await expect(db.execute("INSERT INTO todos (title, created_at, updated_at) VALUES ('no', 1, 1)")).rejects.toThrow();
  });

  it('refuses an unknown lifetime, and a form without the CSRF token', async () => {
    const odd = await admin.post('/instances/acme', { intent: 'libsql-create', days: '7' });
    expect(odd.status).toBe(400);
    expect(tokenIn(await odd.text())).toBeUndefined();
    expect((await admin.post('/instances/acme', { intent: 'libsql-create', days: '1' }, { csrf: false })).status).toBe(403);
  });
});
