import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { InstanceInfo } from '../catalog/catalog';
import type { FleetSettings, Region } from '../config';
import { errorMessage } from '../errors';
import { describeLocation, type BackupLocation, type S3Location } from '../backups/backup-config';
import { S3Store } from '../backups/s3-store';
import { isAbandonedTemp, isTempFile } from '../files';
import { filesystemOf, readMounts, type Filesystem } from './mounts';

/**
 * Residency: where every byte of every instance lives. Built by walking the places the
 * configuration names (each region's folder with its tenant files and staging folder, each
 * backup location, folder or S3, and the data folder itself) and attributing every file to
 * the instance it belongs to, by the names the fleet gives its files (tenant files and staged
 * files carry the instance's name, backup objects its id). Nothing is taken on trust from the
 * catalog's URLs: a file is judged by where it is found.
 */
export const RESIDENCY_FORMAT = 1;

/** What a place holds for an instance. */
export type PlaceKind = 'database' | 'wal' | 'shm' | 'journal' | 'temp' | 'staged' | 'backup-points' | 'backup-chunks' | 'backup-marker' | 'turso';

export interface ResidencyPlace {
  readonly kind: PlaceKind;
  /** A file path, a backup location with its key prefix (folder or s3://), or turso:<group>. */
  readonly location: string;
  /** The region whose configuration the place belongs to; null outside every region. */
  readonly region: string | null;
  /** The jurisdiction the configuration gives the place; null: none (e.g. TMPDIR, the data folder). */
  readonly jurisdiction: string | null;
  readonly files: number;
  readonly bytes: number;
  /** Turso: the group's locations as the Platform API reports them. */
  readonly tursoLocations?: readonly string[];
}

export interface InstanceResidency {
  readonly name: string;
  readonly id: string;
  readonly state: string;
  readonly jurisdiction: string;
  readonly region: string;
  readonly engine: string;
  readonly dbUrl: string;
  /** Lineage: the instance this one was cloned from (a clone is an instance of its own). */
  readonly clonedFrom: string | null;
  readonly clones: readonly string[];
  readonly places: readonly ResidencyPlace[];
}

/** A configured folder: its role, the jurisdiction configuration gives it, and the disk it is on. */
export interface ResidencyFolder {
  readonly path: string;
  readonly role: 'data' | 'region' | 'staging' | 'backups' | 'catalog-backups';
  readonly region: string | null;
  readonly jurisdiction: string | null;
  readonly filesystem: Filesystem;
}

export interface ResidencyBucket {
  readonly location: string;
  readonly region: string;
  readonly jurisdiction: string;
  readonly objects: number;
  readonly bytes: number;
}

/** Bytes of an instance found in a place of another jurisdiction (or of none). */
export interface ResidencyViolation {
  readonly instance: string;
  readonly instanceJurisdiction: string;
  readonly location: string;
  readonly placeJurisdiction: string | null;
  readonly bytes: number;
}

/** A file or object that belongs to no instance and is not the fleet's own. */
export interface ResidencyOrphan {
  readonly location: string;
  readonly jurisdiction: string | null;
  readonly bytes: number;
  readonly reason: string;
}

export interface ResidencyErasure {
  readonly instanceId: string;
  readonly location: string;
  readonly region: string | null;
  readonly jurisdiction: string | null;
  readonly files: number;
  readonly bytes: number;
}

export interface ResidencyWarning {
  readonly code: 'SHARED_FILESYSTEM' | 'TURSO_UNREADABLE' | 'LOCATION_UNREADABLE' | 'CATALOG_STATEMENT_TEXT';
  readonly message: string;
}

export interface ResidencyListing {
  readonly format: number;
  readonly generatedAt: string;
  /** The one instance asked for, or null for the whole fleet. */
  readonly instance: string | null;
  readonly folders: readonly ResidencyFolder[];
  readonly buckets: readonly ResidencyBucket[];
  readonly instances: readonly InstanceResidency[];
  /** Backups of purged instances, kept until retention erases them: bytes of no live instance, but not orphans. */
  readonly awaitingErasure: readonly ResidencyErasure[];
  /** Files of operations still running (a temp name whose process is alive) for a name not in the catalog yet. */
  readonly inFlight: readonly (ResidencyPlace & { readonly name: string })[];
  readonly violations: readonly ResidencyViolation[];
  readonly orphans: readonly ResidencyOrphan[];
  readonly warnings: readonly ResidencyWarning[];
  /** No violation and no orphan. Warnings do not make it false. */
  readonly ok: boolean;
}

