/**
 * Purge as a durable intent (issue #21, item 1), without crashes: backups whose instance the
 * catalog lost are found and marked by doctor; a purge that cannot mark a location is kept
 * and finished later; a purge never erases another instance's database.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { fileOf, tempDir, tempFleet } from './helpers';

const DAY = 24 * 60 * 60 * 1000;

function manualClock(start = Date.UTC(2026, 0, 10, 12, 0, 0)): { now: () => number; advance: (ms: number) => void } {
  let current = start;
  return { now: () => current, advance: (ms) => (current += ms) };
}

/** What an interrupted purge of older versions (or a catalog restored from an older point) leaves: the row gone, no marker. */
function dropRowByHand(dataDir: string, name: string): void {
  const db = new Database(path.join(dataDir, 'catalog.db'));
  try {
    db.prepare('DELETE FROM instances WHERE name = ?').run(name);
  } finally {
    db.close();
  }
}

describe('backup sets nobody will erase', () => {
  it('are reported by doctor --scan, marked on request (audited), and erased after the purge retention', async () => {
    const clock = manualClock();
    const { fleet, dataDir } = await tempFleet({ clock: clock.now, backups: { purgeAfterDays: 7 } });
    const lost = await fleet.create('lost', { jurisdiction: 'eu' });
    const kept = await fleet.create('kept', { jurisdiction: 'eu' });
    const purged = await fleet.create('purged', { jurisdiction: 'eu' });
    for (const name of ['lost', 'kept', 'purged']) await fleet.backups.now(name);
    await fleet.delete('purged');
    await fleet.purge('purged');
    dropRowByHand(dataDir, 'lost');
    const location = path.join(dataDir, 'regions', 'eu-west', 'backups');
    const marker = path.join(location, 'instances', lost.id, 'purged.json');

    // Start-up and a plain doctor do not walk the locations; --scan does, and reports only the unmarked set of an unknown instance.
    expect((await fleet.doctor()).orphanBackups).toBeUndefined();
    const found = await fleet.doctor({ scanFiles: true });
    expect(found.orphanBackups).toEqual([{ location, instanceId: lost.id, name: 'lost', jurisdiction: 'eu', points: 1, newestAt: expect.any(Number) }]);
    expect(found.orphanBackupsMarked).toBe(false);
    expect(existsSync(marker)).toBe(false);

    const marked = await fleet.doctor({ scanFiles: true, markOrphanBackups: true, actor: 'cli:ops' });
    expect(marked.orphanBackups?.map((set) => set.instanceId)).toEqual([lost.id]);
    expect(marked.orphanBackupsMarked).toBe(true);
    expect(existsSync(marker)).toBe(true);
    expect(fleet.audit({ operation: 'backup-mark-orphans' }).items[0]).toMatchObject({ actor: 'cli:ops', outcome: 'ok', detail: { count: 1, marked: [{ instanceId: lost.id, name: 'lost', location }] } });
    expect((await fleet.doctor({ scanFiles: true })).orphanBackups).toEqual([]);

    // Erased like a purged instance's backups, after the stated retention; the others stay.
    clock.advance(7 * DAY + 1);
    expect([...(await fleet.backups.applyRetention()).instancesRemoved].sort()).toEqual(['lost', 'purged']);
    expect(existsSync(path.join(location, 'instances', lost.id))).toBe(false);
    expect(existsSync(path.join(location, 'instances', kept.id))).toBe(true);
    expect(purged.id).not.toBe(kept.id);
  });
});

