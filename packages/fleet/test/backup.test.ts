/**
 * Backups and point-in-time restore on real files: points, restore as a new instance and in
 * place with undo, jurisdiction, purge, integrity, retention and the scheduler's lease.
 * Time is an injected clock, so retention windows pass without sleeping.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { isSiloError, openFleet, resolveSettings, settingsFromEnv, type Fleet } from '../src/index';
import { catalogPointsToDrop, pointsToDrop } from '../src/backups/retention';
import { RECORD_BATCH } from '../src/backups/backup-cycle';
import { fileOf, filesUnder, sampleSchema, tempDir, tempFleet } from './helpers';

const HOUR = 60 * 60 * 1_000;
const DAY = 24 * HOUR;

/** A clock tests move by hand. */
function manualClock(start = Date.UTC(2026, 0, 10, 12, 0, 0)): { now: () => number; advance: (ms: number) => void; set: (at: number) => void } {
  let current = start;
  return { now: () => current, advance: (ms) => (current += ms), set: (at) => (current = at) };
}

async function addNotes(fleet: Fleet, name: string, bodies: readonly string[]): Promise<void> {
  await fleet.withInstance(name, (db) => db.batch(bodies.map((body) => ({ sql: 'INSERT INTO notes (body) VALUES (?)', args: [body] }))));
}

async function notes(fleet: Fleet, name: string): Promise<string[]> {
  return fleet.withInstance(name, async (db) => (await db.execute('SELECT body FROM notes ORDER BY id')).rows.map((row) => String(row['body'])));
}

function backupFiles(dataDir: string, region = 'eu-west'): string[] {
  return filesUnder(path.join(dataDir, 'regions', region, 'backups'));
}

