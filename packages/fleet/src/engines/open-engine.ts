import path from 'node:path';
import type { FleetSettings } from '../config';
import type { Engine } from '../engine';
import { LocalEngine } from './local-engine';
import { RoutingEngine } from './routing-engine';
import { TursoEngine } from './turso-engine';

/** The engine the settings ask for (SILO_ENGINE), ready to serve. */
export async function openEngine(settings: FleetSettings, warn?: (message: string) => void): Promise<Engine> {
  const local = (): LocalEngine =>
    new LocalEngine({
      templatesDir: path.join(settings.dataDir, 'templates'),
      regions: settings.regions,
      queryWorkers: settings.queryWorkers,
      maxBytes: settings.instanceMaxBytes,
    });
  if (settings.engineKind === 'turso' && settings.turso) {
    // Instances still on local files (not yet moved: silo move) keep being served from them.
    const turso = await TursoEngine.open({
      settings: settings.turso,
      regions: settings.regions,
      notTenants: settings.catalog.kind === 'turso' ? [settings.catalog.syncUrl] : [],
      maxBytes: settings.instanceMaxBytes,
      ...(warn ? { warn } : {}),
    });
    return new RoutingEngine(turso, { kind: 'local', capabilities: LocalEngine.CAPABILITIES, open: local });
  }
  return local();
}
