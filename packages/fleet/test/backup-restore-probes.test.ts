/**
 * An outside review of restore: damaged stores, edited manifests, deleted and purged
 * instances, writes and deletes during a restore, the restore lease, retention, purge markers
 * and jurisdiction. Real SQLite files in temp folders, a real fleet; nothing of ours is mocked.
 * The kills are in backup-crash.test.ts (integration).
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { isSiloError, type Fleet } from '../src/index';
import { fileOf, filesUnder, openingError, sampleSchema, tempDir, tempFleet, tempLeftovers } from './helpers';

const HOUR = 60 * 60 * 1_000;
const DAY = 24 * HOUR;

function manualClock(start = Date.UTC(2026, 0, 10, 12, 0, 0)): { now: () => number; advance: (ms: number) => void } {
  let current = start;
  return { now: () => current, advance: (ms) => (current += ms) };
}

async function addNotes(fleet: Fleet, name: string, bodies: readonly string[]): Promise<void> {
  await fleet.withInstance(name, (db) => db.batch(bodies.map((body) => ({ sql: 'INSERT INTO notes (body) VALUES (?)', args: [body] }))));
}

async function notes(fleet: Fleet, name: string): Promise<string[]> {
  return fleet.withInstance(name, async (db) => (await db.execute('SELECT body FROM notes ORDER BY id')).rows.map((row) => String(row['body'])));
}

/** Every table's rows and the schema, read on a connection of its own: what "exactly as it was" compares. */
function contentOf(fleet: Fleet, name: string): string {
  const db = new Database(fileOf(fleet.require(name).dbUrl, fleet.settings.dataDir), { readonly: true });
  try {
    const schema = db.prepare<[], { sql: string | null }>("SELECT sql FROM sqlite_schema ORDER BY name").all();
    const tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").all();
    const rows = tables.map(({ name: table }) => db.prepare(`SELECT * FROM "${table}" ORDER BY rowid`).all());
    return JSON.stringify({ version: db.pragma('user_version', { simple: true }), schema, rows });
  } finally {
    db.close();
  }
}

/** The folder of an instance's backups in its region's default location. */
function backupDir(fleet: Fleet, name: string): string {
  const instance = fleet.require(name);
  return path.join(fleet.settings.dataDir, 'regions', instance.region, 'backups', 'instances', instance.id);
}

function manifestFiles(fleet: Fleet, name: string): string[] {
  return filesUnder(path.join(backupDir(fleet, name), 'points')).sort();
}

interface StoredManifest {
  id: string;
  subject: { instanceId?: string; name: string };
  takenAt: number;
  sizeBytes: number;
  chunkSize: number;
  chunks: string[];
  sha256: string;
}

