import { closeSync, existsSync, lstatSync, mkdirSync, openSync, readFileSync, statSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry, InstanceDetails, InstanceInfo } from '@silo/fleet';
import { verifyPassword } from '@silo/web';
import { json, silo, tempDir } from './helpers';

interface ListJson {
  items: InstanceInfo[];
  total: number;
}

interface QueryJson {
  columns: string[];
  rows: Record<string, unknown>[];
  truncated: boolean;
  rowsAffected: number;
}

interface QueryAllJson extends QueryJson {
  instances: { total: number; ok: number; failed: number };
  errors: { instance: string; code: string; error: string }[];
}

/** One demo fleet for the whole file: `silo demo` once, then every read and copy against it. */
describe('silo on a demo fleet', () => {
  let dir: string;
  let cleanup: () => void;
  let demoOutput: string;
  const run = (...args: string[]) => silo(dir, args);

  beforeAll(async () => {
    ({ dir, cleanup } = tempDir());
    const demo = await run('demo');
    expect(demo.stderr).toBe('');
    expect(demo.code).toBe(0);
    expect(demo.stdout).toContain('acme');
    expect(demo.stdout).toContain('umbrella');
    demoOutput = demo.stdout;
  });

  afterAll(() => cleanup());

  it('gives each demo list an owner whose printed password signs in', async () => {
    const match = /acme: .* as (owner@acme\.example) \/ (\S+)/.exec(demoOutput);
    expect(match).not.toBeNull();
    const users = json<QueryJson>(await run('query', 'acme', 'SELECT email, password_hash, role FROM users', '--json'));
    expect(users.rows).toHaveLength(1);
    expect(users.rows[0]).toMatchObject({ email: match?.[1], role: 'owner' });
    expect(await verifyPassword(String(users.rows[0]?.['password_hash']), match?.[2] ?? '')).toBe(true);
  });

  it('lists the demo instances in both jurisdictions, with todo metrics', async () => {
    const list = json<ListJson>(await run('instances', 'list', '--json'));
    expect(list.total).toBe(4);
    expect(list.items.map((item) => item.name)).toEqual(['acme', 'globex', 'initech', 'umbrella']);
    expect(new Set(list.items.map((item) => item.jurisdiction))).toEqual(new Set(['eu', 'us']));
    expect(list.items.every((item) => item.state === 'ready' && (item.metrics['todos'] ?? 0) > 0)).toBe(true);

    const eu = json<ListJson>(await run('instances', 'list', '--jurisdiction', 'us', '--sort', 'metric:todos', '--desc', '--json'));
    expect(eu.items.map((item) => item.name)).toEqual(['umbrella', 'initech']);
  });

  it('prints a table with a paging footer', async () => {
    const result = await run('instances', 'list', '--limit', '2', '--page', '2');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('last active');
    expect(result.stdout).toContain('initech');
    expect(result.stdout).not.toContain('acme');
    expect(result.stdout).toContain('showing 3–4 of 4');
    // Colour is off when stdout is not a terminal.
    expect(result.stdout).not.toContain('\u001b[');
  });

  it('running the demo again skips what exists', async () => {
    const again = await run('demo');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('acme: exists (ready), skipped');
    expect(json<ListJson>(await run('instances', 'list', '--json')).total).toBe(4);
  });

  it('shows one instance with its database, metrics and audit entries', async () => {
    const text = await run('show', 'acme');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('database');
    expect(text.stdout).toContain('acme.db');
    expect(text.stdout).toContain('Recent activity');
    const details = json<InstanceDetails & { audit: AuditEntry[] }>(await run('instances', 'show', 'acme', '--json'));
    expect(details.metrics).toMatchObject({ todos: 5, completed: 2 });
    expect(details.audit.some((entry) => entry.operation === 'create' && entry.actor.startsWith('cli:'))).toBe(true);
  });

  it('queries read-only by default and refuses writes', async () => {
    const read = json<QueryJson>(await run('query', 'globex', 'SELECT count(*) AS n FROM todos', '--json'));
    expect(read.rows).toEqual([{ n: 3 }]);

    const table = await run('query', 'globex', 'SELECT title FROM todos ORDER BY id LIMIT 1');
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('Quarterly planning');
    expect(table.stdout).toMatch(/1 row · \d+ ms/);

    const write = await run('query', 'globex', 'DELETE FROM todos');
    expect(write.code).toBe(1);
    expect(write.stderr).toMatch(/^silo: .*read-only.*--write/);
    expect(json<QueryJson>(await run('query', 'globex', 'SELECT count(*) AS n FROM todos', '--json')).rows).toEqual([{ n: 3 }]);
  });

  it('refuses VACUUM INTO and ATTACH with and without --write, writing no file (issue #13)', async () => {
    const stolen = path.join(dir, 'stolen.db');
    for (const extra of [[], ['--write']]) {
      const vacuum = await run('query', 'acme', `VACUUM INTO '${stolen}'`, ...extra);
      expect(vacuum.code).toBe(1);
      expect(vacuum.stderr).toMatch(/^silo: VACUUM is refused here.*silo export/);
      const attach = await run('query', 'acme', `ATTACH '${stolen}' AS other`, ...extra);
      expect(attach.code).toBe(1);
      expect(attach.stderr).toContain('ATTACH and DETACH open other database files');
    }
    expect(existsSync(stolen)).toBe(false);
    const all = await run('query-all', `VACUUM INTO '${stolen}'`, '--json');
    expect(all.code).toBe(1);
    expect(existsSync(stolen)).toBe(false);
    const audit = json<{ items: AuditEntry[] }>(await run('audit', '--operation', 'query (fleet)', '--json'));
    expect(audit.items[0]).toMatchObject({ outcome: 'error', detail: { sql: `VACUUM INTO '${stolen}'`, refused: audit.items[0]?.detail?.['instances'] } });
    expect(audit.items[0]?.actor).toMatch(/^cli:.+/);
  });

  it('reports truncated results', async () => {
    const result = await run('query', 'umbrella', 'SELECT id FROM todos', '--max-rows', '2');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('2 rows');
    expect(result.stderr).toContain('cut off');
  });

  it('writes with --write, and the write is in the audit log', async () => {
    const before = json<InstanceDetails>(await run('instances', 'show', 'initech', '--json'));
    const write = await run('query', 'initech', "UPDATE todos SET completed = 1 WHERE title = 'Fix the printer'", '--write');
    expect(write.code).toBe(0);
    expect(write.stdout).toContain('1 row affected');
    // The metrics are read again and the write counts as activity (issue #17).
    const after = json<InstanceDetails>(await run('instances', 'show', 'initech', '--json'));
    const completed = json<QueryJson>(await run('query', 'initech', 'SELECT count(*) AS n FROM todos WHERE completed = 1', '--json')).rows[0]?.['n'];
    expect(after.metrics['completed']).toBe(completed);
    expect(after.lastActiveAt).toBeGreaterThanOrEqual(before.lastActiveAt ?? 0);
    expect(after.lastActiveAt).not.toBeNull();

    const audit = json<{ items: AuditEntry[] }>(await run('audit', '--instance', 'initech', '--operation', 'query (write)', '--json'));
    expect(audit.items).toHaveLength(1);
    expect(audit.items[0]).toMatchObject({ outcome: 'ok', instance: 'initech', detail: { sql: expect.stringContaining('Fix the printer') } });
    expect(audit.items[0]?.actor).toMatch(/^cli:.+/);

    const table = await run('audit', '--limit', '3');
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('query (write)');

    // An operation name the log has no entry of: the names it does hold, to pick from.
    const misnamed = await run('audit', '--operation', 'query-write');
    expect(misnamed.code).toBe(0);
    expect(misnamed.stdout).toContain('No audit entries match.');
    expect(misnamed.stdout).toMatch(/the log records: .*create.*"query \(write\)"/);
  });

  it('query-all combines rows with instance names (JSON, CSV and table)', async () => {
    const sql = 'SELECT count(*) AS todos FROM todos';
    const all = json<QueryAllJson>(await run('query-all', sql, '--json'));
    expect(all.columns).toEqual(['instance', 'todos']);
    expect(all.rows.map((row) => row['instance'])).toEqual(expect.arrayContaining(['acme', 'globex', 'initech', 'umbrella']));
    expect(all.rows.find((row) => row['instance'] === 'umbrella')).toEqual({ instance: 'umbrella', todos: 6 });
    expect(all.errors).toEqual([]);

    const eu = json<QueryAllJson>(await run('query-all', sql, '--jurisdiction', 'eu', '--json'));
    expect(eu.rows.map((row) => row['instance']).sort()).toEqual(['acme', 'globex']);

    const csv = await run('query-all', "SELECT 'a, \"b\"' AS label, count(*) AS n FROM todos", '--jurisdiction', 'us', '--csv');
    expect(csv.code).toBe(0);
    expect(csv.stdout).toBe('instance,label,n\ninitech,"a, ""b""",4\numbrella,"a, ""b""",6\n');

    const table = await run('query-all', sql, '--region', 'eu-central');
    expect(table.stdout).toContain('instance');
    expect(table.stdout).toContain('globex');
    expect(table.stdout).toMatch(/1 row from 1 instance/);
  });

  it('query-all lists each distinct error once, with the instances it hit, and exits 1', async () => {
    const failing = await run('query-all', 'SELECT nope FROM todos');
    expect(failing.code).toBe(1);
    expect(failing.stderr).toContain('4 instances failed');
    expect(failing.stderr).toMatch(/4 instances \(acme, globex, initech, …\): QUERY_FAILED: .*no such column/);
    // --json keeps one entry per instance.
    expect(json<{ errors: { instance: string }[] }>(await run('query-all', 'SELECT nope FROM todos', '--json')).errors).toHaveLength(4);
  });

  it('clones, with lineage both ways in show --json', async () => {
    const clone = await run('clone', 'acme', 'acme-staging', '--region', 'eu-central');
    expect(clone.code).toBe(0);
    expect(clone.stdout).toContain('"acme-staging" in eu-central (eu)');

    const copy = json<InstanceDetails>(await run('show', 'acme-staging', '--json'));
    expect(copy.clonedFrom?.name).toBe('acme');
    expect(copy.jurisdiction).toBe('eu');
    const source = json<InstanceDetails>(await run('show', 'acme', '--json'));
    expect(source.clones).toContainEqual({ name: 'acme-staging', state: 'ready' });

    const abroad = await run('clone', 'acme', 'acme-us', '--region', 'us-east');
    expect(abroad.code).toBe(1);
    expect(abroad.stderr).toMatch(/^silo: .*jurisdiction/);
  });

  it('exports and imports a todo round trip, refusing to overwrite without --force', async () => {
    const exported = await run('export', 'globex');
    expect(exported.code).toBe(0);
    const file = path.join(dir, 'globex.sqlite');
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file).subarray(0, 15).toString('latin1')).toBe('SQLite format 3');

    const again = await run('export', 'globex');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('--force');
    expect((await run('export', 'globex', '--force')).code).toBe(0);

    const imported = await run('import', file, 'globex-restored', '--jurisdiction', 'us');
    expect(imported.code).toBe(0);
    const rows = json<QueryJson>(await run('query', 'globex-restored', 'SELECT title FROM todos ORDER BY id', '--json')).rows;
    expect(rows[0]).toEqual({ title: 'Quarterly planning' });
    expect(rows).toHaveLength(3);
  });

  it('export -o a path it cannot write says why in one line (no stack), and a dangling link is not overwritten without --force', async () => {
    const { dir: out, cleanup: done } = tempDir('silo-export-bad-');
    try {
      const aFile = path.join(out, 'afile');
      writeFileSync(aFile, 'not a folder');
      for (const target of [`${aFile}/`, path.join(aFile, 'x.sqlite'), '/proc/silo-cannot-write/x.sqlite']) {
        const result = await run('export', 'globex', '-o', target);
        expect(result.code, target).toBe(1);
        expect(result.stderr, target).toMatch(/^silo: Cannot write .*\[FILE_UNWRITABLE\]$/m);
        expect(result.stderr, target).not.toContain('unexpected error');
      }
      const link = path.join(out, 'dangling.sqlite');
      symlinkSync(path.join(out, 'nowhere'), link);
      const refused = await run('export', 'globex', '-o', link);
      expect(refused.stderr).toContain('[FILE_EXISTS]');
      expect(lstatSync(link).isSymbolicLink()).toBe(true);
      expect((await run('export', 'globex', '-o', '')).code).toBe(2);
    } finally {
      done();
    }
  });

  it('export -o naming a folder (an existing one, or any path ending in /) writes <name>.sqlite inside it, never a file named like the folder', async () => {
    const { dir: out, cleanup: done } = tempDir('silo-export-');
    try {
      mkdirSync(path.join(out, 'existing'), { mode: 0o700 });
      const targets: [string, string][] = [
        [path.join(out, 'existing'), path.join(out, 'existing', 'globex.sqlite')],
        [`${path.join(out, 'existing')}/`, path.join(out, 'existing', 'globex.sqlite')],
        [`${path.join(out, 'new')}/`, path.join(out, 'new', 'globex.sqlite')],
      ];
      for (const [target, file] of targets) {
        const result = await run('export', 'globex', '-o', target, '--force', '--json');
        expect(result.code, result.stderr).toBe(0);
        expect(json<{ file: string }>(result).file).toBe(file);
        expect(readFileSync(file).subarray(0, 15).toString('latin1')).toBe('SQLite format 3');
      }
      expect(statSync(path.join(out, 'new')).isDirectory()).toBe(true);
      // Relative to the working folder, like any -o.
      const relative = await silo(dir, ['export', 'globex', '-o', 'rel/'], { cwd: out });
      expect(relative.code, relative.stderr).toBe(0);
      expect(statSync(path.join(out, 'rel', 'globex.sqlite')).isFile()).toBe(true);
    } finally {
      done();
    }
  });

  it('refuses to import a file that is not SQLite, leaving nothing behind', async () => {
    const bogus = path.join(dir, 'notes.txt');
    // Owner-only like everything in the fleet folder (this one doubles as the working directory),
    // so doctor's permission check below stays clean.
    writeFileSync(bogus, 'this is not a database\n'.repeat(100), { mode: 0o600 });
    const result = await run('import', bogus, 'bogus', '--jurisdiction', 'eu');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^silo: .*not a SQLite database/);
    expect(result.stderr).not.toContain('    at ');
    const list = json<ListJson>(await run('instances', 'list', '--search', 'bogus', '--state', 'ready,failed,provisioning,deleted', '--json'));
    expect(list.total).toBe(0);
  });

  it('refuses a file failing SQLite\'s integrity check in a few lines, not one per damaged page', async () => {
    const { dir: work, cleanup: done } = tempDir('silo-damaged-');
    try {
      const file = path.join(work, 'damaged.sqlite');
      expect((await run('export', 'globex', '-o', file)).code).toBe(0);
      // Dozens of free pages, then the header forgets its free list: integrity_check reports
      // every one of them ("Page N: never used"), in one row of many lines.
      const db = new Database(file);
      db.pragma('journal_mode = DELETE');
      db.exec('CREATE TABLE junk (x BLOB); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 70) INSERT INTO junk SELECT randomblob(3000) FROM n; DROP TABLE junk;');
      db.close();
      const fd = openSync(file, 'r+');
      writeSync(fd, Buffer.alloc(8), 0, 8, 32);
      closeSync(fd);

      const refused = await run('import', file, 'damaged', '--jurisdiction', 'eu');
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^silo: The file was refused: SQLite's integrity check failed: /);
      expect(refused.stderr).toContain('never used');
      expect(refused.stderr).toMatch(/and \d+ more/);
      expect(refused.stderr.trimEnd().split('\n').length).toBeLessThanOrEqual(8);
      expect(refused.stderr.trimEnd()).toMatch(/Nothing was created\. \[IMPORT_REJECTED\]$/);
      const asJson = await run('import', file, 'damaged', '--jurisdiction', 'eu', '--json');
      // The fleet's own message names a few findings, one per damaged page, and counts the rest.
      const { error } = JSON.parse(asJson.stderr) as { error: { code: string; message: string } };
      expect(error.code).toBe('IMPORT_REJECTED');
      expect(error.message).toMatch(/integrity check failed: Page \d+: never used; Page \d+: never used; Page \d+: never used; and \d+ more\. Nothing was created\.$/);
      expect((await run('show', 'damaged')).code).toBe(3);
    } finally {
      done();
    }
  });

  it('migrate --status and migrate run on an up-to-date fleet', async () => {
    const status = json<{ latestVersion: number; behind: number }>(await run('migrate', '--status', '--json'));
    expect(status.latestVersion).toBeGreaterThanOrEqual(1);
    expect(status.behind).toBe(0);
    const text = await run('migrate', '--status');
    expect(text.stdout).toContain('latest schema version');

    const migrate = await run('migrate');
    expect(migrate.code).toBe(0);
    expect(migrate.stdout).toContain('nothing to migrate');
  });

  it('doctor exits 0 on a clean fleet', async () => {
    const doctor = await run('doctor', '--deep');
    expect(doctor.stderr).toBe('');
    expect(doctor.code).toBe(0);
    expect(doctor.stdout).toContain('No problems need attention');
    const report = json<{ orphans: string[]; missing: string[]; integrity: unknown[] }>(await run('doctor', '--scan', '--json'));
    expect(report).toMatchObject({ orphans: [], missing: [], integrity: [] });
  });
});
