import { resolveSettings, type FleetSettingsInput } from '../config';
import { SiloError } from '../errors';
import { Regions } from '../regions';
import type { BackupPoint } from './backup-types';
import { restoreCatalog } from './restore';
import { BackupStores } from './stores';

/**
 * The catalog as it was at `at`, written to `destPath`, from the settings and the catalog's
 * backup location alone. Opening the fleet would open the catalog, and a lost or damaged
 * catalog is what this is for (`silo backup catalog`).
 */
export function recoverCatalog(input: FleetSettingsInput, at: Date | number, destPath: string): Promise<BackupPoint> {
  const settings = resolveSettings(input);
  if (settings.catalog.kind === 'turso') {
    throw new SiloError('INVALID_INPUT', 'The catalog is on Turso, which keeps its own history: restore it with a point-in-time branch of that database (`turso db create --from-db … --timestamp …`).');
  }
  const stores = new BackupStores({ settings, regions: new Regions(settings.regions) });
  return restoreCatalog(stores.catalog(), at, destPath);
}