function readStored(file: string): StoredManifest {
  return JSON.parse(readFileSync(file, 'utf8')) as StoredManifest;
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** What a refused restore must leave: the live instance, its points, the instance list, no temp files. */
interface Before {
  readonly content: string;
  readonly points: string[];
  readonly instances: string[];
  readonly catalogRow: unknown;
}

function snapshotOf(fleet: Fleet, name: string): Before {
  // Activity timestamps move with every read; the rest of the row must not.
  const row = Object.fromEntries(Object.entries(fleet.require(name)).filter(([key]) => key !== 'updatedAt' && key !== 'lastActiveAt'));
  return { content: contentOf(fleet, name), points: manifestFiles(fleet, name), instances: fleet.list().items.map((item) => item.name), catalogRow: row };
}

async function expectRefusedAndUntouched(fleet: Fleet, name: string, before: Before, attempt: () => Promise<unknown>, reason?: RegExp): Promise<void> {
  const error = await attempt().then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(isSiloError(error, 'BACKUP_CORRUPT'), `expected BACKUP_CORRUPT, got ${String(error)}`).toBe(true);
  if (reason) expect(String((error as Error).message)).toMatch(reason);
  expect(snapshotOf(fleet, name)).toEqual(before);
  expect(tempLeftovers(fleet.settings.dataDir)).toEqual([]);
}

/** An instance with a few 64 KiB chunks of incompressible notes, backed up once. */
async function backedUp(fleet: Fleet, name: string, jurisdiction = 'eu'): Promise<{ at: number }> {
  await fleet.create(name, { jurisdiction });
  await addNotes(fleet, name, Array.from({ length: 60 }, () => randomBytes(2_000).toString('hex')));
  const point = await fleet.backups.now(name);
  return { at: point.takenAt };
}

describe('a restore from a damaged store', () => {
  const nth = (files: readonly string[], index: number): string => {
    const file = files[index];
    if (file === undefined) throw new Error(`no chunk ${index}`);
    return file;
  };
  const damages: [string, (chunks: readonly string[], other: readonly string[]) => void][] = [
    ['a chunk with a flipped byte', (chunks) => {
      const data = readFileSync(nth(chunks, 0));
      const middle = data.length >> 1;
      data[middle] = (data[middle] ?? 0) ^ 0xff;
      writeFileSync(nth(chunks, 0), data);
    }],
    ['a truncated chunk', (chunks) => truncateSync(nth(chunks, 0), Math.floor(statSync(nth(chunks, 0)).size / 2))],
    ['an empty chunk', (chunks) => truncateSync(nth(chunks, 0), 0)],
    ['a missing chunk', (chunks) => rmSync(nth(chunks, 1))],
    ['a chunk swapped with another instance’s', (chunks, foreign) => copyFileSync(nth(foreign, 0), nth(chunks, 0))],
    ['a chunk of its own under another chunk’s name', (chunks) => copyFileSync(nth(chunks, 1), nth(chunks, 0))],
  ];

  it.each(damages)('with %s is refused, as new and in place, and leaves everything as it was', async (_label, damage) => {
    const { fleet } = await tempFleet();
    const { at } = await backedUp(fleet, 'acme');
    await backedUp(fleet, 'other');
    await addNotes(fleet, 'acme', ['written after the point']);
    const chunks = filesUnder(path.join(backupDir(fleet, 'acme'), 'chunks')).sort();
    const foreign = filesUnder(path.join(backupDir(fleet, 'other'), 'chunks')).sort();
    expect(chunks.length).toBeGreaterThan(1);
    damage(chunks, foreign);
    const before = snapshotOf(fleet, 'acme');

    await expectRefusedAndUntouched(fleet, 'acme', before, () => fleet.backups.restore('acme', { at, as: 'acme-copy' }));
    await expectRefusedAndUntouched(fleet, 'acme', before, () => fleet.backups.restore('acme', { at, inPlace: true }));
    expect(fleet.find('acme-copy')).toBeUndefined();
    expect((await notes(fleet, 'acme')).at(-1)).toBe('written after the point');
  });
});

describe('a point whose manifest was edited', () => {
  async function edited(edit: (manifest: StoredManifest, fleet: Fleet) => void): Promise<{ fleet: Fleet; at: number; before: Before }> {
    const { fleet } = await tempFleet();
    const { at } = await backedUp(fleet, 'acme');
    await backedUp(fleet, 'other');
    const [file] = manifestFiles(fleet, 'acme');
    if (!file) throw new Error('no manifest');
    const manifest = readStored(file);
    edit(manifest, fleet);
    writeFileSync(file, JSON.stringify(manifest));
    return { fleet, at, before: snapshotOf(fleet, 'acme') };
  }

  const edits: [string, (manifest: StoredManifest, fleet: Fleet) => void][] = [
    ['a wrong whole-file hash', (manifest) => (manifest.sha256 = '0'.repeat(64))],
    ['a size one byte short', (manifest) => (manifest.sizeBytes -= 1)],
    ['a size one chunk too long', (manifest) => (manifest.sizeBytes += manifest.chunkSize)],
    ['an absurd size', (manifest) => (manifest.sizeBytes = 2 ** 62)],
    ['a negative size', (manifest) => (manifest.sizeBytes = -1)],
    ['a size that is not a number', (manifest) => Object.assign(manifest, { sizeBytes: '65536' })],
    ['a chunk list that is not strings', (manifest) => Object.assign(manifest, { chunks: manifest.chunks.map(() => 7) })],
    ['an empty chunk list', (manifest) => (manifest.chunks = [])],
    ['a chunk size of its own', (manifest) => (manifest.chunkSize = 1)],
  ];

  it.each(edits)('with %s is refused as damaged, and nothing changes', async (_label, edit) => {
    const { fleet, at, before } = await edited(edit);
    await expectRefusedAndUntouched(fleet, 'acme', before, () => fleet.backups.restore('acme', { at, as: 'acme-copy' }));
    await expectRefusedAndUntouched(fleet, 'acme', before, () => fleet.backups.restore('acme', { at, inPlace: true }));
  });

  it('naming a chunk by a path that climbs out of the location is refused as damaged, not as a storage failure', async () => {
    const outside = path.join(tempDir(), 'secret');
    writeFileSync(outside, gzipSync(Buffer.from('not a backup')));
    const { fleet, at, before } = await edited((manifest) => {
      manifest.chunks[0] = `${'../'.repeat(12)}${outside.slice(1)}`;
    });
    await expectRefusedAndUntouched(fleet, 'acme', before, () => fleet.backups.restore('acme', { at, as: 'acme-copy' }), /chunk/);
    await expectRefusedAndUntouched(fleet, 'acme', before, () => fleet.backups.restore('acme', { at, inPlace: true }), /chunk/);
  });

  it('naming another instance’s file through ../ is refused as damaged, without reading it', async () => {
    let fifo = '';
    const { fleet, at, before } = await edited((manifest, own) => {
      // A FIFO among the other instance's chunks: opening it to read blocks until a writer comes.
      fifo = path.join(backupDir(own, 'other'), 'chunks', 'trap');
      execFileSync('mkfifo', [fifo]);
      manifest.chunks[0] = `../../${own.require('other').id}/chunks/trap`;
    });
    const outcome = fleet.backups.restore('acme', { at, as: 'acme-copy' }).then(
      () => 'restored',
      (error: unknown) => error,
    );
    const settled = await Promise.race([outcome, new Promise((resolve) => setTimeout(() => resolve('blocked'), 5_000))]);
    if (settled === 'blocked') {
      // Let the blocked read end, so the fleet can close.
      closeSync(openSync(fifo, 'w'));
      await outcome;
    }
    expect(settled, 'the restore opened a file outside the instance’s own chunks').not.toBe('blocked');
    expect(isSiloError(settled, 'BACKUP_CORRUPT'), String(settled)).toBe(true);
    expect(snapshotOf(fleet, 'acme')).toEqual(before);
    rmSync(fifo);
    expect(tempLeftovers(fleet.settings.dataDir)).toEqual([]);
  });

  it('that is another instance’s point (copied in with its chunks) is refused, so no tenant gets another’s rows', async () => {
    const { fleet } = await tempFleet();
    const { at } = await backedUp(fleet, 'acme');
    await addNotes(fleet, 'acme', ['acme after its point']);
    await backedUp(fleet, 'other');
    await addNotes(fleet, 'other', ['only in other']);
    // An operator's mix-up while moving a location by hand: other's point and chunks land in acme's folder.
    const [otherManifest] = manifestFiles(fleet, 'other');
    if (!otherManifest) throw new Error('no manifest');
    for (const chunk of filesUnder(path.join(backupDir(fleet, 'other'), 'chunks'))) copyFileSync(chunk, path.join(backupDir(fleet, 'acme'), 'chunks', path.basename(chunk)));
    const foreign = readStored(otherManifest);
    const renamed = { ...foreign, id: foreign.id.replace(/^\d{13}/, String(at + 1).padStart(13, '0')), takenAt: at + 1 };
    writeFileSync(path.join(backupDir(fleet, 'acme'), 'points', `${renamed.id}.json`), JSON.stringify(renamed));
    const before = snapshotOf(fleet, 'acme');

    await expectRefusedAndUntouched(fleet, 'acme', before, () => fleet.backups.restore('acme', { at: at + 1, inPlace: true }), /another instance|belongs to/);
    await expectRefusedAndUntouched(fleet, 'acme', before, () => fleet.backups.restore('acme', { at: at + 1, as: 'acme-copy' }), /another instance|belongs to/);
    expect(await notes(fleet, 'acme')).not.toContain('only in other');
  });

  it('repeating one chunk far past its size is refused before the staged file outgrows the stated size', async () => {
    const { fleet, at, before } = await edited((manifest) => {
      const [first] = manifest.chunks;
      // 256 MiB of one (valid) chunk, behind a manifest that still states the original size.
      manifest.chunks = Array.from({ length: 4_096 }, () => first ?? '');
    });
    const staging = path.join(fleet.settings.dataDir, 'regions', 'eu-west', 'staging');
    let largest = 0;
    const watch = setInterval(() => {
      for (const file of existsSync(staging) ? readdirSync(staging) : []) {
        const size = statSync(path.join(staging, file), { throwIfNoEntry: false })?.size ?? 0;
        largest = Math.max(largest, size);
      }
    }, 2);
    try {
      await expectRefusedAndUntouched(fleet, 'acme', before, () => fleet.backups.restore('acme', { at, as: 'acme-copy' }));
    } finally {
      clearInterval(watch);
    }
    expect(largest).toBeLessThanOrEqual(readStored(manifestFiles(fleet, 'acme')[0] ?? '').sizeBytes);
  });

  it('a chunk that inflates far beyond a chunk’s size is refused without inflating it', async () => {
    const { fleet, at, before } = await edited((manifest, own) => {
      // 256 MiB of zeros in 256 KiB of gzip, stored under a name the manifest lists.
      const bomb = gzipSync(Buffer.alloc(256 * 1024 * 1024), { level: 9 });
      const name = sha256(bomb);
      writeFileSync(path.join(backupDir(own, 'acme'), 'chunks', name), bomb);
      manifest.chunks[0] = name;
    });
    const baseline = process.memoryUsage().arrayBuffers;
    let peak = baseline;
    const watch = setInterval(() => (peak = Math.max(peak, process.memoryUsage().arrayBuffers)), 1);
    try {
      await expectRefusedAndUntouched(fleet, 'acme', before, () => fleet.backups.restore('acme', { at, as: 'acme-copy' }), /chunk 0/);
    } finally {
      clearInterval(watch);
    }
    expect(peak - baseline).toBeLessThan(64 * 1024 * 1024);
  });
});

describe('restore of a deleted or purged instance', () => {
  it('of a deleted instance: as a new instance yes, in place no; of a purged one: not found', async () => {
    const { fleet } = await tempFleet();
    const { at } = await backedUp(fleet, 'gone');
    await fleet.delete('gone');
    const inPlace = await fleet.backups.restore('gone', { at, inPlace: true }).catch((error: unknown) => error);
    expect(isSiloError(inPlace, 'INVALID_STATE')).toBe(true);
    const copy = await fleet.backups.restore('gone', { at, as: 'gone-copy' });
    expect(copy.instance.state).toBe('ready');
    expect((await notes(fleet, 'gone-copy')).length).toBe(60);
    await fleet.purge('gone');
    for (const attempt of [() => fleet.backups.restore('gone', { at, as: 'gone-again' }), () => fleet.backups.restore('gone', { at, inPlace: true }), () => fleet.backups.undoRestore('gone')]) {
      const error = await attempt().catch((caught: unknown) => caught);
      expect(isSiloError(error, 'INSTANCE_NOT_FOUND'), String(error)).toBe(true);
    }
    expect(fleet.find('gone-again')).toBeUndefined();
  });

  it('as a new instance, racing a purge of its source, never leaves a copy of the purged data', async () => {
    const { fleet } = await tempFleet();
    const { at } = await backedUp(fleet, 'erase-me');
    await fleet.delete('erase-me');
    // The restore is under way (its point is being rebuilt and checked) when the purge runs.
    const restoring = fleet.backups.restore('erase-me', { at, as: 'survivor' }).then(
      () => undefined,
      (error: unknown) => error,
    );
    await fleet.purge('erase-me');
    const error = await restoring;
    expect(fleet.find('survivor'), 'a copy of a purged instance was made after its purge').toBeUndefined();
    expect(isSiloError(error, 'INSTANCE_NOT_FOUND') || isSiloError(error, 'INVALID_STATE'), String(error)).toBe(true);
    expect(tempLeftovers(fleet.settings.dataDir)).toEqual([]);
  });
});

describe('an in-place restore while the app writes', () => {
  // SQLite's backup API holds the file's write lock between its steps, which run on the event
  // loop: a writer of this process that met it in SQLite's busy handler blocked the main
  // thread, and with it the copy, until busy_timeout (5 s) failed it with SQLITE_BUSY.
  // replaceContent now holds this process's writers meanwhile (ADR 40).
  it('ends with the point’s rows plus whole writes made after the swap; every write committed or refused cleanly', async () => {
    const { fleet } = await tempFleet();
    await fleet.create('busy', { jurisdiction: 'eu' });
    await addNotes(fleet, 'busy', Array.from({ length: 200 }, (_, n) => `base ${n} ${randomBytes(500).toString('hex')}`));
    const point = await fleet.backups.now('busy');
    const base = await notes(fleet, 'busy');

    let stop = false;
    const committed: number[] = [];
    const failures: unknown[] = [];
    const writer = (async () => {
      for (let n = 1; !stop; n++) {
        try {
          await fleet.withInstance('busy', (db) => db.batch([{ sql: 'INSERT INTO notes (body) VALUES (?)', args: [`w${n}`] }, { sql: 'INSERT INTO notes (body) VALUES (?)', args: [`w${n}b`] }]));
          committed.push(n);
        } catch (error) {
          failures.push(error);
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const result = await fleet.backups.restore('busy', { at: point.takenAt, inPlace: true });
    await new Promise((resolve) => setTimeout(resolve, 50));
    stop = true;
    await writer;

    const after = await notes(fleet, 'busy');
    expect(after.slice(0, base.length)).toEqual(base);
    const written = after.slice(base.length);
    // Whole transactions only, in the order they committed, and none from before the swap.
    const ids = written.filter((_, index) => index % 2 === 0).map((body) => Number(body.slice(1)));
    expect(written).toEqual(ids.flatMap((n) => [`w${n}`, `w${n}b`]));
    expect(ids.length).toBeGreaterThan(0);
    expect(ids).toEqual(committed.slice(committed.indexOf(ids[0] ?? -1)));
    // Everything committed before the undo point is in it.
    const undo = await fleet.backups.restore('busy', { at: result.undoPoint?.takenAt ?? 0, as: 'busy-undo' });
    const undone = (await notes(fleet, 'busy-undo')).slice(base.length).filter((_, index) => index % 2 === 0).map((body) => Number(body.slice(1)));
    expect(undone).toEqual(committed.slice(0, undone.length));
    expect(undo.point.reason).toBe('undo');
    expect(await fleet.engine.integrityCheck(fleet.require('busy').dbUrl)).toEqual([]);
    expect(failures).toEqual([]);
  });

  it('refuses to replace the content of an instance deleted while the point was being rebuilt', async () => {
    const { fleet } = await tempFleet();
    const { at } = await backedUp(fleet, 'acme');
    await addNotes(fleet, 'acme', ['after the point']);
    const restoring = fleet.backups.restore('acme', { at, inPlace: true }).then(
      () => undefined,
      (error: unknown) => error,
    );
    await fleet.delete('acme');
    const error = await restoring;
    expect(isSiloError(error, 'INVALID_STATE'), String(error)).toBe(true);
    await fleet.undelete('acme');
    expect((await notes(fleet, 'acme')).at(-1)).toBe('after the point');
  });
});

describe('one in-place restore at a time', () => {
  it('holds for a restore that outlasts its lease’s term', async () => {
    let skew = 0;
    const { fleet, dataDir } = await tempFleet({ clock: () => Date.now() + skew });
    const { at } = await backedUp(fleet, 'acme');
    await addNotes(fleet, 'acme', Array.from({ length: 400 }, () => randomBytes(2_000).toString('hex')));
    const catalog = new Database(path.join(dataDir, 'catalog.db'), { readonly: true });
    const leased = (): boolean => catalog.prepare("SELECT 1 FROM leases WHERE name LIKE 'restore:%'").get() !== undefined;
    try {
      const first = fleet.backups.restore('acme', { at, inPlace: true });
      while (!leased()) await new Promise((resolve) => setTimeout(resolve, 1));
      // The first restore is still rebuilding its point when its lease's term (10 minutes) has passed.
      skew += 11 * 60 * 1_000;
      const second = fleet.backups.restore('acme', { at, inPlace: true });
      const outcomes = await Promise.allSettled([first, second]);
      const refused = outcomes.filter((outcome) => outcome.status === 'rejected');
      expect(refused.map((outcome) => (outcome.status === 'rejected' && isSiloError(outcome.reason) ? outcome.reason.code : String(outcome)))).toEqual(['INVALID_STATE']);
      expect((await notes(fleet, 'acme')).length).toBe(60);
    } finally {
      catalog.close();
    }
  });
});

describe('retention over a long history', () => {
  it('keeps what the policy says and the newest point, and every kept point still restores after chunks are collected', async () => {
    const clock = manualClock(Date.UTC(2026, 0, 1, 0, 0, 0));
    const { fleet } = await tempFleet({ clock: clock.now, backups: { fullHistoryHours: 6, dailyDays: 2 } });
    await fleet.create('acme', { jurisdiction: 'eu' });
    // A big base shared by every point, and a small change every 2 hours for 4 days, with an
    // in-place restore (and so an undo point) on the way.
    await addNotes(fleet, 'acme', Array.from({ length: 100 }, () => randomBytes(2_000).toString('hex')));
    const taken: { at: number; count: number }[] = [];
    for (let step = 0; step < 44; step++) {
      await addNotes(fleet, 'acme', [`step ${step}`]);
      if (step === 24) await fleet.backups.restore('acme', { at: taken[14]?.at ?? 0, inPlace: true });
      const point = await fleet.backups.now('acme');
      taken.push({ at: point.takenAt, count: (await notes(fleet, 'acme')).length });
      clock.advance(2 * HOUR);
      // Retention as the scheduler would run it, with chunk files old enough to be collected.
      await ageAll(fleet);
      await fleet.backups.applyRetention();
    }
    clock.advance(2 * HOUR);
    await ageAll(fleet);
    await fleet.backups.applyRetention();
    const now = clock.now();
    const kept = (await fleet.backups.list('acme')).map((point) => point.takenAt).sort((a, b) => a - b);
    const newest = taken.at(-1)?.at ?? 0;
    expect(kept).toContain(newest);
    const dayStart = Math.floor(now / DAY) * DAY;
    for (const at of kept) {
      const recent = at >= now - 6 * HOUR;
      const dayOf = Math.floor(at / DAY);
      const newestOfItsDay = Math.max(...taken.map((point) => point.at).filter((t) => Math.floor(t / DAY) === dayOf));
      expect(recent || at === newest || (at === newestOfItsDay && at >= dayStart - 2 * DAY), new Date(at).toISOString()).toBe(true);
    }
    for (const point of taken) {
      const shouldKeep = point.at >= now - 6 * HOUR || point.at === newest || (point.at >= dayStart - 2 * DAY && point.at === Math.max(...taken.map((p) => p.at).filter((t) => Math.floor(t / DAY) === Math.floor(point.at / DAY))));
      expect(kept.includes(point.at), new Date(point.at).toISOString()).toBe(shouldKeep);
    }
    // Every kept point rebuilds: no chunk one of them references was collected.
    const report = await fleet.backups.verify({ instances: ['acme'] });
    expect(report.failed).toBe(0);
    for (const [index, at] of kept.entries()) {
      await fleet.backups.restore('acme', { at, as: `kept-${index}` });
      expect((await notes(fleet, `kept-${index}`)).length).toBe(taken.find((point) => point.at === at)?.count);
    }
  });
});

describe('a purge marker that cannot be read', () => {
  it.each([
    ['without a purge time', { name: 'gone' }],
    ['with a purge time that is not a number', { name: 'gone', purgedAt: 'last week' }],
    ['that is not an object', 'gone'],
  ])('%s keeps the backups and fails the run, rather than erasing them at once', async (_label, marker) => {
    const clock = manualClock();
    const { fleet, dataDir } = await tempFleet({ clock: clock.now, backups: { purgeAfterDays: 30 } });
    await backedUp(fleet, 'gone');
    const id = fleet.require('gone').id;
    await fleet.delete('gone');
    await fleet.purge('gone');
    const folder = path.join(dataDir, 'regions', 'eu-west', 'backups', 'instances', id);
    writeFileSync(path.join(folder, 'purged.json'), JSON.stringify(marker));
    const stored = filesUnder(folder).sort();
    clock.advance(DAY);
    const error = await fleet.backups.applyRetention().catch((caught: unknown) => caught);
    expect(isSiloError(error, 'BACKUP_FAILED'), String(error)).toBe(true);
    expect(String((error as Error).message)).toContain('purged.json');
    expect(filesUnder(folder).sort()).toEqual(stored);
  });
});

/** Every stored backup object made to look written long ago (chunks younger than an hour are never collected). */
async function ageAll(fleet: Fleet): Promise<void> {
  const { utimesSync } = await import('node:fs');
  const longAgo = new Date(Date.now() - 3 * HOUR);
  for (const file of filesUnder(path.join(fleet.settings.dataDir, 'regions'))) {
    if (file.includes(`${path.sep}backups${path.sep}`)) utimesSync(file, longAgo, longAgo);
  }
}

describe('jurisdiction of backup locations', () => {
  it('refuses an EU backup folder that is a link into a US region’s folder', async () => {
    const dataDir = tempDir();
    const usFolder = path.join(dataDir, 'regions', 'us-east', 'eu-backups');
    mkdirSync(usFolder, { recursive: true });
    const link = path.join(dataDir, 'eu-backups');
    symlinkSync(usFolder, link);
    const error = await openingError({ dataDir, schema: sampleSchema(), backups: { locations: { 'eu-west': { kind: 'folder', path: link } } } });
    expect(isSiloError(error, 'JURISDICTION_VIOLATION'), String(error)).toBe(true);
  });

  it('refuses two jurisdictions’ folders that are one folder through a link', async () => {
    const dataDir = tempDir();
    const shared = path.join(tempDir(), 'shared');
    mkdirSync(shared);
    const euLink = path.join(dataDir, 'eu-link');
    symlinkSync(shared, euLink);
    const error = await openingError({
      dataDir,
      schema: sampleSchema(),
      backups: { locations: { 'eu-west': { kind: 'folder', path: euLink }, 'us-east': { kind: 'folder', path: shared } } },
    });
    expect(isSiloError(error, 'JURISDICTION_VIOLATION'), String(error)).toBe(true);
  });

  it('refuses one bucket prefix for two jurisdictions, however the endpoint is spelled', async () => {
    const s3 = (endpoint: string, jurisdiction: string) => ({ kind: 's3' as const, bucket: 'shared', prefix: 'silo', endpoint, forcePathStyle: true, jurisdiction });
    const error = await openingError({
      dataDir: tempDir(),
      schema: sampleSchema(),
      backups: { locations: { 'eu-west': s3('https://s3.example.com', 'eu'), 'us-east': s3('https://S3.Example.com:443/', 'us') } },
    });
    expect(isSiloError(error, 'JURISDICTION_VIOLATION'), String(error)).toBe(true);
  });

  it('puts every point of an EU instance, its undo points and its restores’ staging in EU storage only', async () => {
    const { fleet, dataDir } = await tempFleet();
    const { at } = await backedUp(fleet, 'eu-one', 'eu');
    await backedUp(fleet, 'us-one', 'us');
    await fleet.backups.restore('eu-one', { at, inPlace: true });
    await fleet.backups.restore('eu-one', { at, as: 'eu-copy', region: 'eu-central' });
    await fleet.backups.runCycle();
    const euIds = ['eu-one', 'eu-copy'].map((name) => fleet.require(name).id);
    const usRoot = path.join(dataDir, 'regions', 'us-east');
    expect(filesUnder(usRoot).filter((file) => euIds.some((id) => file.includes(id)))).toEqual([]);
    expect(filesUnder(usRoot).filter((file) => /eu-(one|copy)/.test(path.basename(file)))).toEqual([]);
    for (const file of filesUnder(path.join(dataDir, 'regions', 'us-east', 'backups', 'instances'))) {
      expect(file.includes(fleet.require('us-one').id), file).toBe(true);
    }
    // And the restored copy in eu-central is backed up in eu-central's location.
    expect(existsSync(path.join(dataDir, 'regions', 'eu-central', 'backups', 'instances', fleet.require('eu-copy').id))).toBe(true);
  });
});
