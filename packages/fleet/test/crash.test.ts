/**
 * Crash safety: a child process killed mid-create, mid-clone and mid-migrate, then
 * reconciliation, then every ready instance opens and passes integrity_check.
 *
 * Each case runs the operation in a separate process with a failpoint armed (the process
 * SIGKILLs itself at exactly that step), or kills it at a random moment, and then checks from
 * this process that reconciliation leaves nothing half-made: no ready instance without its
 * file, no temp files, no orphans, the interrupted name free again, and sound databases.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FailpointName } from '../src/failpoints';
import { openFleet, type Fleet } from '../src/index';
import { BOOT_TAG, HOST_TAG } from '../src/processes';
import { killAllChildren, runChild, startChild } from './fixtures/children';
import { keysSchema } from './fixtures/keys-schema';
import type { ChildCommand } from './fixtures/protocol';
import { expectSoundFleet, fileOf, filesUnder, sampleSchema, tempDir, tempFleet } from './helpers';

afterEach(killAllChildren);

/** The database of an instance and everything beside it (sidecars, temps). */
function filesOf(dataDir: string, name: string): string[] {
  return filesUnder(dataDir)
    .filter((file) => path.basename(file).startsWith(`${name}.db`))
    .map((file) => path.basename(file));
}

async function noteCount(fleet: Fleet, name: string): Promise<number> {
  const result = await fleet.query(name, 'SELECT count(*) FROM notes');
  return Number(result.rows[0]?.[0]);
}

async function fileVersion(fleet: Fleet, name: string): Promise<number> {
  const result = await fleet.query(name, 'PRAGMA user_version');
  return Number(result.rows[0]?.[0]);
}

async function addNotes(fleet: Fleet, name: string, bodies: readonly string[]): Promise<void> {
  await fleet.withInstance(name, (db) => db.batch(bodies.map((body) => ({ sql: 'INSERT INTO notes (body) VALUES (?)', args: [body] }))));
}

describe('a process killed mid-create, mid-clone or mid-import', () => {
  type Operation = 'create' | 'clone' | 'import';
  /** What the dead process leaves under the target's name before any reconciliation. */
  type Leaves = 'nothing' | 'temp' | 'database';
  const cases: { op: Operation; failpoint: FailpointName; leaves: Leaves }[] = [
    { op: 'create', failpoint: 'create:after-register', leaves: 'nothing' },
    { op: 'create', failpoint: 'create:after-copy', leaves: 'temp' },
    { op: 'create', failpoint: 'create:before-ready', leaves: 'database' },
    { op: 'clone', failpoint: 'create:after-register', leaves: 'nothing' },
    { op: 'clone', failpoint: 'clone:during-copy', leaves: 'temp' },
    { op: 'clone', failpoint: 'clone:before-ready', leaves: 'database' },
    { op: 'import', failpoint: 'create:after-register', leaves: 'nothing' },
    { op: 'import', failpoint: 'import:after-stage', leaves: 'temp' },
    { op: 'import', failpoint: 'create:before-ready', leaves: 'database' },
  ];

  it.each(cases)('$op killed at $failpoint is reconciled to a failed, reusable name', async ({ op, failpoint, leaves }) => {
    const target = 'victim';
    const notes = ['first', 'second', 'third'];
    const { fleet: setup, dataDir } = await tempFleet();
    await setup.create('bystander', { jurisdiction: 'eu' });
    await setup.create('source', { jurisdiction: 'us' });
    await addNotes(setup, 'source', notes);
    const upload = path.join(tempDir('silo-upload-'), 'upload.sqlite');
    if (op === 'import') await setup.exportTo('source', upload);
    await setup.close();

    const command: ChildCommand =
      op === 'create'
        ? { command: 'create', dataDir, name: target, jurisdiction: 'eu' }
        : op === 'clone'
          ? { command: 'clone', dataDir, source: 'source', target }
          : { command: 'import', dataDir, name: target, file: upload, jurisdiction: 'us' };
    const child = startChild(command, { failpoint });
    const exit = await child.exited;
    expect(exit.signal, child.describe()).toBe('SIGKILL');
    expect(exit.events.map((event) => event.event)).toEqual(['ready']);

    // The crash left exactly what this failpoint implies, and a provisioning row owned by the dead process.
    const left = filesOf(dataDir, target);
    if (leaves === 'nothing') expect(left).toEqual([]);
    if (leaves === 'temp') expect(left).toEqual([expect.stringMatching(new RegExp(`^${target}\\.db\\.tmp-${child.pid}(\\.\\d+)?-${HOST_TAG}-${BOOT_TAG}-[0-9a-f]{8}$`))]);
    if (leaves === 'database') expect(left).toEqual([`${target}.db`]);
    const raw = await openFleet({ dataDir, schema: sampleSchema(), reconcileOnOpen: false });
    expect(raw.require(target).state).toBe('provisioning');
    await raw.close();

    // Start-up reconciliation alone resolves it: failed, files gone.
    const { fleet } = await tempFleet({ dataDir });
    const interrupted = fleet.require(target);
    expect(interrupted.state).toBe('failed');
    expect(interrupted.error).toMatch(/interrupted/i);
    expect(filesOf(dataDir, target)).toEqual([]);
    await expect(fleet.open(target)).rejects.toMatchObject({ code: 'INSTANCE_NOT_READY' });

    const report = await expectSoundFleet(fleet, dataDir);
    expect(report.interrupted).toEqual([]); // already handled on open
    expect(fleet.list({ state: 'ready' }).items.map((instance) => instance.name)).toEqual(['bystander', 'source']);

    // The source of a clone (or the export behind an import) is intact.
    expect(await noteCount(fleet, 'source')).toBe(notes.length);

    // The name is free again, and the redone operation produces a sound instance.
    if (op === 'create') await fleet.create(target, { jurisdiction: 'eu' });
    if (op === 'clone') await fleet.clone('source', target);
    if (op === 'import') await fleet.importFile(target, upload, { jurisdiction: 'us' });
    expect(fleet.require(target).state).toBe('ready');
    expect(await noteCount(fleet, target)).toBe(op === 'create' ? 0 : notes.length);
    await expectSoundFleet(fleet, dataDir);
    expect(fleet.list({ state: 'failed' }).total).toBe(0);
  });
});

