import { readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { checkIntegrity } from '../src/engines/check-process';
import { checkProcesses, tempDir, tempFleet } from './helpers';

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

    const sound = path.join(tempDir(), 'acme.sqlite');
    await fleet.exportTo('acme', sound);

    const before = process.memoryUsage.rss();
    const refused = fleet.importFile('crafted', file, { jurisdiction: 'eu' });
    await expect(refused).rejects.toMatchObject({ code: 'IMPORT_REJECTED', message: expect.stringContaining('reading it needed more than 128 MiB of memory') });
    expect(process.memoryUsage.rss() - before).toBeLessThan(100 * 1024 * 1024);
    expect(fleet.find('crafted')).toBeUndefined();
    // The next check runs in a new process.
    await expect(fleet.importFile('copy', sound, { jurisdiction: 'eu' })).resolves.toMatchObject({ state: 'ready' });

    // A check queued behind the crafted file on the same process never ran there: the
    // process's end is not its failure, and the next process checks it.
    const [crafted, queued] = await Promise.all([checkIntegrity(file, limit), checkIntegrity(sound, limit)]);
    expect(crafted).toEqual([expect.stringContaining('reading it needed more than 128 MiB of memory')]);
    expect(queued).toEqual([]);
  });
});

/** Whether the process has a file under `dir` open: a check is reading its file. */
function hasFileOpenUnder(pid: number, dir: string): boolean {
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith(dir);
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

/** A check process started after `before` was listed (an earlier test may have left one, idle), once it reads a file under `dir`. */
async function checkingUnder(before: readonly number[], dir: string): Promise<number> {
  for (let tries = 0; tries < 4_000; tries++) {
    const started = checkProcesses().find((pid) => !before.includes(pid));
    if (started !== undefined && hasFileOpenUnder(started, dir)) return started;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`no check process read a file under ${dir}`);
}

describe('a check process that dies in the middle of a check', () => {
  it('fails that import with a clear error, keeps nothing of it, and the next import gets a new process', async () => {
    const { fleet, dataDir } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    const file = path.join(tempDir(), 'acme.sqlite');
    await fleet.exportTo('acme', file);
    const db = new Database(file);
    const insert = db.prepare('INSERT INTO notes (body, tag) VALUES (?, ?)');
    db.transaction(() => {
      for (let i = 0; i < 40_000; i++) insert.run('x'.repeat(1_000), `tag-${i % 50}`);
    })();
    db.close();

    const before = checkProcesses();
    const importing = fleet.importFile('copy', file, { jurisdiction: 'eu' });
    process.kill(await checkingUnder(before, dataDir), 'SIGKILL');
    await expect(importing).rejects.toMatchObject({ code: 'ENGINE_FAILURE', message: expect.stringContaining('its process stopped (SIGKILL)') });
    expect(fleet.find('copy')).toBeUndefined();

    await expect(fleet.importFile('copy', file, { jurisdiction: 'eu' })).resolves.toMatchObject({ state: 'ready' });
    const rows = await fleet.withInstance('copy', (handle) => handle.execute('SELECT count(*) AS n FROM notes'));
    expect(rows.rows[0]?.['n']).toBe(40_000);
  });
});
