import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEndpoint, type Endpoint } from './libsql-harness';

/**
 * A stream host that exits as it starts (a broken install, a missing module) must not leave
 * requests waiting: each dead host's unstarted requests moved to the next one for ever.
 */
describe('the libSQL endpoint when its stream hosts cannot start', () => {
  let endpoint: Endpoint;
  const nodeOptions = process.env['NODE_OPTIONS'];

  beforeAll(async () => {
    endpoint = await startEndpoint();
    await endpoint.fleet.create('acme', { jurisdiction: 'eu' });
  });

  afterAll(async () => {
    process.env['NODE_OPTIONS'] = nodeOptions;
    await endpoint.close();
  });

  it('answers with an error instead of waiting', async () => {
    const client = endpoint.client('acme', await endpoint.token('acme'));
    // Hosts start on the first stream and inherit the environment: this one cannot load.
    process.env['NODE_OPTIONS'] = `${nodeOptions ?? ''} --import=/nonexistent/silo-broken-host.mjs`.trim();
    await expect(client.execute('SELECT 1')).rejects.toThrow(/exits as it starts/);
  });
});

describe('the libSQL endpoint while a stream host starts', () => {
  let endpoint: Endpoint;

  beforeAll(async () => {
    // 200 ms per statement, wait included: less than a host takes to start from sources (tsx).
    endpoint = await startEndpoint({ statementTimeoutMs: 100, busyTimeoutMs: 100 });
    await endpoint.fleet.create('acme', { jurisdiction: 'eu' });
  });

  afterAll(async () => {
    await endpoint.close();
  });

  it("does not count the host's start-up against a statement's time limit", async () => {
    const client = endpoint.client('acme', await endpoint.token('acme'));
    // The first statement starts the host; one at a time, so no statement waits behind another.
    expect((await client.execute({ sql: 'SELECT ? AS n', args: [7] })).rows[0]?.['n']).toBe(7);
    // Once it runs, the limit holds.
    await expect(client.execute('WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c')).rejects.toMatchObject({
      code: 'STATEMENT_TIMEOUT',
    });
  });
});
