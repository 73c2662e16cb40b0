import path from 'node:path';
import type { FleetSettings } from '../config';
import type { Engine } from '../engine';
import { LocalEngine } from './local-engine';
import { TursoEngine } from './turso-engine';

/** The engine the settings ask for (SILO_ENGINE), ready to serve. */
export async function openEngine(settings: FleetSettings): Promise<Engine> {
  if (settings.engineKind === 'turso' && settings.turso) {
    return TursoEngine.open({ settings: settings.turso, regions: settings.regions });
  }
  return new LocalEngine({
    templatesDir: path.join(settings.dataDir, 'templates'),
    regions: settings.regions,
    queryWorkers: settings.queryWorkers,
  });
}
