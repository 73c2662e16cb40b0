/**
 * libSQL tokens across servers (issue #15): the key comes from the server secret and the
 * revocations from the catalog, so two fleets on one catalog (here, one data folder) sharing a
 * secret accept each other's tokens and see each other's revocations.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openFleet, type Fleet } from '@silo/fleet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInstanceToken, InstanceTokenVerifier, revokeInstanceTokens } from '../src/instance-tokens';
import { notesSchema } from './libsql-harness';

const SECRET = 's'.repeat(40);
let dataDir: string;
let signer: Fleet;
let checker: Fleet;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'silo-libsql-tokens-'));
  signer = await openFleet({ schema: notesSchema, dataDir });
  checker = await openFleet({ schema: notesSchema, dataDir });
  await signer.create('acme', { jurisdiction: 'eu' });
});

afterAll(async () => {
  await signer?.close();
  await checker?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('libSQL tokens across servers', () => {
  it('a token signed by one server verifies on another with the same secret, not with another secret', async () => {
    const { token } = await createInstanceToken(signer, { tokenSecretDir: dataDir, secret: SECRET, instance: 'acme' });
    const same = new InstanceTokenVerifier(checker, { tokenSecretDir: dataDir, secret: SECRET });
    expect(await same.verify(token)).toMatchObject({ instance: 'acme', access: 'read-write' });
    const other = new InstanceTokenVerifier(checker, { tokenSecretDir: dataDir, secret: 'o'.repeat(40) });
    expect(await other.verify(token)).toBeUndefined();
  });

  it('a token lives at least the lifetime asked for, though JWT times are whole seconds', async () => {
    const verifier = new InstanceTokenVerifier(checker, { tokenSecretDir: dataDir, secret: SECRET });
    for (let i = 0; i < 5; i++) {
      const before = Date.now();
      const { token, expiresAt } = await createInstanceToken(signer, { tokenSecretDir: dataDir, secret: SECRET, instance: 'acme', expiresInSeconds: 1 });
      const after = Date.now();
      // Signing happens between the two readings (a while, on a busy machine): each bound from its side.
      expect((expiresAt?.getTime() ?? 0) - before).toBeGreaterThanOrEqual(1_000);
      expect((expiresAt?.getTime() ?? 0) - after).toBeLessThanOrEqual(2_000);
      expect((await verifier.verify(token))?.expiresAt).toBe(expiresAt?.getTime());
      await new Promise((resolve) => setTimeout(resolve, 137));
    }
  });

  it('refuses a lifetime that is not a whole number of seconds or ends past the last date JavaScript holds', async () => {
    const lastSecond = 8.64e12;
    for (const expiresInSeconds of [0, -1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER, lastSecond]) {
      await expect(
        createInstanceToken(signer, { tokenSecretDir: dataDir, secret: SECRET, instance: 'acme', expiresInSeconds }),
        String(expiresInSeconds),
      ).rejects.toThrow(/expiresInSeconds/);
    }
    const longest = await createInstanceToken(signer, { tokenSecretDir: dataDir, secret: SECRET, instance: 'acme', expiresInSeconds: 100 * 366 * 86_400 });
    expect(longest.expiresAt?.getUTCFullYear()).toBeGreaterThan(2100);
  });

  it('without SILO_SECRET, servers on one data folder share the secret generated there', async () => {
    const previous = process.env['SILO_SECRET'];
    delete process.env['SILO_SECRET'];
    try {
      const { token } = await createInstanceToken(signer, { tokenSecretDir: dataDir, instance: 'acme', readOnly: true });
      expect(await new InstanceTokenVerifier(checker, { tokenSecretDir: dataDir }).verify(token)).toMatchObject({ access: 'read-only' });
      const elsewhere = mkdtempSync(path.join(tmpdir(), 'silo-libsql-tokens-other-'));
      try {
        expect(await new InstanceTokenVerifier(checker, { tokenSecretDir: elsewhere }).verify(token)).toBeUndefined();
      } finally {
        rmSync(elsewhere, { recursive: true, force: true });
      }
    } finally {
      if (previous !== undefined) process.env['SILO_SECRET'] = previous;
    }
  });

  it('a revocation through one server reaches the other within its refresh, read from the catalog', async () => {
    const { token } = await createInstanceToken(signer, { tokenSecretDir: dataDir, secret: SECRET, instance: 'acme' });
    const verifier = new InstanceTokenVerifier(checker, { tokenSecretDir: dataDir, secret: SECRET, refreshMs: 1_000 });
    const start = Date.now();
    expect(await verifier.verify(token, start)).toBeDefined();
    const before = checker.tokenGenerations.of(signer.require('acme').id);
    expect(revokeInstanceTokens(signer, { instance: 'acme' })).toEqual({ generation: before + 1 });
    // Within the second the verifier keeps what it read: no catalog query per request.
    expect(await verifier.verify(token, start + 500)).toBeDefined();
    expect(await verifier.verify(token, start + 1_000)).toBeUndefined();
    const fresh = await createInstanceToken(checker, { tokenSecretDir: dataDir, secret: SECRET, instance: 'acme' });
    expect(await verifier.verify(fresh.token, start + 1_000)).toMatchObject({ generation: before + 1 });
    // A token signed after a revocation this verifier has not read yet is not refused for it.
    const early = new InstanceTokenVerifier(checker, { tokenSecretDir: dataDir, secret: SECRET, refreshMs: 1_000 });
    expect(await early.verify(token, start)).toBeUndefined();
    revokeInstanceTokens(signer, { instance: 'acme' });
    const newer = await createInstanceToken(signer, { tokenSecretDir: dataDir, secret: SECRET, instance: 'acme' });
    expect(await early.verify(newer.token, start + 500)).toMatchObject({ generation: before + 2 });
  });
});
