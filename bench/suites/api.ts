import { Agent, request } from 'node:http';
import { createServer } from '@silo/server';
import { benchFleet, log, scratch } from '../setup';
import { costRow, type BenchRow } from '../report';
import { figure, percentile, repeat } from '../stats';

/**
 * 12. Create an instance through `silo serve` (POST /v1/instances over loopback HTTP: token
 * check, validation, JSON both ways) against the same create called in process.
 *
 * The client is node:http, not `fetch`: the row is what the API costs, and undici's `fetch`,
 * sharing this process, added about 1 ms of its own to every request (as autocannon, the
 * page rows' client, is chosen to cost little).
 */
const WARM_UP_CREATES = 100;

export async function apiCreateBench(size: { instances: number; runs: number }): Promise<BenchRow> {
  const api: number[] = [];
  const direct: number[] = [];
  const apiLatencies: number[] = [];
  await repeat(size.runs, async (run) => {
    const fleet = await benchFleet(scratch('api-create'));
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const server = await createServer({ fleet, port: 0, rateLimits: { perTokenPerMinute: 1_000_000 } });
    const { token } = fleet.apiTokens.create({ scope: 'write', actor: 'bench' });
    await fleet.create('warm-up', { jurisdiction: 'eu' }); // builds the template once
    let apiTotal = 0;
    let directTotal = 0;
    try {
      // Both paths warmed, untimed, as a server that has been up a while is: the first run's
      // creates otherwise pay for compiling the server's code, which the in-process side shares
      // only in part (runs 1.70–1.86× cold against 1.55–1.60× for the third).
      for (let i = 0; i < WARM_UP_CREATES; i++) {
        const status = await postJson(agent, `${server.url}/v1/instances`, token, JSON.stringify({ name: `warm-api-${run}-${i}`, jurisdiction: 'eu' }));
        if (status !== 201) throw new Error(`POST /v1/instances answered ${status}`);
        await fleet.create(`warm-direct-${run}-${i}`, { jurisdiction: 'eu' });
      }
      // Alternate so neither side always runs on a warmer page cache.
      for (let i = 0; i < size.instances; i++) {
        let started = performance.now();
        const status = await postJson(agent, `${server.url}/v1/instances`, token, JSON.stringify({ name: `api-${run}-${i}`, jurisdiction: i % 2 ? 'eu' : 'us' }));
        if (status !== 201) throw new Error(`POST /v1/instances answered ${status}`);
        const apiMs = performance.now() - started;
        started = performance.now();
        await fleet.create(`direct-${run}-${i}`, { jurisdiction: i % 2 ? 'eu' : 'us' });
        const directMs = performance.now() - started;
        apiTotal += apiMs;
        directTotal += directMs;
        apiLatencies.push(apiMs);
      }
    } finally {
      agent.destroy();
      await server.close();
      await fleet.close();
    }
    api.push(apiTotal / size.instances);
    direct.push(directTotal / size.instances);
    log(`  api create run ${run + 1}: api ${(apiTotal / size.instances).toFixed(2)} ms, in process ${(directTotal / size.instances).toFixed(2)} ms`);
  });
  apiLatencies.sort((a, b) => a - b);
  return costRow({
    id: '12',
    title: 'Create an instance through the HTTP API (silo serve), per instance',
    unit: 'ms',
    silo: figure(api),
    baseline: figure(direct),
    baselineLabel: 'fleet.create in process',
    goal: { maxRatio: 1.5, text: '≤ 1.5×' },
    details: {
      'API p50 / p99': `${percentile(apiLatencies, 50).toFixed(2)} / ${percentile(apiLatencies, 99).toFixed(2)} ms`,
      sample: `${size.instances} creates × ${size.runs} runs after ${WARM_UP_CREATES} untimed on each side, alternating API and in process`,
      'what the API adds': 'loopback HTTP, token lookup (SHA-256, constant-time compare), zod validation, JSON',
      client: 'node:http with a kept-alive connection, in the measuring process (a fetch client costs its caller ~1 ms more a request: docs/benchmarks.md, row 12)',
    },
    reproduce: 'npm run bench -- --only api',
  });
}

/** One POST with a JSON body over a kept-alive connection: its status, once the answer is read. */
function postJson(agent: Agent, url: string, token: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method: 'POST', agent, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