describe('backup points', () => {
  it('backs up changed instances only, deduplicating unchanged chunks', async () => {
    const clock = manualClock();
    const { fleet } = await tempFleet({ clock: clock.now });
    await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.create('idle', { jurisdiction: 'us' });
    // Big enough (~1 MB of incompressible text) that a small change touches few of its chunks.
    await addNotes(fleet, 'acme', Array.from({ length: 250 }, () => randomBytes(2_000).toString('hex')));

    const first = await fleet.backups.runCycle();
    expect(first).toMatchObject({ scanned: 2, changed: 2, backedUp: 2, failed: 0 });
    clock.advance(1_000);
    expect(await fleet.backups.runCycle()).toMatchObject({ scanned: 2, changed: 0, backedUp: 0 });

    await addNotes(fleet, 'acme', ['one']);
    clock.advance(1_000);
    expect(await fleet.backups.runCycle()).toMatchObject({ changed: 1, backedUp: 1 });
    const points = await fleet.backups.list('acme', { details: true });
    expect(points).toHaveLength(2);
    expect(points[0]?.reason).toBe('scheduled');
    // The second point stores only what changed: less than the whole file.
    expect(points[0]?.storedBytes).toBeLessThan(points[1]?.storedBytes ?? 0);

    const status = await fleet.backups.status('acme');
    expect(status).toMatchObject({ instance: 'acme', points: 2, pending: false, lagMs: 0, lastError: null });
    await addNotes(fleet, 'acme', ['two']);
    clock.advance(5_000);
    expect(await fleet.backups.status('acme')).toMatchObject({ pending: true });
    expect((await fleet.backups.status('acme')).lagMs).toBeGreaterThanOrEqual(5_000);
    // Backups of an EU instance are in an EU region's folder.
    expect(backupFiles(fleet.settings.dataDir).some((file) => file.endsWith('.json'))).toBe(true);
  });

  it('records every point of a cycle that writes more than one batch of records', async () => {
    const { fleet } = await tempFleet();
    const count = RECORD_BATCH + 30;
    for (let i = 0; i < count; i++) await fleet.create(`tenant-${i}`, { jurisdiction: 'eu' });
    // Several workers share the batch; one flushing it must not lose another's point.
    expect(await fleet.backups.runCycle()).toMatchObject({ changed: count, backedUp: count });
    expect(await fleet.backups.runCycle()).toMatchObject({ changed: 0, backedUp: 0 });
  });

  it('takes no new point of an instance whose handle was evicted (closing folds its WAL in)', async () => {
    const clock = manualClock();
    const { fleet } = await tempFleet({ clock: clock.now, handleCap: 2 });
    for (const name of ['ann', 'bob', 'cat', 'dan']) await fleet.create(name, { jurisdiction: 'eu' });
    await addNotes(fleet, 'ann', ['one']);
    await addNotes(fleet, 'bob', ['one']);
    expect(await fleet.backups.runCycle()).toMatchObject({ changed: 4, backedUp: 4 });

    // Writing cat and dan evicts ann's and bob's handles: their last connection checkpoints the WAL
    // into the main file and deletes it, but their data is what the last points hold.
    await addNotes(fleet, 'cat', ['one']);
    await addNotes(fleet, 'dan', ['one']);
    clock.advance(1_000);
    expect(await fleet.backups.runCycle()).toMatchObject({ changed: 2, backedUp: 2 });
    expect(await fleet.backups.status('ann')).toMatchObject({ pending: false, points: 1 });

    // A real change after the eviction is still seen, handle open or not.
    await addNotes(fleet, 'ann', ['two']);
    await addNotes(fleet, 'cat', ['two']);
    await addNotes(fleet, 'dan', ['two']);
    clock.advance(1_000);
    expect(await fleet.backups.status('ann')).toMatchObject({ pending: true });
    expect(await fleet.backups.runCycle()).toMatchObject({ changed: 3, backedUp: 3 });
    expect(await notes(fleet, 'ann')).toEqual(['one', 'two']);
  });

  it('restores an exact past moment as a new instance, between backup points', async () => {
    const clock = manualClock();
    const { fleet } = await tempFleet({ clock: clock.now });
    await fleet.create('acme', { jurisdiction: 'eu' });
    await addNotes(fleet, 'acme', ['a']);
    await fleet.backups.runCycle(); // t0: [a]
    const t0 = clock.now();
    clock.advance(10 * 60_000);
    await addNotes(fleet, 'acme', ['b']);
    await fleet.backups.runCycle(); // t1: [a, b]
    const t1 = clock.now();
    clock.advance(10 * 60_000);
    await addNotes(fleet, 'acme', ['c']);
    await fleet.backups.runCycle(); // t2: [a, b, c]

    const between = t1 + 5 * 60_000;
    const result = await fleet.backups.restore('acme', { at: new Date(between), as: 'acme-then' });
    expect(result.mode).toBe('new-instance');
    expect(result.point.takenAt).toBe(t1);
    expect(result.instance).toMatchObject({ name: 'acme-then', state: 'ready', jurisdiction: 'eu', clonedFrom: { name: 'acme' } });
    expect(await notes(fleet, 'acme-then')).toEqual(['a', 'b']);
    expect(await notes(fleet, 'acme')).toEqual(['a', 'b', 'c']);

    const earliest = await fleet.backups.restore('acme', { at: t0, as: 'acme-first' });
    expect(await notes(fleet, 'acme-first')).toEqual(['a']);
    const before = await fleet.backups.restore('acme', { at: t0 - 1, as: 'acme-never' }).catch((error: unknown) => error);
    expect(isSiloError(before, 'BACKUP_NOT_FOUND')).toBe(true);
    expect(fleet.find('acme-never')).toBeUndefined();
    expect(earliest.point.takenAt).toBe(t0);
    const audit = fleet.audit({ operation: 'backup-restore' });
    expect(audit.items.map((entry) => entry.outcome)).toEqual(['error', 'ok', 'ok']);
  });

  it('restores in place, and undo brings the replaced state back', async () => {
    const clock = manualClock();
    const { fleet } = await tempFleet({ clock: clock.now });
    await fleet.create('acme', { jurisdiction: 'us' });
    await addNotes(fleet, 'acme', ['kept']);
    await fleet.backups.runCycle();
    const good = clock.now();
    clock.advance(60_000);
    await addNotes(fleet, 'acme', ['mistake 1', 'mistake 2']);
    // A handle stays open in the cache across the restore, as in a serving app.
    expect(await notes(fleet, 'acme')).toEqual(['kept', 'mistake 1', 'mistake 2']);

    // Another connection (as another process would hold) stays open across the restore.
    const other = new Database(fileOf(fleet.require('acme').dbUrl, fleet.settings.dataDir));
    const restored = await fleet.backups.restore('acme', { at: good, inPlace: true });
    expect(restored.mode).toBe('in-place');
    expect(other.prepare('SELECT body FROM notes ORDER BY id').all()).toEqual([{ body: 'kept' }]);
    other.prepare("INSERT INTO notes (body) VALUES ('after restore')").run();
    other.prepare("DELETE FROM notes WHERE body = 'after restore'").run();
    other.close();
    expect(restored.undoPoint?.reason).toBe('undo');
    expect((await fleet.backups.status('acme')).lastUndoAt).toBe(restored.undoPoint?.takenAt);
    expect(await notes(fleet, 'acme')).toEqual(['kept']);
    expect((await fleet.engine.integrityCheck(fleet.require('acme').dbUrl))).toEqual([]);
    // The catalog's metrics follow the restored content.
    expect(fleet.require('acme').metrics).toEqual({ notes: 1 });

    clock.advance(60_000);
    const undone = await fleet.backups.undoRestore('acme');
    expect(undone.point.id).toBe(restored.undoPoint?.id);
    expect(await notes(fleet, 'acme')).toEqual(['kept', 'mistake 1', 'mistake 2']);
    expect(fleet.require('acme').metrics).toEqual({ notes: 3 });
    // The undo is itself undoable.
    clock.advance(60_000);
    await fleet.backups.undoRestore('acme');
    expect(await notes(fleet, 'acme')).toEqual(['kept']);
    expect(fleet.audit({ operation: 'backup-undo' }).items).toHaveLength(2);
  });

  it('keeps the restored state as the newest point, so a restore as of now brings it, not the replaced data', async () => {
    const clock = manualClock();
    const { fleet } = await tempFleet({ clock: clock.now });
    await fleet.create('acme', { jurisdiction: 'eu' });
    await addNotes(fleet, 'acme', ['kept']);
    await fleet.backups.runCycle();
    const good = clock.now();
    clock.advance(60_000);
    await addNotes(fleet, 'acme', ['mistake']);
    await fleet.backups.runCycle();
    clock.advance(1_000);

    // The undo and restored points share the clock's millisecond here: the restored one is newer.
    const restored = await fleet.backups.restore('acme', { at: good, inPlace: true });
    const points = await fleet.backups.list('acme');
    expect(points[0]).toMatchObject({ reason: 'restored', takenAt: clock.now() });
    expect(points[1]).toMatchObject({ id: restored.undoPoint?.id, reason: 'undo' });
    expect(await fleet.backups.status('acme')).toMatchObject({ pending: false, lastPointId: points[0]?.id });
    expect(await fleet.backups.runCycle()).toMatchObject({ changed: 0, backedUp: 0 });

    await fleet.backups.restore('acme', { at: clock.now(), as: 'acme-now' });
    expect(await notes(fleet, 'acme-now')).toEqual(['kept']);
    // After an undo too.
    clock.advance(60_000);
    await fleet.backups.undoRestore('acme');
    await fleet.backups.restore('acme', { at: clock.now(), as: 'acme-undone' });
    expect(await notes(fleet, 'acme-undone')).toEqual(['kept', 'mistake']);
  });

  it('refuses bad restore requests with clear errors and changes nothing', async () => {
    const { fleet } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.backups.runCycle();
    const cases: [() => Promise<unknown>, string][] = [
      [() => fleet.backups.restore('acme', { at: Date.now() }), 'INVALID_INPUT'],
      [() => fleet.backups.restore('acme', { at: Date.now(), as: 'x-y', inPlace: true }), 'INVALID_INPUT'],
      [() => fleet.backups.restore('acme', { at: Number.NaN, inPlace: true }), 'INVALID_INPUT'],
      [() => fleet.backups.restore('acme', { at: Date.now(), as: '../evil' }), 'INVALID_NAME'],
      [() => fleet.backups.restore('acme', { at: Date.now(), as: 'acme' }), 'NAME_TAKEN'],
      [() => fleet.backups.restore('nobody', { at: Date.now(), inPlace: true }), 'INSTANCE_NOT_FOUND'],
      [() => fleet.backups.restore('acme', { at: Date.now(), as: 'acme-us', region: 'us-east' }), 'JURISDICTION_VIOLATION'],
      [() => fleet.backups.undoRestore('acme'), 'BACKUP_NOT_FOUND'],
    ];
    for (const [attempt, code] of cases) {
      const error = await attempt().catch((caught: unknown) => caught);
      expect(isSiloError(error) ? error.code : error, code).toBe(code);
    }
    expect(fleet.list().items.map((instance) => instance.name)).toEqual(['acme']);
  });
});

