import { existsSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openFleet, type Engine } from '../src/index';
import { tempSibling } from '../src/files';
import { LocalEngine } from '../src/internal';
import { runChild } from './fixtures/children';
import { deadTempOf, fileOf, sampleSchema, tempDir, tempFleet, regionsIn } from './helpers';

/** The real local engine, with `remove` held until the test opens the gate: a descheduled reconciler. */
function engineWithSlowRemove(dataDir: string): { engine: Engine; open: () => void; removing: Promise<void> } {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  let reached!: () => void;
  /** Resolves once a removal waits at the gate (its row leased by then). */
  const removing = new Promise<void>((resolve) => (reached = resolve));
  const local = new LocalEngine({ templatesDir: path.join(dataDir, 'templates'), regions: regionsIn(dataDir), queryWorkers: 1 });
  const engine = new Proxy(local, {
    get(target, property) {
      if (property === 'remove') {
        return async (url: string) => {
          reached();
          await gate;
          return target.remove(url);
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { engine, open, removing };
}

describe('reconciliation', () => {
  it('recognises an interrupted create whose pid now belongs to a new process (a restarted container)', async () => {
    const { fleet, dataDir } = await tempFleet();
    const acme = await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.close();
    // Forge what a crashed earlier life of *this very pid* would have left: same host, boot
    // and pid, another start time.
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const catalog = new Database(path.join(dataDir, 'catalog.db'));
    catalog
      .prepare("UPDATE instances SET state = 'provisioning', op_owner = ? WHERE name = 'acme'")
      .run(`${hostname()}/${boot}/${process.pid}.1`);
    catalog.close();

    const { fleet: restarted } = await tempFleet({ dataDir });
    expect(restarted.startupReport?.interrupted.map((entry) => entry.instance)).toEqual(['acme']);
    expect(restarted.require('acme').state).toBe('failed');
    expect(existsSync(fileOf(acme.dbUrl, dataDir))).toBe(false);
    expect((await restarted.create('acme', { jurisdiction: 'eu' })).state).toBe('ready');
  });

  it('lets only one of two reconcilers act, so a stale one never removes a re-created instance', async () => {
    const dataDir = tempDir();
    const crashed = await runChild({ command: 'create', dataDir, name: 'victim', jurisdiction: 'eu' }, { failpoint: 'create:before-ready' });
    expect(crashed.signal).toBe('SIGKILL');

    const slow = engineWithSlowRemove(dataDir);
    const second = await openFleet({ dataDir, schema: sampleSchema(), engine: slow.engine, reconcileOnOpen: false });
    const secondDoctor = second.doctor(); // leases the interrupted row, then stalls in remove()
    await slow.removing;

    // A server starting meanwhile sees the row leased by a live process and leaves it alone;
    // the name stays taken until the first reconciler is done.
    const { fleet: first } = await tempFleet({ dataDir });
    expect(first.startupReport?.interrupted).toEqual([]);
    await expect(first.create('victim', { jurisdiction: 'eu' })).rejects.toMatchObject({ code: 'NAME_TAKEN' });

    slow.open();
    expect((await secondDoctor).interrupted.map((entry) => entry.instance)).toEqual(['victim']);
    await second.close();

    await first.create('victim', { jurisdiction: 'eu' });
    await first.withInstance('victim', (db) => db.execute("INSERT INTO notes (body) VALUES ('important')"));
    expect((await first.doctor({ scanFiles: true })).missing).toEqual([]);
    expect((await first.query('victim', 'SELECT body FROM notes')).rows).toEqual([['important']]);
  });

  it('refuses to restore an instance while it is being purged, and finishes a purge a crash interrupted', async () => {
    const { fleet, dataDir } = await tempFleet();
    const acme = await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.delete('acme');
    const slow = engineWithSlowRemove(dataDir);
    const purger = await openFleet({ dataDir, schema: sampleSchema(), engine: slow.engine, reconcileOnOpen: false });
    const purging = purger.purge('acme');
    await slow.removing;
    await expect(fleet.undelete('acme')).rejects.toMatchObject({ code: 'INVALID_STATE', message: expect.stringContaining('being purged') });
    await expect(fleet.purge('acme')).rejects.toMatchObject({ code: 'INVALID_STATE' });
    slow.open();
    expect(await purging).toEqual({ purged: true });
    await purger.close();
    expect(fleet.find('acme')).toBeUndefined();
    expect(existsSync(fileOf(acme.dbUrl, dataDir))).toBe(false);
  });

  it('an instance failed for a missing file is ready again once the file is back (a volume mounted again), with its rows', async () => {
    const { fleet, dataDir } = await tempFleet();
    const acme = await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.query('acme', "INSERT INTO notes (body) VALUES ('kept')", undefined, { readOnly: false });
    await fleet.create('gone', { jurisdiction: 'eu' });
    const tenants = path.join(fleet.regions.get(acme.region).dataDir, 'tenants');
    expect(fileOf(acme.dbUrl, dataDir).startsWith(tenants)).toBe(true);
    const away = `${tenants}-unmounted`;
    await fleet.close();
    renameSync(tenants, away);
    const reopened = await openFleet({ schema: sampleSchema(), dataDir });
    try {
      expect((await reopened.doctor({ scanFiles: true })).missing.sort()).toEqual(['acme', 'gone']);
      expect(reopened.find('acme')?.state).toBe('failed');
      renameSync(away, tenants);
      rmSync(fileOf(reopened.find('gone')?.dbUrl ?? '', dataDir), { force: true });
      const again = await reopened.doctor({ scanFiles: true });
      expect(again.recovered).toEqual(['acme']);
      // Still missing is still said, scan after scan.
      expect(again.missing).toEqual(['gone']);
      expect(reopened.audit({ operation: 'recover', instance: 'acme' }).total).toBe(1);
      expect(reopened.find('acme')).toMatchObject({ state: 'ready', error: null, schemaVersion: 2 });
      expect((await reopened.query('acme', 'SELECT body FROM notes')).rows).toEqual([['kept']]);
      // One whose file did not come back stays failed, with its reason.
      expect(reopened.find('gone')).toMatchObject({ state: 'failed', error: 'The database file is missing.' });
      // A file that comes back broken (a copy still being written) is not made ready.
      const gone = fileOf(reopened.find('gone')?.dbUrl ?? '', dataDir);
      writeFileSync(gone, Buffer.concat([readFileSync(fileOf(reopened.require('acme').dbUrl, dataDir)).subarray(0, 4096), Buffer.alloc(4096, 7)]));
      expect((await reopened.doctor({ scanFiles: true })).recovered).toEqual([]);
      expect(reopened.find('gone')?.state).toBe('failed');
    } finally {
      await reopened.close();
    }
  });

  it('removes temp files a crash left while building a template', async () => {
    const { fleet, dataDir } = await tempFleet();
    const templates = path.join(dataDir, 'templates');
    mkdirSync(templates, { recursive: true });
    const leftover = deadTempOf(path.join(templates, 'sample-v2-0000.db'));
    for (const suffix of ['', '-wal', '-shm']) writeFileSync(`${leftover}${suffix}`, 'partial');
    const report = await fleet.doctor({ scanFiles: true });
    expect(report.leftoversRemoved.sort()).toEqual([leftover, `${leftover}-shm`, `${leftover}-wal`].sort());
    expect(existsSync(leftover)).toBe(false);
  });

  it('sweeps staging on every open, without a scan: a dead process\'s export or snapshot untouched for an hour goes; a live one\'s, or a recent one, stays', async () => {
    const { fleet, dataDir } = await tempFleet();
    const region = fleet.regions.all[0];
    if (!region) throw new Error('no region');
    const staging = path.join(region.dataDir, 'staging');
    await fleet.close();
    mkdirSync(staging, { recursive: true });
    const dead = deadTempOf(path.join(staging, 'acme.export.db'));
    const live = tempSibling(path.join(staging, 'acme.export.db'));
    // Dead, but written a moment ago: maybe of a container that shares this one's hostname.
    const recent = deadTempOf(path.join(staging, 'acme.export.db'));
    const hoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    for (const file of [dead, `${dead}-wal`, live, recent]) writeFileSync(file, 'a copy of a tenant');
    for (const file of [dead, `${dead}-wal`, live]) utimesSync(file, hoursAgo, hoursAgo);
    const reopened = await openFleet({ schema: sampleSchema(), dataDir });
    try {
      expect(reopened.startupReport?.leftoversRemoved.sort()).toEqual([dead, `${dead}-wal`].sort());
      expect(existsSync(dead)).toBe(false);
      expect(existsSync(live)).toBe(true);
      expect(existsSync(recent)).toBe(true);
    } finally {
      await reopened.close();
    }
  });
});
