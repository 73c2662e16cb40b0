/**
 * How `silo` ends when it is told to stop early: Ctrl+C (the terminal's SIGINT to the whole
 * process group) during `export`, `import` and `migrate`, and a reader that closes the pipe (`| head`).
 * Each runs the real command on real files and interrupts it at a moment the test observes,
 * not after a guessed delay.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, readlinkSync, watch, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { defineTenantSchema, openFleet, type MigrateAllReport } from '@silo/fleet';
import { SILO_BIN, cleanEnv, json, outputOf, silo, startSilo, tempDir, todoSchema, type RunningSilo } from './helpers';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function fleetDir(): string {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  return dir;
}

/** The database file of every instance under `dir`, by name. */
function tenantFiles(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(path.join(dir, 'regions'), { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && entry.name.endsWith('.db') && path.basename(path.dirname(entry.parentPath)) === 'tenants') {
      files.set(entry.name.slice(0, -'.db'.length), path.join(entry.parentPath, entry.name));
    }
  }
  return files;
}

/** Resolves once a file whose name contains `part` appears in `dir`. */
function appears(dir: string, part: string): { seen: Promise<string>; stop: () => void } {
  const watcher = watch(dir);
  const seen = new Promise<string>((resolve) => {
    watcher.on('change', (_event, name) => {
      if (typeof name === 'string' && name.includes(part)) resolve(name);
    });
  });
  return { seen, stop: () => watcher.close() };
}

/**
 * Starts a run with `start` and sends it SIGINT as soon as its temp file (a name containing
 * `.tmp-`, which must match `staged`) appears in `folder`: watched from before the run starts,
 * so the moment cannot be missed. Resolves with how the run ended.
 */
async function interruptWhenStaged(folder: string, staged: RegExp, start: () => RunningSilo): Promise<Awaited<RunningSilo['finished']>> {
  const temp = appears(folder, '.tmp-');
  const run = start();
  try {
    expect(await temp.seen).toMatch(staged);
    run.interrupt('SIGINT');
  } finally {
    temp.stop();
  }
  return run.finished;
}

/**
 * A fleet in a new folder with one 256 MB instance, "big": its copy takes long enough (a tenth
 * of a second and up) for a signal to land during it. Returns the fleet folder and the region
 * folder the instance lives in.
 */
async function fleetWithBigInstance(): Promise<{ dir: string; region: string }> {
  const dir = fleetDir();
  expect((await silo(dir, ['create', 'big', '--jurisdiction', 'eu'])).code).toBe(0);
  const file = tenantFiles(dir).get('big') ?? '';
  const db = new Database(file);
  db.exec('CREATE TABLE blobs (b BLOB)');
  db.exec('INSERT INTO blobs SELECT zeroblob(1048576) FROM (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 256) SELECT x FROM c)');
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  // regions/<region>/tenants/<shard>/big.db
  return { dir, region: path.dirname(path.dirname(path.dirname(file))) };
}

/** The region's staging folder, where `export -o -` stages the snapshot; made now so it can be watched (0700, as the fleet makes it). */
function stagingFolder(region: string): string {
  const staging = path.join(region, 'staging');
  mkdirSync(staging, { recursive: true, mode: 0o700 });
  return staging;
}

/** The audit log's export entries of `name`, oldest first, as `silo audit --json` gives them. */
async function exportEntries(dir: string, name: string): Promise<{ outcome: string; error: string | null; detail: Record<string, unknown> | null }[]> {
  const result = await silo(dir, ['audit', '--instance', name, '--operation', 'export', '--json']);
  expect(result.code, result.stderr).toBe(0);
  const { items } = json<{ items: { outcome: string; error: string | null; detail: Record<string, unknown> | null }[] }>(result);
  return items.reverse();
}

