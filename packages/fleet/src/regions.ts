import { SiloError } from './errors';

/** A place tenant databases live, pinned to one jurisdiction (eu, us, ...). */
export interface Region {
  readonly id: string;
  readonly jurisdiction: string;
  /** Absolute folder holding this region's tenant files, staging area and (later) backups. */
  readonly dataDir: string;
}

/**
 * Placement: an instance lives in a region of its own jurisdiction, and nothing holding its
 * data (clone, import staging, export snapshot) is ever placed outside that jurisdiction.
 */
export class Regions {
  readonly #byId: ReadonlyMap<string, Region>;

  constructor(readonly all: readonly Region[]) {
    this.#byId = new Map(all.map((region) => [region.id, region]));
  }

  get jurisdictions(): string[] {
    return [...new Set(this.all.map((region) => region.jurisdiction))];
  }

  /** The region, or undefined when the config no longer has it. */
  find(id: string): Region | undefined {
    return this.#byId.get(id);
  }

  get(id: string): Region {
    const region = this.#byId.get(id);
    if (!region) {
      throw new SiloError('UNKNOWN_REGION', `Unknown region "${id}". Configured regions: ${this.all.map((r) => r.id).join(', ')}.`);
    }
    return region;
  }

  /**
   * Refuses a filter naming a jurisdiction or region the fleet does not have: a mistyped
   * `--jurisdiction EU` would otherwise match nothing and look like an empty fleet.
   */
  assertKnown(filter: { jurisdiction?: string | undefined; region?: string | undefined }): void {
    if (filter.jurisdiction !== undefined && !this.jurisdictions.includes(filter.jurisdiction)) {
      throw new SiloError('UNKNOWN_JURISDICTION', `Unknown jurisdiction "${filter.jurisdiction}". Choose one of: ${this.jurisdictions.join(', ')}.`);
    }
    if (filter.region !== undefined) this.get(filter.region);
  }

  /** Picks the region for a new instance; an explicit region must belong to the jurisdiction. */
  place(jurisdiction: string, regionId?: string): Region {
    const candidates = this.all.filter((region) => region.jurisdiction === jurisdiction);
    if (candidates.length === 0) {
      throw new SiloError(
        'UNKNOWN_JURISDICTION',
        `Unknown jurisdiction "${jurisdiction}". Choose one of: ${this.jurisdictions.join(', ')}.`,
      );
    }
    if (regionId === undefined) return candidates[0] as Region;
    const region = this.get(regionId);
    assertSameJurisdiction(region, jurisdiction, 'placed');
    return region;
  }
}

export function assertSameJurisdiction(region: Region, jurisdiction: string, what: string): void {
  if (region.jurisdiction !== jurisdiction) {
    throw new SiloError(
      'JURISDICTION_VIOLATION',
      `Data of jurisdiction "${jurisdiction}" cannot be ${what} in region "${region.id}" (jurisdiction "${region.jurisdiction}"). Pick a region in "${jurisdiction}".`,
      { details: { region: region.id, jurisdiction } },
    );
  }
}