export interface ResidencyHost {
  readonly settings: FleetSettings;
  /** Every catalog row, whatever its state. */
  readonly instances: () => InstanceInfo[];
  /** Ids of instances in the catalog or in a recorded purge. */
  readonly knownIds: () => ReadonlySet<string>;
  readonly clock: () => number;
  /** Audit entries that keep the text of a statement run on instance data (console writes, fleet queries), for one instance or all. */
  readonly statementTexts?: (instance: string | undefined) => number;
  /** The locations of a Turso group, read through the Platform API; absent without the Turso engine. */
  readonly tursoGroupLocations?: (group: string) => Promise<string[]>;
}

export interface ResidencyOptions {
  readonly instance?: string | undefined;
  /** Called after each folder or bucket is walked (`total` of them), for progress bars. */
  readonly onProgress?: ((done: number, total: number, what: string) => void) | undefined;
}

/** Where a walked file or object was found, by configuration. */
interface Area {
  readonly root: string;
  readonly kind: 'tenants' | 'staging' | 'backups' | 'catalog-backups' | 'region-other' | 'data';
  readonly region: Region | null;
  readonly jurisdiction: string | null;
}

interface Found {
  readonly location: string;
  readonly bytes: number;
  readonly area: Area;
  /** The key (backups) or path relative to the area's root, `/`-separated. */
  readonly rel: string;
  /** When the file was last written, if known: what a temp file of an owner unknown here is judged by. */
  readonly modifiedAt?: number;
}

