import { createHash, randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzip, gzip, type ZlibOptions } from 'node:zlib';
import { z } from 'zod';
import { SiloError, errorMessage } from '../errors';
import { failpoint } from '../failpoints';
import type { BackupStore } from './store';
import { PRIVATE_FILE_MODE } from '../permissions';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify<Buffer, ZlibOptions, Buffer>(gunzip);

/**
 * A backup point is a manifest plus content-addressed chunks, all under one base key
 * (`instances/<instance id>` or `catalog`):
 *
 *   <base>/chunks/<sha256>            gzip of one 64 KiB slice of the database file
 *   <base>/points/<taken at>-<reason>-<random>.json   the manifest: which chunks, in order
 *
 * SQLite changes whole pages in place, so a small change to a big database touches few
 * slices: a new point stores only slices the previous point does not already reference. The
 * manifest is written last, so a point is visible only once everything it needs is stored.
 */
export const CHUNK_SIZE = 64 * 1024;
/** Chunks compressed and written together, bounding memory for big databases. */
const WRITE_BATCH = 64;
const FORMAT = 1;

export type PointReason = 'scheduled' | 'manual' | 'undo' | 'restored';

export interface PointSubject {
  readonly kind: 'instance' | 'catalog';
  readonly instanceId?: string;
  readonly name: string;
  readonly jurisdiction?: string;
  readonly region?: string;
}

export interface PointManifest {
  readonly format: number;
  readonly id: string;
  readonly subject: PointSubject;
  readonly takenAt: number;
  readonly reason: PointReason;
  readonly sizeBytes: number;
  readonly chunkSize: number;
  /** SHA-256 of each slice of the file, in order. */
  readonly chunks: readonly string[];
  /** SHA-256 of the whole file. */
  readonly sha256: string;
  readonly schemaVersion: number;
  /** Rows per table when the point was taken: what verification compares. */
  readonly tables: Readonly<Record<string, number>>;
  /** Compressed bytes this point added to the location (its new chunks). */
  readonly storedBytes: number;
}

/** What a listing shows without reading manifests: it is all in the key. */
export interface PointRef {
  readonly id: string;
  readonly takenAt: number;
  readonly reason: PointReason;
}

export function instanceBase(instanceId: string): string {
  return `instances/${instanceId}`;
}

export const CATALOG_BASE = 'catalog';

export function newPointId(takenAt: number, reason: PointReason): string {
  return `${String(takenAt).padStart(13, '0')}-${reason}-${randomBytes(3).toString('hex')}`;
}

const POINT_ID = /^(\d{13})-(scheduled|manual|undo|restored)-[0-9a-f]{6}$/;

export function parsePointId(id: string): PointRef | undefined {
  const match = POINT_ID.exec(id);
  if (!match) return undefined;
  return { id, takenAt: Number(match[1]), reason: match[2] as PointReason };
}

/** Points of one subject, oldest first. */
export async function listPoints(store: BackupStore, base: string): Promise<PointRef[]> {
  const objects = await store.list(`${base}/points/`);
  return objects
    .map((object) => parsePointId(object.key.slice(`${base}/points/`.length).replace(/\.json$/, '')))
    .filter((ref): ref is PointRef => ref !== undefined)
    .sort((a, b) => a.takenAt - b.takenAt || TIE_ORDER[a.reason] - TIE_ORDER[b.reason] || (a.id < b.id ? -1 : 1));
}

/**
 * Points taken within the same millisecond: a restore's undo point holds the state before it and
 * its restored point the state after, so "the newest at or before" must find the restored one.
 */
const TIE_ORDER: Readonly<Record<PointReason, number>> = { undo: 0, scheduled: 1, manual: 1, restored: 2 };

