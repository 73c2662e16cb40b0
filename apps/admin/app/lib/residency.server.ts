import { isSiloError, residencyHash, type Fleet, type ResidencyListing } from '@silo/fleet';

export interface ResidencyPage {
  readonly listing: ResidencyListing | null;
  readonly sha256: string | null;
  readonly error: string | null;
  readonly instance: string;
}

/** The residency page's data: the listing of the fleet or of one instance, and its hash. */
export async function residencyPage(fleet: Fleet, instance: string | undefined): Promise<ResidencyPage> {
  try {
    const listing = await fleet.residency(instance ? { instance } : {});
    return { listing, sha256: residencyHash(listing), error: null, instance: instance ?? '' };
  } catch (error) {
    if (isSiloError(error, 'INSTANCE_NOT_FOUND')) return { listing: null, sha256: null, error: error.message, instance: instance ?? '' };
    throw error;
  }
}