describe('jurisdiction of backup locations', () => {
  it('refuses to configure a location outside its region’s jurisdiction', async () => {
    const dataDir = tempDir();
    const attempts = [
      { 'eu-west': { kind: 's3' as const, bucket: 'silo-backups', jurisdiction: 'us' } },
      { 'eu-west': { kind: 'folder' as const, path: '/srv/backups', jurisdiction: 'us' } },
      // A folder inside a US region's folder is US storage, whatever it claims.
      { 'eu-west': { kind: 'folder' as const, path: path.join(dataDir, 'regions', 'us-east', 'eu-backups') } },
    ];
    for (const locations of attempts) {
      const error = await openFleet({ dataDir, schema: sampleSchema(), backups: { locations } }).catch((caught: unknown) => caught);
      expect(isSiloError(error, 'JURISDICTION_VIOLATION'), String(error)).toBe(true);
    }
    const unknown = await openFleet({ dataDir, schema: sampleSchema(), backups: { locations: { mars: { kind: 'folder', path: '/x' } } } }).catch((caught: unknown) => caught);
    expect(isSiloError(unknown, 'CONFIG_INVALID')).toBe(true);
  });

  it('refuses to use a location whose jurisdiction differs from the instance’s', async () => {
    const dataDir = tempDir();
    const first = await openFleet({ dataDir, schema: sampleSchema() });
    await first.create('acme', { jurisdiction: 'eu' });
    await first.close();
    // The configuration changes: eu-west now belongs to "us" (and its backups to a US bucket).
    const { fleet } = await tempFleet({
      dataDir,
      regions: [{ id: 'eu-west', jurisdiction: 'us' }],
      backups: { locations: { 'eu-west': { kind: 'folder', path: path.join(dataDir, 'us-backups'), jurisdiction: 'us' } } },
    });
    const error = await fleet.backups.now('acme').catch((caught: unknown) => caught);
    expect(isSiloError(error, 'JURISDICTION_VIOLATION')).toBe(true);
    const cycle = await fleet.backups.runCycle();
    expect(cycle).toMatchObject({ backedUp: 0, failed: 1 });
    expect(fleet.backups.overview().failing[0]).toMatchObject({ instance: 'acme' });
    expect(filesUnder(path.join(dataDir, 'us-backups'))).toEqual([]);
  });
});