describe('Ctrl+C during `silo export`', () => {
  it('leaves neither the temp file nor a partial export, and exits 130', async () => {
    const { dir } = await fleetWithBigInstance();
    // The user's folder, outside the fleet's.
    const out = fleetDir();

    const result = await interruptWhenStaged(out, /^big\.sqlite\.tmp-\d+/, () => startSilo(dir, ['export', 'big', '-o', path.join(out, 'big.sqlite')]));

    expect(result.signal, result.stderr).toBeNull();
    expect(result.code, result.stderr).toBe(130);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`silo: Ctrl+C: export of "big" interrupted; nothing was written to ${path.join(out, 'big.sqlite')}. [INTERRUPTED]\n`);
    expect(readdirSync(out)).toEqual([]);
    // The audit log says so; no `ok` for a file that is not there.
    expect(await exportEntries(dir, 'big')).toMatchObject([
      { outcome: 'error', error: expect.stringContaining('interrupted'), detail: expect.objectContaining({ interrupted: true, signal: 'SIGINT', output: path.join(out, 'big.sqlite') }) },
    ]);
  });

  it('to stdout, while the snapshot is staged: removes the staged file, writes nothing, and exits 130', async () => {
    const { dir, region } = await fleetWithBigInstance();
    const staging = stagingFolder(region);

    const result = await interruptWhenStaged(staging, /^big\.export\.db\.tmp-\d+/, () => startSilo(dir, ['export', 'big', '-o', '-']));

    expect(result.signal, result.stderr).toBeNull();
    expect(result.code, result.stderr).toBe(130);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('silo: Ctrl+C: export of "big" interrupted; nothing was written to stdout. [INTERRUPTED]\n');
    // Nothing left for `silo doctor` to sweep.
    expect(readdirSync(staging)).toEqual([]);
    expect(await exportEntries(dir, 'big')).toMatchObject([
      { outcome: 'error', error: expect.stringContaining('interrupted'), detail: expect.objectContaining({ interrupted: true, output: 'stdout' }) },
    ]);
  });

  it('to stdout, while it streams: removes the staged file, says the output may be incomplete, and exits 130', async () => {
    const { dir, region } = await fleetWithBigInstance();
    const staging = stagingFolder(region);

    const run = startSilo(dir, ['export', 'big', '-o', '-']);
    // Not read meanwhile, the pipe fills: silo is held mid-stream when the signal is sent.
    run.child.stdout.once('data', () => {
      run.child.stdout.pause();
      run.interrupt('SIGINT');
      run.child.stdout.resume();
    });
    const result = await run.finished;

    expect(result.signal, result.stderr).toBeNull();
    expect(result.code, result.stderr).toBe(130);
    expect(result.stdout.startsWith('SQLite format 3\0')).toBe(true);
    expect(result.stderr).toBe('silo: Ctrl+C: export of "big" interrupted; what reached stdout may be incomplete: do not use it. [INTERRUPTED]\n');
    expect(readdirSync(staging)).toEqual([]);
    // The fleet records a streamed export when its stream ends: here, before its last byte.
    expect(await exportEntries(dir, 'big')).toMatchObject([{ outcome: 'error', error: expect.stringMatching(/^The download stopped after \d+ of \d+ bytes were read\.$/)}]);
  });
});

describe('Ctrl+C during `silo migrate`', () => {
  it('lets the instances in flight finish, records what was done, and exits 130', async () => {
    const dir = fleetDir();
    // An app whose one migration takes a while (a quarter second or so per instance), so the
    // run is still going when the first instance is seen migrated.
    const app = fleetDir();
    mkdirSync(path.join(app, 'migrations'));
    writeFileSync(path.join(app, 'silo.config.json'), JSON.stringify({ schema: { migrations: './migrations', id: 'slow' } }));
    writeFileSync(
      path.join(app, 'migrations', '0001_slow.sql'),
      'CREATE TABLE work AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000) SELECT sum(x) AS total FROM c;\n',
    );
    const names = Array.from({ length: 12 }, (_, index) => `old-${String(index).padStart(2, '0')}`);
    const old = await openFleet({ schema: defineTenantSchema({ id: 'slow', migrations: [] }), dataDir: dir, actor: 'test:old-release' });
    try {
      for (const name of names) await old.create(name, { jurisdiction: 'eu' });
    } finally {
      await old.close();
    }
    const env = { SILO_CONFIG: path.join(app, 'silo.config.json') };
    const files = [...tenantFiles(dir).values()];

    const run = startSilo(dir, ['migrate', '--concurrency', '1', '--json'], { env });
    // The handler is in place once any file is at version 1: the run has begun migrating.
    const migratedOne = (): boolean =>
      files.some((file) => {
        const db = new Database(file, { readonly: true, fileMustExist: true });
        try {
          return Number(db.pragma('user_version', { simple: true })) >= 1;
        } finally {
          db.close();
        }
      });
    while (!migratedOne()) await new Promise((resolve) => setTimeout(resolve, 20));
    run.interrupt('SIGINT');
    const result = await run.finished;

    expect(result.signal, result.stderr).toBeNull();
    expect(result.code, result.stderr).toBe(130);
    expect(result.stderr).toBe('Ctrl+C: finishing the instances in flight, then stopping (again to stop at once).\n');
    const report = json<MigrateAllReport>(result);
    expect(report.interrupted).toBe(true);
    expect(report.failed).toBe(0);
    expect(report.migrated).toBeGreaterThanOrEqual(1);
    expect(report.results.length).toBeLessThan(names.length);

    // The catalog holds what was done: the migrated ones are at version 1, the rest still behind.
    const status = json<{ behind: number }>(await silo(dir, ['migrate', '--status', '--json'], { env }));
    expect(status.behind).toBe(names.length - report.migrated);
    // And the audit log says the run was cut short, and how far it got.
    const audit = json<{ items: { operation: string; outcome: string; error: string | null; detail: Record<string, unknown> }[] }>(
      await silo(dir, ['audit', '--operation', 'migrate-all', '--json'], { env }),
    );
    expect(audit.items).toHaveLength(1);
    expect(audit.items[0]).toMatchObject({ outcome: 'error', detail: { interrupted: true, migrated: report.migrated } });
    expect(audit.items[0]?.error).toContain('interrupted');

    // Run again, it finishes the job.
    const again = json<MigrateAllReport>(await silo(dir, ['migrate', '--json'], { env }));
    expect(again.migrated).toBe(names.length - report.migrated);
    expect(again.interrupted).toBe(false);
  });
});

