/**
 * A tenant's file is copied (export, clone, backup point) on libuv's threads, holding its write
 * lock across the await (ADR 40): the main thread goes on serving while it runs, and this
 * process's own writers to that file wait for the copy on the event loop instead of in SQLite's
 * busy handler, where they would block the main thread and the copy's completion with it.
 */
import Database from 'better-sqlite3';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TenantConnection } from '../src/engine';
import { consistentCopy } from '../src/sqlite-files';
import { writesHeldOn } from '../src/write-holds';
import { fileOf, tempDir, tempFleet } from './helpers';

/** A tenant of ~32 MB: its copy takes long enough to be caught in the middle. */
async function bigTenant(): Promise<{ file: string; connection: TenantConnection }> {
  const { fleet, dataDir } = await tempFleet();
  const instance = await fleet.create('big', { jurisdiction: 'eu' });
  const connection = fleet.engine.connect(instance.dbUrl);
  await connection.execute(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 32)
                            INSERT INTO notes (body) SELECT hex(randomblob(512 * 1024)) FROM n`);
  return { file: fileOf(instance.dbUrl, dataDir), connection };
}

/** Turns of the event loop until the copy holds the lock: proof that the loop runs during it. */
async function untilCopyHoldsLock(file: string, copy: Promise<unknown>): Promise<void> {
  let done = false;
  void copy.finally(() => (done = true));
  while (writesHeldOn(file)?.locked !== true) {
    if (done) throw new Error('the copy ended without the event loop running while it held the lock');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function notesIn(file: string): number {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM notes').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('a copy of a tenant file off the main thread', () => {
  it('lets the event loop run while it holds the lock; a write from this process waits for it and is not in the copy', async () => {
    const { file, connection } = await bigTenant();
    try {
      const dest = path.join(tempDir(), 'copy.db');
      const copy = consistentCopy(file, dest, Date.now, { holdWrites: true });
      await untilCopyHoldsLock(file, copy);

      const write = connection.execute("INSERT INTO notes (body) VALUES ('after the copy began')");
      const read = await connection.execute('SELECT count(*) AS n FROM notes');
      // Reads never need the lock: answered while the copy still holds it.
      expect(writesHeldOn(file)?.locked).toBe(true);
      expect(read.rows[0]?.['n']).toBe(32);

      await copy;
      expect((await write).rowsAffected).toBe(1);
      expect(notesIn(dest)).toBe(32);
      expect(notesIn(file)).toBe(33);
    } finally {
      connection.close();
    }
  });

  it('lets a transaction that only read so far write once the copy ends, instead of blocking in the busy handler', async () => {
    const { file, connection } = await bigTenant();
    try {
      await connection.execute('BEGIN');
      await connection.execute('SELECT count(*) FROM notes');
      const copy = consistentCopy(file, path.join(tempDir(), 'copy.db'), Date.now, { holdWrites: true });
      await untilCopyHoldsLock(file, copy);
      // Without waiting, this write would meet the copy's lock in SQLite's busy handler: the
      // main thread blocked for the whole busy timeout, then SQLITE_BUSY.
      const write = connection.execute("INSERT INTO notes (body) VALUES ('in the transaction')");
      await copy;
      await write;
      await connection.execute('COMMIT');
      expect(notesIn(file)).toBe(33);
    } finally {
      connection.close();
    }
  });

  it('queues copies of one file behind each other, each complete', async () => {
    const { file, connection } = await bigTenant();
    try {
      const dir = tempDir();
      const copies = Array.from({ length: 4 }, (_, index) => consistentCopy(file, path.join(dir, `copy-${index}.db`), Date.now, { holdWrites: true }));
      const writes = Array.from({ length: 4 }, (_, index) => connection.execute('INSERT INTO notes (body) VALUES (?)', [`during ${index}`]));
      await Promise.all([...copies, ...writes]);
      for (let index = 0; index < 4; index++) expect(notesIn(path.join(dir, `copy-${index}.db`))).toBeGreaterThanOrEqual(32);
      expect(notesIn(file)).toBe(36);
      expect(writesHeldOn(file)).toBeUndefined();
    } finally {
      connection.close();
    }
  });
});