describe('a region whose backup location changes', () => {
  it('backs every instance of the region up in the new location, idle ones too, and names the old one as out of reach', async () => {
    const clock = manualClock();
    const dataDir = tempDir();
    const first = await openFleet({ dataDir, schema: sampleSchema(), clock: clock.now });
    await first.create('acme', { jurisdiction: 'eu' });
    await first.create('idle', { jurisdiction: 'eu' });
    await first.create('yankee', { jurisdiction: 'us' });
    await addNotes(first, 'acme', ['before the move']);
    expect(await first.backups.runCycle()).toMatchObject({ backedUp: 3 });
    expect(first.backups.overview().retiredLocations).toEqual([]);
    await first.close();

    // The operator points eu-west at new storage; nothing was written since.
    const moved = path.join(dataDir, 'eu-backups-2');
    clock.advance(60_000);
    const { fleet } = await tempFleet({
      dataDir,
      clock: clock.now,
      backups: { locations: { 'eu-west': { kind: 'folder', path: moved, jurisdiction: 'eu' } } },
    });
    expect(await fleet.backups.status('idle')).toMatchObject({ pending: true, points: 0, location: moved });
    expect(fleet.backups.overview().retiredLocations).toEqual([
      { location: path.join(dataDir, 'regions', 'eu-west', 'backups'), lastUsedAt: expect.any(Number), instances: 2 },
    ]);

    // Both EU instances, unchanged as they are, get a point in the new location; the US one does not.
    expect(await fleet.backups.runCycle()).toMatchObject({ changed: 2, backedUp: 2, failed: 0 });
    expect(await fleet.backups.status('idle')).toMatchObject({ pending: false, points: 1 });
    clock.advance(1_000);
    expect(await fleet.backups.runCycle()).toMatchObject({ changed: 0 });
    const restored = await fleet.backups.restore('acme', { at: clock.now(), as: 'acme-again' });
    expect(restored.instance.name).toBe('acme-again');
    expect(await notes(fleet, 'acme-again')).toEqual(['before the move']);
    // The old folder keeps what it held, out of retention's and purge's reach: still named, now with no instance's newest point.
    const old = path.join(dataDir, 'regions', 'eu-west', 'backups');
    expect(fleet.backups.overview().retiredLocations).toEqual([expect.objectContaining({ location: old, instances: 0 })]);
    expect(backupFiles(dataDir).length).toBeGreaterThan(0);

    // Forgetting: never a configured location, nor one never written to; an emptied folder is not named.
    const configured = await fleet.backups.forgetLocation(moved).catch((error: unknown) => error);
    expect(isSiloError(configured, 'INVALID_INPUT')).toBe(true);
    const unknown = await fleet.backups.forgetLocation('s3://never/used').catch((error: unknown) => error);
    expect(isSiloError(unknown, 'INVALID_INPUT')).toBe(true);
    rmSync(old, { recursive: true });
    expect(fleet.backups.overview().retiredLocations).toEqual([]);
    await fleet.backups.forgetLocation(old);
    expect(fleet.audit({ operation: 'backup-forget-location' }).items[0]).toMatchObject({ outcome: 'ok', detail: { location: old } });
  });
});