describe('a process killed just after an instance it made is ready', () => {
  it.each(['create', 'clone', 'import'] as const)('%s: the instance is ready with its one ok audit entry (a retry can find it)', async (op) => {
    const { fleet: setup, dataDir } = await tempFleet();
    await setup.create('source', { jurisdiction: 'eu' });
    await addNotes(setup, 'source', ['kept']);
    const upload = path.join(tempDir('silo-upload-'), 'upload.sqlite');
    await setup.exportTo('source', upload);
    await setup.close();

    const command: ChildCommand =
      op === 'create'
        ? { command: 'create', dataDir, name: 'made', jurisdiction: 'eu' }
        : op === 'clone'
          ? { command: 'clone', dataDir, source: 'source', target: 'made' }
          : { command: 'import', dataDir, name: 'made', file: upload, jurisdiction: 'eu' };
    const child = startChild(command, { failpoint: 'create:after-ready' });
    expect((await child.exited).signal, child.describe()).toBe('SIGKILL');

    const { fleet } = await tempFleet({ dataDir });
    expect(fleet.require('made').state).toBe('ready');
    expect(fleet.audit({ instance: 'made', operation: op }).items.map((entry) => entry.outcome)).toEqual(['ok']);
    expect(await noteCount(fleet, 'made')).toBe(op === 'create' ? 0 : 1);
    await expectSoundFleet(fleet, dataDir);
  });
});

