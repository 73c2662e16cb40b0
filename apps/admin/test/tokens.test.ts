import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFleet } from '@silo/fleet';
import { removeDir, signedInAdmin, tempDataDir, text, todoSchema, type AdminServer, type Client } from './helpers';

const EMAIL = 'admin@localhost';
const PASSWORD = 'tokens-test-password-123';

describe('API tokens page over HTTP', () => {
  let server: AdminServer;
  let dataDir: string;
  let admin: Client;

  beforeAll(async () => {
    dataDir = tempDataDir();
    ({ server, admin } = await signedInAdmin({ dataDir, password: PASSWORD }));
  });

  afterAll(async () => {
    await server?.stop();
    if (dataDir) removeDir(dataDir);
  });

  it('creates a token showing its secret once, lists it without the secret, and revokes it', async () => {
    const created = await admin.post('/tokens', { intent: 'create', scope: 'write', jurisdiction: 'eu', days: '30', label: 'ci deploys' });
    expect(created.status).toBe(200);
    const html = await created.text();
    const secret = /data-testid="token-secret">(silo_[^<]+)</.exec(html)?.[1];
    expect(secret).toMatch(/^silo_[0-9a-f]{12}_/);
    const id = secret?.slice('silo_'.length, 'silo_'.length + 12) ?? '';

    const listed = await (await admin.get('/tokens')).text();
    expect(text(listed)).toContain('ci deploys');
    expect(listed).not.toContain(secret);

    expect((await admin.post('/tokens', { intent: 'revoke', id })).status).toBe(200);
    const fleet = await openFleet({ schema: await todoSchema(), dataDir });
    try {
      expect(fleet.apiTokens.find(id)).toMatchObject({ scope: 'write', jurisdiction: 'eu', revokedAt: expect.any(Number) });
      expect(fleet.audit({ operation: 'token revoke' }).items[0]?.actor).toContain(EMAIL);
    } finally {
      await fleet.close();
    }
  });

  it('refuses a form without the CSRF token', async () => {
    const response = await admin.post('/tokens', { intent: 'create', scope: 'admin', days: '0' }, { csrf: false });
    expect(response.status).toBe(403);
  });
});
