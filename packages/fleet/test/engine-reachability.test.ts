import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFleet, type Fleet } from '../src/index';
import { sampleSchema, tempDir } from './helpers';
import { STANDIN_GROUPS, startStandinProcess, type StandinProcess } from './turso-standin';

/** What /readyz says of the engine: its own stand-in, since one test stops it. */
let standin: StandinProcess;
let standinDir: string;
const fleets: Fleet[] = [];

beforeAll(async () => {
  standinDir = mkdtempSync(path.join(tmpdir(), 'silo-reach-standin-'));
  standin = await startStandinProcess(standinDir);
});

afterAll(async () => {
  for (const fleet of fleets) await fleet.close();
  await standin.stop();
  rmSync(standinDir, { recursive: true, force: true });
});

async function tursoFleet(prefix: string): Promise<Fleet> {
  const fleet = await openFleet({ schema: sampleSchema(), dataDir: tempDir(), engineKind: 'turso', turso: { ...standin.settings, databasePrefix: prefix } });
  fleets.push(fleet);
  return fleet;
}

describe('engine reachability (/readyz)', () => {
  it('is ok for local files, which have nothing to reach', async () => {
    const fleet = await openFleet({ schema: sampleSchema(), dataDir: tempDir() });
    fleets.push(fleet);
    expect(await fleet.engineReachability()).toBe('ok');
  });

  it('is ok while Turso answers, and says the engine is unreachable once it stops, naming no organisation or group', async () => {
    const answering = await tursoFleet('up-');
    const later = await tursoFleet('down-');
    // Concurrent probes share one check.
    expect(await Promise.all([answering.engineReachability(), answering.engineReachability()])).toEqual(['ok', 'ok']);

    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning);
    process.on('warning', onWarning);
    try {
      await standin.stop();
      const answer = await later.engineReachability();
      expect(answer).toMatch(/^the turso engine (is unreachable|did not answer)/);
      for (const secret of [standin.platform.org, STANDIN_GROUPS.eu, standin.platform.url, standin.platform.apiToken]) expect(answer).not.toContain(secret);
      // The detail goes to the log, once, without the API token.
      await new Promise((resolve) => setImmediate(resolve));
      const logged = warnings.filter((warning) => (warning as Error & { code?: string }).code === 'SILO_ENGINE_UNREACHABLE');
      expect(logged).toHaveLength(1);
      expect(logged[0]?.message).not.toContain(standin.platform.apiToken);
      // A probe soon after reuses the answer instead of calling the API again.
      expect(await later.engineReachability()).toBe(answer);
      expect(warnings.filter((warning) => (warning as Error & { code?: string }).code === 'SILO_ENGINE_UNREACHABLE')).toHaveLength(1);
      // The answer cached while Turso answered stands for a few seconds.
      expect(await answering.engineReachability()).toBe('ok');
    } finally {
      process.off('warning', onWarning);
    }
  });
});