describe('a process killed mid-migrateAll', () => {
  const COUNT = 20;
  const names = Array.from({ length: COUNT }, (_, index) => `tenant-${String(index).padStart(2, '0')}`);

  /** A v1 fleet of COUNT instances with one note each, closed. */
  async function v1Fleet(): Promise<string> {
    const { fleet, dataDir } = await tempFleet({ schema: sampleSchema(1) });
    for (const [index, name] of names.entries()) {
      await fleet.create(name, { jurisdiction: index % 2 === 0 ? 'eu' : 'us' });
      await addNotes(fleet, name, [`note of ${name}`]);
    }
    await fleet.close();
    return dataDir;
  }

  async function expectMigratedAndSound(fleet: Fleet, dataDir: string): Promise<void> {
    for (const name of names) {
      expect(fleet.require(name).schemaVersion, name).toBe(2);
      expect(await fileVersion(fleet, name), name).toBe(2);
      const { rows } = await fleet.query(name, 'SELECT body, tag FROM notes');
      expect(rows, name).toEqual([[`note of ${name}`, null]]);
    }
    expect(fleet.migrationStatus().behind).toBe(0);
    await expectSoundFleet(fleet, dataDir);
  }

  it('after the first instance committed (before the catalog recorded it): the rerun finds it up to date and corrects the catalog', async () => {
    const dataDir = await v1Fleet();
    const exit = await runChild({ command: 'migrate', dataDir, schemaVersion: 2 }, { failpoint: 'migrate:after-instance-commit' });
    expect(exit.signal, exit.stderr).toBe('SIGKILL');
    expect(exit.events.map((event) => event.event)).toEqual(['ready']);

    const { fleet } = await tempFleet({ dataDir, schema: sampleSchema(2) });
    const [first, ...rest] = names as [string, ...string[]];
    // The file moved on, the catalog did not: exactly the window the failpoint opens.
    expect(await fileVersion(fleet, first)).toBe(2);
    for (const name of rest) expect(await fileVersion(fleet, name)).toBe(1);
    for (const name of names) expect(fleet.require(name).schemaVersion).toBe(1);
    expect(fleet.migrationStatus().behind).toBe(COUNT);

    const report = await fleet.migrateAll();
    expect(report.failed).toBe(0);
    expect(report.migrated).toBe(COUNT - 1);
    expect(report.upToDate).toBe(1);
    expect(report.results.find((result) => result.instance === first)).toMatchObject({ status: 'up-to-date', from: 2, to: 2 });
    expect(report.results.filter((result) => result.status === 'migrated').map((result) => result.instance).sort()).toEqual(rest);
    await expectMigratedAndSound(fleet, dataDir);
  });

  it('after an instance committed unrecorded: silo doctor (not only --deep) records the version its file holds', async () => {
    const dataDir = await v1Fleet();
    const exit = await runChild({ command: 'migrate', dataDir, schemaVersion: 2 }, { failpoint: 'migrate:after-instance-commit' });
    expect(exit.signal, exit.stderr).toBe('SIGKILL');
    const { fleet } = await tempFleet({ dataDir, schema: sampleSchema(2) });
    const [first] = names as [string, ...string[]];
    // Start-up leaves it (it would open every file behind); the doctor looks.
    expect(fleet.require(first).schemaVersion).toBe(1);
    const report = await fleet.doctor({ behindVersions: true });
    expect(report.versionsCorrected).toEqual([{ instance: first, from: 1, to: 2 }]);
    expect(fleet.require(first).schemaVersion).toBe(2);
    expect(fleet.migrationStatus().behind).toBe(COUNT - 1);
    // Nothing more to correct on a second look.
    expect((await fleet.doctor({ behindVersions: true })).versionsCorrected).toEqual([]);
  });

  it('inside the first instance\'s transaction: nothing of it is committed and the rerun migrates everything', async () => {
    const dataDir = await v1Fleet();
    const exit = await runChild({ command: 'migrate', dataDir, schemaVersion: 2 }, { failpoint: 'migrate:mid-transaction' });
    expect(exit.signal, exit.stderr).toBe('SIGKILL');

    const { fleet } = await tempFleet({ dataDir, schema: sampleSchema(2) });
    for (const name of names) {
      expect(await fileVersion(fleet, name)).toBe(1);
      expect(fleet.require(name).schemaVersion).toBe(1);
    }
    // The rolled-back ALTER TABLE left no trace: the v1 table has no tag column.
    await expect(fleet.query(names[0] as string, 'SELECT tag FROM notes')).rejects.toMatchObject({ code: 'QUERY_FAILED' });

    const report = await fleet.migrateAll();
    expect(report.failed).toBe(0);
    expect(report.migrated).toBe(COUNT);
    expect(report.upToDate).toBe(0);
    await expectMigratedAndSound(fleet, dataDir);
  });

  it('inside a migration thread\'s transaction, on a file it held alone: no half-migrated file, and the rerun migrates everything', async () => {
    const dataDir = await v1Fleet();
    const exit = await runChild({ command: 'migrate', dataDir, schemaVersion: 2 }, { failpoint: 'migrate:thread-mid-transaction' });
    expect(exit.signal, exit.stderr).toBe('SIGKILL');

    const { fleet } = await tempFleet({ dataDir, schema: sampleSchema(2) });
    // The main thread's first instance may have committed; whatever a thread had begun did not.
    const versions = await Promise.all(names.map((name) => fileVersion(fleet, name)));
    expect(versions.filter((version) => version === 2).length).toBeLessThanOrEqual(1);
    for (const [index, name] of names.entries()) {
      if (versions[index] === 1) await expect(fleet.query(name, 'SELECT tag FROM notes')).rejects.toMatchObject({ code: 'QUERY_FAILED' });
    }

    const report = await fleet.migrateAll();
    expect(report.failed).toBe(0);
    expect(report.migrated + report.upToDate).toBe(COUNT);
    await expectMigratedAndSound(fleet, dataDir);
  });
});

