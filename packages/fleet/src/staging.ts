import { readdirSync } from 'node:fs';
import path from 'node:path';
import { isAbandonedTemp } from './files';
import type { Region } from './regions';

/**
 * Staging and leftover scanning, the same for every engine: whichever engine serves a region,
 * transient files holding tenant data (import staging, exports, snapshots on their way to a
 * backup location or to Turso) are made in the region's own `staging` folder, so they stay in
 * its jurisdiction, and a temp file there whose process died is a leftover.
 */
export function stagingDirOf(region: Region): string {
  return path.join(region.dataDir, 'staging');
}

/** Temp files in `dir` that are leftovers (see isAbandonedTemp); a missing folder has none. */
export function abandonedTempsIn(dir: string): string[] {
  return listDir(dir)
    .map((entry) => path.join(dir, entry))
    .filter((file) => isAbandonedTemp(file));
}

/** Abandoned temp files in the staging folders of these regions. */
export function stagingLeftovers(regions: readonly Region[]): string[] {
  return regions.flatMap((region) => abandonedTempsIn(stagingDirOf(region)));
}

/** A folder's entries; none when it does not exist (yet). */
export function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
