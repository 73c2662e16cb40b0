import { cpSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { startPostgres } from '../postgres';
import { benchFleet, localFile, log, scratch, todoSchema } from '../setup';
import { pairedRatios, pairedRow, type BenchRow } from '../report';
import { figure, repeat } from '../stats';

/** A deterministic pseudo-random sequence, so both designs see the same workload. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

type Op = { kind: 'add' | 'toggle' | 'list'; tenant: number };

function workload(tenants: number, operations: number): Op[] {
  const next = random(42);
  return Array.from({ length: operations }, () => {
    const roll = next();
    return { kind: roll < 0.3 ? 'add' : roll < 0.5 ? 'toggle' : 'list', tenant: Math.floor(next() * tenants) };
  });
}

/** The app's todos table (apps/todos/migrations) in a shared file: tenant_id added, and leading its indexes. */
const SHARED_TODOS = `CREATE TABLE todos (
  id          INTEGER PRIMARY KEY,
  tenant_id   INTEGER NOT NULL,
  title       TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 1000),
  completed   INTEGER NOT NULL DEFAULT 0 CHECK (completed IN (0, 1)),
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX todos_tenant ON todos (tenant_id, id);
CREATE INDEX todos_completed ON todos (tenant_id, completed);`;

/** The shared table as row 6a had it before: fewer checks and one index fewer than the app's. */
const BARE_TODOS = `CREATE TABLE todos (id INTEGER PRIMARY KEY, tenant_id INTEGER NOT NULL, title TEXT NOT NULL,
  completed INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE INDEX todos_tenant ON todos (tenant_id, id);`;

/** The workload's statements on a tenant's own file (no tenant_id). */
const TENANT_SQL = {
  add: 'INSERT INTO todos (title, created_at, updated_at) VALUES (?, ?, ?)',
  toggle: 'UPDATE todos SET completed = 1 - completed, updated_at = ? WHERE id = (SELECT max(id) FROM todos)',
  list: 'SELECT id, title, completed FROM todos ORDER BY id',
};

function oneLine(sql: string): string {
  return sql.replace(/\s+/g, ' ').trim();
}

/**
 * The workload on one shared SQLite file with this table; ops/s. Each tenant gets the same
 * warm-up as each tenant file (one of each operation), so both designs hold the same rows.
 */
function sharedSqlite(ops: readonly Op[], table: string, tenants: number): number {
  const db = new Database(path.join(scratch('shared'), 'shared.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(table);
    const add = db.prepare('INSERT INTO todos (tenant_id, title, created_at, updated_at) VALUES (?, ?, ?, ?)');
    const toggle = db.prepare('UPDATE todos SET completed = 1 - completed, updated_at = ? WHERE id = (SELECT max(id) FROM todos WHERE tenant_id = ?)');
    const list = db.prepare('SELECT id, title, completed FROM todos WHERE tenant_id = ? ORDER BY id');
    for (let tenant = 0; tenant < tenants; tenant++) {
      add.run(tenant, 'warm-up', Date.now(), Date.now());
      toggle.run(Date.now(), tenant);
      list.all(tenant);
    }
    const started = performance.now();
    for (const op of ops) {
      if (op.kind === 'add') add.run(op.tenant, 'a todo', Date.now(), Date.now());
      else if (op.kind === 'toggle') toggle.run(Date.now(), op.tenant);
      else list.all(op.tenant);
    }
    return ops.length / ((performance.now() - started) / 1000);
  } finally {
    db.close();
  }
}

/**
 * 6. The design users would pick instead: one shared SQLite file with a tenant_id column,
 * against Silo's file per tenant through the fleet (catalog lookup + handle cache per operation).
 * Silo is measured in its steady state: every tenant's handle open and WAL started, as on a
 * server where these tenants are active (the first touch of each is row 7c's figure).
 */
export async function sharedVsSiloBench(size: { tenants: number; operations: number; runs: number }): Promise<BenchRow[]> {
  const ops = workload(size.tenants, size.operations);
  const silo: number[] = [];
  const shared: number[] = [];
  const bare: number[] = [];
  const postgres: number[] = [];
  const rawFiles: number[] = [];
  let handleCap = 0;
  const server = await startPostgres();
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    await repeat(size.runs, async (run) => {
      // Shared database, tenant_id in every row and index: the app's own table, and the bare one.
      shared.push(sharedSqlite(ops, SHARED_TODOS, size.tenants));
      bare.push(sharedSqlite(ops, BARE_TODOS, size.tenants));
      let started: number;

      const dataDir = scratch('per-tenant');
      const setup = await benchFleet(dataDir);
      for (let t = 0; t < size.tenants; t++) await setup.create(`tenant-${t}`, { jurisdiction: t % 2 ? 'eu' : 'us' });
      const files = Array.from({ length: size.tenants }, (_, t) => localFile(setup, setup.require(`tenant-${t}`).dbUrl));
      await setup.close();
      // The same tenant files with bare better-sqlite3 handles, all open, no fleet: what one file
      // per tenant costs SQLite itself, apart from what Silo adds. On a copy of the files as the
      // fleet left them (closed, WAL checkpointed), so Silo's lists do not also return the
      // rows this loop adds, and neither side gets the other's cache.
      const copy = scratch('per-tenant-raw');
      cpSync(dataDir, copy, { recursive: true });
      rawFiles.push(rawPerTenantFiles(ops, files.map((file) => path.join(copy, path.relative(dataDir, file)))));

      const fleet = await benchFleet(dataDir);
      // Steady state: each tenant's handle open and its three statements prepared, by one of each operation.
      for (let t = 0; t < size.tenants; t++) {
        await fleet.withInstance(`tenant-${t}`, async (db) => {
          await db.execute(TENANT_SQL.add, ['warm-up', Date.now(), Date.now()]);
          await db.execute(TENANT_SQL.toggle, [Date.now()]);
          await db.execute(TENANT_SQL.list);
        });
      }
      handleCap = fleet.settings.handleCap;
      started = performance.now();
      for (const op of ops) {
        const handle = await fleet.open(`tenant-${op.tenant}`);
        try {
          if (op.kind === 'add') await handle.db.execute(TENANT_SQL.add, ['a todo', Date.now(), Date.now()]);
          else if (op.kind === 'toggle') await handle.db.execute(TENANT_SQL.toggle, [Date.now()]);
          else await handle.db.execute(TENANT_SQL.list);
        } finally {
          handle.release();
        }
        fleet.touch(`tenant-${op.tenant}`);
      }
      silo.push(ops.length / ((performance.now() - started) / 1000));
      await fleet.close();

      // Shared PostgreSQL, the same table shape, one connection, one statement per operation.
      await client.query('DROP TABLE IF EXISTS todos');
      await client.query(`CREATE TABLE todos (id BIGSERIAL PRIMARY KEY, tenant_id INTEGER NOT NULL, title TEXT NOT NULL,
                          completed BOOLEAN NOT NULL DEFAULT false, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL);
                          CREATE INDEX todos_tenant ON todos (tenant_id, id);`);
      started = performance.now();
      for (const op of ops) {
        if (op.kind === 'add') {
          await client.query({ name: 'add', text: 'INSERT INTO todos (tenant_id, title, created_at, updated_at) VALUES ($1, $2, $3, $4)', values: [op.tenant, 'a todo', Date.now(), Date.now()] });
        } else if (op.kind === 'toggle') {
          await client.query({ name: 'toggle', text: 'UPDATE todos SET completed = NOT completed, updated_at = $1 WHERE id = (SELECT max(id) FROM todos WHERE tenant_id = $2)', values: [Date.now(), op.tenant] });
        } else {
          await client.query({ name: 'list', text: 'SELECT id, title, completed FROM todos WHERE tenant_id = $1 ORDER BY id', values: [op.tenant] });
        }
      }
      postgres.push(ops.length / ((performance.now() - started) / 1000));
      log(`  shared vs per-tenant run ${run + 1}: shared SQLite ${Math.round(shared.at(-1) ?? 0)} (bare table ${Math.round(bare.at(-1) ?? 0)}), shared PostgreSQL ${Math.round(postgres.at(-1) ?? 0)}, Silo ${Math.round(silo.at(-1) ?? 0)} ops/s`);
    });
  } finally {
    await client.end();
    server.stop();
  }
  const bareRatios = pairedRatios(silo, bare, 'throughput');
  const rawRatios = pairedRatios(silo, rawFiles, 'throughput');
  return [pairedRow({
    id: '6a',
    title: `TODO workload at the data layer over ${size.tenants.toLocaleString('en-US')} tenants (30% add, 20% toggle, 50% list)`,
    unit: 'ops/s',
    baselineLabel: "one shared SQLite file with tenant_id: the app's todos table (its checks, STRICT), its indexes led by tenant_id, one row per tenant before timing as in the tenant files",
    goal: { maxRatio: 1.25, text: "≥ 0.8× the shared file's ops/s (ratio ≤ 1.25×, per run)" },
    details: {
      'Silo path': `fleet.open (catalog lookup + LRU handle, default cap ${handleCap}) → execute → release → touch, per operation; steady state (each tenant opened and each of the three statements run once before timing, in every design)`,
      operations: `${size.operations.toLocaleString('en-US')} per run, same seeded sequence for both designs; schema ${todoSchema.id} v${todoSchema.latestVersion}`,
      'shared table': `the tenant's table plus tenant_id, so both designs check and index the same things: ${oneLine(SHARED_TODOS)}`,
      'against the same tenant files without Silo': `better-sqlite3 handles on the same ${size.tenants.toLocaleString('en-US')} files, all open, WAL, synchronous=NORMAL, statements prepared once per file, each of the three statements run once per file before timing, on a copy of the files Silo starts from: ${Math.round(figure(rawFiles).median).toLocaleString('en-US')} ops/s; Silo against them ${rawRatios.median.toFixed(2)}× (${rawRatios.min.toFixed(2)}–${rawRatios.max.toFixed(2)}) per run, so what Silo adds is that share and the rest is one file per tenant`,
      'against a bare shared table': `no checks, not STRICT, no index on completed (the baseline until 2026-12-03): ${Math.round(figure(bare).median).toLocaleString('en-US')} ops/s, ratio ${bareRatios.median.toFixed(2)}× (${bareRatios.min.toFixed(2)}–${bareRatios.max.toFixed(2)}) per run`,
    },
    reproduce: 'npm run bench -- --only shared',
  }, { silo, baseline: shared, kind: 'throughput' }), pairedRow({
    id: '6b',
    title: `The same workload: shared PostgreSQL (tenant_id) against a database per tenant`,
    unit: 'ops/s',
    baselineLabel: 'one shared PostgreSQL (Debian, loopback, synchronous_commit=off) via pg',
    details: { 'PostgreSQL path': 'one connection, named prepared statements, one round trip per operation' },
    reproduce: 'npm run bench -- --only shared',
  }, { silo, baseline: postgres, kind: 'throughput' })];
}

/** ops/s of the workload on bare better-sqlite3 handles, one per tenant file, all open. */
function rawPerTenantFiles(ops: readonly Op[], files: readonly string[]): number {
  const handles = files.map((file) => {
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    return {
      db,
      add: db.prepare(TENANT_SQL.add),
      toggle: db.prepare(TENANT_SQL.toggle),
      list: db.prepare(TENANT_SQL.list),
    };
  });
  // Warm, as the fleet's handles are before its timing: one of each operation, pages cached.
  for (const handle of handles) {
    handle.add.run('warm-up', Date.now(), Date.now());
    handle.toggle.run(Date.now());
    handle.list.all();
  }
  const started = performance.now();
  for (const op of ops) {
    const handle = handles[op.tenant];
    if (!handle) throw new Error(`no file for tenant ${op.tenant}`);
    if (op.kind === 'add') handle.add.run('a todo', Date.now(), Date.now());
    else if (op.kind === 'toggle') handle.toggle.run(Date.now());
    else handle.list.all();
  }
  const opsPerSecond = ops.length / ((performance.now() - started) / 1000);
  for (const { db } of handles) db.close();
  return opsPerSecond;
}
