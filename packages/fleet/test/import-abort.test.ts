/**
 * Fleet.importFile with an abort signal (Ctrl+C in `silo import`): stopped before the new
 * database is put in place, the import is refused like a bad file and leaves nothing behind
 * (no catalog row, no files, the name free at once); once it is being put in place, the signal
 * no longer stops it. Real files, interrupted at moments the test observes, not after guessed delays.
 */
import { mkdirSync, readFileSync, readdirSync, readlinkSync, statSync, watch } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { Fleet, InstanceState } from '../src/index';
import { checkHasOpenIn, fileOf, filesUnder, tempDir, tempFleet, tempLeftovers } from './helpers';

const EVERY_STATE: InstanceState[] = ['provisioning', 'ready', 'failed', 'deleted'];

/**
 * A valid upload of the sample schema: an export of an empty instance with `rows` notes of
 * about 1 KB each written into it (40,000: some 40 MB, whose copy and check take a while).
 */
async function upload(fleet: Fleet, rows: number): Promise<string> {
  const name = `src-${rows}`;
  await fleet.create(name, { jurisdiction: 'eu' });
  const file = path.join(tempDir(), `${name}.sqlite`);
  await fleet.exportTo(name, file);
  await fleet.delete(name);
  await fleet.purge(name);
  const db = new Database(file);
  db.prepare('INSERT INTO notes (body) SELECT hex(zeroblob(500)) FROM (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) SELECT x FROM c)').run(rows);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return file;
}

/** The file an instance of `name` would get (region of `eu`), and its folder, made now so it can be watched. */
function targetOf(fleet: Fleet, dataDir: string, name: string): { file: string; folder: string } {
  const file = fileOf(fleet.engine.locate(name, fleet.regions.place('eu')), dataDir);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  return { file, folder: path.dirname(file) };
}

/** Calls `then` once a file whose name `matches` shows up in `folder` (watched from now on). */
function whenAppears(folder: string, matches: (name: string) => boolean, then: (name: string) => void): () => void {
  const watcher = watch(folder);
  let fired = false;
  watcher.on('change', (_event, name) => {
    if (fired || typeof name !== 'string' || !matches(name)) return;
    fired = true;
    then(name);
  });
  return () => watcher.close();
}