/** Known files of the fleet itself in the data folder: metadata and schema templates, no tenant data. */
const FLEET_FILES = [/^catalog\.db(-wal|-shm|-journal)?$/, /^secret\.key$/, /^templates\//, /^catalog-replica-[^/]+\//, /^staging\/catalog\.[a-z]+\.db\.tmp-/];

export async function buildResidency(host: ResidencyHost, options: ResidencyOptions = {}): Promise<ResidencyListing> {
  const { settings } = host;
  const mounts = readMounts();
  const rows = host.instances();
  const byName = new Map(rows.map((row) => [row.name, row]));
  const byId = new Map(rows.map((row) => [row.id, row]));
  const places = new Map<string, ResidencyPlace[]>(rows.map((row) => [row.id, []]));
  const violations: ResidencyViolation[] = [];
  const orphans: ResidencyOrphan[] = [];
  const inFlight: (ResidencyPlace & { name: string })[] = [];
  const warnings: ResidencyWarning[] = [];

  // ── The configured folders, most specific first when matching a path.
  const folders: ResidencyFolder[] = [];
  const areas: Area[] = [];
  const folder = (root: string, role: ResidencyFolder['role'], region: Region | null, jurisdiction: string | null): void => {
    folders.push({ path: root, role, region: region?.id ?? null, jurisdiction, filesystem: filesystemOf(root, mounts) });
  };
  folder(settings.dataDir, 'data', null, null);
  areas.push({ root: settings.dataDir, kind: 'data', region: null, jurisdiction: null });
  for (const region of settings.regions) {
    folder(region.dataDir, 'region', region, region.jurisdiction);
    folder(path.join(region.dataDir, 'staging'), 'staging', region, region.jurisdiction);
    areas.push({ root: region.dataDir, kind: 'region-other', region, jurisdiction: region.jurisdiction });
    areas.push({ root: path.join(region.dataDir, 'tenants'), kind: 'tenants', region, jurisdiction: region.jurisdiction });
    areas.push({ root: path.join(region.dataDir, 'staging'), kind: 'staging', region, jurisdiction: region.jurisdiction });
  }
  const s3: { region: Region; location: S3Location }[] = [];
  for (const [regionId, location] of settings.backups.locations) {
    const region = settings.regions.find((candidate) => candidate.id === regionId) ?? null;
    if (location.kind === 's3') {
      if (region) s3.push({ region, location });
      continue;
    }
    folder(location.path, 'backups', region, location.jurisdiction);
    areas.push({ root: location.path, kind: 'backups', region, jurisdiction: location.jurisdiction });
  }
  const catalogLocation: BackupLocation = settings.backups.catalogLocation;
  if (catalogLocation.kind === 'folder') {
    folder(catalogLocation.path, 'catalog-backups', null, null);
    areas.push({ root: catalogLocation.path, kind: 'catalog-backups', region: null, jurisdiction: null });
  }
  areas.sort((a, b) => b.root.length - a.root.length);

  // ── Walk every file under every root once.
  const seen = new Set<string>();
  const found: Found[] = [];
  const roots = [...new Set(areas.map((area) => area.root))].sort((a, b) => a.length - b.length);
  const total = roots.length + s3.length;
  let done = 0;
  for (const root of roots) {
    options.onProgress?.(done++, total, root);
    // Folders that are roots of their own are walked on their own turn.
    const others = new Set(roots.filter((other) => other !== root));
    for await (const { file, size, modifiedAt } of walk(root, others)) {
      if (seen.has(file)) continue;
      seen.add(file);
      const area = areas.find((candidate) => within(file, candidate.root));
      if (!area) continue;
      found.push({ location: file, bytes: size, area, rel: path.relative(area.root, file).split(path.sep).join('/'), modifiedAt });
    }
  }
  const buckets: ResidencyBucket[] = [];
  for (const { region, location } of s3) {
    const description = describeLocation(location);
    options.onProgress?.(done++, total, description);
    // Objects are named s3://bucket/prefix/key; the endpoint stays in the bucket's description.
    const base = `s3://${location.bucket}${location.prefix ? `/${location.prefix.replace(/^\/+|\/+$/g, '')}` : ''}`;
    const area: Area = { root: base, kind: 'backups', region, jurisdiction: location.jurisdiction };
    try {
      const objects = await new S3Store(location).list('');
      let bytes = 0;
      for (const object of objects) {
        bytes += object.size;
        found.push({ location: `${base}/${object.key}`, bytes: object.size, area, rel: object.key, modifiedAt: object.modifiedAt });
      }
      buckets.push({ location: description, region: region.id, jurisdiction: location.jurisdiction, objects: objects.length, bytes });
    } catch (error) {
      warnings.push({ code: 'LOCATION_UNREADABLE', message: `${description} could not be listed: ${errorMessage(error)}. Its objects are not in this listing.` });
    }
  }

  options.onProgress?.(total, total, '');

  // ── Attribute each file.
  const attribute = (instance: InstanceInfo, entry: Found, kind: PlaceKind, location = entry.location, files = 1): void => {
    places.get(instance.id)?.push({ kind, location, region: entry.area.region?.id ?? null, jurisdiction: entry.area.jurisdiction, files, bytes: entry.bytes });
    if (entry.area.jurisdiction !== instance.jurisdiction) {
      violations.push({ instance: instance.name, instanceJurisdiction: instance.jurisdiction, location, placeJurisdiction: entry.area.jurisdiction, bytes: entry.bytes });
    }
  };
  const orphan = (entry: Found, reason: string): void => {
    orphans.push({ location: entry.location, jurisdiction: entry.area.jurisdiction, bytes: entry.bytes, reason });
  };
  /** In flight, as doctor judges temp files: one it would not remove (yet). */
  const liveTemp = (entry: Found): boolean => isTempFile(entry.location) && !isAbandonedTemp(entry.location, { modifiedAt: entry.modifiedAt });
  /** Backup objects are summed per instance, location and kind rather than listed one by one. */
  const backupSums = new Map<string, { instance: InstanceInfo; entry: Found; kind: PlaceKind; location: string; files: number; bytes: number }>();
  const knownIds = host.knownIds();
  const purgedSets = new Map<string, { entries: Found[]; marker: boolean }>();

  for (const entry of found) {
    const { area, rel } = entry;
    if (area.kind === 'data') {
      if (!FLEET_FILES.some((pattern) => pattern.test(rel))) classifyNamed(entry, path.posix.basename(rel), 'a file in the data folder outside every region');
      continue;
    }
    if (area.kind === 'catalog-backups') {
      if (!rel.startsWith('catalog/')) orphan(entry, 'not a catalog backup, in the catalog backup location');
      continue;
    }
    if (area.kind === 'tenants') {
      const match = /^[0-9a-f]{2}\/([a-z0-9-]+)\.db(-wal|-shm|-journal)?(\.tmp-.*)?$/.exec(rel);
      const instance = match?.[1] ? byName.get(match[1]) : undefined;
      if (!match || !instance) {
        if (match?.[3] && liveTemp(entry)) inFlight.push({ name: match[1] ?? '', ...placeOf(entry, 'temp') });
        else orphan(entry, match ? `a database file of "${match[1]}", which is not in the catalog` : 'not a tenant database file');
        continue;
      }
      const kind: PlaceKind = match[3] ? 'temp' : match[2] === '-wal' ? 'wal' : match[2] === '-shm' ? 'shm' : match[2] === '-journal' ? 'journal' : 'database';
      attribute(instance, entry, kind);
      // A copy of a local instance's database where the catalog does not put it (in its own
      // jurisdiction: elsewhere it is a violation already) is a stray copy nothing would ever remove.
      const home = localPath(instance.dbUrl);
      if (home !== undefined && entry.area.jurisdiction === instance.jurisdiction && entry.location.replace(/(-wal|-shm|-journal)?(\.tmp-.*)?$/, '') !== home) {
        orphan(entry, `a copy of the database of "${instance.name}" where the catalog does not put it (${instance.dbUrl})`);
      }
      continue;
    }
    if (area.kind === 'staging') {
      classifyNamed(entry, rel, 'a staged file');
      continue;
    }
    if (area.kind === 'region-other') {
      orphan(entry, 'a file in a region folder outside its tenants, staging and backups folders');
      continue;
    }
    // A backup location (folder or S3): instances/<id>/...
    const match = /^instances\/([^/]+)\/(points|chunks)\/[^/]+$|^instances\/([^/]+)\/purged\.json$/.exec(rel);
    const id = match?.[1] ?? match?.[3];
    if (!match || !id) {
      if (liveTemp(entry)) continue;
      orphan(entry, 'not a backup object');
      continue;
    }
    const instance = byId.get(id);
    if (instance) {
      const kind: PlaceKind = match[2] === 'points' ? 'backup-points' : match[2] === 'chunks' ? 'backup-chunks' : 'backup-marker';
      const location = `${entry.area.root}/instances/${id}/${match[2] ?? 'purged.json'}`;
      const key = `${id}|${location}`;
      const sum = backupSums.get(key);
      if (sum) {
        sum.files++;
        sum.bytes += entry.bytes;
      } else backupSums.set(key, { instance, entry, kind, location, files: 1, bytes: entry.bytes });
      continue;
    }
    // Backups of a purged instance wait for erasure (retention removes them); any other id is an orphan.
    const set = purgedSets.get(`${entry.area.root}|${id}`) ?? { entries: [], marker: false };
    set.entries.push(entry);
    if (!match[2]) set.marker = true;
    purgedSets.set(`${entry.area.root}|${id}`, set);
  }
  for (const { instance, entry, kind, location, files, bytes } of backupSums.values()) {
    attribute(instance, { ...entry, bytes }, kind, location, files);
  }
  const awaitingErasure: ResidencyErasure[] = [];
  for (const [key, set] of purgedSets) {
    const id = key.slice(key.lastIndexOf('|') + 1);
    if (set.marker || knownIds.has(id)) {
      // A purged instance's backups, kept until retention erases them (SILO_BACKUP_PURGE_AFTER_DAYS).
      const first = set.entries[0];
      if (first) {
        awaitingErasure.push({
          instanceId: id,
          location: `${first.area.root}/instances/${id}`,
          region: first.area.region?.id ?? null,
          jurisdiction: first.area.jurisdiction,
          files: set.entries.length,
          bytes: set.entries.reduce((sum, entry) => sum + entry.bytes, 0),
        });
      }
      continue;
    }
    for (const entry of set.entries) orphan(entry, `backups of instance id ${id}, which the catalog does not know and which carry no purge marker (silo doctor --mark-orphan-backups)`);
  }

  // ── Turso instances: the group and its locations.
  const groupJurisdiction = new Map(Object.entries(settings.turso?.groups ?? {}).map(([jurisdiction, group]) => [group, jurisdiction]));
  const groupLocations = new Map<string, string[] | undefined>();
  for (const row of rows) {
    const match = /^turso:([^/]+)\//.exec(row.dbUrl);
    if (!match?.[1]) continue;
    const group = match[1];
    if (!groupLocations.has(group)) {
      try {
        groupLocations.set(group, host.tursoGroupLocations ? await host.tursoGroupLocations(group) : undefined);
      } catch (error) {
        groupLocations.set(group, undefined);
        warnings.push({ code: 'TURSO_UNREADABLE', message: `The locations of Turso group "${group}" could not be read: ${errorMessage(error)}.` });
      }
    }
    const jurisdiction = groupJurisdiction.get(group) ?? null;
    const locations = groupLocations.get(group);
    const region = settings.regions.find((candidate) => candidate.jurisdiction === jurisdiction)?.id ?? null;
    places.get(row.id)?.push({ kind: 'turso', location: `turso:${group}`, region, jurisdiction, files: 1, bytes: row.sizeBytes, ...(locations ? { tursoLocations: locations } : {}) });
    if (jurisdiction !== row.jurisdiction) {
      violations.push({ instance: row.name, instanceJurisdiction: row.jurisdiction, location: `turso:${group}`, placeJurisdiction: jurisdiction, bytes: row.sizeBytes });
    }
  }

  // ── Two jurisdictions on one filesystem: regions are then labels, not places.
  const byDevice = new Map<string, ResidencyFolder[]>();
  for (const entry of folders) {
    if (entry.jurisdiction === null) continue;
    byDevice.set(entry.filesystem.device, [...(byDevice.get(entry.filesystem.device) ?? []), entry]);
  }
  for (const [device, shared] of byDevice) {
    const jurisdictions = [...new Set(shared.map((entry) => entry.jurisdiction))];
    if (jurisdictions.length < 2) continue;
    const mount = shared[0]?.filesystem;
    warnings.push({
      code: 'SHARED_FILESYSTEM',
      message: `Folders of jurisdictions ${jurisdictions.join(', ')} are on one filesystem (device ${device}${mount?.mountPoint ? `, mounted at ${mount.mountPoint}` : ''}${mount?.fsType ? `, ${mount.fsType}` : ''}): ${[...new Set(shared.filter((entry) => entry.role === 'region').map((entry) => entry.path))].join(', ')}. On one disk, regions are labels, not places: mount each region's folder from storage in its jurisdiction (docs/sovereignty.md).`,
    });
  }

  const scope = options.instance;
  const statements = host.statementTexts?.(scope) ?? 0;
  if (statements > 0) {
    warnings.push({
      code: 'CATALOG_STATEMENT_TEXT',
      message: `The audit log keeps the text of ${statements} SQL statement${statements === 1 ? '' : 's'} run in the console's write mode or as fleet queries${scope ? ` on ${scope}` : ''} (and the console history keeps query texts). The catalog has no jurisdiction: a literal value in such a statement (a name, an e-mail) is tenant data outside its jurisdiction. Use bound parameters or the app for personal data (docs/sovereignty.md).`,
    });
  }
  const clones = new Map<string, string[]>();
  for (const row of rows) if (row.clonedFrom) clones.set(row.clonedFrom.id, [...(clones.get(row.clonedFrom.id) ?? []), row.name]);
  const clonesOf = (id: string): string[] => clones.get(id) ?? [];
  const instances: InstanceResidency[] = rows
    .filter((row) => scope === undefined || row.name === scope)
    .map((row) => ({
      name: row.name,
      id: row.id,
      state: row.state,
      jurisdiction: row.jurisdiction,
      region: row.region,
      engine: row.engine,
      dbUrl: row.dbUrl,
      clonedFrom: row.clonedFrom ? (byId.get(row.clonedFrom.id)?.name ?? row.clonedFrom.name ?? row.clonedFrom.id) : null,
      clones: clonesOf(row.id),
      places: (places.get(row.id) ?? []).sort((a, b) => (a.location < b.location ? -1 : a.location > b.location ? 1 : 0)),
    }));
  const scopedViolations = scope === undefined ? violations : violations.filter((violation) => violation.instance === scope);
  const scopedOrphans = scope === undefined ? orphans : [];
  return {
    format: RESIDENCY_FORMAT,
    generatedAt: new Date(host.clock()).toISOString(),
    instance: scope ?? null,
    folders,
    buckets,
    instances,
    awaitingErasure: scope === undefined ? awaitingErasure : [],
    inFlight: scope === undefined ? inFlight : inFlight.filter((entry) => entry.name === scope),
    violations: scopedViolations,
    orphans: scopedOrphans.sort((a, b) => (a.location < b.location ? -1 : 1)),
    warnings,
    ok: scopedViolations.length === 0 && scopedOrphans.length === 0,
  };

  /** The file the catalog's URL names, for local instances. */
  function localPath(dbUrl: string): string | undefined {
    const match = /^local:([a-z0-9][a-z0-9-]*)\/([0-9a-f]{2})\/([a-z0-9-]+)\.db$/.exec(dbUrl);
    const region = match ? settings.regions.find((candidate) => candidate.id === match[1]) : undefined;
    return match && region ? path.join(region.dataDir, 'tenants', match[2] ?? '', `${match[3] ?? ''}.db`) : undefined;
  }

  /** A staged file (or one outside every region) named `<instance>.<what>...`: the instance's, judged by where it is. */
  function classifyNamed(entry: Found, fileName: string, what: string): void {
    const name = /^([a-z0-9-]+)\./.exec(path.posix.basename(fileName))?.[1];
    const instance = name ? byName.get(name) : undefined;
    if (instance) return attribute(instance, entry, entry.area.kind === 'staging' ? 'staged' : 'temp');
    if (liveTemp(entry) && entry.area.kind === 'staging') {
      inFlight.push({ name: name ?? '', ...placeOf(entry, 'staged') });
      return;
    }
    orphan(entry, name ? `${what} of "${name}", which is not in the catalog` : `${what} that names no instance`);
  }
}

function placeOf(entry: Found, kind: PlaceKind): ResidencyPlace {
  return { kind, location: entry.location, region: entry.area.region?.id ?? null, jurisdiction: entry.area.jurisdiction, files: 1, bytes: entry.bytes };
}

/** The SHA-256 of a listing: of `JSON.stringify(listing)`, which a JSON round trip leaves unchanged. */
export function residencyHash(listing: ResidencyListing): string {
  return createHash('sha256').update(JSON.stringify(listing)).digest('hex');
}

/** Every regular file below `root` with its size; symlinks are not followed, unreadable folders skipped. */
async function* walk(root: string, skip: ReadonlySet<string>): AsyncGenerator<{ file: string; size: number; modifiedAt?: number }> {
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const full = path.join(root, entry.name);
    if (entry.isDirectory()) {
      if (!skip.has(full)) yield* walk(full, skip);
    } else if (entry.isFile() || entry.isSymbolicLink()) {
      const info = await stat(full).catch(() => undefined);
      yield { file: full, size: info?.size ?? 0, modifiedAt: info?.mtimeMs };
    }
  }
}

function within(inner: string, outer: string): boolean {
  const relative = path.relative(outer, inner);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/** Reads a report file back and checks its hash; for `silo residency --verify` and tests. */
export async function verifyResidencyReport(file: string): Promise<{ ok: boolean; sha256: string; computed: string }> {
  const report = JSON.parse(await readFile(file, 'utf8')) as { listing: ResidencyListing; sha256: string };
  const computed = residencyHash(report.listing);
  return { ok: computed === report.sha256, sha256: report.sha256, computed };
}
