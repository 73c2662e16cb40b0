import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstanceInfo } from '@silo/fleet';
import { HAS_SCRIPT, json, silo, siloOnTerminal, tempDir } from './helpers';

interface ListJson {
  items: InstanceInfo[];
  total: number;
}

const ALL_STATES = ['--state', 'provisioning,ready,failed,deleted'];

describe('silo lifecycle and errors', () => {
  let dir: string;
  let cleanup: () => void;
  const run = (...args: string[]) => silo(dir, args);
  const names = async (): Promise<string[]> => json<ListJson>(await run('instances', 'list', ...ALL_STATES, '--json')).items.map((item) => item.name);

  beforeAll(() => {
    ({ dir, cleanup } = tempDir());
  });

  afterAll(() => cleanup());

  it('creates, deletes, undeletes, deletes again and purges', async () => {
    const created = await run('create', 'hooli', '--jurisdiction', 'us', '--display-name', 'Hooli XYZ');
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('"hooli" in us-east (us)');

    const deleted = await run('delete', 'hooli');
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toContain('silo undelete hooli');
    const afterDelete = json<ListJson>(await run('instances', 'list', '--state', 'deleted', '--json'));
    expect(afterDelete.items.map((item) => item.name)).toEqual(['hooli']);
    // A deleted instance cannot be queried.
    expect((await run('query', 'hooli', 'SELECT 1')).code).toBe(3);

    const undeleted = json<InstanceInfo>(await run('undelete', 'hooli', '--json'));
    expect(undeleted).toMatchObject({ name: 'hooli', state: 'ready', displayName: 'Hooli XYZ' });

    // The old name still undeletes for one release, and says so on stderr.
    expect((await run('delete', 'hooli')).code).toBe(0);
    const alias = await run('restore', 'hooli');
    expect(alias.code).toBe(0);
    expect(alias.stdout).toContain('Undeleted "hooli"');
    expect(alias.stderr).toContain('deprecated: use `silo undelete <name>`');

    // Purging a live instance is refused with the next step, and nothing is asked.
    const live = await run('purge', 'hooli', '--yes');
    expect(live.code).toBe(1);
    expect(live.stderr).toContain('delete it first');

    expect((await run('delete', 'hooli')).code).toBe(0);
    // Without a terminal and without --yes, purge refuses: a usage error.
    const unconfirmed = await run('purge', 'hooli');
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain('--yes');
    expect(await names()).toEqual(['hooli']);

    const purged = await run('purge', 'hooli', '--yes');
    expect(purged.code).toBe(0);
    expect(purged.stdout).toContain('Purged "hooli"');
    expect(await names()).toEqual([]);

    const expired = await run('purge', '--expired', '--yes');
    expect(expired.code).toBe(0);
    expect(expired.stdout).toContain('Nothing to purge');
  });

  it('undelete of an instance that is not deleted says so, and changes nothing', async () => {
    expect((await run('create', 'bachman', '--jurisdiction', 'eu')).code).toBe(0);
    for (const args of [['undelete', 'bachman'], ['restore', 'bachman']]) {
      const result = await run(...args);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toBe('"bachman" was not deleted: it is ready, so there was nothing to undelete.\n');
      expect(result.stdout).not.toContain('Undeleted');
    }
    expect(json<InstanceInfo>(await run('undelete', 'bachman', '--json'))).toMatchObject({ name: 'bachman', state: 'ready' });
    expect((await run('delete', 'bachman')).code).toBe(0);
    expect((await run('undelete', 'bachman')).stdout).toContain('Undeleted "bachman": ready');
    // Leaves the fleet empty, as the tests below expect.
    expect((await run('delete', 'bachman')).code).toBe(0);
    expect((await run('purge', 'bachman', '--yes')).code).toBe(0);
  });

  it('purges expired deletions with purge --expired', async () => {
    expect((await run('create', 'pied-piper', '--jurisdiction', 'eu')).code).toBe(0);
    expect((await run('delete', 'pied-piper')).code).toBe(0);
    // With a retention of zero days every deletion has expired.
    const result = await silo(dir, ['purge', '--expired', '--yes', '--json'], { env: { SILO_RETENTION_DAYS: '0' } });
    expect(result.code).toBe(0);
    expect(json<{ purged: string[] }>(result).purged).toEqual(['pied-piper']);
    expect(await names()).toEqual([]);
  });

  it.skipIf(!HAS_SCRIPT)('asks on a terminal before purging, and purges only when the name is typed', async () => {
    expect((await run('create', 'raviga', '--jurisdiction', 'eu')).code).toBe(0);
    expect((await run('delete', 'raviga')).code).toBe(0);

    const wrong = await siloOnTerminal(dir, ['purge', 'raviga'], 'Type the name to confirm', 'nope');
    expect(wrong.output).toContain('Not purged');
    expect(wrong.code).toBe(1);
    expect(await names()).toEqual(['raviga']);

    // Ctrl+C at the question is a no: exit 130, one line, no stack trace.
    const stopped = await siloOnTerminal(dir, ['purge', 'raviga'], 'Type the name to confirm', 'rav\u0003');
    expect(stopped.code, stopped.output).toBe(130);
    expect(stopped.output).toContain('silo: Stopped at the prompt; nothing was changed. [INTERRUPTED]');
    expect(stopped.output).not.toMatch(/unexpected error|\n\s+at /);
    expect(await names()).toEqual(['raviga']);

    const right = await siloOnTerminal(dir, ['purge', 'raviga'], 'Type the name to confirm', 'raviga');
    expect(right.output).toContain('Purged "raviga"');
    expect(right.code).toBe(0);
    expect(await names()).toEqual([]);
  });

  it('refuses an invalid name with a clear message, creating nothing', async () => {
    const result = await run('create', 'Not_Valid', '--jurisdiction', 'eu');
    // A bad argument: a usage error, as in every command that takes a name (cli-arguments.test.ts).
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^silo: "Not_Valid" is not a valid name/);
    expect(result.stderr).not.toContain('    at ');
    expect(await names()).toEqual([]);
    const audit = json<{ items: { outcome: string; operation: string }[] }>(await run('audit', '--outcome', 'error', '--json'));
    expect(audit.items[0]).toMatchObject({ operation: 'create', outcome: 'error' });
  });

  it('exits 3 for an unknown instance', async () => {
    for (const args of [['show', 'nobody'], ['purge', 'nobody', '--yes']]) {
      const result = await run(...args);
      expect(result.code, args.join(' ')).toBe(3);
      expect(result.stderr).toMatch(/^silo: No instance named "nobody"/);
    }
  });

  it('exits 2 for usage errors', async () => {
    const missing = await run('create', 'acme');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^silo: required option '--jurisdiction/);

    expect((await run('instances', 'list', '--sort', 'colour')).code).toBe(2);
    expect((await run('instances', 'list', '--page', '2', '--offset', '5')).code).toBe(2);
    expect((await run('frobnicate')).code).toBe(2);
    expect((await run('query-all', 'SELECT 1', '--json', '--csv')).code).toBe(2);
    expect((await run('purge')).code).toBe(2);
  });

  it('prints help with examples, and the version', async () => {
    const help = await run('query', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Examples:');
    expect(help.stdout).toContain('--write');
    const version = await run('--version');
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('--data-dir wins over SILO_DATA_DIR', async () => {
    const other = tempDir();
    try {
      expect((await run('--data-dir', other.dir, 'create', 'elsewhere', '--jurisdiction', 'eu')).code).toBe(0);
      expect(await names()).toEqual([]);
      const list = json<ListJson>(await silo(other.dir, ['instances', 'list', '--json']));
      expect(list.items.map((item) => item.name)).toEqual(['elsewhere']);
    } finally {
      other.cleanup();
    }
  });
});