describe('backup settings from the environment', () => {
  const settings = (env: Record<string, string>) => resolveSettings(settingsFromEnv({ SILO_DATA_DIR: '/srv/silo', ...env }));

  it('reads locations, retention and the interval', () => {
    const resolved = settings({
      SILO_BACKUP_LOCATIONS: 'eu-west=s3://silo-eu/backups?jurisdiction=eu&region=eu-central-1&endpoint=https://s3.example.eu&path-style=1,us-east=/srv/us-backups',
      SILO_BACKUP_INTERVAL_SEC: '5',
      SILO_BACKUP_FULL_HISTORY_HOURS: '24',
      SILO_BACKUP_PURGE_AFTER_DAYS: '14',
      SILO_BACKUPS: 'off',
    }).backups;
    expect(resolved.locations.get('eu-west')).toMatchObject({ kind: 's3', bucket: 'silo-eu', prefix: 'backups', region: 'eu-central-1', endpoint: 'https://s3.example.eu', forcePathStyle: true, jurisdiction: 'eu' });
    expect(resolved.locations.get('us-east')).toEqual({ kind: 'folder', path: '/srv/us-backups', jurisdiction: 'us' });
    expect(resolved.locations.get('eu-central')).toEqual({ kind: 'folder', path: '/srv/silo/regions/eu-central/backups', jurisdiction: 'eu' });
    expect(resolved).toMatchObject({ enabled: false, intervalMs: 5_000, retention: { fullHistoryMs: 24 * HOUR, purgeAfterMs: 14 * DAY } });
    // Regions of one jurisdiction may share a location; separate prefixes of one bucket are separate storage.
    expect(settings({ SILO_BACKUP_LOCATIONS: 'eu-west=/srv/eu-backups,eu-central=/srv/eu-backups' }).backups.locations.get('eu-central')).toMatchObject({ path: '/srv/eu-backups' });
    const split = settings({ SILO_BACKUP_LOCATIONS: 'eu-west=s3://shared/eu?jurisdiction=eu,us-east=s3://shared/us?jurisdiction=us' }).backups;
    expect(split.locations.get('us-east')).toMatchObject({ bucket: 'shared', prefix: 'us' });
  });

  it.each([
    [{ SILO_BACKUP_LOCATIONS: 'eu-west=s3://silo-eu/backups' }, /must say where its data lives/],
    [{ SILO_BACKUP_LOCATIONS: 'eu-west=relative/folder' }, /must be an absolute path/],
    [{ SILO_BACKUP_LOCATIONS: 'just-a-bucket' }, /should look like/],
    [{ SILO_BACKUP_LOCATIONS: 'eu-west=s3://silo-us/x?jurisdiction=us' }, /Backups never leave their jurisdiction/],
    // One storage cannot be in two jurisdictions: the same folder, a folder inside another, one bucket prefix.
    [{ SILO_BACKUP_LOCATIONS: 'eu-west=/srv/backups,us-east=/srv/backups' }, /are the same storage/],
    [{ SILO_BACKUP_LOCATIONS: 'eu-west=/srv/backups/eu,us-east=/srv/backups' }, /are the same storage/],
    [{ SILO_BACKUP_LOCATIONS: 'eu-west=s3://shared/silo?jurisdiction=eu,us-east=s3://shared/silo/us?jurisdiction=us' }, /are the same storage/],
    [{ SILO_BACKUP_INTERVAL_SEC: 'soon' }, /SILO_BACKUP_INTERVAL_SEC must be a number/],
    [{ SILO_BACKUP_INTERVAL_SEC: '0' }, /SILO_BACKUP_INTERVAL_SEC must be a number ≥ 0.1; got "0"/],
    [{ SILO_BACKUPS: 'maybe' }, /SILO_BACKUPS must be "on" or "off"/],
  ])('refuses %j with a message naming the problem', (env, message) => {
    expect(() => settings(env)).toThrow(message);
  });

  it('refuses an S3 endpoint carrying credentials, without repeating them', () => {
    const refusal = (() => {
      try {
        settings({ SILO_BACKUP_LOCATIONS: 'eu-west=s3://silo-eu/b?jurisdiction=eu&endpoint=https://AKIAEXAMPLE:wJalr-secret@s3.example.eu' });
      } catch (error) {
        return String(error);
      }
      return 'accepted';
    })();
    expect(refusal).toMatch(/endpoint: An S3 endpoint must not carry credentials/);
    expect(refusal).not.toMatch(/wJalr-secret|AKIAEXAMPLE/);
  });
});

