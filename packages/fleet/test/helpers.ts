import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { afterEach, expect } from 'vitest';
import { UNKNOWN_OWNER_TEMP_MAX_AGE_MS, tempNameOf } from '../src/files';
import { DEFAULT_REGIONS, openFleet, type DoctorReport, type Fleet, type FleetOptions, type Region } from '../src/index';
import { BOOT_TAG, HOST_TAG, PROCESS_TOKEN } from '../src/processes';
import { sampleSchema } from './fixtures/sample-schema';

/** The sample tenant schema lives with the fixtures, so child processes share it without Vitest. */
export { SAMPLE_MIGRATIONS, sampleSchema } from './fixtures/sample-schema';

/** A fresh temporary folder, removed after the test. */
export function tempDir(prefix = 'silo-test-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A fleet on real files in a temporary folder, closed and removed after the test. */
export async function tempFleet(options: Partial<FleetOptions> = {}): Promise<{ fleet: Fleet; dataDir: string }> {
  const dataDir = options.dataDir ?? tempDir();
  const fleet = await openFleet({ schema: sampleSchema(), ...options, dataDir });
  cleanups.push(() => fleet.close());
  return { fleet, dataDir };
}

/** The file of a local-engine database URL, for tests that look at disk (default regions). */
export function fileOf(dbUrl: string, dataDir: string): string {
  const match = /^local:([a-z0-9-]+)\/([0-9a-f]{2})\/([a-z0-9-]+\.db)$/.exec(dbUrl);
  if (!match) throw new Error(`not a local database URL: ${dbUrl}`);
  return path.join(dataDir, 'regions', match[1] as string, 'tenants', match[2] as string, match[3] as string);
}

/** Open file descriptors of this process (Linux). */
export function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

/** File descriptors of this process pointing into `dir`. */
export function fdsUnder(dir: string): number {
  let count = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith(dir)) count++;
    } catch {
      // The fd closed while we looked.
    }
  }
  return count;
}

/** Every file under `dir`, recursively. */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

/** A process token no process has: pid 2^31-2 is above every pid_max. */
export const DEAD_TOKEN = '2147483646.1';

/** What temp names of a process of this host and boot that is gone look like (files.ts tempSibling). */
export function deadTempOf(file: string): string {
  return tempNameOf(file, DEAD_TOKEN);
}

/** A host or boot tag other than `tag`. */
function otherTag(tag: string): string {
  return tag === '0badc0de' ? 'deadc0de' : '0badc0de';
}

const HOUR = 60 * 60 * 1000;

/**
 * Temp names of `file` left by every kind of owner (another host's with its -wal), planted and
 * untouched since `recentMs` ago, or past the bound for owners unknown here for those named
 * stale: those isAbandonedTemp keeps, and those it calls leftovers. Another host's process is given a pid that runs here with another start
 * time (this test's pid, said to have started at tick 1): judged by pid here, it looks dead.
 */
export function plantTempOwners(file: string, recentMs = 2 * HOUR): { kept: Record<string, string>; removed: Record<string, string> } {
  const hex = (): string => randomBytes(4).toString('hex');
  const pidAliveHere = `${process.pid}.1`;
  const otherHost = `${file}.tmp-${pidAliveHere}-${otherTag(HOST_TAG)}-${BOOT_TAG}-${hex()}`;
  const kept = {
    otherHost,
    otherHostWal: `${otherHost}-wal`,
    thisProcess: tempNameOf(file, PROCESS_TOKEN),
    // Names from before temp names said their host: maybe another container's.
    oldFormat: `${file}.tmp-${DEAD_TOKEN}-${hex()}`,
    oldFormatPidAliveHere: `${file}.tmp-${pidAliveHere}-${hex()}`,
    oldFormatThisProcess: `${file}.tmp-${PROCESS_TOKEN}-${hex()}`,
  };
  const removed = {
    otherHostStale: `${file}.tmp-${pidAliveHere}-${otherTag(HOST_TAG)}-${BOOT_TAG}-${hex()}`,
    dead: deadTempOf(file),
    // This host before it restarted: whatever runs under that pid now is another process.
    earlierBoot: `${file}.tmp-${PROCESS_TOKEN}-${HOST_TAG}-${otherTag(BOOT_TAG)}-${hex()}`,
    oldFormatStale: `${file}.tmp-${DEAD_TOKEN}-${hex()}`,
  };
  const stale = [removed.otherHostStale, removed.oldFormatStale];
  for (const temp of [...Object.values(kept), ...Object.values(removed)]) {
    writeFileSync(temp, 'a copy of a tenant, or part of one');
    const at = new Date(Date.now() - (stale.includes(temp) ? UNKNOWN_OWNER_TEMP_MAX_AGE_MS + HOUR : recentMs));
    utimesSync(temp, at, at);
  }
  return { kept, removed };
}

