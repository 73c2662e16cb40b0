import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { hashApiToken } from '../src/catalog/api-tokens';
import { tempFleet } from './helpers';

describe('API tokens in the catalog', () => {
  it('returns the token once and stores only its hash', async () => {
    const { fleet } = await tempFleet();
    const { token, info } = fleet.apiTokens.create({ scope: 'write', jurisdiction: 'eu', label: 'deploys', actor: 'cli:alice' });
    expect(token).toMatch(/^silo_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(info).toMatchObject({ scope: 'write', jurisdiction: 'eu', label: 'deploys', createdBy: 'cli:alice', revokedAt: null, lastUsedAt: null });
    expect(JSON.stringify(fleet.apiTokens.list())).not.toContain(token);
    expect(fleet.apiTokens.authenticate(token)).toMatchObject({ id: info.id, lastUsedAt: expect.any(Number) });
    expect(hashApiToken(token)).toHaveLength(64);
    expect(fleet.audit({ operation: 'token create' }).items[0]).toMatchObject({ actor: 'cli:alice', detail: { id: info.id, scope: 'write' } });
  });

  it('refuses unknown, altered, expired and revoked tokens', async () => {
    const { fleet } = await tempFleet();
    const now = Date.now();
    const { token, info } = fleet.apiTokens.create({ scope: 'read' }, now);
    expect(fleet.apiTokens.authenticate(`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`)).toBeUndefined();
    expect(fleet.apiTokens.authenticate('silo_nothing')).toBeUndefined();
    const expiring = fleet.apiTokens.create({ scope: 'read', expiresAt: now + 1_000 }, now);
    expect(fleet.apiTokens.authenticate(expiring.token, now + 500)).toBeDefined();
    expect(fleet.apiTokens.authenticate(expiring.token, now + 1_000)).toBeUndefined();
    fleet.apiTokens.revoke(info.id, 'cli:bob');
    expect(fleet.apiTokens.authenticate(token)).toBeUndefined();
    expect(fleet.apiTokens.revoke(info.id).revokedAt).not.toBeNull();
    expect(fleet.audit({ operation: 'token revoke' }).total).toBe(1);
    expect(() => fleet.apiTokens.revoke('000000000000')).toThrow(/No API token/);
    expect(() => fleet.apiTokens.create({ scope: 'read', expiresAt: now - 1 }, now)).toThrow(/future/);
  });

  it('refuses an expiry that is not a date: NaN, Infinity, a fraction, past the last date JavaScript holds', async () => {
    const { fleet } = await tempFleet();
    const now = Date.now();
    for (const expiresAt of [Number.NaN, Number.POSITIVE_INFINITY, now + 0.5, 8.64e15 + 1, Number.MAX_SAFE_INTEGER]) {
      expect(() => fleet.apiTokens.create({ scope: 'read', expiresAt }, now), String(expiresAt)).toThrow(
        expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringMatching(/must be a date/) }),
      );
    }
    expect(fleet.apiTokens.list()).toEqual([]);
    expect(fleet.audit({ operation: 'token create' }).total).toBe(0);
    const last = fleet.apiTokens.create({ scope: 'read', expiresAt: 8.64e15 }, now);
    expect(new Date(last.info.expiresAt ?? Number.NaN).toISOString()).toBe('+275760-09-13T00:00:00.000Z');
  });

  it('keeps an idempotency key per token: claim, replay, release', async () => {
    const { fleet } = await tempFleet();
    const { info } = fleet.apiTokens.create({ scope: 'write' });
    expect(fleet.apiTokens.claimIdempotent(info.id, 'k', 'h1')).toBeUndefined();
    expect(fleet.apiTokens.claimIdempotent(info.id, 'k', 'h1')).toEqual({ requestHash: 'h1', status: undefined, body: undefined });
    fleet.apiTokens.completeIdempotent(info.id, 'k', 201, '{"ok":true}');
    expect(fleet.apiTokens.claimIdempotent(info.id, 'k', 'h2')).toEqual({ requestHash: 'h1', status: 201, body: '{"ok":true}' });
    expect(fleet.apiTokens.claimIdempotent(info.id, 'other', 'h1')).toBeUndefined();
    fleet.apiTokens.releaseIdempotent(info.id, 'other');
    expect(fleet.apiTokens.claimIdempotent(info.id, 'other', 'h3')).toBeUndefined();
  });

  it('hands an unanswered key to a retry once its claim outlives the lease, when its process cannot be checked from here', async () => {
    const { fleet, dataDir } = await tempFleet();
    const { info } = fleet.apiTokens.create({ scope: 'write' });
    const now = Date.now();
    expect(fleet.apiTokens.claimIdempotent(info.id, 'k', 'h1', now)).toBeUndefined();
    // As if a server on another host, sharing the catalog, had claimed it and died.
    const catalog = new Database(path.join(dataDir, 'catalog.db'));
    catalog.prepare("UPDATE api_idempotency SET owner = 'another-host/boot/4242.1'").run();
    catalog.close();
    const running = { requestHash: 'h1', status: undefined, body: undefined };
    expect(fleet.apiTokens.claimIdempotent(info.id, 'k', 'h1', now + 59 * 60_000)).toEqual(running);
    // Another request under the key is refused by the caller whatever the claim's age.
    expect(fleet.apiTokens.claimIdempotent(info.id, 'k', 'h2', now + 61 * 60_000)).toEqual(running);
    expect(fleet.apiTokens.claimIdempotent(info.id, 'k', 'h1', now + 61 * 60_000)).toBeUndefined();
    // Now this process holds it: a second retry is told it runs.
    expect(fleet.apiTokens.claimIdempotent(info.id, 'k', 'h1', now + 62 * 60_000)).toEqual(running);
  });
});