/**
 * A fleet in a new folder, and a valid upload of some 80 MB for it (an export of an empty
 * instance with 80,000 todos of about 1 KB written into it): its copy and check take long
 * enough for a signal to land during them. Returns the fleet folder, the file, and the folder
 * an instance named `name` would live in (made now, 0700 as the fleet makes it, so it can be watched).
 */
async function fleetWithBigUpload(name: string): Promise<{ dir: string; file: string; folder: string }> {
  const dir = fleetDir();
  expect((await silo(dir, ['create', 'src', '--jurisdiction', 'eu'])).code).toBe(0);
  const file = path.join(fleetDir(), 'big.sqlite');
  expect((await silo(dir, ['export', 'src', '-o', file])).code).toBe(0);
  const db = new Database(file);
  db.exec('INSERT INTO todos (title, created_at, updated_at) SELECT hex(zeroblob(490)), 0, 0 FROM (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 80000) SELECT x FROM c)');
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  const fleet = await openFleet({ schema: await todoSchema(), dataDir: dir, reconcileOnOpen: false });
  let url: string;
  try {
    url = fleet.engine.locate(name, fleet.regions.place('eu'));
  } finally {
    await fleet.close();
  }
  // local:<region>/<shard>/<name>.db
  const [, region = '', shard = ''] = /^local:([a-z0-9-]+)\/([0-9a-f]{2})\//.exec(url) ?? [];
  const folder = path.join(dir, 'regions', region, 'tenants', shard);
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  return { dir, file, folder };
}

/** The file-check process `pid` started (check-process-host), once it has a file in `folder` open: a check under way there. */
function checkingIn(pid: number, folder: string): boolean {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const parent = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[1]);
      if (parent !== pid || !readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('check-process-host')) continue;
      if (readdirSync(`/proc/${entry}/fd`).some((fd) => readlinkOr(`/proc/${entry}/fd/${fd}`).startsWith(`${folder}${path.sep}`))) return true;
    } catch {
      // It ended meanwhile.
    }
  }
  return false;
}

function readlinkOr(link: string): string {
  try {
    return readlinkSync(link);
  } catch {
    return '';
  }
}

/** Every instance of the fleet, in any state, as `silo instances list --json` gives them. */
async function everyInstance(dir: string): Promise<{ name: string; state: string }[]> {
  const result = await silo(dir, ['instances', 'list', '--state', 'provisioning,ready,failed,deleted', '--json']);
  expect(result.code, result.stderr).toBe(0);
  return json<{ items: { name: string; state: string }[] }>(result).items.map(({ name, state }) => ({ name, state }));
}

/** What an import stopped by Ctrl+C must leave: the one line, exit 130, no instance and no file of the name; importing again works. */
async function expectStoppedImport(result: Awaited<RunningSilo['finished']>, dir: string, file: string, folder: string): Promise<void> {
  expect(result.signal, result.stderr).toBeNull();
  expect(result.code, result.stderr).toBe(130);
  expect(result.stdout).toBe('');
  expect(result.stderr).toBe('silo: Ctrl+C: Import stopped; nothing was created. [INTERRUPTED]\n');
  // Listing opens the fleet, which reconciles what a dead import left: nothing here to fail.
  expect(await everyInstance(dir)).toEqual([{ name: 'src', state: 'ready' }]);
  expect(readdirSync(folder)).toEqual([]);
  const again = await silo(dir, ['import', file, 'big', '--jurisdiction', 'eu', '--json']);
  expect(again.code, again.stderr).toBe(0);
  expect(json<{ name: string; state: string }>(again)).toMatchObject({ name: 'big', state: 'ready' });
}

