import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { FleetSettings } from './config';
import { SiloError } from './errors';

/** A folder the fleet keeps files in: its data folder, a region's folder, a backup folder. */
export interface FleetFolder {
  /** `data`: the data folder (catalog and tenant files) or a region's folder; `backups`: a backup folder. */
  readonly kind: 'data' | 'backups';
  /** What it is for people: "data folder", "region eu-west", "backups of eu-west". */
  readonly label: string;
  readonly path: string;
  /**
   * Set for a folder the fleet shares with its user (the data folder, where `silo export` may
   * write by default): only these entries at its top are the fleet's. Unset: all of it is.
   */
  readonly ownEntries?: readonly string[];
}

/** What the fleet keeps at the top of its data folder (catalog.ts, secrets, templates, staging, regions, backups). */
const DATA_FOLDER_ENTRIES = ['catalog.db', 'catalog.db-wal', 'catalog.db-shm', 'catalog.db-journal', 'secret.key', 'templates', 'staging', 'regions', 'backups'];

/** Every local folder the fleet's settings name (S3 backup locations have none). */
export function fleetFolders(settings: Pick<FleetSettings, 'dataDir' | 'regions' | 'backups'>): FleetFolder[] {
  const folders: FleetFolder[] = [{ kind: 'data', label: 'data folder', path: settings.dataDir, ownEntries: DATA_FOLDER_ENTRIES }];
  for (const region of settings.regions) folders.push({ kind: 'data', label: `region ${region.id}`, path: region.dataDir });
  for (const [regionId, location] of settings.backups.locations) {
    if (location.kind === 'folder') folders.push({ kind: 'backups', label: `backups of ${regionId}`, path: location.path });
  }
  const catalogBackups = settings.backups.catalogLocation;
  if (catalogBackups.kind === 'folder') folders.push({ kind: 'backups', label: 'catalog backups', path: catalogBackups.path });
  return folders;
}

/**
 * Refuses a file the fleet would write for someone (an export) among its own files: there it
 * could overwrite a tenant's database, the catalog, the secret or a backup, or put a tenant's
 * bytes in another jurisdiction's region. Links are followed, so no spelling of the path (a
 * symlink, `..`) gets in.
 */
export function assertOutsideFleetFolders(file: string, folders: readonly FleetFolder[]): void {
  const target = resolvedPath(file);
  for (const folder of folders) {
    const inside = path.relative(resolvedPath(folder.path), target);
    if (inside === '..' || inside.startsWith(`..${path.sep}`) || path.isAbsolute(inside)) continue;
    const entry = inside.split(path.sep)[0] ?? '';
    if (inside === '' || folder.ownEntries === undefined || folder.ownEntries.includes(entry)) {
      throw new SiloError('INVALID_INPUT', `${file} is inside the fleet's ${folder.label} (${folder.path}); a file written there could replace the fleet's own. Choose a path outside it.`);
    }
  }
}

/** The absolute path with every link in its existing part resolved (the rest may not exist yet). */
function resolvedPath(file: string): string {
  let existing = path.resolve(file);
  const rest: string[] = [];
  while (!existsSync(existing)) {
    const parent = path.dirname(existing);
    if (parent === existing) break;
    rest.unshift(path.basename(existing));
    existing = parent;
  }
  return path.join(realpathSync(existing), ...rest);
}
