import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { tempDir, tempFleet } from './helpers';

/**
 * The process SQLite files are checked in (engines/check-process.ts), from an outside review
 * (session 37): merely opening a file loads its planner statistics, so a crafted upload could
 * take the server's memory before any check refused it.
 */

/** A SQLite record of one text value of `bytes` bytes and an integer: what sqlite_stat4 keeps as a sample. */
function sampleRecord(bytes: number): Buffer {
  const varint = (value: number): Buffer => {
    const groups: number[] = [];
    do {
      groups.unshift(value % 128);
      value = Math.floor(value / 128);
    } while (value > 0);
    return Buffer.from(groups.map((group, index) => (index < groups.length - 1 ? group | 0x80 : group)));
  };
  const textType = varint(bytes * 2 + 13);
  const header = Buffer.concat([Buffer.from([1 + textType.length + 1]), textType, Buffer.from([1])]);
  return Buffer.concat([header, Buffer.alloc(bytes, 0x61), Buffer.from([1])]);
}

describe('the check process', () => {
  it('refuses an upload whose planner statistics alone take more memory than the limit, and the server’s memory stays as it was', async () => {
    const limit = 128 * 1024 * 1024;
    const { fleet } = await tempFleet({ queryMaxMemoryBytes: limit });
    await fleet.create('acme', { jurisdiction: 'eu' });
    const file = path.join(tempDir(), 'stat4.sqlite');
    await fleet.exportTo('acme', file);
    const db = new Database(file);
    db.exec("CREATE INDEX by_tag ON notes (tag); INSERT INTO notes (body, tag) VALUES ('a', 'b'); ANALYZE;");
    const insert = db.prepare("INSERT INTO sqlite_stat4 (tbl, idx, neq, nlt, ndlt, sample) VALUES ('notes', 'by_tag', '1 1', '0 0', '0 0', ?)");
    const sample = sampleRecord(1_000_000);
    db.transaction(() => {
      for (let i = 0; i < 200; i++) insert.run(sample);
    })();
    db.close();

    const before = process.memoryUsage.rss();
    const refused = fleet.importFile('crafted', file, { jurisdiction: 'eu' });
    await expect(refused).rejects.toMatchObject({ code: 'IMPORT_REJECTED', message: expect.stringContaining('more than 128 MiB of memory') });
    expect(process.memoryUsage.rss() - before).toBeLessThan(100 * 1024 * 1024);
    expect(fleet.find('crafted')).toBeUndefined();
    // The next check runs in a new process.
    const sound = path.join(tempDir(), 'acme.sqlite');
    await fleet.exportTo('acme', sound);
    await expect(fleet.importFile('copy', sound, { jurisdiction: 'eu' })).resolves.toMatchObject({ state: 'ready' });
  });
});