describe('purge and retention', () => {
  it('removes a purged instance’s backups once the stated retention has passed', async () => {
    const clock = manualClock();
    const { fleet, dataDir } = await tempFleet({ clock: clock.now, backups: { purgeAfterDays: 7 } });
    await fleet.create('gone', { jurisdiction: 'eu' });
    await fleet.create('stays', { jurisdiction: 'eu' });
    await fleet.backups.runCycle();
    await fleet.delete('gone');
    await fleet.purge('gone');
    const purgedAt = clock.now();
    const ofInstance = (): string[] => backupFiles(dataDir).filter((file) => !file.includes(fleet.require('stays').id));
    expect(ofInstance().length).toBeGreaterThan(0);
    // A catalog point after the purge (the catalog is backed up at most once a minute).
    clock.advance(61_000);
    expect((await fleet.backups.runCycle()).catalogBackedUp).toBe(true);

    clock.advance(7 * DAY - 1 - 61_000);
    expect((await fleet.backups.applyRetention()).instancesRemoved).toEqual([]);
    expect(ofInstance().length).toBeGreaterThan(0);
    clock.advance(1);
    expect((await fleet.backups.applyRetention()).instancesRemoved).toEqual(['gone']);
    expect(ofInstance()).toEqual([]);
    expect(readdirSync(path.join(dataDir, 'regions', 'eu-west', 'backups', 'instances'))).toEqual([fleet.require('stays').id]);
    expect(fleet.audit({ operation: 'backup-retention' }).items[0]?.detail).toMatchObject({ instancesRemoved: ['gone'] });
    // Nor does a backup of the catalog still name it: only points taken after the purge are left.
    const catalogPoints = await fleet.backups.catalogPoints();
    expect(catalogPoints.length).toBeGreaterThan(0);
    expect(catalogPoints.every((point) => point.takenAt > purgedAt)).toBe(true);
  });

  it('keeps no catalog point older than the purge retention but the newest, whatever the daily window', () => {
    const now = Date.UTC(2026, 0, 31, 12);
    const policy = { fullHistoryMs: 48 * HOUR, dailyDays: 30, purgeAfterMs: 7 * DAY };
    const at = (ms: number, id: string) => ({ id, takenAt: now - ms, reason: 'scheduled' as const });
    const daily = [at(10 * DAY, 'day10'), at(8 * DAY, 'day8'), at(6 * DAY, 'day6'), at(HOUR, 'recent')];
    expect(catalogPointsToDrop(daily, now, policy).map((point) => point.id)).toEqual(['day10', 'day8']);
    expect(pointsToDrop(daily, now, policy)).toEqual([]);
    expect(catalogPointsToDrop([at(20 * DAY, 'only')], now, policy)).toEqual([]);
  });

  it('gives a new instance of a purged name none of the old one’s verification history', async () => {
    const { fleet, dataDir } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.backups.runCycle();
    const chunk = backupFiles(dataDir).find((file) => file.includes(fleet.require('acme').id) && file.includes(`${path.sep}chunks${path.sep}`));
    if (!chunk) throw new Error('no chunk stored');
    writeFileSync(chunk, Buffer.from('damaged'));
    expect(await fleet.backups.verify({ instances: ['acme'] })).toMatchObject({ failed: 1 });
    expect((await fleet.backups.status('acme')).lastVerification).toMatchObject({ ok: false });

    await fleet.delete('acme');
    await fleet.purge('acme');
    await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.backups.now('acme');
    expect((await fleet.backups.status('acme')).lastVerification).toBeNull();
    expect(fleet.backups.overview().lastVerification).toBeNull();
  });

  it('keeps full history, then one point a day, then nothing — but always the newest', () => {
    const now = Date.UTC(2026, 0, 31, 12);
    const policy = { fullHistoryMs: 48 * HOUR, dailyDays: 30, purgeAfterMs: 0 };
    const at = (ms: number, id: string) => ({ id, takenAt: now - ms, reason: 'scheduled' as const });
    const points = [
      at(40 * DAY, 'too-old'),
      at(5 * DAY + 2 * HOUR, 'day5-early'),
      at(5 * DAY, 'day5-late'),
      at(3 * DAY, 'day3'),
      at(47 * HOUR, 'recent-1'),
      at(HOUR, 'recent-2'),
    ];
    expect(pointsToDrop(points, now, policy).map((point) => point.id)).toEqual(['too-old', 'day5-early']);
    expect(pointsToDrop([at(90 * DAY, 'only')], now, policy)).toEqual([]);
  });

  it('thins stored points and removes chunks nothing references any more', async () => {
    const clock = manualClock();
    const { fleet } = await tempFleet({ clock: clock.now, backups: { fullHistoryHours: 1, dailyDays: 2 } });
    await fleet.create('busy', { jurisdiction: 'eu' });
    for (let n = 0; n < 6; n++) {
      await addNotes(fleet, 'busy', [`note ${n}`.repeat(2_000)]);
      await fleet.backups.runCycle();
      clock.advance(10 * 60_000);
    }
    expect(await fleet.backups.list('busy')).toHaveLength(6);
    clock.advance(2 * HOUR);
    // Chunks are collected only once they are older than an hour (a point may be mid-write): age them.
    const longAgo = new Date(Date.now() - 2 * HOUR);
    for (const file of backupFiles(fleet.settings.dataDir)) utimesSync(file, longAgo, longAgo);
    const report = await fleet.backups.applyRetention();
    // All six were taken the same day: only the newest of that day remains (the catalog's thinned alike).
    expect(report.pointsRemoved).toBeGreaterThanOrEqual(5);
    // Their chunks go once they have stayed unreferenced for an hour (a point in flight may need them).
    expect(report.chunksRemoved).toBe(0);
    clock.advance(HOUR);
    expect((await fleet.backups.applyRetention()).chunksRemoved).toBeGreaterThan(0);
    expect(await fleet.backups.list('busy')).toHaveLength(1);
    const latest = await fleet.backups.restore('busy', { at: clock.now(), as: 'busy-copy' });
    expect((await notes(fleet, 'busy-copy')).length).toBe(6);
    expect(latest.point.reason).toBe('scheduled');
  });
});

