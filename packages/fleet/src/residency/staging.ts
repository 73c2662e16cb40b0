import path from 'node:path';
import { tempSibling } from '../files';
import { validateName } from '../names';
import { makePrivateDir } from '../permissions';
import type { Regions } from '../regions';
import { stagingDirOf } from '../staging';

/** Where a file arriving from outside (an upload) is staged before the fleet imports it. */
export interface UploadPlacement {
  readonly jurisdiction: string;
  /** Empty or absent: the jurisdiction's default region. */
  readonly region?: string | undefined;
  /** The instance the upload is for, when the form says: names the staged file, so a residency listing attributes it. */
  readonly name?: string | undefined;
}

/**
 * A new temp path in the staging folder of the region `placement` resolves to, the folder
 * created owner-only. The region is chosen exactly as the import will choose it
 * (`Regions.place`), so an upload is never written outside its jurisdiction, not even for the
 * seconds before the import copies it into place. Throws the placement's SiloError
 * (UNKNOWN_JURISDICTION, UNKNOWN_REGION, JURISDICTION_VIOLATION). The temp name carries this
 * process's token: if the process dies, `silo doctor` removes it as a leftover.
 */
export function uploadStagingFile(fleet: { readonly regions: Regions }, placement: UploadPlacement): string {
  const region = fleet.regions.place(placement.jurisdiction, placement.region ? placement.region : undefined);
  const dir = stagingDirOf(region);
  makePrivateDir(dir);
  return tempSibling(path.join(dir, `${labelOf(placement.name)}.upload.db`));
}

function labelOf(name: string | undefined): string {
  if (!name) return 'upload';
  try {
    validateName(name);
    return name;
  } catch {
    return 'upload';
  }
}
