import { randomBytes } from 'node:crypto';
import { describe, it } from 'vitest';
import { TursoEngine, resolveTursoSettings } from '../src/index';
import { describeEngineContract, regionsIn } from './engine-contract';
import { startStandinProcess } from './turso-standin';

/**
 * The engine contract on Turso: always against the local stand-in (a fresh one per test, in
 * its own process), and against the real service when TURSO_API_TOKEN and TURSO_ORG are set.
 */
describeEngineContract('turso (stand-in)', async (dir) => {
  const standin = await startStandinProcess(`${dir}/standin`);
  const regions = regionsIn(dir);
  try {
    const engine = await TursoEngine.open({ settings: resolveTursoSettings(standin.settings), regions });
    return {
      engine,
      regions,
      capabilities: { stopsRunawaysAtTheServer: false },
      dispose: async () => {
        await engine.close();
        await standin.stop();
      },
    };
  } catch (error) {
    await standin.stop();
    throw error;
  }
});

const realToken = process.env['TURSO_API_TOKEN'];
const realOrg = process.env['TURSO_ORG'];
if (realToken && realOrg) {
  // Every run gets its own database-name prefix, so runs (and other fleets) in the organization never collide.
  const prefix = `silo-t${randomBytes(3).toString('hex')}-`;
  describeEngineContract('turso (real service)', async (dir) => {
    const regions = regionsIn(dir);
    const engine = await TursoEngine.open({
      settings: resolveTursoSettings({
        org: realOrg,
        apiToken: realToken,
        groups: groupsFromEnv(process.env['TURSO_GROUPS'] ?? 'eu=silo-eu,us=silo-us'),
        databasePrefix: prefix,
        readyTimeoutMs: 60_000,
      }),
      regions,
    });
    return {
      engine,
      regions,
      dispose: async () => {
        // Tests leave databases behind on purpose at times; the real organization must not keep them.
        for (const url of (await engine.inventory(regions)).databases) await engine.remove(url);
        await engine.close();
      },
    };
  });
} else {
  describe.skip('engine contract: turso (real service)', () => {
    it('skipped: set TURSO_API_TOKEN and TURSO_ORG (and TURSO_GROUPS, default "eu=silo-eu,us=silo-us") to run the contract against Turso', () => {});
  });
}

function groupsFromEnv(raw: string): Record<string, string> {
  return Object.fromEntries(raw.split(',').map((entry) => entry.split('=').map((part) => part.trim()) as [string, string]));
}
