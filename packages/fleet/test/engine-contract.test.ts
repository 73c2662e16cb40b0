import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { describe, it } from 'vitest';
import type { Region } from '../src/index';
import { LocalEngine, TursoEngine, resolveTursoSettings, withLocalFiles } from '../src/internal';
import { defineEngineContract, type EngineFactory, type EngineUnderTest } from './engine-contract';
import { regionsIn } from './helpers';
import { startStandinProcess } from './turso-standin';

/**
 * The engine contract (engine-contract.ts) over every engine: local files, Turso (against the
 * strict stand-in, and the real service when TURSO_API_TOKEN and TURSO_ORG are set) and the
 * routing engine SILO_ENGINE=turso builds. Each offers every control-plane feature the
 * contract knows, so every case runs.
 */

const local: EngineFactory = {
  id: 'local',
  label: 'local files (better-sqlite3)',
  async setUp(dir) {
    const regions = regionsIn(dir);
    const engine = new LocalEngine({ templatesDir: path.join(dir, 'templates'), regions, queryWorkers: 2 });
    return { engine, regions, dispose: () => engine.close() };
  },
};

/** A Turso engine on a fresh stand-in (in its own process), and what `build` makes of it. */
function onStandin(id: string, label: string, build: (turso: TursoEngine, dir: string, regions: readonly Region[]) => Omit<EngineUnderTest, 'dispose' | 'regions' | 'backend'>): EngineFactory {
  return {
    id,
    label,
    async setUp(dir) {
      const standin = await startStandinProcess(`${dir}/standin`);
      const regions = regionsIn(dir);
      try {
        const turso = await TursoEngine.open({ settings: resolveTursoSettings(standin.settings), regions, warn: () => undefined });
        const built = build(turso, dir, regions);
        return {
          ...built,
          regions,
          backend: { stopsRunawaysAtTheServer: false },
          dispose: async () => {
            await built.engine.close();
            await standin.stop();
          },
        };
      } catch (error) {
        await standin.stop();
        throw error;
      }
    },
  };
}

const tursoStandin = onStandin('turso', 'turso (stand-in)', (engine) => ({ engine }));

/** As SILO_ENGINE=turso builds it: Turso for new databases, local files for instances not moved yet. */
const routing = onStandin('routing', 'routing (turso primary, local secondary)', (turso, dir, regions) => {
  const localSide = new LocalEngine({ templatesDir: path.join(dir, 'templates'), regions, queryWorkers: 1 });
  return { engine: withLocalFiles(turso, () => localSide), locateBackedUp: (name, region) => localSide.locate(name, region) };
});

const realToken = process.env['TURSO_API_TOKEN'];
const realOrg = process.env['TURSO_ORG'];
/** Every run gets its own database-name prefix, so runs (and other fleets) in the organization never collide. */
const realPrefix = `silo-t${randomBytes(3).toString('hex')}-`;
const tursoReal: EngineFactory | undefined =
  realToken && realOrg
    ? {
        id: 'turso-real',
        label: 'turso (real service)',
        async setUp(dir) {
          const regions = regionsIn(dir);
          const engine = await TursoEngine.open({
            settings: resolveTursoSettings({
              org: realOrg,
              apiToken: realToken,
              groups: groupsFromEnv(process.env['TURSO_GROUPS'] ?? 'eu=silo-eu,us=silo-us'),
              databasePrefix: realPrefix,
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
        },
      }
    : undefined;

const selected = process.env['SILO_CONTRACT_ENGINES']?.split(',').map((id) => id.trim());
const ENGINES: EngineFactory[] = [local, tursoStandin, routing, ...(tursoReal ? [tursoReal] : [])].filter((factory) => !selected || selected.includes(factory.id));

if (!tursoReal) {
  describe.skip('engine contract: turso (real service)', () => {
    it('skipped: set TURSO_API_TOKEN and TURSO_ORG (and TURSO_GROUPS, default "eu=silo-eu,us=silo-us") to run the contract against Turso', () => {});
  });
}

function groupsFromEnv(raw: string): Record<string, string> {
  return Object.fromEntries(raw.split(',').map((entry) => entry.split('=').map((part) => part.trim()) as [string, string]));
}

defineEngineContract(ENGINES);
