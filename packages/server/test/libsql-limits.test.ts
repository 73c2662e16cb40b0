import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openFleet, type Fleet } from '@silo/fleet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInstanceToken } from '../src/instance-tokens';
import { createServer, type RunningServer } from '../src/server';
import { notesSchema } from './libsql-harness';

/** Rate limits of the libSQL endpoint in `silo serve` over loopback HTTP (issue #15, security). */
describe('libSQL endpoint rate limits', () => {
  let dataDir: string;
  let fleet: Fleet;
  let serve: RunningServer;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'silo-libsql-limits-'));
    fleet = await openFleet({ schema: notesSchema, dataDir });
    await fleet.create('acme', { jurisdiction: 'eu' });
    serve = await createServer({ fleet, port: 0, shutdownTimeoutMs: 0, rateLimits: { libsqlPerTokenPerMinute: 5, failedAuthPerMinute: 3 } });
  });

  afterAll(async () => {
    await serve?.close();
    await fleet?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const pipeline = (token: string): Promise<Response> =>
    fetch(`${serve.url}/db/acme/v2/pipeline`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ requests: [{ type: 'execute', stmt: { sql: 'SELECT 1' } }, { type: 'close' }] }),
    });

  it('answers 429 with Retry-After once a token is past its requests per minute, and other tokens go on', async () => {
    const { token } = await createInstanceToken(fleet, { tokenSecretDir: dataDir, instance: 'acme' });
    for (let i = 0; i < 5; i++) expect((await pipeline(token)).status).toBe(200);
    const refused = await pipeline(token);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await refused.json()).toEqual({ error: expect.stringContaining('Too many requests') });
    // Another token (read-only: Ed25519 signs deterministically, so the same claims in the same second are the same token).
    const { token: other } = await createInstanceToken(fleet, { tokenSecretDir: dataDir, instance: 'acme', readOnly: true });
    expect(other).not.toBe(token);
    expect((await pipeline(other)).status).toBe(200);
  });

  it('throttles an address that keeps sending refused tokens', async () => {
    const { token } = await createInstanceToken(fleet, { tokenSecretDir: dataDir, instance: 'acme' });
    const forged = (i: number): string => `${token.slice(0, -6)}AAAA${i}A`;
    for (let i = 0; i < 3; i++) expect((await pipeline(forged(i))).status).toBe(401);
    const blocked = await pipeline(forged(9));
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(60);
  });
});
