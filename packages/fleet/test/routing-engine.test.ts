import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalEngine, RoutingEngine, TursoEngine, openFleet, resolveTursoSettings } from '../src/index';
import { describeEngineContract, regionsIn } from './engine-contract';
import { sampleSchema, tempDir } from './helpers';
import { startStandinProcess } from './turso-standin';

/**
 * RoutingEngine as SILO_ENGINE=turso builds it (Turso for new databases, local files for
 * instances not moved yet) must pass the same contract, optional capabilities included.
 */
describeEngineContract('routing (turso primary, local secondary)', async (dir) => {
  const standin = await startStandinProcess(`${dir}/standin`);
  const regions = regionsIn(dir);
  try {
    const turso = await TursoEngine.open({ settings: resolveTursoSettings(standin.settings), regions, warn: () => undefined });
    const engine = new RoutingEngine(turso, {
      kind: 'local',
      capabilities: LocalEngine.CAPABILITIES,
      open: () => new LocalEngine({ templatesDir: path.join(dir, 'templates'), regions, queryWorkers: 1 }),
    });
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

describe('backups under SILO_ENGINE=turso', () => {
  it('a local instance (not moved yet) still gets backup points; a Turso instance is left to Turso', async () => {
    const dataDir = tempDir('silo-routing-backup-');
    const standin = await startStandinProcess(path.join(dataDir, 'standin'));
    try {
      const local = await openFleet({ schema: sampleSchema(), dataDir });
      await local.create('oldie', { jurisdiction: 'eu' });
      await local.close();

      const fleet = await openFleet({ schema: sampleSchema(), dataDir, engineKind: 'turso', turso: { ...standin.settings, databasePrefix: 'bk-' }, warn: () => undefined });
      try {
        expect(fleet.engine).toBeInstanceOf(RoutingEngine);
        await fleet.create('newbie', { jurisdiction: 'eu' });
        expect(fleet.require('oldie')?.engine).toBe('local');
        expect(fleet.require('newbie')?.engine).toBe('turso');
        // Before the fix RoutingEngine had no `backups`, so this cycle scanned and backed up nothing.
        const cycle = await fleet.backups.runCycle();
        expect(cycle).toMatchObject({ backedUp: 1, failed: 0 });
        expect(await fleet.backups.list('oldie')).toHaveLength(1);
        expect(await fleet.backups.list('newbie')).toHaveLength(0);
      } finally {
        await fleet.close();
      }
    } finally {
      await standin.stop();
    }
  });
});