/** Checks what a sweep left of plantTempOwners' files. */
export function expectTempOwnersJudged(planted: { kept: Record<string, string>; removed: Record<string, string> }): void {
  for (const [owner, file] of Object.entries(planted.kept)) expect(existsSync(file), `${owner}: ${file}`).toBe(true);
  for (const [owner, file] of Object.entries(planted.removed)) expect(existsSync(file), `${owner}: ${file}`).toBe(false);
}

/** Temp files of interrupted operations (`*.tmp-<token>-<hex>`) anywhere under the data dir. */
export function tempLeftovers(dataDir: string): string[] {
  return filesUnder(dataDir).filter((file) => path.basename(file).includes('.tmp-'));
}

/**
 * The state every crash or race must end in: a deep doctor finds nothing wrong, nothing is
 * left provisioning, no temp file remains, and every ready instance has its file, opens
 * through the handle cache and answers a query.
 */
export async function expectSoundFleet(fleet: Fleet, dataDir: string): Promise<DoctorReport> {
  const report = await fleet.doctor({ scanFiles: true, deep: true });
  expect(report.integrity).toEqual([]);
  expect(report.orphans).toEqual([]);
  expect(report.missing).toEqual([]);
  expect(report.versionsCorrected).toEqual([]);
  expect(tempLeftovers(dataDir)).toEqual([]);
  expect(fleet.list({ state: 'provisioning' }).total).toBe(0);
  for (const instance of fleet.list({ state: 'ready', limit: 1_000 }).items) {
    expect(existsSync(fileOf(instance.dbUrl, dataDir)), `file of ${instance.name}`).toBe(true);
    await fleet.withInstance(instance.name, async (db) => {
      const { rows } = await db.execute('SELECT count(*) AS n FROM notes');
      expect(typeof rows[0]?.['n']).toBe('number');
    });
  }
  return report;
}

const cleanups: (() => unknown)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Default regions rooted in a temporary folder, as the fleet would configure them. */
export function regionsIn(dir: string): Region[] {
  return DEFAULT_REGIONS.map((region) => ({ ...region, dataDir: path.join(dir, 'regions', region.id) }));
}

/** This process's file-check processes, by pid (from /proc: their parent and command line). */
export function checkProcesses(): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const parent = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[1];
        return Number(parent) === process.pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('check-process-host');
      } catch {
        return false; // it ended meanwhile
      }
    })
    .map(Number);
}

/** Whether a file-check process of this process has a file open in `folder`: a check under way there. */
export function checkHasOpenIn(folder: string): boolean {
  return checkProcesses().some((pid) => {
    try {
      return readdirSync(`/proc/${pid}/fd`).some((fd) => {
        try {
          return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith(`${folder}${path.sep}`);
        } catch {
          return false; // closed meanwhile
        }
      });
    } catch {
      return false; // it ended meanwhile
    }
  });
}

/** What opening a fleet with these options throws (undefined when it opens; it is closed again). */
export function openingError(options: FleetOptions): Promise<unknown> {
  return openFleet(options).then(
    async (fleet) => {
      await fleet.close();
      return undefined;
    },
    (caught: unknown) => caught,
  );
}
