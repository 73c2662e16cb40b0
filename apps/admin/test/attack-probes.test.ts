/**
 * The outside review's probes (issue #13) tried again on the merged admin console: read-only
 * SQL in spellings the first fixes' tests did not try, checked on the disk rather than by the
 * answer, and the modes of every file the console's own work leaves in the data folder.
 */
import { lstatSync, readFileSync, readdirSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFleet } from '@silo/fleet';
import { Client, removeDir, signedInAdmin, startServer, tempDataDir, text, todoExport, todoSchema, type AdminServer } from './helpers';

const EMAIL = 'admin@localhost';
const PASSWORD = 'attack-probes-password-1';

/** Every file and folder under `dir`. */
function entriesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).map((entry) => path.join(entry.parentPath, entry.name));
}

describe('admin console attack probes', () => {
  let server: AdminServer;
  let dataDir: string;
  let work: string;
  let admin: Client;
  let tenantFile: string;

  beforeAll(async () => {
    dataDir = tempDataDir();
    work = tempDataDir();
    const fleet = await openFleet({ schema: await todoSchema(), dataDir });
    await fleet.create('acme', { jurisdiction: 'eu', actor: 'seed' });
    await fleet.query('acme', "INSERT INTO todos (title, created_at, updated_at) VALUES ('secret', 0, 0)", [], { readOnly: false });
    await fleet.close();
    tenantFile = entriesUnder(dataDir).find((file) => file.endsWith(`${path.sep}acme.db`)) ?? '';
    ({ server, admin } = await signedInAdmin({ dataDir, password: PASSWORD, env: { TMPDIR: work } }));
  });

  afterAll(async () => {
    await server?.stop();
    if (dataDir) removeDir(dataDir);
    if (work) removeDir(work);
  });

  it('finding 1: no read-only console statement or fleet query changes a byte or makes a file, in any spelling', async () => {
    const target = path.join(work, 'copy.db');
    // A first plain read: SQLite's own -wal and -shm beside the file may appear for it.
    expect(text(await (await admin.post('/instances/acme/console', { sql: 'SELECT title FROM todos' })).text())).toContain('secret');
    const before = { bytes: readFileSync(tenantFile), mtime: statSync(tenantFile).mtimeMs, files: entriesUnder(path.dirname(tenantFile)).sort() };
    const attempts = [
      `VACUUM INTO '${target}'`,
      `/* c */ VaCuUm /* c */ "main" /* c */ InTo '${target}'`,
      `EXPLAIN VACUUM INTO '${target}'`,
      `ATTACH '${target}' AS x`,
      'PRAGMA main.user_version = 7',
      'PRAGMA "main"."writable_schema" = 1',
      'PRAGMA user_version(7)',
      "SELECT load_extension('/tmp/nothing')",
      "WITH x AS (SELECT 'cte') INSERT INTO todos (title, created_at, updated_at) SELECT *, 0, 0 FROM x",
      "UPDATE todos SET title = 'x' RETURNING *",
      'CREATE TEMP TABLE t (x)',
      "SELECT 1; DELETE FROM todos",
      'BEGIN IMMEDIATE',
      'ANALYZE',
      'VACUUM',
    ];
    for (const sql of attempts) {
      const page = text(await (await admin.post('/instances/acme/console', { sql })).text());
      expect(page, sql).toMatch(/STATEMENT_REFUSED|QUERY_READ_ONLY|QUERY_FAILED|more than one statement/);
      const response = await admin.request('/query/stream', { method: 'POST', body: new URLSearchParams({ sql, q: 'acme' }), headers: { 'x-csrf-token': admin.csrf } });
      const events = (await response.text()).trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as { type: string });
      expect(events.filter((event) => event.type === 'ok'), sql).toEqual([]);
    }
    expect(readdirSync(work).filter((entry) => entry.startsWith('copy'))).toEqual([]);
    expect(readFileSync(tenantFile).equals(before.bytes)).toBe(true);
    expect(statSync(tenantFile).mtimeMs).toBe(before.mtime);
    expect(entriesUnder(path.dirname(tenantFile)).sort()).toEqual(before.files);
  });

  it('finding 8: after an upload import, a console write, an export and a fleet query, every folder is 0700 and every file 0600', async () => {
    const file = await todoExport(work, 3);
    const imported = await admin.postMultipart('/?index', [
      { name: 'csrf', value: admin.csrf },
      { name: 'intent', value: 'import' },
      { name: 'name', value: 'uploaded' },
      { name: 'jurisdiction', value: 'us' },
      { name: 'region', value: '' },
      // After the fields: the upload streams into the region they name (ADR 16).
      { name: 'file', filename: 'three.sqlite', path: file },
    ]);
    expect(imported.status).toBe(302);
    expect(text(await (await admin.post('/instances/uploaded/console', { sql: "INSERT INTO todos (title, created_at, updated_at) VALUES ('w', 0, 0)", mode: 'write' })).text())).not.toContain('REFUSED');
    const exported = await admin.post('/instances/uploaded/export', {});
    expect(exported.status).toBe(200);
    await exported.arrayBuffer();
    await (await admin.request('/query/stream', { method: 'POST', body: new URLSearchParams({ sql: 'SELECT count(*) FROM todos', q: '' }), headers: { 'x-csrf-token': admin.csrf } })).text();
    // A temporary file (the export's staged copy) can be removed between the listing and its
    // lstat: a file that is gone is not a loose one.
    const statOf = (entry: string): Stats | undefined => {
      try {
        return lstatSync(entry);
      } catch {
        return undefined;
      }
    };
    const loose = entriesUnder(dataDir)
      .map((entry) => ({ entry, stat: statOf(entry) }))
      .filter(({ stat }) => stat !== undefined && (stat.mode & 0o777) !== (stat.isDirectory() ? 0o700 : 0o600))
      .map(({ entry, stat }) => `${entry} ${((stat?.mode ?? 0) & 0o777).toString(8)}`);
    expect(loose).toEqual([]);
  });

  it('finding 7: sign-in guesses from fresh addresses of one IPv6 /64 share one budget; the admin elsewhere still signs in', async () => {
    const proxiedDir = tempDataDir();
    const proxied = await startServer(proxiedDir, { ADMIN_PASSWORD: PASSWORD, ADMIN_SIGNIN_ATTEMPTS: '3', SILO_TRUST_PROXY: '1' });
    try {
      const attempt = async (xff: string, password: string): Promise<number> => {
        const client = new Client(proxied.url);
        const response = await client.request('/login', { method: 'POST', body: new URLSearchParams({ email: EMAIL, password, next: '/' }), headers: { 'x-forwarded-for': xff } });
        return response.status;
      };
      const codes: number[] = [];
      for (let i = 1; i <= 6; i++) codes.push(await attempt(`2001:db8:bad:1::${i.toString(16)}`, 'not-the-password'));
      expect(codes).toEqual([401, 401, 401, 429, 429, 429]);
      expect(await attempt('2001:db8:900d:1::1', PASSWORD)).toBe(302);
    } finally {
      await proxied.stop();
      removeDir(proxiedDir);
    }
  });
});