describe('a process killed inside the foreign-key check\'s second run of the migrations', () => {
  const names = ['keys-a', 'keys-b', 'keys-c', 'keys-d'];
  const NOTES = 3;
  const ATTACHMENTS_PER_NOTE = 4;

  /** Every attachment, the one whose note never existed included, as the instance was seeded. */
  const seededAttachments = (name: string): [number, number, string][] => [
    ...Array.from({ length: NOTES * ATTACHMENTS_PER_NOTE }, (_, index): [number, number, string] => [index + 1, Math.floor(index / ATTACHMENTS_PER_NOTE) + 1, `${name} file ${index + 1}`]),
    [1_000, 99, `${name} orphan`],
  ];

  /**
   * A v1 fleet whose every instance holds an attachment of a note that does not exist (written
   * with foreign keys off): its migrations find a broken key after running, so they take the
   * savepoint-and-rerun branch, whichever instance runs first.
   */
  async function v1FleetWithBrokenKeys(): Promise<string> {
    const { fleet, dataDir } = await tempFleet({ schema: keysSchema(1) });
    for (const [index, name] of names.entries()) {
      await fleet.create(name, { jurisdiction: index % 2 === 0 ? 'eu' : 'us' });
      await fleet.withInstance(name, async (db) => {
        await db.batch([
          ...Array.from({ length: NOTES }, (_, note) => ({ sql: 'INSERT INTO notes (id, body) VALUES (?, ?)', args: [note + 1, `${name} note ${note + 1}`] })),
          ...seededAttachments(name)
            .slice(0, -1)
            .map((args) => ({ sql: 'INSERT INTO attachments (id, note, name) VALUES (?, ?, ?)', args })),
        ]);
        await db.execute('PRAGMA foreign_keys = OFF');
        await db.execute(`INSERT INTO attachments (id, note, name) VALUES (1000, 99, ?)`, [`${name} orphan`]);
        await db.execute('PRAGMA foreign_keys = ON');
      });
    }
    await fleet.close();
    return dataDir;
  }

  async function columnsOf(fleet: Fleet, name: string, table: string): Promise<unknown[]> {
    return (await fleet.query(name, `SELECT name FROM pragma_table_info('${table}') ORDER BY cid`)).rows.map((row) => row[0]);
  }

  it('leaves every file at the old version, and the rerun migrates everything with every row kept', async () => {
    const dataDir = await v1FleetWithBrokenKeys();
    const exit = await runChild({ command: 'migrate', dataDir, schemaVersion: 3, schema: 'keys', dieInForeignKeyRerun: true });
    expect(exit.signal, exit.stderr).toBe('SIGKILL');
    // It died where it was meant to: the second run had begun.
    expect(exit.events.map((event) => (event.event === 'step' ? event.step : event.event))).toEqual(['ready', 'foreign-key-rerun']);

    const { fleet } = await tempFleet({ dataDir, schema: keysSchema(3) });
    for (const name of names) {
      // Not half-migrated: neither the rebuild the rerun had redone nor anything else of v2 or v3.
      expect(await fileVersion(fleet, name), name).toBe(1);
      expect(fleet.require(name).schemaVersion, name).toBe(1);
      expect(await columnsOf(fleet, name, 'notes'), name).toEqual(['id', 'body']);
      expect(await columnsOf(fleet, name, 'attachments'), name).toEqual(['id', 'note', 'name']);
      expect((await fleet.query(name, "SELECT name FROM sqlite_schema WHERE name IN ('new_notes', 'attachments_note')")).rows, name).toEqual([]);
      expect((await fleet.query(name, 'SELECT id, note, name FROM attachments ORDER BY id')).rows, name).toEqual(seededAttachments(name));
    }

    const report = await fleet.migrateAll();
    expect(report, JSON.stringify(report.results)).toMatchObject({ migrated: names.length, upToDate: 0, failed: 0 });
    for (const name of names) {
      expect(await fileVersion(fleet, name), name).toBe(3);
      expect(fleet.require(name).schemaVersion, name).toBe(3);
      expect(await columnsOf(fleet, name, 'notes'), name).toEqual(['id', 'body', 'pinned']);
      expect(await columnsOf(fleet, name, 'attachments'), name).toEqual(['id', 'note', 'name', 'size']);
      // The rebuild of notes cascaded into none of the attachments, and the orphan is still the only broken key.
      expect((await fleet.query(name, 'SELECT id, note, name FROM attachments ORDER BY id')).rows, name).toEqual(seededAttachments(name));
      expect((await fleet.query(name, 'SELECT id, body, pinned FROM notes ORDER BY id')).rows, name).toEqual(
        Array.from({ length: NOTES }, (_, note) => [note + 1, `${name} note ${note + 1}`, 0]),
      );
      expect((await fleet.query(name, 'SELECT "table", rowid, parent FROM pragma_foreign_key_check')).rows, name).toEqual([['attachments', 1_000, 'notes']]);
    }
    expect(fleet.migrationStatus().behind).toBe(0);
    await expectSoundFleet(fleet, dataDir);
  });
});

