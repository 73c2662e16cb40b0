import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createJurisdictionToken, revokeInstanceTokens, revokeJurisdictionTokens } from '../src/instance-tokens';
import { startEndpoint, type Endpoint } from './libsql-harness';

/**
 * Jurisdiction tokens (Turso's group tokens) with @libsql/client over loopback HTTP: one token
 * for every instance of a jurisdiction, present and future, and none of another.
 */
describe('libSQL endpoint: jurisdiction tokens', () => {
  let endpoint: Endpoint;

  beforeEach(async () => {
    endpoint = await startEndpoint();
    await endpoint.fleet.create('acme', { jurisdiction: 'eu', region: 'eu-west' });
    await endpoint.fleet.create('globex', { jurisdiction: 'eu', region: 'eu-central' });
    await endpoint.fleet.create('initech', { jurisdiction: 'us' });
  });

  afterEach(async () => {
    await endpoint.close();
  });

  async function tokenFor(jurisdiction: string, options: { readOnly?: boolean; expiresInSeconds?: number } = {}): Promise<string> {
    return (await createJurisdictionToken(endpoint.fleet, { tokenSecretDir: endpoint.dataDir, jurisdiction, ...options })).token;
  }

  const refused = { message: expect.stringContaining('401') };

  it('works on every instance of its jurisdiction, including ones created after it', async () => {
    const token = await tokenFor('eu');
    for (const name of ['acme', 'globex']) {
      const db = endpoint.client(name, token);
      await db.execute({ sql: 'INSERT INTO notes (body) VALUES (?)', args: [`note of ${name}`] });
      expect((await db.execute('SELECT body FROM notes')).rows.map((row) => row['body'])).toEqual([`note of ${name}`]);
    }
    await endpoint.fleet.create('hooli', { jurisdiction: 'eu' });
    expect((await endpoint.client('hooli', token).execute('SELECT count(*) AS n FROM notes')).rows[0]?.['n']).toBe(0n);
    // Interactive transactions span requests (batons) as with an instance token.
    const tx = await endpoint.client('acme', token).transaction('write');
    await tx.execute("INSERT INTO notes (body) VALUES ('in a transaction')");
    await tx.commit();
    expect((await endpoint.client('acme', token).execute('SELECT count(*) AS n FROM notes')).rows[0]?.['n']).toBe(2n);
  });

  it("is refused on another jurisdiction's instance, on one that does not exist, and where the URL names none", async () => {
    const eu = await tokenFor('eu');
    await expect(endpoint.client('initech', eu).execute('SELECT 1')).rejects.toMatchObject(refused);
    await expect(endpoint.client('nobody', eu).execute('SELECT 1')).rejects.toMatchObject(refused);
    // `/db/acme` without the slash reaches `/db/v2/pipeline`: only an instance token says which instance that is.
    await expect(endpoint.client('acme', eu, `${endpoint.origin}/db/acme`).execute('SELECT 1')).rejects.toMatchObject(refused);
    const us = await tokenFor('us');
    expect((await endpoint.client('initech', us).execute('SELECT 1 AS one')).rows[0]?.['one']).toBe(1n);
    await expect(endpoint.client('acme', us).execute('SELECT 1')).rejects.toMatchObject(refused);
  });

  it('keeps a stream to the instance it was opened on', async () => {
    const token = await tokenFor('eu');
    const pipeline = (name: string, body: unknown) =>
      fetch(`${endpoint.origin}/db/${name}/v2/pipeline`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
    const opened = await pipeline('acme', { baton: null, requests: [{ type: 'execute', stmt: { sql: 'BEGIN' } }] });
    const { baton } = (await opened.json()) as { baton: string };
    const crossed = await pipeline('globex', { baton, requests: [{ type: 'execute', stmt: { sql: 'SELECT 1' } }] });
    expect(crossed.status).toBe(400);
    expect(await crossed.json()).toMatchObject({ code: 'INVALID_BATON' });
  });

  it('enforces read-only', async () => {
    const reader = endpoint.client('acme', await tokenFor('eu', { readOnly: true }));
    expect((await reader.execute('SELECT count(*) AS n FROM notes')).rows[0]?.['n']).toBe(0n);
    await expect(reader.execute("INSERT INTO notes (body) VALUES ('nope')")).rejects.toMatchObject({ message: expect.stringContaining('403') });
    const writer = endpoint.client('acme', await tokenFor('eu'));
    expect((await writer.execute('SELECT count(*) AS n FROM notes')).rows[0]?.['n']).toBe(0n);
  });

  it("is revoked through the jurisdiction's generation, apart from instance tokens", async () => {
    const eu = await tokenFor('eu');
    const us = await tokenFor('us');
    const acme = await endpoint.token('acme');
    // Revoking an instance's tokens leaves the jurisdiction's alone, and the other way round.
    revokeInstanceTokens(endpoint.fleet, { instance: 'acme' });
    expect((await endpoint.client('acme', eu).execute('SELECT 1 AS one')).rows[0]?.['one']).toBe(1n);
    const acmeAgain = await endpoint.token('acme');
    expect(revokeJurisdictionTokens(endpoint.fleet, { jurisdiction: 'eu' })).toEqual({ generation: 1 });
    await expect(endpoint.client('acme', eu).execute('SELECT 1')).rejects.toMatchObject(refused);
    await expect(endpoint.client('globex', eu).execute('SELECT 1')).rejects.toMatchObject(refused);
    await expect(endpoint.client('acme', acme).execute('SELECT 1')).rejects.toMatchObject(refused);
    expect((await endpoint.client('acme', acmeAgain).execute('SELECT 1 AS one')).rows[0]?.['one']).toBe(1n);
    expect((await endpoint.client('initech', us).execute('SELECT 1 AS one')).rows[0]?.['one']).toBe(1n);
    // Tokens signed after the revocation work.
    expect((await endpoint.client('globex', await tokenFor('eu')).execute('SELECT 1 AS one')).rows[0]?.['one']).toBe(1n);
  });

  it('expires, and is not issued for an unknown jurisdiction', async () => {
    const shortLived = await tokenFor('eu', { expiresInSeconds: 2 });
    expect((await endpoint.client('acme', shortLived).execute('SELECT 1 AS one')).rows[0]?.['one']).toBe(1n);
    await new Promise((resolve) => setTimeout(resolve, 3_100));
    await expect(endpoint.client('acme', shortLived).execute('SELECT 1')).rejects.toMatchObject(refused);
    await expect(tokenFor('mars')).rejects.toThrow(/Unknown jurisdiction "mars"/);
  });
});
