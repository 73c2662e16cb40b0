import { execFile } from 'node:child_process';
import path from 'node:path';
import { setImmediate as endOfRun } from 'node:timers/promises';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { walIndexWatch } from '../src/catalog/wal-watch';
import { tempDir, tempFleet } from './helpers';

/**
 * Runs SQL on the catalog from another process, as another server or an operator's tool would.
 * Its end reaches this process as I/O, as any news from another process does.
 */
async function writeFromAnotherProcess(catalogFile: string, sql: string): Promise<void> {
  const script = `const Database = require('better-sqlite3'); const db = new Database(${JSON.stringify(catalogFile)}); db.pragma('busy_timeout = 5000'); db.exec(${JSON.stringify(sql)}); db.close();`;
  await promisify(execFile)(process.execPath, ['-e', script], { cwd: process.cwd() });
}

describe('the catalog lookup cache', () => {
  it('serves a warm lookup from the cache, with the same answer', async () => {
    const { fleet } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    const first = await fleet.open('acme');
    first.release();
    const second = await fleet.open('acme');
    second.release();
    expect(second.instance).toBe(first.instance);
    expect(Object.isFrozen(second.instance)).toBe(true);
    expect(second.instance).toMatchObject({ name: 'acme', state: 'ready' });
  });

  it('sees a delete and an undelete by another Fleet on the same files at the next open', async () => {
    const { fleet, dataDir } = await tempFleet();
    const { fleet: other } = await tempFleet({ dataDir, reconcileOnOpen: false });
    await fleet.create('acme', { jurisdiction: 'eu' });
    (await fleet.open('acme')).release();
    (await fleet.open('acme')).release();

    await other.delete('acme');
    await expect(fleet.open('acme')).rejects.toMatchObject({ code: 'INSTANCE_NOT_FOUND' });
    await other.undelete('acme');
    const back = await fleet.open('acme');
    expect(back.instance.state).toBe('ready');
    back.release();
  });

  it('sees a change committed by another process at the next open (a move, then a delete)', async () => {
    const { fleet, dataDir } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    const catalogFile = path.join(dataDir, 'catalog.db');
    (await fleet.open('acme')).release();

    await writeFromAnotherProcess(catalogFile, "UPDATE instances SET state = 'moving' WHERE name = 'acme'");
    await expect(fleet.open('acme')).rejects.toMatchObject({ code: 'INSTANCE_NOT_READY' });
    await writeFromAnotherProcess(catalogFile, "UPDATE instances SET state = 'ready' WHERE name = 'acme'");
    (await fleet.open('acme')).release();
    await writeFromAnotherProcess(catalogFile, "UPDATE instances SET state = 'deleted', deleted_at = 1 WHERE name = 'acme'");
    await expect(fleet.open('acme')).rejects.toMatchObject({ code: 'INSTANCE_NOT_FOUND' });
  });

  it("sees this fleet's own changes at once", async () => {
    const { fleet } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    (await fleet.open('acme')).release();
    await fleet.setDisplayName('acme', 'Acme Ltd');
    const renamed = await fleet.open('acme');
    expect(renamed.instance.displayName).toBe('Acme Ltd');
    renamed.release();
    expect(fleet.find('acme')?.metrics).toEqual({});
    fleet.touch('acme', { notes: 3 });
    await fleet.flushActivity();
    expect(fleet.find('acme')?.metrics).toEqual({ notes: 3 });
    await fleet.delete('acme');
    await expect(fleet.open('acme')).rejects.toMatchObject({ code: 'INSTANCE_NOT_FOUND' });
  });

  it("keeps its answers across this fleet's activity flushes, which find() still reads fresh", async () => {
    const { fleet, dataDir } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    const first = await fleet.open('acme');
    first.release();
    fleet.touch('acme', { notes: 3 });
    await fleet.flushActivity();
    // The flush changed only activity: the next open is answered from the cache.
    const second = await fleet.open('acme');
    second.release();
    expect(second.instance).toBe(first.instance);
    expect(fleet.find('acme')).toMatchObject({ metrics: { notes: 3 }, lastActiveAt: expect.any(Number) });
    // Any other commit still empties it: another process's move, then a delete of ours.
    await writeFromAnotherProcess(path.join(dataDir, 'catalog.db'), "UPDATE instances SET state = 'moving' WHERE name = 'acme'");
    await expect(fleet.open('acme')).rejects.toMatchObject({ code: 'INSTANCE_NOT_READY' });
  });

  it('is not fooled by a commit of another process just before an activity flush', async () => {
    const { fleet, dataDir } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    (await fleet.open('acme')).release();
    await writeFromAnotherProcess(path.join(dataDir, 'catalog.db'), "UPDATE instances SET state = 'moving' WHERE name = 'acme'");
    fleet.touch('acme');
    await fleet.flushActivity();
    await expect(fleet.open('acme')).rejects.toMatchObject({ code: 'INSTANCE_NOT_READY' });
  });
});

/**
 * A database with one table, its change watch, and a second connection to it that is not a
 * catalog connection of this thread: it stands for another process.
 */