export async function readManifest(store: BackupStore, base: string, pointId: string): Promise<PointManifest> {
  const data = await store.get(pointKey(base, pointId));
  if (!data) throw new SiloError('BACKUP_NOT_FOUND', `Backup point ${pointId} is not in ${store.description}.`, { details: { pointId } });
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString('utf8'));
  } catch (error) {
    throw corrupt(pointId, `its manifest is not valid JSON (${errorMessage(error)})`);
  }
  return checkManifest(parsed, base, pointId);
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * What a manifest must say before anything it names is read. It is a file in storage that
 * anyone with access to the location can edit, and its chunk names become keys: a name that
 * is not a SHA-256 could lead a read elsewhere in the location (another tenant's folder) or
 * outside it, and a chunk list longer than the stated size would have a restore write
 * without bound into the region's staging folder.
 */
const manifestSchema = z.object({
  format: z.literal(FORMAT),
  id: z.string(),
  subject: z.object({
    kind: z.enum(['instance', 'catalog']),
    instanceId: z.string().optional(),
    name: z.string(),
    jurisdiction: z.string().optional(),
    region: z.string().optional(),
  }),
  takenAt: z.number().int(),
  reason: z.enum(['scheduled', 'manual', 'undo', 'restored']),
  sizeBytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  chunkSize: z.literal(CHUNK_SIZE),
  chunks: z.array(z.string().regex(SHA256_HEX)),
  sha256: z.string().regex(SHA256_HEX),
  schemaVersion: z.number().int().min(0),
  tables: z.record(z.string(), z.number()),
  storedBytes: z.number(),
});

function checkManifest(parsed: unknown, base: string, pointId: string): PointManifest {
  const result = manifestSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw corrupt(pointId, `its manifest is malformed (${issue ? `${issue.path.join('.') || 'the whole'}: ${issue.message}` : 'unreadable'})`);
  }
  const manifest = result.data;
  const ref = parsePointId(pointId);
  if (manifest.id !== pointId || manifest.takenAt !== ref?.takenAt || manifest.reason !== ref.reason) {
    throw corrupt(pointId, 'its manifest does not describe this point');
  }
  // Points are per instance: one copied into another's folder (with its chunks) would hand a
  // tenant someone else's rows, every checksum agreeing.
  const owner = base === CATALOG_BASE ? { kind: 'catalog' } : { kind: 'instance', instanceId: base.slice(instanceBase('').length) };
  if (manifest.subject.kind !== owner.kind || manifest.subject.instanceId !== owner.instanceId) {
    throw corrupt(pointId, `its manifest belongs to ${manifest.subject.kind === 'catalog' ? 'the catalog' : `another instance (id ${manifest.subject.instanceId ?? 'none'})`}`);
  }
  if (manifest.chunks.length !== Math.ceil(manifest.sizeBytes / manifest.chunkSize)) {
    throw corrupt(pointId, `its manifest lists ${manifest.chunks.length} chunks for ${manifest.sizeBytes} bytes`);
  }
  return manifest;
}

export function pointKey(base: string, pointId: string): string {
  return `${base}/points/${pointId}.json`;
}

export function chunkKey(base: string, hash: string): string {
  return `${base}/chunks/${hash}`;
}

export interface WritePointInput {
  readonly store: BackupStore;
  readonly base: string;
  /** A consistent snapshot of the database; it is only read. */
  readonly file: string;
  readonly subject: PointSubject;
  readonly takenAt: number;
  readonly reason: PointReason;
  readonly schemaVersion: number;
  readonly tables: Readonly<Record<string, number>>;
  /** Chunks the location already holds for this subject (those of its latest point). */
  readonly knownChunks: ReadonlySet<string>;
}