/** Whether this process has a file whose path starts with `prefix` open read-only (Linux: /proc/self/fdinfo). */
function openReadOnlyHere(prefix: string): boolean {
  return readdirSync('/proc/self/fd').some((fd) => {
    try {
      if (!readlinkSync(`/proc/self/fd/${fd}`).startsWith(prefix)) return false;
      const flags = /^flags:\s+([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1];
      return flags !== undefined && (Number.parseInt(flags, 8) & 0o3) === 0; // O_RDONLY
    } catch {
      return false; // closed meanwhile
    }
  });
}

/** What every stopped import must leave: no row of the name in any state, no file of it, no temp file anywhere. */
function expectNothingOf(fleet: Fleet, dataDir: string, name: string, target: string): void {
  expect(fleet.list({ state: EVERY_STATE }).items.map((instance) => instance.name)).not.toContain(name);
  expect(fleet.find(name)).toBeUndefined();
  expect(filesUnder(path.dirname(target)).filter((file) => path.basename(file).startsWith(path.basename(target)))).toEqual([]);
  expect(tempLeftovers(dataDir)).toEqual([]);
}

async function stoppedError(work: Promise<unknown>): Promise<unknown> {
  return work.then(
    () => expect.fail('the import finished; it should have been stopped'),
    (error: unknown) => error,
  );
}

describe('Fleet.importFile with an abort signal', () => {
  it('refuses at once when the signal is aborted already: no row, no file, the name free', async () => {
    const { fleet, dataDir } = await tempFleet();
    const file = await upload(fleet, 10);
    const { file: target } = targetOf(fleet, dataDir, 'acme');
    const stop = new AbortController();
    stop.abort();

    const error = await stoppedError(fleet.importFile('acme', file, { jurisdiction: 'eu', signal: stop.signal }));

    expect(error).toMatchObject({ code: 'IMPORT_REJECTED', details: { reason: 'aborted' }, message: expect.stringContaining('Nothing was created') });
    expectNothingOf(fleet, dataDir, 'acme', target);
    // The audit log says it was tried and stopped.
    expect(fleet.audit({ instance: 'acme' }).items[0]).toMatchObject({ operation: 'import', outcome: 'error', error: expect.stringContaining('stopped') });
    // The name is free at once, for an import as for a create.
    expect(await fleet.importFile('acme', file, { jurisdiction: 'eu' })).toMatchObject({ state: 'ready', metrics: { notes: 10 } });
  });

  it('stops during the copy of a large file, and leaves nothing behind', async () => {
    const { fleet, dataDir } = await tempFleet();
    const file = await upload(fleet, 40_000);
    const { file: target, folder } = targetOf(fleet, dataDir, 'big');
    const stop = new AbortController();
    // The private copy is made under a temp name beside the target: it appearing is the copy starting.
    let staged = '';
    const unwatch = whenAppears(folder, (name) => name.includes('.tmp-'), (name) => {
      staged = name;
      stop.abort();
    });
    let error: unknown;
    try {
      error = await stoppedError(fleet.importFile('big', file, { jurisdiction: 'eu', signal: stop.signal }));
    } finally {
      unwatch();
    }

    expect(staged).toMatch(/^big\.db\.tmp-/);
    expect(error).toMatchObject({ code: 'IMPORT_REJECTED', details: { reason: 'aborted' } });
    expectNothingOf(fleet, dataDir, 'big', target);
    const doctor = await fleet.doctor({ scanFiles: true });
    expect(doctor.orphans).toEqual([]);
    expect(doctor.leftoversRemoved).toEqual([]);
    // Imported again under the same name, it is whole.
    expect(await fleet.importFile('big', file, { jurisdiction: 'eu' })).toMatchObject({ state: 'ready', metrics: { notes: 40_000 } });
  });

  it('stops during the check of a large file, and leaves nothing behind', async () => {
    const { fleet, dataDir } = await tempFleet();
    const file = await upload(fleet, 40_000);
    const { file: target, folder } = targetOf(fleet, dataDir, 'big');
    const stop = new AbortController();
    // The check process has the private copy open: the check is under way.
    const importing = stoppedError(fleet.importFile('big', file, { jurisdiction: 'eu', signal: stop.signal }));
    let settled = false;
    void importing.finally(() => (settled = true)).catch(() => undefined);
    while (!settled && !checkHasOpenIn(folder)) await new Promise((resolve) => setTimeout(resolve, 2));
    expect(settled, 'the import ended before its check was seen').toBe(false);
    stop.abort();
    const error = await importing;

    expect(error).toMatchObject({ code: 'IMPORT_REJECTED', details: { reason: 'aborted' } });
    expectNothingOf(fleet, dataDir, 'big', target);
    // The check process is left serving the next import (the check was let finish, not killed).
    expect(await fleet.importFile('big', file, { jurisdiction: 'eu' })).toMatchObject({ state: 'ready', metrics: { notes: 40_000 } });
  });

  it('finishes an import whose database is already being put in place', async () => {
    const { fleet, dataDir } = await tempFleet();
    const file = await upload(fleet, 1_000);
    const { file: target } = targetOf(fleet, dataDir, 'acme');
    const stop = new AbortController();
    const importing = fleet.importFile('acme', file, { jurisdiction: 'eu', signal: stop.signal });
    let settled = false;
    void importing.finally(() => (settled = true)).catch(() => undefined);
    // Publishing opens the checked copy read-only to flush it to disk, then renames it into
    // place: past the point of no return. (The copy opens it for writing, the check in its own process.)
    while (!settled && !openReadOnlyHere(`${target}.tmp-`)) await new Promise((resolve) => setImmediate(resolve));
    expect(settled, 'the import ended before its publish was seen').toBe(false);
    stop.abort();

    expect(await importing).toMatchObject({ name: 'acme', state: 'ready', metrics: { notes: 1_000 } });
    expect(statSync(target).size).toBeGreaterThan(0);
    expect(tempLeftovers(dataDir)).toEqual([]);
  });
});
