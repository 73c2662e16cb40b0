import { isSiloError, type Fleet, type ResidencyListing } from '@silo/fleet';
import { residencyHash } from '@silo/fleet/internal';

/** Instances shown with their places on the page; the report download and the CLI have all of them. */
export const MAX_INSTANCES_SHOWN = 200;

export interface ResidencyPage {
  /** The listing, its instances cut to MAX_INSTANCES_SHOWN (violations, orphans and warnings are all there). */
  readonly listing: ResidencyListing | null;
  /** Instances in the whole listing. */
  readonly totalInstances: number;
  readonly sha256: string | null;
  readonly error: string | null;
  readonly instance: string;
}

/** The residency page's data: the listing of the fleet or of one instance, and its hash. */
export async function residencyPage(fleet: Fleet, instance: string | undefined): Promise<ResidencyPage> {
  try {
    const listing = await fleet.residency(instance ? { instance } : {});
    // The hash is of the whole listing, as a report would carry it.
    const sha256 = residencyHash(listing);
    const shown = { ...listing, instances: listing.instances.slice(0, MAX_INSTANCES_SHOWN) };
    return { listing: shown, totalInstances: listing.instances.length, sha256, error: null, instance: instance ?? '' };
  } catch (error) {
    if (isSiloError(error, 'INSTANCE_NOT_FOUND')) return { listing: null, totalInstances: 0, sha256: null, error: error.message, instance: instance ?? '' };
    throw error;
  }
}