describe('integrity', () => {
  it('verification reports a corrupted backup file, and restore refuses it', async () => {
    const clock = manualClock();
    const { fleet, dataDir } = await tempFleet({ clock: clock.now });
    await fleet.create('fine', { jurisdiction: 'eu' });
    await fleet.create('hurt', { jurisdiction: 'eu' });
    await addNotes(fleet, 'hurt', ['precious']);
    await fleet.backups.runCycle();

    const healthy = await fleet.backups.verify({ sample: 10 });
    expect(healthy).toMatchObject({ checked: 2, failed: 0 });

    const hurtId = fleet.require('hurt').id;
    const chunk = backupFiles(dataDir).find((file) => file.includes(hurtId) && file.includes(`${path.sep}chunks${path.sep}`));
    if (!chunk) throw new Error('no chunk stored');
    writeFileSync(chunk, Buffer.from('not what was stored'));

    const report = await fleet.backups.verify({ sample: 10 });
    expect(report).toMatchObject({ checked: 2, failed: 1 });
    const failure = report.results.find((result) => !result.ok);
    expect(failure?.instance).toBe('hurt');
    expect(failure?.problems.join(' ')).toMatch(/damaged/);
    expect(fleet.backups.lastVerification()?.failed).toBe(1);
    expect(fleet.audit({ operation: 'backup-verify' }).items[0]).toMatchObject({ outcome: 'error' });

    const restore = await fleet.backups.restore('hurt', { at: clock.now(), as: 'hurt-copy' }).catch((caught: unknown) => caught);
    expect(isSiloError(restore, 'BACKUP_CORRUPT')).toBe(true);
    expect(fleet.find('hurt-copy')).toBeUndefined();
    const inPlace = await fleet.backups.restore('hurt', { at: clock.now(), inPlace: true }).catch((caught: unknown) => caught);
    expect(isSiloError(inPlace, 'BACKUP_CORRUPT')).toBe(true);
    expect(await notes(fleet, 'hurt')).toEqual(['precious']);

    // Healed by the next cycle, though the instance did not change: a new point whose chunks
    // are all written again, the damaged one included. Until then it is still sampled, and
    // still found damaged.
    expect(await fleet.backups.status('hurt')).toMatchObject({ pending: true });
    expect(await fleet.backups.verify({ sample: 10 })).toMatchObject({ checked: 2, failed: 1 });
    clock.advance(1_000);
    expect(await fleet.backups.runCycle()).toMatchObject({ changed: 1, backedUp: 1 });
    expect(await fleet.backups.verify({ instances: ['hurt', 'fine'] })).toMatchObject({ checked: 2, failed: 0 });
    await fleet.backups.restore('hurt', { at: clock.now(), as: 'hurt-copy' });
    expect(await notes(fleet, 'hurt-copy')).toEqual(['precious']);
    expect(await fleet.backups.list('hurt')).toHaveLength(2);
  });

  it('takes a new point when the location lost the points', async () => {
    const clock = manualClock();
    const { fleet, dataDir } = await tempFleet({ clock: clock.now });
    await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.backups.runCycle();
    const backups = path.join(dataDir, 'regions', 'eu-west', 'backups');

    // The next cycle backs the unchanged instance up again.
    const points = path.join(backups, 'instances', fleet.require('acme').id, 'points');
    for (const manifest of readdirSync(points)) rmSync(path.join(points, manifest));
    expect(await fleet.backups.verify({ instances: ['acme'] })).toMatchObject({ checked: 1, failed: 1 });
    expect(await fleet.backups.status('acme')).toMatchObject({ pending: true, points: 0 });
    clock.advance(1_000);
    expect(await fleet.backups.runCycle()).toMatchObject({ changed: 1, backedUp: 1 });
    expect(await fleet.backups.verify({ instances: ['acme'] })).toMatchObject({ checked: 1, failed: 0 });
  });

  it('verifies the newest point in the location, after a restore and retention', async () => {
    const clock = manualClock();
    const { fleet } = await tempFleet({ clock: clock.now });
    await fleet.create('acme', { jurisdiction: 'eu' });
    await addNotes(fleet, 'acme', ['old']);
    await fleet.backups.runCycle();
    const first = clock.now();
    clock.advance(40 * DAY);
    await addNotes(fleet, 'acme', ['new']);
    // The replaced state becomes an undo point and the restored one the newest point...
    await fleet.backups.restore('acme', { at: first, inPlace: true });
    // ...and retention drops the first point (older than the daily window, no longer the newest).
    expect((await fleet.backups.applyRetention()).pointsRemoved).toBeGreaterThanOrEqual(1);
    const [newest] = await fleet.backups.list('acme');
    expect(newest?.reason).toBe('restored');
    const report = await fleet.backups.verify({ instances: ['acme'] });
    expect(report.results[0]).toMatchObject({ ok: true, pointId: newest?.id, problems: [] });
  });

  it('refuses a point whose chunks are intact but whose database is not', async () => {
    const clock = manualClock();
    const { fleet, dataDir } = await tempFleet({ clock: clock.now });
    await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.backups.runCycle();
    const [point] = await fleet.backups.list('acme');
    const manifestFile = backupFiles(dataDir).find((file) => file.endsWith(`${point?.id}.json`));
    if (!manifestFile) throw new Error('no manifest');
    // Damage that every checksum agrees with (as if the database was already broken when it
    // was stored): garbage pages with matching hashes. Only SQLite's integrity check can tell.
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { chunks: string[]; sha256: string; sizeBytes: number };
    const garbage = Buffer.alloc(manifest.sizeBytes, 0x5a);
    const hash = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
    const chunkDir = path.join(path.dirname(path.dirname(manifestFile)), 'chunks');
    writeFileSync(path.join(chunkDir, hash(garbage)), gzipSync(garbage));
    Object.assign(manifest, { chunks: [hash(garbage)], sha256: hash(garbage) });
    writeFileSync(manifestFile, JSON.stringify(manifest));
    const error = await fleet.backups.restore('acme', { at: clock.now(), as: 'acme-copy' }).catch((caught: unknown) => caught);
    expect(isSiloError(error, 'BACKUP_CORRUPT')).toBe(true);
  });
});

