import path from 'node:path';
import type { FleetSettings } from '../config';
import type { Engine } from '../engine';
import { LOCAL_CAPABILITIES, LocalEngine, type LocalEngineOptions } from './local-engine';
import { RoutingEngine } from './routing-engine';
import { TursoEngine } from './turso-engine';

/**
 * The engines' front door: the only module of engines/ (with turso-config.ts, the settings, and
 * turso-shared.ts, the Turso client pieces the catalog and residency use) that code outside
 * engines/ may import (eslint.config.js enforces it). Everything else in engines/ is an engine's
 * internals. The engine classes are re-exported for callers that build or recognise one
 * themselves (the package's index for tests and the CLI, silo move).
 */
export { LocalEngine, RoutingEngine, TursoEngine };
export type { LocalEngineOptions };
export type { TursoConnectionInfo, TursoEngineOptions } from './turso-engine';

/** The engine the settings ask for (SILO_ENGINE), ready to serve. */
export async function openEngine(settings: FleetSettings, warn?: (message: string) => void): Promise<Engine> {
  const local = (): LocalEngine =>
    new LocalEngine({
      templatesDir: path.join(settings.dataDir, 'templates'),
      regions: settings.regions,
      queryWorkers: settings.queryWorkers,
      queryMaxMemoryBytes: settings.queryMaxMemoryBytes,
      checkTimeoutSec: settings.checkTimeoutSec,
      fleetWorkers: settings.fleetWorkers,
      maxBytes: settings.instanceMaxBytes,
    });
  if (settings.engineKind === 'turso' && settings.turso) {
    const turso = await TursoEngine.open({
      settings: settings.turso,
      regions: settings.regions,
      notTenants: settings.catalog.kind === 'turso' ? [settings.catalog.syncUrl] : [],
      maxBytes: settings.instanceMaxBytes,
      queryMaxMemoryBytes: settings.queryMaxMemoryBytes,
      checkTimeoutSec: settings.checkTimeoutSec,
      ...(warn ? { warn } : {}),
    });
    return withLocalFiles(turso, local);
  }
  return local();
}

/**
 * `primary` for new databases, and local files (opened on first use) for instances not moved
 * to it yet (silo move): what SILO_ENGINE=turso serves.
 */
export function withLocalFiles(primary: Engine, openLocal: () => LocalEngine): RoutingEngine {
  return new RoutingEngine(primary, { kind: 'local', capabilities: LOCAL_CAPABILITIES, open: openLocal });
}