/** Stores a snapshot file as a new point: new chunks first, then the manifest that makes it visible. */
export async function writePoint(input: WritePointInput): Promise<PointManifest> {
  const { store, base } = input;
  const id = newPointId(input.takenAt, input.reason);
  const chunks: string[] = [];
  const whole = createHash('sha256');
  const written = new Set<string>();
  let pending: { hash: string; data: Buffer }[] = [];
  let storedBytes = 0;
  let sizeBytes = 0;

  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const entries = await Promise.all(pending.map(async ({ hash, data }) => ({ key: chunkKey(base, hash), data: await gzipAsync(data) })));
    for (const entry of entries) storedBytes += entry.data.length;
    await store.putAll(entries);
    pending = [];
  };

  const handle = await open(input.file, 'r');
  try {
    const buffer = Buffer.alloc(CHUNK_SIZE);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK_SIZE, sizeBytes);
      if (bytesRead === 0) break;
      const slice = Buffer.from(buffer.subarray(0, bytesRead));
      sizeBytes += bytesRead;
      whole.update(slice);
      const hash = createHash('sha256').update(slice).digest('hex');
      chunks.push(hash);
      if (!input.knownChunks.has(hash) && !written.has(hash)) {
        written.add(hash);
        pending.push({ hash, data: slice });
        if (pending.length >= WRITE_BATCH) await flush();
      }
    }
  } finally {
    await handle.close();
  }
  await flush();
  failpoint('backup:after-chunks');
  const manifest: PointManifest = {
    format: FORMAT,
    id,
    subject: input.subject,
    takenAt: input.takenAt,
    reason: input.reason,
    sizeBytes,
    chunkSize: CHUNK_SIZE,
    chunks,
    sha256: whole.digest('hex'),
    schemaVersion: input.schemaVersion,
    tables: input.tables,
    storedBytes,
  };
  failpoint('backup:before-manifest');
  await store.putAll([{ key: pointKey(base, id), data: Buffer.from(JSON.stringify(manifest)) }]);
  return manifest;
}

/**
 * Rebuilds a point's database file at `destFile` (which must not exist), checking every chunk
 * against its SHA-256 and the whole file against the manifest. Anything missing or altered is
 * BACKUP_CORRUPT; the caller removes the partial file.
 */
export async function assemblePoint(store: BackupStore, base: string, manifest: PointManifest, destFile: string): Promise<void> {
  const whole = createHash('sha256');
  const handle = await open(destFile, 'wx', PRIVATE_FILE_MODE);
  try {
    let position = 0;
    const cache = new Map<string, Buffer>();
    for (const [index, hash] of manifest.chunks.entries()) {
      const label = `chunk ${index} (${hash.slice(0, 12)}…)`;
      // Every slice is whole but the last: the staged file never grows past the stated size.
      const expected = Math.min(manifest.chunkSize, manifest.sizeBytes - position);
      let data = cache.get(hash);
      if (!data) {
        const stored = await store.get(chunkKey(base, hash));
        if (!stored) throw corrupt(manifest.id, `${label} is missing`);
        try {
          // Bounded: a small stored object can inflate to gigabytes in memory.
          data = await gunzipAsync(stored, { maxOutputLength: manifest.chunkSize });
        } catch (error) {
          throw corrupt(manifest.id, `${label} does not decompress to at most ${manifest.chunkSize} bytes (${errorMessage(error)})`);
        }
        if (createHash('sha256').update(data).digest('hex') !== hash) {
          throw corrupt(manifest.id, `${label} does not match its checksum`);
        }
        // Identical slices (e.g. zeroed free pages) repeat; keep a few for reuse.
        if (cache.size < 16) cache.set(hash, data);
      }
      if (data.length !== expected) throw corrupt(manifest.id, `${label} holds ${data.length} bytes where the manifest needs ${expected}`);
      whole.update(data);
      await handle.write(data, 0, data.length, position);
      position += data.length;
    }
    if (position !== manifest.sizeBytes || whole.digest('hex') !== manifest.sha256) {
      throw corrupt(manifest.id, 'the rebuilt file does not match the manifest (size or checksum)');
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export function corrupt(pointId: string, reason: string): SiloError {
  return new SiloError('BACKUP_CORRUPT', `Backup point ${pointId} is damaged: ${reason}. It was not restored; choose an earlier point.`, {
    details: { pointId, reason },
  });
}
