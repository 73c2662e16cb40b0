import type { InstanceInfo } from '../catalog/catalog';
import { SiloError } from '../errors';
import type { FleetSettings } from '../config';
import type { Regions } from '../regions';
import { describeLocation, type BackupLocation, type BackupSettings } from './backup-config';
import { S3Store } from './s3-store';
import { FolderStore, type BackupStore } from './store';

/** Picks the store for each backup location, one client per location for the fleet's life. */
export class BackupStores {
  readonly #fleet: { readonly settings: FleetSettings; readonly regions: Regions };
  readonly #opened = new Map<string, BackupStore>();

  constructor(fleet: { readonly settings: FleetSettings; readonly regions: Regions }) {
    this.#fleet = fleet;
  }

  get #settings(): BackupSettings {
    return this.#fleet.settings.backups;
  }

  /**
   * The store of the instance's region, after checking that the location is in the instance's
   * jurisdiction: the rule is enforced on every use, not only at configuration.
   */
  forInstance(instance: Pick<InstanceInfo, 'region' | 'jurisdiction' | 'name'>): BackupStore {
    const region = this.#fleet.regions.get(instance.region);
    const location = this.#settings.locations.get(region.id);
    if (!location) throw new SiloError('CONFIG_INVALID', `Region "${region.id}" has no backup location.`);
    if (location.jurisdiction !== instance.jurisdiction || region.jurisdiction !== instance.jurisdiction) {
      throw new SiloError(
        'JURISDICTION_VIOLATION',
        `Backups of "${instance.name}" (jurisdiction "${instance.jurisdiction}") cannot be kept in ${describeLocation(location)} (jurisdiction "${location.jurisdiction}").`,
        { details: { instance: instance.name, jurisdiction: instance.jurisdiction, location: location.jurisdiction } },
      );
    }
    return this.#open(`region:${region.id}`, location);
  }

  /** How the location of a region is named in the catalog (its folder, or s3://bucket/prefix). */
  describeRegional(regionId: string): string | undefined {
    const location = this.#settings.locations.get(regionId);
    return location && describeLocation(location);
  }

  /** Every configured location, the catalog's included, as the catalog names them. */
  describeConfigured(): Set<string> {
    return new Set([...this.#settings.locations.values(), this.#settings.catalogLocation].map(describeLocation));
  }

  /**
   * The configured regional location named `description` (as the catalog names it), if it may
   * hold data of `jurisdiction`; undefined when it is no longer configured (or is another
   * jurisdiction's).
   */
  forLocation(description: string, jurisdiction: string): BackupStore | undefined {
    for (const [regionId, location] of this.#settings.locations) {
      if (describeLocation(location) !== description) continue;
      const region = this.#fleet.regions.get(regionId);
      if (location.jurisdiction !== jurisdiction || region.jurisdiction !== jurisdiction) continue;
      return this.#open(`region:${regionId}`, location);
    }
    return undefined;
  }

  catalog(): BackupStore {
    return this.#open('catalog', this.#settings.catalogLocation);
  }

  /** The store of every region's location (retention walks them all). */
  regional(): BackupStore[] {
    return [...this.#settings.locations].map(([regionId, location]) => this.#open(`region:${regionId}`, location));
  }

  #open(key: string, location: BackupLocation): BackupStore {
    let store = this.#opened.get(key);
    if (!store) {
      store = location.kind === 'folder' ? new FolderStore(location.path) : new S3Store(location);
      this.#opened.set(key, store);
    }
    return store;
  }
}
