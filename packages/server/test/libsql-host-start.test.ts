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
