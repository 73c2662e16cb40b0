/**
 * `silo instances list --csv | --json [--all]`: the instance list as a download (issue 17),
 * with the filters and sort of the table, labelled CSV columns and UTC ISO times.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, silo, tempDir } from './helpers';

/** A minimal CSV reader for the test: fields may be quoted, none here holds a newline. */
function parseCsv(text: string): string[][] {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => [...line.matchAll(/("(?:[^"]|"")*"|[^,]*)(?:,|$)/g)].slice(0, -1).map((match) => (match[1] ?? '').replace(/^"|"$/g, '').replaceAll('""', '"')));
}

describe('silo instances list --csv / --json', () => {
  let dir: string;
  let cleanup: () => void;
  const names = ['acme-a', 'acme-b', 'acme-c', 'beta-one'];

  beforeAll(async () => {
    ({ dir, cleanup } = tempDir());
    for (const name of names) {
      const created = await silo(dir, ['create', name, '--jurisdiction', name.startsWith('beta') ? 'us' : 'eu', '--display-name', `${name}, "Inc"`]);
      expect(created.code, created.stderr).toBe(0);
    }
    expect((await silo(dir, ['delete', 'acme-c'])).code).toBe(0);
  });

  afterAll(() => cleanup());

  it('prints labelled CSV columns with UTC ISO times, filtered and sorted as asked', async () => {
    const run = await silo(dir, ['instances', 'list', '--csv', '--search', 'acme', '--state', 'ready', '--desc']);
    expect(run.code, run.stderr).toBe(0);
    const [header, ...rows] = parseCsv(run.stdout);
    expect(header).toEqual([
      'name', 'display_name', 'state', 'jurisdiction', 'region', 'schema_version', 'size_bytes',
      'created_at', 'last_active_at', 'deleted_at', 'cloned_from', 'db_url', 'error', 'metric:todos', 'metric:completed',
    ]);
    expect(rows.map((row) => row[0])).toEqual(['acme-b', 'acme-a']);
    const created = rows[0]?.[header?.indexOf('created_at') ?? -1] ?? '';
    expect(created).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(rows[0]?.[1]).toBe('acme-b, "Inc"');
    expect(run.stderr).toBe('');
  });

  it('says on stderr when a page cut the CSV short, and --all has no paging limit', async () => {
    const paged = await silo(dir, ['instances', 'list', '--csv', '--limit', '2']);
    expect(parseCsv(paged.stdout)).toHaveLength(3);
    expect(paged.stderr).toMatch(/of 4.*--all/);
    const all = await silo(dir, ['instances', 'list', '--csv', '--all']);
    expect(parseCsv(all.stdout).slice(1).map((row) => row[0])).toEqual(['acme-a', 'acme-b', 'acme-c', 'beta-one']);
    expect(all.stderr).toBe('');
  });

  it('refuses --all with a page size or position, naming both flags, rather than ignoring one', async () => {
    for (const paging of [['--limit', '2'], ['--page', '2'], ['--offset', '1']]) {
      const refused = await silo(dir, ['instances', 'list', '--csv', '--all', ...paging]);
      expect(refused.code, paging.join(' ')).toBe(2);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toMatch(new RegExp(`^silo: option '--all' cannot be used with option '${paging[0]} <n>' \\[USAGE\\]`));
    }
  });

  it('prints every match as JSON with --all, and refuses --csv with --json', async () => {
    const listed = json<{ items: { name: string }[]; total: number }>(await silo(dir, ['instances', 'list', '--json', '--all', '--jurisdiction', 'eu']));
    expect(listed.items.map((item) => item.name)).toEqual(['acme-a', 'acme-b', 'acme-c']);
    expect(listed.total).toBe(3);
    const both = await silo(dir, ['instances', 'list', '--csv', '--json']);
    expect(both.code).not.toBe(0);
    expect(both.stderr).toMatch(/--json.*--csv|--csv.*--json/);
  });
});
