import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupOverview, BackupPoint, InstanceBackupStatus, RestoreResult, VerificationReport } from '@silo/fleet';
import { tempNameOf } from '@silo/fleet/internal';
import { json, silo, tempDir } from './helpers';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('silo backup and silo restore --at', () => {
  let dir: string;
  let cleanup: () => void;
  const run = (...args: string[]) => silo(dir, args);
  const bodies = async (name: string): Promise<string[]> =>
    json<{ rows: { body: string }[] }>(await run('query', name, 'SELECT body FROM notes ORDER BY id', '--json')).rows.map((row) => row.body);

  beforeAll(async () => {
    ({ dir, cleanup } = tempDir());
    expect((await run('create', 'acme', '--jurisdiction', 'eu')).code).toBe(0);
    await run('query', 'acme', "CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT)", '--write');
  });

  afterAll(() => cleanup());

  it('backs up, lists points, restores a past moment as a new instance and in place with undo', async () => {
    expect((await run('query', 'acme', "INSERT INTO notes (body) VALUES ('first')", '--write')).code).toBe(0);
    const now = await run('backup', 'now', 'acme');
    expect(now.stderr).toBe('');
    expect(now.stdout).toMatch(/Backed up "acme": point \d{13}-manual-/);
    await sleep(50);
    const between = Date.now();
    await sleep(50);
    await run('query', 'acme', "INSERT INTO notes (body) VALUES ('second')", '--write');

    const once = await run('backup', 'run', '--once', '--json');
    expect(once.code, once.stderr).toBe(0);
    expect(JSON.parse(once.stdout.trim().split('\n')[0] ?? '{}')).toMatchObject({ changed: 1, backedUp: 1, failed: 0 });

    const points = json<BackupPoint[]>(await run('backup', 'list', 'acme', '--json'));
    expect(points.map((point) => point.reason)).toEqual(['scheduled', 'manual']);
    const table = await run('backup', 'list', 'acme');
    expect(table.stdout).toContain('manual');
    const status = json<InstanceBackupStatus>(await run('backup', 'status', 'acme', '--json'));
    expect(status).toMatchObject({ instance: 'acme', points: 2, pending: false, lastError: null });
    expect(status.location).toContain('eu-west');

    const asNew = json<RestoreResult>(await run('restore', 'acme', '--at', String(between), '--as', 'acme-then', '--json'));
    expect(asNew).toMatchObject({ mode: 'new-instance', instance: { name: 'acme-then', jurisdiction: 'eu' } });
    expect(await bodies('acme-then')).toEqual(['first']);
    expect(await bodies('acme')).toEqual(['first', 'second']);

    const inPlace = await run('restore', 'acme', '--at', String(between), '--in-place');
    expect(inPlace.code, inPlace.stderr).toBe(0);
    expect(inPlace.stdout).toContain('silo restore acme --undo');
    expect(await bodies('acme')).toEqual(['first']);
    const undo = await run('restore', 'acme', '--undo');
    expect(undo.code, undo.stderr).toBe(0);
    expect(await bodies('acme')).toEqual(['first', 'second']);

    const verify = json<VerificationReport>(await run('backup', 'verify', 'acme', '--json'));
    expect(verify).toMatchObject({ checked: 1, failed: 0 });
    const overview = await run('backup', 'status', '--json');
    expect(overview.code).toBe(0);
    expect(json<BackupOverview>(overview)).toMatchObject({ enabled: true, failing: [], retiredLocations: [] });

    // eu-west's backups move to another folder: the old one is named until someone deals with it.
    const moved = { env: { SILO_BACKUP_LOCATIONS: `eu-west=${dir}/eu-backups-2` } };
    const pending = json<InstanceBackupStatus>(await silo(dir, ['backup', 'status', 'acme', '--json'], moved));
    expect(pending).toMatchObject({ pending: true, points: 0 });
    const movedOverview = await silo(dir, ['backup', 'status'], moved);
    expect(movedOverview.stdout).toMatch(/No longer configured, still holding backups: \S*regions\/eu-west\/backups .*newest point of 1 instance\)/);
    const oldLocation = /still holding backups: (\S+) /.exec(movedOverview.stdout)?.[1] ?? '';
    const notUsed = await silo(dir, ['backup', 'forget-location', 's3://never/used'], moved);
    expect(notUsed.code).not.toBe(0);
    expect(notUsed.stderr).toContain('No backups were ever written to s3://never/used');
    const forgotten = await silo(dir, ['backup', 'forget-location', oldLocation], moved);
    expect(forgotten.code, forgotten.stderr).toBe(0);
    expect((await silo(dir, ['backup', 'status'], moved)).stdout).not.toContain('No longer configured');
    const audit = await run('audit', '--operation', 'backup-restore', '--json');
    expect(json<{ total: number }>(audit).total).toBe(2);
    // Each step is a real `silo` process on a shared machine: allow for slow starts.
  }, 180_000);

  it('refuses bad restore and backup requests with usage errors and the right exit codes', async () => {
    const neither = await run('restore', 'acme', '--at', '5m');
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain('--as <new-name>');
    const both = await run('restore', 'acme', '--at', '5m', '--as', 'x-y', '--in-place');
    expect(both.code).toBe(2);
    const badTime = await run('restore', 'acme', '--at', 'yesterday-ish', '--as', 'x-y');
    expect(badTime.code).toBe(2);
    expect(badTime.stderr).toContain('ISO 8601');
    const tooEarly = await run('restore', 'acme', '--at', '2000-01-01T00:00:00Z', '--as', 'acme-ancient');
    expect(tooEarly.code).toBe(1);
    expect(tooEarly.stderr).toContain('no backup point');
    const unknown = await run('backup', 'list', 'nobody');
    expect(unknown.code).toBe(3);
    const wrongRegion = await run('restore', 'acme', '--at', 'now', '--as', 'acme-us', '--region', 'us-east');
    expect(wrongRegion.code).toBe(1);
    expect(wrongRegion.stderr).toContain('jurisdiction');
    const names = json<{ items: { name: string }[] }>(await run('instances', 'list', '--json')).items.map((item) => item.name);
    expect(names).toEqual(['acme', 'acme-then']);
  }, 120_000);

  it('refuses flags that would be ignored together, naming them (usage errors, exit 2)', async () => {
    const refused: [string[], RegExp][] = [
      [['restore', 'acme', '--undo', '--region', 'eu-west'], /option '--undo' cannot be used with option '--region <id>'/],
      [['restore', 'acme', '--undo', '--at', '5m'], /option '--undo' cannot be used with option '--at <time>'/],
      [['restore', 'acme', '--point', 'p1', '--as', 'x-y'], /option '--point <id>' cannot be used with option '--as <new-name>'/],
      // Alone it would replace the live data: only with --undo.
      [['restore', 'acme', '--point', 'p1'], /--point goes with --undo/],
      [['restore', 'acme', '--at', '5m', '--in-place', '--region', 'eu-west'], /option '--in-place' cannot be used with option '--region <id>'/],
      [['backup', 'verify', 'acme', '--sample', '5'], /--sample picks the instances when none are named; give instance names or --sample, not both/],
    ];
    for (const [args, message] of refused) {
      const result = await run(...args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stdout, args.join(' ')).toBe('');
      expect(result.stderr, args.join(' ')).toMatch(message);
      expect(result.stderr, args.join(' ')).toContain('[USAGE]');
    }
    const asJson = await run('restore', 'acme', '--undo', '--region', 'eu-west', '--json');
    expect(JSON.parse(asJson.stderr)).toEqual({ error: { code: 'USAGE', message: "option '--undo' cannot be used with option '--region <id>'" } });
  });

  it('brings a damaged catalog back from its backups without opening it', async () => {
    const { dir: own, cleanup: done } = tempDir();
    try {
      const at = (...args: string[]) => silo(own, args);
      expect((await at('create', 'kept', '--jurisdiction', 'eu')).code).toBe(0);
      expect((await at('backup', 'run', '--once')).code).toBe(0);
      // The catalog file is destroyed: every command that opens the fleet now fails.
      for (const suffix of ['', '-wal', '-shm']) rmSync(path.join(own, `catalog.db${suffix}`), { force: true });
      writeFileSync(path.join(own, 'catalog.db'), 'this was the catalog');
      expect((await at('instances', 'list')).code).not.toBe(0);

      const output = path.join(own, 'recovered.db');
      const recovered = await at('backup', 'catalog', '--at', 'now', '-o', output);
      expect(recovered.code, recovered.stderr).toBe(0);
      expect(recovered.stdout).toMatch(/Wrote the catalog as of .* to /);
      expect((await at('backup', 'catalog', '--at', 'now', '-o', output)).stderr).toContain('exists');
      // A folder is no file name: refused rather than written as a file named like the folder.
      for (const folder of [own, `${path.join(own, 'recovered')}/`]) {
        const refused = await at('backup', 'catalog', '--at', 'now', '-o', folder);
        expect(refused.code, folder).toBe(2);
        expect(refused.stderr).toContain(`-o ${folder} names a folder; give the name of the new file to write`);
      }
      expect(existsSync(path.join(own, 'recovered'))).toBe(false);
      // The documented recovery: put the file in place of catalog.db.
      renameSync(output, path.join(own, 'catalog.db'));
      const names = json<{ items: { name: string }[] }>(await at('instances', 'list', '--json')).items.map((item) => item.name);
      expect(names).toEqual(['kept']);
    } finally {
      done();
    }
  }, 120_000);

  it('backup now first sweeps the temp files an interrupted backup left in the location', async () => {
    const { id } = json<{ id: string }>(await run('instances', 'show', 'acme', '--json'));
    const chunks = path.join(dir, 'regions', 'eu-west', 'backups', 'instances', id, 'chunks');
    // As a `silo backup now` stopped with Ctrl+C between writing a chunk and renaming it leaves it.
    const { pid } = spawnSync(process.execPath, ['-e', '']);
    mkdirSync(chunks, { recursive: true });
    const leftover = tempNameOf(path.join(chunks, '0'.repeat(64)), `${pid}.1`);
    writeFileSync(leftover, 'half a chunk');
    const now = await run('backup', 'now', 'acme');
    expect(now.code, now.stderr).toBe(0);
    expect(existsSync(leftover)).toBe(false);
    expect(readdirSync(chunks).filter((name) => name.includes('.tmp-'))).toEqual([]);
  });

  it('refuses a backup location outside the region’s jurisdiction, naming the problem', async () => {
    const result = await silo(dir, ['backup', 'status'], { env: { SILO_BACKUP_LOCATIONS: 'eu-west=s3://us-bucket/silo?jurisdiction=us' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Backups never leave their jurisdiction');
  });
});