function watchedDatabase(mode: 'WAL' | 'DELETE' = 'WAL') {
  const file = path.join(tempDir(), 'catalog.db');
  const db = new Database(file);
  db.pragma(`journal_mode = ${mode}`);
  db.exec('CREATE TABLE t (a)');
  const other = new Database(file);
  const changes = walIndexWatch(db, file);
  const close = (): void => {
    changes.close();
    other.close();
    db.close();
  };
  return { file, db, other, changes, watch: changes.watch(), close };
}

describe('the catalog change watch', () => {
  for (const mode of ['WAL', 'DELETE'] as const) {
    // DELETE has no -shm: the watch falls back to `data_version` and `total_changes()`.
    it(`says "changed" after a commit of this or another connection, and only then (journal ${mode})`, async () => {
      const { db, other, watch, close } = watchedDatabase(mode);
      try {
        expect(watch.changed()).toBe(true);
        expect(watch.changed()).toBe(false);
        other.prepare('INSERT INTO t VALUES (1)').run();
        await endOfRun();
        expect(watch.changed()).toBe(true);
        expect(watch.changed()).toBe(false);
        db.prepare('INSERT INTO t VALUES (2)').run();
        expect(watch.changed()).toBe(true);
        expect(watch.changed()).toBe(false);
        if (mode === 'WAL') db.pragma('wal_checkpoint(TRUNCATE)');
        other.prepare('INSERT INTO t VALUES (3)').run();
        await endOfRun();
        expect(watch.changed()).toBe(true);
      } finally {
        close();
      }
    });
  }

  it('reuses its answer until the current run of work ends, unless this connection writes', async () => {
    const { db, other, watch, close } = watchedDatabase();
    try {
      expect(watch.changed()).toBe(true);
      // A commit elsewhere within the same run (no I/O in between): one system call saved.
      other.prepare('INSERT INTO t VALUES (1)').run();
      await Promise.resolve();
      expect(watch.changed()).toBe(false);
      // Work that starts after the run, as a request arriving after the commit does, sees it.
      await endOfRun();
      expect(watch.changed()).toBe(true);
      // A write of this connection is seen at once, in the same run.
      db.prepare('INSERT INTO t VALUES (2)').run();
      expect(watch.changed()).toBe(true);
      // So is one committed by a transaction that began after the answer.
      db.transaction(() => db.prepare('INSERT INTO t VALUES (3)').run())();
      expect(watch.changed()).toBe(true);
      expect(watch.changed()).toBe(false);
    } finally {
      close();
    }
  });

  it('does not reuse an answer while a second catalog connection to the file is open in this thread', () => {
    const { file, other, watch, close } = watchedDatabase();
    const secondCatalogConnection = walIndexWatch(other, file);
    try {
      expect(watch.changed()).toBe(true);
      expect(watch.changed()).toBe(false);
      other.prepare('INSERT INTO t VALUES (1)').run();
      expect(watch.changed()).toBe(true);
    } finally {
      secondCatalogConnection.close();
      close();
    }
  });

  it("gives each of a connection's watches every change, from one read of the header", async () => {
    const { changes, other, watch, close } = watchedDatabase();
    const second = changes.watch();
    try {
      expect([watch.changed(), second.changed()]).toEqual([true, true]);
      expect([watch.changed(), second.changed()]).toEqual([false, false]);
      other.prepare('INSERT INTO t VALUES (1)').run();
      await endOfRun();
      expect(watch.changed()).toBe(true);
      // The second watch gets the change the first one's read found.
      expect([second.changed(), second.changed(), watch.changed()]).toEqual([true, false, false]);
    } finally {
      close();
    }
  });
});

describe('a write the change watch is told to leave unnoticed', () => {
  const writeUnnoticed = (db: Database.Database, changes: ReturnType<typeof walIndexWatch>, sql: string): void => {
    const write = db.transaction((started: () => void) => {
      started();
      db.prepare(sql).run();
    });
    changes.unnoticed((started) => write.immediate(started));
  };

  it('is not reported when nothing else committed around it', async () => {
    const { db, changes, watch, close } = watchedDatabase();
    try {
      expect(watch.changed()).toBe(true);
      writeUnnoticed(db, changes, 'INSERT INTO t VALUES (1)');
      expect(watch.changed()).toBe(false);
      await endOfRun();
      expect(watch.changed()).toBe(false);
      db.prepare('INSERT INTO t VALUES (2)').run();
      expect(watch.changed()).toBe(true);
    } finally {
      close();
    }
  });

  it('is reported with a commit of another connection before it that the watch had not seen', async () => {
    const { db, other, changes, watch, close } = watchedDatabase();
    try {
      expect(watch.changed()).toBe(true);
      other.prepare('INSERT INTO t VALUES (1)').run();
      writeUnnoticed(db, changes, 'INSERT INTO t VALUES (2)');
      await endOfRun();
      expect(watch.changed()).toBe(true);
    } finally {
      close();
    }
  });

  it('is reported with a commit of another connection after it', async () => {
    const { db, other, changes, watch, close } = watchedDatabase();
    try {
      expect(watch.changed()).toBe(true);
      const write = db.transaction((started: () => void) => {
        started();
        db.prepare('INSERT INTO t VALUES (1)').run();
      });
      // Another connection commits between this write's commit and the watch's look at it.
      changes.unnoticed((started) => {
        write.immediate(started);
        other.prepare('INSERT INTO t VALUES (2)').run();
      });
      await endOfRun();
      expect(watch.changed()).toBe(true);
    } finally {
      close();
    }
  });
});