describe('Ctrl+C during `silo import`', () => {
  it('while the file is copied: creates nothing, says so, and exits 130', async () => {
    const { dir, file, folder } = await fleetWithBigUpload('big');

    const result = await interruptWhenStaged(folder, /^big\.db\.tmp-\d+/, () => startSilo(dir, ['import', file, 'big', '--jurisdiction', 'eu']));

    await expectStoppedImport(result, dir, file, folder);
    // The audit log keeps the stopped attempt.
    const audit = json<{ items: { operation: string; outcome: string; error: string | null }[] }>(await silo(dir, ['audit', '--instance', 'big', '--operation', 'import', '--json']));
    expect(audit.items.map(({ outcome, error }) => ({ outcome, error }))).toEqual([
      { outcome: 'ok', error: null },
      { outcome: 'error', error: expect.stringContaining('stopped') },
    ]);
  });

  it('while the file is checked (the check process gets the Ctrl+C too): creates nothing, says so, and exits 130', async () => {
    const { dir, file, folder } = await fleetWithBigUpload('big');

    const run = startSilo(dir, ['import', file, 'big', '--jurisdiction', 'eu']);
    let ended = false;
    void run.finished.finally(() => (ended = true)).catch(() => undefined);
    while (!ended && !checkingIn(run.child.pid ?? -1, folder)) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(ended, 'the import ended before its check was seen').toBe(false);
    run.interrupt('SIGINT');

    await expectStoppedImport(await run.finished, dir, file, folder);
  });
});

describe('a reader that closes the pipe early', () => {
  it('ends `silo instances list` quietly: exit 0, no stack trace', async () => {
    const dir = fleetDir();
    expect((await silo(dir, ['create', 'acme', '--jurisdiction', 'eu'])).code).toBe(0);
    const run = startSilo(dir, ['instances', 'list'], { ownGroup: false });
    // Closed before silo has started: its first write to stdout fails with EPIPE.
    run.child.stdout.destroy();
    const result = await run.finished;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('ends `silo export -o - | head -c 16` quietly, leaving no staged file behind', async () => {
    const dir = fleetDir();
    expect((await silo(dir, ['create', 'acme', '--jurisdiction', 'eu'])).code).toBe(0);
    const file = tenantFiles(dir).get('acme') ?? '';
    // 4 MB, far more than a pipe holds: head exits while silo is still writing.
    const db = new Database(file);
    db.exec('CREATE TABLE blobs (b BLOB); INSERT INTO blobs SELECT zeroblob(1048576) FROM (SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4)');
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const staging = stagingFolder(path.dirname(path.dirname(path.dirname(file))));
    const quote = (arg: string): string => `'${arg.replace(/'/g, `'\\''`)}'`;
    const pipeline = `set -o pipefail; ${[process.execPath, SILO_BIN, 'export', 'acme', '-o', '-'].map(quote).join(' ')} | head -c 16`;
    const result = await outputOf(spawn('bash', ['-c', pipeline], { cwd: dir, env: cleanEnv(dir), stdio: ['ignore', 'pipe', 'pipe'] }));
    expect(result.stdout).toBe('SQLite format 3\0');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(readdirSync(staging)).toEqual([]);
  });

  it('ends `silo query … | head -1` quietly, however much is left to write', async () => {
    const dir = fleetDir();
    expect((await silo(dir, ['create', 'acme', '--jurisdiction', 'eu'])).code).toBe(0);
    // Some 600 KB of CSV, far more than a pipe holds: head exits while silo is still writing.
    const sql = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000) SELECT x, 'a line of padding text' AS pad FROM c";
    const quote = (arg: string): string => `'${arg.replace(/'/g, `'\\''`)}'`;
    const pipeline = `set -o pipefail; ${[process.execPath, SILO_BIN, 'query', 'acme', sql, '--csv', '--max-rows', '20000'].map(quote).join(' ')} | head -1`;
    const result = await outputOf(spawn('bash', ['-c', pipeline], { cwd: dir, env: cleanEnv(dir), stdio: ['ignore', 'pipe', 'pipe'] }));
    expect(result.stdout).toBe('x,pad\n');
    expect(result.stderr).toBe('');
    // pipefail: the pipeline's status is silo's.
    expect(result.code).toBe(0);
  });
});
