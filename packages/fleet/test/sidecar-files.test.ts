/**
 * A SQLite file is more than its main file while a `-wal` or `-journal` beside it holds writes
 * (an outside crash probe, session 36): an import must not drop committed rows left in a
 * source's `-wal`, and an export must not be written where another database's `-wal` would be
 * replayed into it.
 */
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { tempSibling } from '../src/files';
import { deadTempOf, tempDir, tempFleet } from './helpers';

/** A copy of `source` taken while a writer holds committed rows in its -wal (as after a kill). */
function withRowsInWal(source: string, copy: string, rows: number): void {
  const writer = new Database(source);
  writer.pragma('journal_mode = WAL');
  writer.pragma('wal_autocheckpoint = 0');
  const insert = writer.prepare("INSERT INTO notes (body) VALUES ('in the wal')");
  writer.transaction(() => {
    for (let i = 0; i < rows; i++) insert.run();
  })();
  copyFileSync(source, copy);
  copyFileSync(`${source}-wal`, `${copy}-wal`);
  writer.close();
}

describe('files with unfinished writes beside them', () => {
  it('an import whose source has committed rows in its -wal is refused with what to do; after a checkpoint it keeps every row', async () => {
    const { fleet } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.query('acme', "INSERT INTO notes (body) VALUES ('in the file')", undefined, { readOnly: false });
    const dir = tempDir();
    const exported = path.join(dir, 'acme.sqlite');
    await fleet.exportTo('acme', exported);
    const source = path.join(dir, 'crashed.sqlite');
    withRowsInWal(exported, source, 50);

    const refused = fleet.importFile('restored', source, { jurisdiction: 'eu' });
    await expect(refused).rejects.toMatchObject({ code: 'IMPORT_REJECTED' });
    await expect(refused).rejects.toThrow(/crashed\.sqlite-wal beside it holds changes not yet written.*wal_checkpoint/);
    expect(fleet.find('restored')).toBeUndefined();

    const db = new Database(source);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    await fleet.importFile('restored', source, { jurisdiction: 'eu' });
    expect((await fleet.query('restored', 'SELECT count(*) FROM notes')).rows).toEqual([[51]]);
  });

  it('an import beside a hot -journal is refused as an interrupted write, not as a broken file', async () => {
    const { fleet } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    const dir = tempDir();
    const source = path.join(dir, 'half.sqlite');
    await fleet.exportTo('acme', source);
    writeFileSync(`${source}-journal`, Buffer.alloc(4096, 1));
    await expect(fleet.importFile('half', source, { jurisdiction: 'eu' })).rejects.toThrow(/half\.sqlite-journal beside it belongs to a write that was interrupted/);
    expect(fleet.find('half')).toBeUndefined();
  });

  it('an import beside the journal journal_mode=PERSIST keeps after its commits is not refused: nothing in it is to roll back', async () => {
    const { fleet } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    const dir = tempDir();
    const source = path.join(dir, 'persist.sqlite');
    await fleet.exportTo('acme', source);
    const writer = new Database(source);
    writer.pragma('journal_mode = PERSIST');
    writer.prepare("INSERT INTO notes (body) VALUES ('committed')").run();
    writer.close();
    // SQLite kept the journal, its header zeroed: not hot, as SQLite itself judges it.
    expect(readFileSync(`${source}-journal`).length).toBeGreaterThan(0);
    expect(readFileSync(`${source}-journal`)[0]).toBe(0);
    await fleet.importFile('persisted', source, { jurisdiction: 'eu' });
    expect((await fleet.query('persisted', 'SELECT body FROM notes')).rows).toEqual([['committed']]);
  });

  it('an export over a file whose -wal holds another database’s writes is refused, and nothing there changes', async () => {
    const { fleet } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.create('globex', { jurisdiction: 'eu' });
    await fleet.query('globex', "INSERT INTO notes (body) VALUES ('globex')", undefined, { readOnly: false });
    const dir = tempDir();
    const first = path.join(dir, 'acme.sqlite');
    await fleet.exportTo('acme', first);
    const target = path.join(dir, 'out.sqlite');
    withRowsInWal(first, target, 20);
    const before = [readFileSync(target), readFileSync(`${target}-wal`)];

    await expect(fleet.exportTo('globex', target)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(fleet.exportTo('globex', target)).rejects.toThrow(/out\.sqlite-wal holds writes of the database now at/);
    expect([readFileSync(target), readFileSync(`${target}-wal`)]).toEqual(before);
    // Another path is fine, and an empty -wal (a clean close elsewhere) does not stand in the way.
    writeFileSync(`${first}-wal`, '');
    await fleet.exportTo('globex', first);
    const written = new Database(first, { readonly: true });
    expect(written.prepare('SELECT body FROM notes').all()).toEqual([{ body: 'globex' }]);
    written.close();
  });
});

describe('an export after a killed one', () => {
  it('removes the temp file the killed export left beside its destination', async () => {
    const { fleet } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    const dir = tempDir();
    const target = path.join(dir, 'acme.sqlite');
    const leftover = deadTempOf(target);
    const live = tempSibling(target);
    // A name only like ours is somebody else's file: it stays.
    const theirs = `${target}.tmp-old`;
    writeFileSync(leftover, 'half an export');
    writeFileSync(`${leftover}-wal`, 'its wal');
    writeFileSync(live, 'an export under way');
    writeFileSync(theirs, 'a user file');
    await fleet.exportTo('acme', target);
    expect(existsSync(leftover)).toBe(false);
    expect(existsSync(`${leftover}-wal`)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(theirs)).toBe(true);
  });
});
