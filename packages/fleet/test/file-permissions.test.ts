/**
 * Security finding 8: everything the fleet writes is owner-only (folders 0700, files 0600),
 * even in a process whose umask would let others read (0o022, the common default), and a
 * fleet whose existing files are looser says so once on open.
 */
import { chmodSync, lstatSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFleet } from '../src/index';
import { makePrivateDir } from '../src/permissions';
import { sampleSchema, tempDir, tempFleet } from './helpers';

/** Every folder and file under `dir` (itself included) with its permission bits. */
function modesUnder(dir: string): { file: string; mode: number; dir: boolean }[] {
  const out = [{ file: dir, mode: lstatSync(dir).mode & 0o777, dir: true }];
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const file = path.join(entry.parentPath, entry.name);
    out.push({ file, mode: lstatSync(file).mode & 0o777, dir: entry.isDirectory() });
  }
  return out;
}

function looseUnder(dir: string): string[] {
  return modesUnder(dir)
    .filter((entry) => entry.mode !== (entry.dir ? 0o700 : 0o600))
    .map((entry) => `${entry.file} ${entry.mode.toString(8)}`);
}

/** Collects process warnings with our code while `work` runs. */
async function warningsDuring(work: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const listener = (warning: Error & { code?: string }): void => {
    if (warning.code === 'SILO_LOOSE_PERMISSIONS') seen.push(warning.message);
  };
  process.on('warning', listener);
  try {
    await work();
    // Warnings are emitted on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', listener);
  }
  return seen;
}

describe('file permissions', () => {
  let previousUmask: number;
  beforeAll(() => {
    previousUmask = process.umask(0o022);
  });
  afterAll(() => {
    process.umask(previousUmask);
  });

  it('create, write, clone, export, import, backup point and catalog: folders 0700, files 0600 under a 0o022 umask', async () => {
    const root = tempDir();
    const dataDir = path.join(root, 'data');
    const { fleet } = await tempFleet({ dataDir });
    await fleet.create('acme', { jurisdiction: 'eu', displayName: 'Acme' });
    // An open handle with a write: the WAL and shared-memory files exist while we look.
    const handle = await fleet.open('acme');
    await handle.db.execute('INSERT INTO notes (body) VALUES (?)', ['hello']);
    await fleet.clone('acme', 'acme-branch');

    // An upload as a browser or scp leaves it: world-readable, outside the data folder.
    const upload = path.join(root, 'upload.sqlite');
    await fleet.exportTo('acme', upload);
    chmodSync(upload, 0o644);
    await fleet.importFile('imported', upload, { jurisdiction: 'eu' });

    await fleet.backups.runCycle();
    const exported = await fleet.exportStream('acme');
    const staged = readdirSync(path.join(dataDir, 'regions', 'eu-west', 'staging'));
    expect(staged.length).toBeGreaterThan(0);

    const files = modesUnder(dataDir);
    expect(files.some((entry) => entry.file.endsWith('-wal'))).toBe(true);
    expect(files.some((entry) => entry.file.includes(`${path.sep}backups${path.sep}`))).toBe(true);
    expect(files.some((entry) => entry.file.endsWith('catalog.db'))).toBe(true);
    expect(looseUnder(dataDir)).toEqual([]);
    // The customer's own copy is private too.
    expect(lstatSync(upload).mode & 0o777).toBe(0o644);
    const copy = path.join(root, 'copy.sqlite');
    await fleet.exportTo('acme', copy);
    expect(lstatSync(copy).mode & 0o777).toBe(0o600);

    await new Promise((resolve) => exported.stream.on('close', resolve).resume());
    handle.release();
  });

  it('warns once, in one line naming the count, an example and the fix, when existing files are looser', async () => {
    const { fleet, dataDir } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.close();
    const catalog = path.join(dataDir, 'catalog.db');
    chmodSync(catalog, 0o644);
    writeFileSync(path.join(dataDir, 'notes.txt'), 'left by hand', { mode: 0o644 });
    chmodSync(path.join(dataDir, 'notes.txt'), 0o644);

    const first = await warningsDuring(async () => (await openFleet({ schema: sampleSchema(), dataDir })).close());
    expect(first).toHaveLength(1);
    const [message = ''] = first;
    expect(message).not.toContain('\n');
    expect(message).toMatch(/^2 file\(s\) or folder\(s\) of the fleet can be read by other users/);
    expect(message).toMatch(/catalog\.db|notes\.txt/);
    expect(message).toContain('silo doctor --fix-permissions');
    expect(message).toContain(`chmod -R go-rwx "${dataDir}"`);

    // Once per process: a second open stays quiet.
    expect(await warningsDuring(async () => (await openFleet({ schema: sampleSchema(), dataDir })).close())).toEqual([]);

    // The doctor's fix makes everything owner-only.
    const reopened = await openFleet({ schema: sampleSchema(), dataDir, checkPermissionsOnOpen: false });
    // The catalog's WAL and shared memory now exist, with the loose mode of their database.
    expect(reopened.checkPermissions({ fix: true })).toMatchObject({ loose: 4, fixed: 4 });
    expect(reopened.checkPermissions()).toMatchObject({ loose: 0 });
    await reopened.close();
    expect(looseUnder(dataDir)).toEqual([]);
  });
});

describe('the permission check on open', () => {
  it('looks two levels below every root, region folders included, and names only the outermost folders in the fix', async () => {
    const { fleet, dataDir } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.close();
    // regions/eu-west/tenants/<shard> is four levels below the data folder, two below its region.
    const shard = path.dirname(readdirSync(path.join(dataDir, 'regions', 'eu-west', 'tenants'), { recursive: true, withFileTypes: true })
      .map((entry) => path.join(entry.parentPath, entry.name))
      .find((file) => file.endsWith('acme.db')) ?? '');
    chmodSync(shard, 0o755);
    const reopened = await openFleet({ schema: sampleSchema(), dataDir, checkPermissionsOnOpen: false });
    try {
      expect(reopened.checkPermissions({ depth: 2 })).toMatchObject({ loose: 1, example: shard });
    } finally {
      await reopened.close();
    }
    const { loosePermissionsMessage } = await import('../src/permissions');
    const message = loosePermissionsMessage({ loose: 1, example: shard, fixed: 0 }, [dataDir, path.join(dataDir, 'regions', 'eu-west')]);
    expect(message).toContain(`chmod -R go-rwx "${dataDir}"\``);
  });
});

describe('makePrivateDir', () => {
  it('makes the missing folders of a path owner-only, accepts one that is there, and refuses a file in the way', () => {
    const root = tempDir();
    const deep = path.join(root, 'a', 'b', 'c');
    makePrivateDir(deep);
    for (const dir of [path.join(root, 'a'), path.join(root, 'a', 'b'), deep]) expect(statSync(dir).mode & 0o777).toBe(0o700);
    makePrivateDir(deep);
    writeFileSync(path.join(root, 'file'), 'x');
    expect(() => makePrivateDir(path.join(root, 'file', 'sub'))).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
    expect(() => makePrivateDir(path.join(root, 'file'))).toThrow(expect.objectContaining({ code: 'EEXIST' }));
  });

  it('throws where the system will not make a folder under one that exists, where Node’s recursive mkdir spins forever', () => {
    expect(() => makePrivateDir('/proc/silo-no-folder-here/sub')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});
