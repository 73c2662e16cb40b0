/**
 * Temp files an interrupted backup leaves in its location (`chunks/<hash>.tmp-<owner>-…`, a
 * manifest's `.json.tmp-…`) are swept at the start of the next backup that writes there, not
 * only by retention: those of writers that are gone, never those of a live one.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openFleet } from '../src/index';
import { tempNameOf } from '../src/files';
import { PROCESS_TOKEN } from '../src/processes';
import { fileOf, filesUnder, sampleSchema, tempFleet } from './helpers';

const DAY = 24 * 60 * 60 * 1_000;

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** The owner token of a process that ran and exited: what a killed `silo backup now` leaves in its temp names. */
function deadToken(): string {
  const { pid } = spawnSync(process.execPath, ['-e', '']);
  // Any start time: were the pid taken again meanwhile, its new process started at another tick.
  return `${pid}.1`;
}

/** Another process that is running, as a concurrent writer (a scheduler beside `backup now`) is. */
async function liveProcess(): Promise<{ pid: number; token: string }> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  children.push(child);
  await new Promise((resolve) => child.once('spawn', resolve));
  const pid = child.pid ?? 0;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Field 22, the start time, as the fleet's tokens carry it (fields resume after the last ')').
  const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  return { pid, token: `${pid}.${start}` };
}

/** A temp file as FolderStore names them (tempSibling), of a process of this machine with `token`. */
function plant(file: string, token: string, ageMs = 0): string {
  const temp = tempNameOf(file, token);
  mkdirSync(path.dirname(temp), { recursive: true });
  writeFileSync(temp, 'half a chunk');
  if (ageMs > 0) {
    const at = new Date(Date.now() - ageMs);
    utimesSync(temp, at, at);
  }
  return temp;
}

const hash = (): string => randomBytes(32).toString('hex');

describe('leftovers of an interrupted backup', () => {
  it('are swept when the next `backup now` starts, sparing every live writer', async () => {
    const { fleet, dataDir } = await tempFleet();
    const instance = await fleet.create('acme', { jurisdiction: 'eu' });
    const base = path.join(dataDir, 'regions', 'eu-west', 'backups', 'instances', instance.id);
    const other = await liveProcess();

    const dead = [plant(path.join(base, 'chunks', hash()), deadToken()), plant(path.join(base, 'points', 'point.json'), deadToken())];
    // A bare pid (no start time: a platform without /proc) may be a reused one: gone after a day.
    const stale = plant(path.join(base, 'chunks', hash()), String(other.pid), 2 * DAY);
    const live = [
      plant(path.join(base, 'chunks', hash()), PROCESS_TOKEN),
      plant(path.join(base, 'chunks', hash()), other.token),
      // However old: a live writer's file is its, until it renames it.
      plant(path.join(base, 'chunks', hash()), other.token, 2 * DAY),
      plant(path.join(base, 'chunks', hash()), String(other.pid)),
    ];

    const point = await fleet.backups.now('acme');

    for (const file of [...dead, stale]) expect(existsSync(file), file).toBe(false);
    for (const file of live) expect(existsSync(file), file).toBe(true);
    expect((await fleet.backups.list('acme')).map((listed) => listed.id)).toEqual([point.id]);
  });

  it('are swept when a restarted scheduler backs the catalog and a changed instance up', async () => {
    const { fleet: before, dataDir } = await tempFleet();
    const instance = await before.create('acme', { jurisdiction: 'eu' });
    await before.backups.runCycle();
    const catalogBase = path.join(before.settings.backups.catalogLocation.kind === 'folder' ? before.settings.backups.catalogLocation.path : '', 'catalog');
    await before.close();

    const base = path.join(dataDir, 'regions', 'eu-west', 'backups', 'instances', instance.id);
    const dead = [plant(path.join(base, 'chunks', hash()), deadToken()), plant(path.join(catalogBase, 'chunks', hash()), deadToken())];
    const live = plant(path.join(catalogBase, 'chunks', hash()), (await liveProcess()).token);

    const fleet = await openFleet({ dataDir, schema: sampleSchema() });
    try {
      // A write from another process (the app's server): the cycle finds the file changed.
      const db = new Database(fileOf(instance.dbUrl, dataDir));
      db.exec("INSERT INTO notes (body) VALUES ('changed')");
      db.close();
      expect(await fleet.backups.runCycle()).toMatchObject({ backedUp: 1, failed: 0, catalogBackedUp: true });
      for (const file of dead) expect(existsSync(file), file).toBe(false);
      expect(existsSync(live)).toBe(true);
      expect(filesUnder(base).filter((file) => file.includes('.tmp-'))).toEqual([]);
    } finally {
      await fleet.close();
    }
  });
});