describe('the scheduler', () => {
  it('runs in one process at a time, and another takes over when it stops', async () => {
    const clock = manualClock();
    const dataDir = tempDir();
    const { fleet: a } = await tempFleet({ dataDir, clock: clock.now });
    const { fleet: b } = await tempFleet({ dataDir, clock: clock.now });
    await a.create('acme', { jurisdiction: 'eu' });
    expect(await a.backups.tick()).toMatchObject({ backedUp: 1 });
    expect(await b.backups.tick()).toBeUndefined();
    expect(a.backups.overview().scheduler?.lastCycle).toMatchObject({ backedUp: 1 });
    a.backups.start();
    await a.backups.stop();
    await addNotes(b, 'acme', ['x']);
    expect(await b.backups.tick()).toMatchObject({ backedUp: 1 });
    expect(b.backups.overview()).toMatchObject({ instances: 1, backedUp: 1, neverBackedUp: 0, failing: [] });
  });

  it('runs on its own timer once started, hands the lease back when stopped, and stays off when disabled', async () => {
    const { fleet } = await tempFleet({ backups: { intervalMs: 100 } });
    await fleet.create('acme', { jurisdiction: 'eu' });
    const cycles: number[] = [];
    await new Promise<void>((resolve) => {
      fleet.backups.start({ onCycle: (cycle) => (cycles.push(cycle.backedUp), cycles.length >= 3 && resolve()) });
    });
    expect(cycles.slice(0, 2)).toEqual([1, 0]);
    expect(fleet.backups.overview().scheduler).not.toBeNull();
    await fleet.backups.stop();
    expect(fleet.backups.running).toBe(false);
    expect(fleet.backups.overview().scheduler).toBeNull();

    const { fleet: off } = await tempFleet({ dataDir: fleet.settings.dataDir, backups: { enabled: false } });
    off.backups.start();
    expect(off.backups.running).toBe(false);
  });

  it('backs up the catalog too, and can write it back as a file', async () => {
    const clock = manualClock();
    const { fleet } = await tempFleet({ clock: clock.now });
    await fleet.create('acme', { jurisdiction: 'eu' });
    expect((await fleet.backups.runCycle()).catalogBackedUp).toBe(true);
    const [point] = await fleet.backups.catalogPoints();
    expect(point).toBeDefined();
    const dest = path.join(tempDir(), 'catalog.db');
    await fleet.backups.restoreCatalog(clock.now(), dest);
    const again = await fleet.backups.restoreCatalog(clock.now(), dest).catch((caught: unknown) => caught);
    expect(isSiloError(again, 'INVALID_INPUT')).toBe(true);
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(dest, { readonly: true });
    expect(db.prepare('SELECT name FROM instances').all()).toEqual([{ name: 'acme' }]);
    db.close();
  });
});
