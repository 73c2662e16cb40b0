import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openFleet } from '../src/index';
import { RoutingEngine } from '../src/internal';
import { sampleSchema, tempDir } from './helpers';
import { startStandinProcess } from './turso-standin';

// The routing engine's contract runs in engine-contract.test.ts with every other engine.

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
