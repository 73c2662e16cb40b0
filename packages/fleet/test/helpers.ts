import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { defineTenantSchema, openFleet, type Fleet, type FleetOptions, type Migration } from '../src/index';

/** The sample tenant schema of the fleet's own tests: notes, then a tag column. */
export const SAMPLE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'notes',
    sql: `CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL, created_at INTEGER NOT NULL DEFAULT (unixepoch()));`,
  },
  {
    version: 2,
    name: 'note tags',
    sql: `ALTER TABLE notes ADD COLUMN tag TEXT; CREATE INDEX notes_tag ON notes (tag);`,
  },
];

/** The sample schema cut at `version`, to play an older release of the app. */
export function sampleSchema(version = SAMPLE_MIGRATIONS.length) {
  return defineTenantSchema({ id: 'sample', migrations: SAMPLE_MIGRATIONS.slice(0, version) });
}

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

const cleanups: (() => unknown)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
