import { createServer } from '@silo/server';
import { benchFleet, log, scratch } from '../setup';
import { costRow, type BenchRow } from '../report';
import { figure, percentile, repeat } from '../stats';

/**
 * 12. Create an instance through `silo serve` (POST /v1/instances over loopback HTTP: token
 * check, validation, JSON both ways) against the same create called in process.
 */
export async function apiCreateBench(size: { instances: number; runs: number }): Promise<BenchRow> {
  const api: number[] = [];
  const direct: number[] = [];
  const apiLatencies: number[] = [];
  await repeat(size.runs, async (run) => {
    const fleet = await benchFleet(scratch('api-create'));
    const server = await createServer({ fleet, port: 0, rateLimits: { perTokenPerMinute: 1_000_000 } });
    const { token } = fleet.apiTokens.create({ scope: 'write', actor: 'bench' });
    await fleet.create('warm-up', { jurisdiction: 'eu' }); // builds the template once
    let apiTotal = 0;
    let directTotal = 0;
    try {
      // Alternate so neither side always runs on a warmer page cache.
      for (let i = 0; i < size.instances; i++) {
        let started = performance.now();
        const response = await fetch(`${server.url}/v1/instances`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: `api-${run}-${i}`, jurisdiction: i % 2 ? 'eu' : 'us' }),
        });
        await response.arrayBuffer();
        if (response.status !== 201) throw new Error(`POST /v1/instances answered ${response.status}`);
        const apiMs = performance.now() - started;
        started = performance.now();
        await fleet.create(`direct-${run}-${i}`, { jurisdiction: i % 2 ? 'eu' : 'us' });
        const directMs = performance.now() - started;
        apiTotal += apiMs;
        directTotal += directMs;
        apiLatencies.push(apiMs);
      }
    } finally {
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
      sample: `${size.instances} creates × ${size.runs} runs, alternating API and in process`,
      'what the API adds': 'loopback HTTP, token lookup (SHA-256, constant-time compare), zod validation, JSON',
    },
    reproduce: 'npm run bench -- --only api',
  });
}