describe('a process killed at a random moment while creating and cloning', () => {
  it('leaves every reported instance ready and sound, and nothing half-made', async () => {
    const ROUNDS = 5;
    const { fleet: setup, dataDir } = await tempFleet();
    // Build the template first: a kill inside its one-time build is not what this test is about.
    await setup.create('seed', { jurisdiction: 'eu' });
    await setup.close();

    const noted = new Set<string>(['seed']);
    const cloned = new Map<string, string>();
    let reported = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const delayMs = 50 + Math.floor(Math.random() * 251);
      const child = startChild({ command: 'churn', dataDir, prefix: `r${round}` });
      await child.waitFor('ready');
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      child.kill('SIGKILL');
      const exit = await child.exited;
      expect(exit.signal, child.describe()).toBe('SIGKILL');
      for (const event of exit.events) {
        if (event.event === 'noted') noted.add(event.name);
        if (event.event === 'cloned') cloned.set(event.name, event.source);
        if (event.event === 'created' || event.event === 'cloned') reported++;
      }

      const { fleet } = await tempFleet({ dataDir });
      console.log(
        `round ${round}: killed after ${delayMs} ms, ${exit.events.length - 1} steps reported; ` +
          `${fleet.list({ state: 'ready' }).total} ready, ${fleet.list({ state: 'failed' }).total} interrupted so far`,
      );
      await expectSoundFleet(fleet, dataDir);
      // Whatever the dead process reported as done survived the kill.
      for (const name of noted) {
        expect(fleet.require(name).state, name).toBe('ready');
        if (name !== 'seed') expect((await fleet.query(name, 'SELECT body FROM notes')).rows, name).toEqual([[name]]);
      }
      for (const [name, source] of cloned) {
        expect(fleet.require(name).state, name).toBe('ready');
        expect(fleet.require(name).clonedFrom?.name).toBe(source);
        expect((await fleet.query(name, 'SELECT body FROM notes')).rows, name).toEqual([[source]]);
      }
      // Interrupted ones are failed, with no file behind them, and their names are reusable.
      for (const failed of fleet.list({ state: 'failed', limit: 1_000 }).items) {
        expect(existsSync(fileOf(failed.dbUrl, dataDir)), failed.name).toBe(false);
        expect(filesOf(dataDir, failed.name)).toEqual([]);
      }
      await fleet.close();
    }
    expect(reported).toBeGreaterThan(0);

    const { fleet } = await tempFleet({ dataDir });
    for (const failed of fleet.list({ state: 'failed', limit: 1_000 }).items) {
      await fleet.create(failed.name, { jurisdiction: failed.jurisdiction });
    }
    await expectSoundFleet(fleet, dataDir);
    expect(fleet.list({ state: 'failed' }).total).toBe(0);
  });
});
