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
}

/** Every local folder the fleet's settings name (S3 backup locations have none). */
export function fleetFolders(settings: Pick<FleetSettings, 'dataDir' | 'regions' | 'backups'>): FleetFolder[] {
  const folders: FleetFolder[] = [{ kind: 'data', label: 'data folder', path: settings.dataDir }];
  for (const region of settings.regions) folders.push({ kind: 'data', label: `region ${region.id}`, path: region.dataDir });
  for (const [regionId, location] of settings.backups.locations) {
    if (location.kind === 'folder') folders.push({ kind: 'backups', label: `backups of ${regionId}`, path: location.path });
  }
  const catalogBackups = settings.backups.catalogLocation;
  if (catalogBackups.kind === 'folder') folders.push({ kind: 'backups', label: 'catalog backups', path: catalogBackups.path });
  return folders;
}

/**
 * Refuses a file the fleet would write for someone (an export) inside one of its own folders:
 * there it could overwrite a tenant's database, the catalog or a backup, or put a tenant's
 * bytes in another jurisdiction's region. Links are followed, so no spelling of the path (a
 * symlink, `..`) gets in.
 */
export function assertOutsideFleetFolders(file: string, folders: readonly FleetFolder[]): void {
  const target = resolvedPath(file);
  for (const folder of folders) {
    const inside = path.relative(resolvedPath(folder.path), target);
    if (inside === '' || (!inside.startsWith(`..${path.sep}`) && inside !== '..' && !path.isAbsolute(inside))) {
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
