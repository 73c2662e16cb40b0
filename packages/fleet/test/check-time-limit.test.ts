import { readdirSync, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { checkIntegrity, checkTimeLimitMs } from '../src/engines/check-process';
import { formatDuration } from '../src/format';
import { defineTenantSchema, resolveSettings, settingsFromEnv, type TenantSchema } from '../src/index';
import { assertSettings } from '../src/internal';
import { checkProcesses, fileOf, tempDir, tempFleet, tempLeftovers } from './helpers';

/**
 * The time limit of a file check (engines/check-process.ts, ADR 42): a check that runs past
 * it has its process killed, the import is refused or the integrity check reports the file as
 * not checked, and the checks queued behind it run in a new process.
 *
 * A file slow to check, for real: 100,000 rows under twenty indexes. SQLite's integrity check
 * looks every row up in every index (about 5 s here), far past a limit of 1 s, while building
 * the file (indexes made after the rows, by sorting) takes about one.
 */

const COLUMNS = ['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7'];
const INDEXES = 20;
const ROWS = 100_000;

/** One table of eight integer columns and twenty indexes over pairs of them. */
function indexedSchema(): TenantSchema {
  const indexes = Array.from({ length: INDEXES }, (_, i) => `CREATE INDEX t_${i} ON t (${COLUMNS[i % 8]}, ${COLUMNS[(i + 1 + Math.floor(i / 8)) % 8]}, id);`);
  return defineTenantSchema({
    id: 'indexed',
    migrations: [{ version: 1, name: 'rows', sql: `CREATE TABLE t (id INTEGER PRIMARY KEY, ${COLUMNS.join(', ')});\n${indexes.join('\n')}` }],
  });
}

/** Fills a file of indexedSchema with ROWS rows, its indexes made again afterwards with their own SQL (so its schema still matches). */
function fill(file: string, rows = ROWS): void {
  const db = new Database(file);
  try {
    const indexes = db.prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 't' AND sql IS NOT NULL").all() as { name: string; sql: string }[];
    for (const { name } of indexes) db.exec(`DROP INDEX "${name}"`);
    const values = COLUMNS.map((_, k) => `(i * ${k * 7_919 + 13}) % 100003`).join(', ');
    db.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${rows}) INSERT INTO t SELECT i, ${values} FROM n`);
    for (const { sql } of indexes) db.exec(sql);
  } finally {
    db.close();
  }
}

/** A check process of this process that has a file under `dir` open: it is checking that file. */
async function checkingUnder(dir: string): Promise<number> {
  for (let tries = 0; tries < 4_000; tries++) {
    for (const pid of checkProcesses()) {
      try {
        if (readdirSync(`/proc/${pid}/fd`).some((fd) => readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith(dir))) return pid;
      } catch {
        // it ended, or closed that fd, meanwhile
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`no check process read a file under ${dir}`);
}

/** Whether a process is still there (not yet reaped counts as there). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The reason a timed-out check gives, for a file of `bytes` under a setting of `timeoutSec`. */
function overTime(bytes: number, timeoutSec: number): string {
  return `checking it took longer than its time limit of ${formatDuration(checkTimeLimitMs(bytes, timeoutSec))} (SILO_CHECK_TIMEOUT_SEC`;
}

describe('the time limit of a file check', () => {
  it('refuses an import whose check runs past it, naming the limit and the setting; the import queued behind it succeeds in a new process', async () => {
    const { fleet, dataDir } = await tempFleet({ schema: indexedSchema(), checkTimeoutSec: 1 });
    await fleet.create('acme', { jurisdiction: 'eu' });
    const slow = path.join(tempDir(), 'slow.sqlite');
    await fleet.exportTo('acme', slow);
    fill(slow);
    const sound = path.join(tempDir(), 'sound.sqlite');
    await fleet.exportTo('acme', sound);

    const refused = fleet.importFile('slow', slow, { jurisdiction: 'eu' });
    // Queued behind the slow check, on the same process, once that process is reading it.
    const checking = await checkingUnder(dataDir);
    const queued = fleet.importFile('sound', sound, { jurisdiction: 'eu' });

    await expect(refused).rejects.toMatchObject({ code: 'IMPORT_REJECTED', message: expect.stringContaining(overTime(statSync(slow).size, 1)) });
    await expect(queued).resolves.toMatchObject({ state: 'ready' });
    expect(fleet.find('slow')).toBeUndefined();
    expect(tempLeftovers(dataDir)).toEqual([]);
    // The process of the slow check was killed, not left running beside the new one.
    for (let tries = 0; tries < 1_000 && alive(checking); tries++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(alive(checking)).toBe(false);
  });

  it('has `doctor --deep` report an instance whose check runs past it as not checked, and check the others', async () => {
    const { fleet, dataDir } = await tempFleet({ schema: indexedSchema(), checkTimeoutSec: 1 });
    const big = await fleet.create('big', { jurisdiction: 'eu' });
    await fleet.create('small', { jurisdiction: 'eu' });
    const file = fileOf(big.dbUrl, dataDir);
    fill(file);

    const report = await fleet.doctor({ deep: true });
    expect(report.integrity).toEqual([{ instance: 'big', problems: [`the file could not be checked: ${overTime(statSync(file).size, 1)}, plus as much again per GiB of the file)`] }]);
  });

  it('sends the integrity checks queued behind a check past its limit to a new process, where they pass', async () => {
    const dir = tempDir();
    const slow = path.join(dir, 'slow.sqlite');
    const sound = path.join(dir, 'sound.sqlite');
    for (const file of [slow, sound]) {
      const db = new Database(file);
      db.exec(indexedSchema().migrations[0]?.sql ?? '');
      db.close();
    }
    fill(slow);
    fill(sound, 100);

    // One after the other on the check process: the second waits behind the first.
    const [stopped, queued] = await Promise.all([checkIntegrity(slow, undefined, 1), checkIntegrity(sound, undefined, 1)]);
    expect(stopped).toEqual([expect.stringContaining(`the file could not be checked: ${overTime(statSync(slow).size, 1)}`)]);
    expect(queued).toEqual([]);
  });

  it('scales with the file’s size: the setting’s seconds, plus as many again per GiB', () => {
    const GIB = 1024 ** 3;
    expect(checkTimeLimitMs(0, 60)).toBe(60_000);
    expect(checkTimeLimitMs(GIB / 2, 60)).toBe(90_000);
    expect(checkTimeLimitMs(GIB, 60)).toBe(120_000);
    expect(checkTimeLimitMs(4 * GIB, 60)).toBe(300_000);
    expect(checkTimeLimitMs(40 * 1024 * 1024, 1)).toBe(1_039);
    // Never past what a timer can wait (Node fires a longer one at once).
    expect(checkTimeLimitMs(1_000 * GIB, 86_400)).toBe(2 ** 31 - 1);
  });
});

describe('SILO_CHECK_TIMEOUT_SEC', () => {
  it('sets the fleet’s check time limit, a minute by default, whole seconds from 1 to a day', () => {
    expect(resolveSettings({ dataDir: tempDir() }).checkTimeoutSec).toBe(60);
    expect(resolveSettings(settingsFromEnv({ SILO_DATA_DIR: tempDir(), SILO_CHECK_TIMEOUT_SEC: '90' })).checkTimeoutSec).toBe(90);
    expect(() => assertSettings({ SILO_CHECK_TIMEOUT_SEC: '0' }, ['fleet'])).toThrow(/^Invalid setting: SILO_CHECK_TIMEOUT_SEC must be an integer from 1 to 86400; got "0"$/);
    expect(() => settingsFromEnv({ SILO_CHECK_TIMEOUT_SEC: '1.5' })).toThrow('SILO_CHECK_TIMEOUT_SEC must be an integer from 1 to 86400');
  });
});