describe('a purge that cannot mark a backup location', () => {
  it('fails before erasing anything when it began the purge, and leaves the instance restorable', async () => {
    const { fleet, dataDir } = await tempFleet();
    const acme = await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.backups.now('acme');
    await fleet.delete('acme');
    // The marker's name is taken by a folder: the location refuses the write.
    const markerPath = path.join(dataDir, 'regions', 'eu-west', 'backups', 'instances', acme.id, 'purged.json');
    mkdirSync(path.join(markerPath, 'blocked'), { recursive: true });
    await expect(fleet.purge('acme')).rejects.toMatchObject({ code: 'BACKUP_FAILED' });
    expect(existsSync(fileOf(acme.dbUrl, dataDir))).toBe(true);
    expect((await fleet.undelete('acme')).state).toBe('ready');
    rmSync(markerPath, { recursive: true });
  });

  it('when resumed by reconciliation, stays recorded (not restorable, name taken) and is finished by a later doctor', async () => {
    const { fleet, dataDir } = await tempFleet();
    const acme = await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.backups.now('acme');
    await fleet.delete('acme');
    // A purge whose process died right after recording its intent (a lease no live process holds).
    const db = new Database(path.join(dataDir, 'catalog.db'));
    db.prepare('UPDATE instances SET op_owner = ? WHERE id = ?').run(`${hostname()}/a-previous-boot/1.1`, acme.id);
    db.prepare(`INSERT INTO purge_intents (instance_id, name, jurisdiction, region, db_url, locations, actor, requested_at) VALUES (?, 'acme', 'eu', 'eu-west', ?, '[]', 'cli:ops', 0)`).run(acme.id, acme.dbUrl);
    db.close();
    const markerPath = path.join(dataDir, 'regions', 'eu-west', 'backups', 'instances', acme.id, 'purged.json');
    mkdirSync(path.join(markerPath, 'blocked'), { recursive: true });

    const failed = await fleet.doctor({ purgeExpired: false });
    expect(failed.purgesCompleted).toEqual([]);
    expect(failed.purgeFailures).toEqual([{ name: 'acme', error: expect.stringContaining('backup location') }]);
    await expect(fleet.undelete('acme')).rejects.toMatchObject({ code: 'INVALID_STATE', message: expect.stringContaining('being purged') });
    await expect(fleet.create('acme', { jurisdiction: 'eu' })).rejects.toMatchObject({ code: 'NAME_TAKEN' });

    rmSync(markerPath, { recursive: true });
    const finished = await fleet.doctor({ purgeExpired: false });
    expect(finished.purgesCompleted).toEqual(['acme']);
    expect(existsSync(markerPath)).toBe(true);
    expect(fleet.find('acme')).toBeUndefined();
    expect(existsSync(fileOf(acme.dbUrl, dataDir))).toBe(false);
  });
});

describe('a purge of an instance backed up to a location no longer configured', () => {
  it('marks every configured one, finishes, and names the unreachable one in the audit log', async () => {
    const root = tempDir('silo-purge-locations-');
    const retired = path.join(root, 'retired');
    const current = path.join(root, 'current');
    const folder = (where: string) => ({ locations: { 'eu-west': { kind: 'folder' as const, path: where, jurisdiction: 'eu' } } });
    const { fleet: before, dataDir } = await tempFleet({ backups: folder(retired) });
    const acme = await before.create('acme', { jurisdiction: 'eu' });
    await before.backups.now('acme');
    await before.close();

    const { fleet } = await tempFleet({ dataDir, backups: folder(current) });
    await fleet.backups.now('acme');
    await fleet.delete('acme');
    expect(await fleet.purge('acme')).toEqual({ purged: true });
    expect(existsSync(path.join(current, 'instances', acme.id, 'purged.json'))).toBe(true);
    expect(existsSync(path.join(retired, 'instances', acme.id, 'purged.json'))).toBe(false);
    expect(fleet.audit({ operation: 'purge-unmarked-locations' }).items[0]).toMatchObject({
      instance: 'acme',
      outcome: 'error',
      detail: { instanceId: acme.id, locations: [retired] },
    });
  });
});

describe('a purge never erases another instance’s database', () => {
  it('leaves a file whose URL a live instance holds, and still finishes', async () => {
    const { fleet, dataDir } = await tempFleet();
    const old = await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.delete('acme');
    // A recorded purge whose row is gone, while a new instance of the name owns the same path
    // (only possible by hand: the name stays taken until a purge is done).
    const db = new Database(path.join(dataDir, 'catalog.db'));
    db.prepare(`INSERT INTO purge_intents (instance_id, name, jurisdiction, region, db_url, locations, actor, requested_at) VALUES ('gone-id', 'acme', 'eu', 'eu-west', ?, '[]', 'cli:ops', 0)`).run(old.dbUrl);
    db.close();
    await fleet.undelete('acme');
    await fleet.withInstance('acme', (conn) => conn.execute("INSERT INTO notes (body) VALUES ('alive')"));
    const report = await fleet.doctor({ purgeExpired: false });
    expect(report.purgesCompleted).toEqual(['acme']);
    expect((await fleet.query('acme', 'SELECT body FROM notes')).rows).toEqual([['alive']]);
    expect(existsSync(path.join(dataDir, 'regions', 'eu-west', 'backups', 'instances', 'gone-id', 'purged.json'))).toBe(false);
  });
});
