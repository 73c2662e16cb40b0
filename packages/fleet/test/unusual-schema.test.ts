/**
 * The fleet with a tenant schema unlike the TODO app's: FTS5 (external content and its own,
 * with shadow tables), WITHOUT ROWID, AUTOINCREMENT, triggers, views, partial and expression
 * indexes, generated columns, STRICT tables, cascading foreign keys, blobs of a few hundred KB,
 * names that need quoting, and a migration that rebuilds a parent table (SQLite's 12 steps).
 * Every fleet operation must keep such a database exactly: rows, counters, search results and
 * triggers that still fire.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineTenantSchema, openFleet, type Fleet, type Migration, type QueryAllEvent, type SqlValue, type TenantConnection, type TenantSchema, type TursoSettingsInput } from '../src/index';
import { metricsSqlOf } from '../src/internal';
import { defineConfig, loadSiloConfig } from '../src/index';
import { tempDir, tempFleet } from './helpers';
import { startStandinProcess, type StandinProcess } from './turso-standin';

const V1 = `
CREATE TABLE "order" (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  "customer name" TEXT NOT NULL,
  "select" TEXT,
  total_cents INTEGER NOT NULL,
  total_eur REAL GENERATED ALWAYS AS (total_cents / 100.0) VIRTUAL,
  "shout it's" TEXT GENERATED ALWAYS AS (upper("customer name")) STORED,
  status TEXT NOT NULL DEFAULT 'open'
);
CREATE TABLE "order line" (
  id INTEGER PRIMARY KEY,
  order_id INTEGER NOT NULL REFERENCES "order" (id) ON DELETE CASCADE,
  sku TEXT NOT NULL,
  qty INTEGER NOT NULL CHECK (qty > 0)
) STRICT;
CREATE TABLE attachment (
  id INTEGER PRIMARY KEY,
  order_id INTEGER NOT NULL REFERENCES "order" (id) ON DELETE CASCADE,
  data BLOB NOT NULL
) STRICT;
CREATE TABLE "key ""value""" (k TEXT PRIMARY KEY, v BLOB, n INTEGER) WITHOUT ROWID, STRICT;
CREATE TABLE history (id INTEGER PRIMARY KEY AUTOINCREMENT, what TEXT NOT NULL);
CREATE TABLE doc (id INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT NOT NULL);
CREATE VIRTUAL TABLE doc_fts USING fts5(title, body, content='doc', content_rowid='id');
CREATE VIRTUAL TABLE "group notes" USING fts5("where", body, tokenize = 'porter unicode61');
CREATE TRIGGER doc_ai AFTER INSERT ON doc BEGIN
  INSERT INTO doc_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END;
CREATE TRIGGER doc_ad AFTER DELETE ON doc BEGIN
  INSERT INTO doc_fts (doc_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
END;
CREATE TRIGGER doc_au AFTER UPDATE ON doc BEGIN
  INSERT INTO doc_fts (doc_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
  INSERT INTO doc_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END;
CREATE TRIGGER "order placed" AFTER INSERT ON "order" BEGIN
  INSERT INTO history (what) VALUES ('placed ' || new.id || ' for ' || new."customer name");
END;
CREATE VIEW "open orders" AS
  SELECT o.id, o."customer name", o.total_eur, count(l.id) AS lines
  FROM "order" o LEFT JOIN "order line" l ON l.order_id = o.id
  WHERE o.status = 'open' GROUP BY o.id;
CREATE INDEX "order open" ON "order" ("customer name") WHERE status = 'open';
CREATE INDEX order_lower ON "order" (lower("customer name"), total_cents * 2);
CREATE UNIQUE INDEX line_sku ON "order line" (order_id, sku);
`;

/** SQLite's 12-step rebuild of a parent table (https://www.sqlite.org/lang_altertable.html#otheralter): a CHECK added. */
const V2 = `
DROP VIEW "open orders";
DROP TRIGGER "order placed";
CREATE TABLE new_order (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  "customer name" TEXT NOT NULL,
  "select" TEXT,
  total_cents INTEGER NOT NULL CHECK (total_cents >= 0),
  total_eur REAL GENERATED ALWAYS AS (total_cents / 100.0) VIRTUAL,
  "shout it's" TEXT GENERATED ALWAYS AS (upper("customer name")) STORED,
  status TEXT NOT NULL DEFAULT 'open',
  priority INTEGER NOT NULL DEFAULT 0
);
INSERT INTO new_order (id, "customer name", "select", total_cents, status)
  SELECT id, "customer name", "select", total_cents, status FROM "order";
-- AUTOINCREMENT's counter is the table's: carried over, so no deleted id is handed out again.
UPDATE sqlite_sequence SET seq = (SELECT seq FROM sqlite_sequence WHERE name = 'order') WHERE name = 'new_order';
DROP TABLE "order";
ALTER TABLE new_order RENAME TO "order";
CREATE INDEX "order open" ON "order" ("customer name") WHERE status = 'open';
CREATE INDEX order_lower ON "order" (lower("customer name"), total_cents * 2);
CREATE TRIGGER "order placed" AFTER INSERT ON "order" BEGIN
  INSERT INTO history (what) VALUES ('placed ' || new.id || ' for ' || new."customer name");
END;
CREATE VIEW "open orders" AS
  SELECT o.id, o."customer name", o.total_eur, o.priority, count(l.id) AS lines
  FROM "order" o LEFT JOIN "order line" l ON l.order_id = o.id
  WHERE o.status = 'open' GROUP BY o.id;
`;

/** Fails half-way, after writing: the instance must stay exactly at version 2. */
const V3_FAILING = `
CREATE TABLE extra (id INTEGER PRIMARY KEY);
INSERT INTO history (what) VALUES ('half a migration');
DELETE FROM doc;
INSERT INTO "order line" (order_id, sku, qty) VALUES (1, 'x', 0);
`;

const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'orders, docs and search', sql: V1 },
  { version: 2, name: 'rebuild order with a check', sql: V2 },
  { version: 3, name: 'fails', sql: V3_FAILING },
];

/** Deletes a parent row and counts on the cascade: migrations run with foreign keys off, so it must fail. */
const V3_ORPHANS = `DELETE FROM "order" WHERE id = 1;`;

const METRICS = [
  { name: 'orders', sql: 'SELECT count(*) FROM "order"' },
  { name: 'lines', sql: 'SELECT count(*) FROM "order line"' },
  { name: 'blob_bytes', sql: 'SELECT coalesce(sum(length(data)), 0) FROM attachment' },
];

function unusualSchema(version: number, third = V3_FAILING): TenantSchema {
  const migrations = MIGRATIONS.slice(0, version).map((migration) => (migration.version === 3 ? { ...migration, sql: third } : migration));
  return defineTenantSchema({ id: 'unusual', migrations, metricsSql: metricsSqlOf(METRICS) });
}

const BLOB_A = randomBytes(300 * 1024);
const BLOB_B = randomBytes(450 * 1024);

/** Rows of every kind, then deletions, so counters are ahead of the rows. */
async function seed(db: TenantConnection): Promise<void> {
  await db.batch([
    { sql: `INSERT INTO "order" ("customer name", "select", total_cents) VALUES (?, ?, ?)`, args: ["O'Brien & Co", 'express', 12_345] },
    { sql: `INSERT INTO "order" ("customer name", "select", total_cents, status) VALUES (?, ?, ?, 'closed')`, args: ['Zoë "Z" Smith', null, 999] },
    { sql: `INSERT INTO "order" ("customer name", total_cents) VALUES ('temporary', 1)` },
    { sql: `INSERT INTO "order line" (order_id, sku, qty) VALUES (1, 'apple', 3), (1, 'pear', 1), (2, 'fig', 7), (3, 'gone', 1)` },
    { sql: `INSERT INTO attachment (order_id, data) VALUES (1, ?), (2, ?), (3, ?)`, args: [BLOB_A, BLOB_B, Buffer.from('tiny')] },
    { sql: `INSERT INTO "key ""value""" (k, v, n) VALUES ('b', ?, 2), ('a', x'00ff00', 1), ('c', NULL, 3)`, args: [BLOB_A.subarray(0, 200 * 1024)] },
    { sql: `INSERT INTO doc (title, body) VALUES ('Shipping', 'Parcels leave on Mondays and Thursdays'), ('Returns', 'Return within thirty days'), ('Draft', 'to be deleted')` },
    { sql: `UPDATE doc SET body = 'Parcels leave on Mondays, Thursdays and holidays' WHERE title = 'Shipping'` },
    { sql: `DELETE FROM doc WHERE title = 'Draft'` },
    { sql: `INSERT INTO "group notes" ("where", body) VALUES ('office', 'running meetings weekly'), ('home', 'she runs home')` },
    // Deletes cascade to lines and attachments; the counters stay ahead.
    { sql: `DELETE FROM "order" WHERE id = 3` },
    { sql: `DELETE FROM history WHERE what LIKE 'placed 3%'` },
  ]);
}

function blobDigest(value: Uint8Array): string {
  return `blob:${value.byteLength}:${createHash('sha256').update(value).digest('hex').slice(0, 16)}`;
}

function plain(value: SqlValue | undefined): unknown {
  if (value instanceof Uint8Array) return blobDigest(value);
  if (typeof value === 'bigint') return Number(value);
  return value;
}

function quoted(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Everything an instance holds, comparable with toEqual: its schema objects, every table's
 * rows (virtual and shadow tables by what they answer), sqlite_sequence, and search results.
 */
async function contents(db: TenantConnection): Promise<Record<string, unknown>> {
  const schema = (await db.execute("SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE name NOT IN ('_silo_schema') AND name NOT LIKE 'sqlite_stat%' ORDER BY type, name")).rows;
  const tables = (await db.execute("SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite_stat%' AND name NOT IN ('_silo_schema', 'sqlite_schema', 'sqlite_temp_schema') ORDER BY name")).rows.map((row) => String(row['name']));
  const data: Record<string, unknown> = {};
  for (const table of tables) {
    const { rows } = await db.execute(`SELECT * FROM ${quoted(table)}`);
    data[table] = rows.map((row) => JSON.stringify(Object.entries(row).map(([key, value]) => [key, plain(value)]))).sort();
  }
  const search = async (sql: string): Promise<unknown[]> => (await db.execute(sql)).rows.map((row) => Object.values(row).map(plain));
  return {
    schema: schema.map((row) => [row['type'], row['name'], row['tbl_name'], row['sql']]),
    data,
    view: await search(`SELECT * FROM "open orders" ORDER BY id`),
    docSearch: await search(`SELECT rowid, title FROM doc_fts WHERE doc_fts MATCH 'thursdays OR thirty' ORDER BY rowid`),
    docGone: await search(`SELECT rowid FROM doc_fts WHERE doc_fts MATCH 'deleted'`),
    notesSearch: await search(`SELECT "where", highlight("group notes", 1, '[', ']') FROM "group notes" WHERE "group notes" MATCH 'run' ORDER BY rank, "where"`),
    ftsIntegrity: await search(`INSERT INTO doc_fts (doc_fts) VALUES ('integrity-check')`),
    foreignKeys: await search('PRAGMA foreign_key_check'),
    integrity: await search('PRAGMA integrity_check'),
  };
}

/** Triggers, cascades, CHECKs and counters still work: a write through each, then undone by what it returns. */
async function stillAlive(db: TenantConnection, version: number): Promise<void> {
  const before = Number((await db.execute(`SELECT seq FROM sqlite_sequence WHERE name = 'order'`)).rows[0]?.['seq']);
  const historyBefore = (await db.execute(`SELECT seq FROM sqlite_sequence WHERE name = 'history'`)).rows[0]?.['seq'] ?? null;
  const placed = await db.execute(`INSERT INTO "order" ("customer name", total_cents) VALUES ('trigger check', 5) RETURNING id`);
  const id = Number(placed.rows[0]?.['id']);
  // AUTOINCREMENT never reuses an id, even one of a deleted row.
  expect(id).toBe(before + 1);
  expect((await db.execute(`SELECT what FROM history WHERE what = ?`, [`placed ${id} for trigger check`])).rows).toHaveLength(1);
  await db.execute(`INSERT INTO "order line" (order_id, sku, qty) VALUES (?, 'x', 1)`, [id]);
  await expect(db.execute(`INSERT INTO "order line" (order_id, sku, qty) VALUES (?, 'y', 'many')`, [id])).rejects.toThrow(); // STRICT
  await expect(db.execute(`INSERT INTO "order line" (order_id, sku, qty) VALUES (?, 'z', 0)`, [id])).rejects.toThrow(); // CHECK
  await expect(db.execute(`INSERT INTO "order line" (order_id, sku, qty) VALUES (99999, 'z', 1)`)).rejects.toThrow(); // foreign key
  if (version >= 2) await expect(db.execute(`INSERT INTO "order" ("customer name", total_cents) VALUES ('neg', -1)`)).rejects.toThrow(); // v2's CHECK
  await db.execute(`DELETE FROM "order" WHERE id = ?`, [id]);
  expect((await db.execute(`SELECT count(*) AS n FROM "order line" WHERE order_id = ?`, [id])).rows[0]?.['n']).toBe(0); // cascade
  await db.execute(`DELETE FROM history WHERE what = ?`, [`placed ${id} for trigger check`]);
  const doc = await db.execute(`INSERT INTO doc (title, body) VALUES ('Probe', 'zebra crossing') RETURNING id`);
  expect((await db.execute(`SELECT rowid FROM doc_fts WHERE doc_fts MATCH 'zebra'`)).rows.map((row) => Number(row['rowid']))).toEqual([Number(doc.rows[0]?.['id'])]);
  await db.execute(`DELETE FROM doc WHERE title = 'Probe'`);
  expect((await db.execute(`SELECT rowid FROM doc_fts WHERE doc_fts MATCH 'zebra'`)).rows).toEqual([]);
  // The probe leaves its counter behind: put it back, so contents compare equal again.
  await db.execute(`UPDATE sqlite_sequence SET seq = ? WHERE name = 'order'`, [before]);
  if (historyBefore === null) await db.execute(`DELETE FROM sqlite_sequence WHERE name = 'history'`);
  else await db.execute(`UPDATE sqlite_sequence SET seq = ? WHERE name = 'history'`, [historyBefore]);
}

/** What seed() leaves, in numbers a reader can check. */
async function expectSeeded(db: TenantConnection, version: number): Promise<void> {
  const count = async (sql: string): Promise<number> => Number(Object.values((await db.execute(sql)).rows[0] ?? {})[0]);
  expect(await count(`SELECT count(*) FROM "order"`)).toBe(2);
  expect(await count(`SELECT count(*) FROM "order line"`)).toBe(3);
  expect(await count(`SELECT count(*) FROM attachment`)).toBe(2);
  expect(await count(`SELECT sum(length(data)) FROM attachment`)).toBe(BLOB_A.length + BLOB_B.length);
  expect(await count(`SELECT seq FROM sqlite_sequence WHERE name = 'order'`)).toBe(3);
  expect(await count(`SELECT total_eur * 100 FROM "order" WHERE id = 1`)).toBe(12_345);
  expect((await db.execute(`SELECT "shout it's" AS s FROM "order" WHERE id = 2`)).rows[0]?.['s']).toBe('ZOë "Z" SMITH'); // upper() folds ASCII only
  expect((await db.execute(`SELECT k FROM "key ""value""" ORDER BY k`)).rows.map((row) => row['k'])).toEqual(['a', 'b', 'c']);
  expect((await db.execute(`SELECT data FROM attachment WHERE order_id = 2`)).rows[0]?.['data']).toEqual(expect.objectContaining({ byteLength: BLOB_B.length }));
  expect(blobDigest((await db.execute(`SELECT data FROM attachment WHERE order_id = 2`)).rows[0]?.['data'] as Uint8Array)).toBe(blobDigest(BLOB_B));
  expect((await db.execute(`SELECT rowid FROM doc_fts WHERE doc_fts MATCH 'holidays'`)).rows.map((row) => Number(row['rowid']))).toEqual([1]);
  expect((await db.execute(`SELECT "where" AS w FROM "group notes" WHERE "group notes" MATCH 'run' ORDER BY 1`)).rows.map((row) => row['w'])).toEqual(['home', 'office']);
  if (version >= 2) expect(await count(`SELECT count(*) FROM pragma_table_xinfo('order') WHERE name = 'priority'`)).toBe(1);
}

/** A console script: a trigger with two statements in its body, a write that fires it, names with quotes and semicolons. */
const SCRIPT = `
CREATE TRIGGER "line; audit" AFTER INSERT ON "order line" BEGIN
  INSERT INTO history (what) VALUES ('line ' || new.sku || '; qty ' || new.qty);
  UPDATE "order" SET status = 'open' WHERE id = new.order_id;
END;
INSERT INTO "order line" (order_id, sku, qty) VALUES (2, 'semi;colon', 2);
UPDATE "key ""value""" SET n = n + 10 WHERE k = 'a';
`;

async function expectScriptRan(fleet: Fleet, name: string): Promise<void> {
  expect((await fleet.query(name, `SELECT what FROM history WHERE what LIKE 'line %'`)).rows).toEqual([['line semi;colon; qty 2']]);
  expect((await fleet.query(name, `SELECT status FROM "order" WHERE id = 2`)).rows).toEqual([['open']]);
  expect((await fleet.query(name, `SELECT n FROM "key ""value""" WHERE k = 'a'`)).rows).toEqual([[11]]);
}

const EXPECTED_METRICS = { orders: 2, lines: 3, blob_bytes: BLOB_A.length + BLOB_B.length };

function metricsOf(fleet: Fleet, name: string): Record<string, number> {
  const { metrics } = fleet.require(name);
  return Object.fromEntries(Object.keys(EXPECTED_METRICS).map((key) => [key, metrics[key] as number]));
}

async function contentsOf(fleet: Fleet, name: string): Promise<Record<string, unknown>> {
  return fleet.withInstance(name, (db) => contents(db));
}

/** A clock tests move by hand. */
function manualClock(start = Date.UTC(2026, 0, 10, 12, 0, 0)): { now: () => number; advance: (ms: number) => void } {
  let current = start;
  return { now: () => current, advance: (ms) => (current += ms) };
}

describe('an unusual tenant schema on local files', () => {
  it('creates, opens and queries', async () => {
    const { fleet } = await tempFleet({ schema: unusualSchema(2) });
    await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.withInstance('acme', (db) => seed(db));
    await fleet.withInstance('acme', (db) => expectSeeded(db, 2));
    const before = await contentsOf(fleet, 'acme');
    expect(before['integrity']).toEqual([['ok']]);
    expect(before['foreignKeys']).toEqual([]);
    await fleet.withInstance('acme', (db) => stillAlive(db, 2));
    expect(await contentsOf(fleet, 'acme')).toEqual(before);
    const { rows } = await fleet.query('acme', `SELECT "customer name", total_eur FROM "open orders"`);
    expect(rows).toEqual([["O'Brien & Co", 123.45]]);
  });

  it('migrates a fleet through the 12-step rebuild of a parent table, keeping its children', async () => {
    const dataDir = tempDir();
    const old = await openFleet({ schema: unusualSchema(1), dataDir });
    await old.create('acme', { jurisdiction: 'eu' });
    await old.create('globex', { jurisdiction: 'us' });
    for (const name of ['acme', 'globex']) {
      await old.withInstance(name, (db) => seed(db));
      await old.withInstance(name, (db) => expectSeeded(db, 1));
    }
    await old.close();

    // The first instance of a run migrates on the main thread, the other on a migration thread.
    const { fleet } = await tempFleet({ schema: unusualSchema(2), dataDir });
    const report = await fleet.migrateAll({ concurrency: 2 });
    expect(report).toMatchObject({ migrated: 2, failed: 0 });
    for (const name of ['acme', 'globex']) {
      await fleet.withInstance(name, (db) => expectSeeded(db, 2));
      await fleet.withInstance(name, (db) => stillAlive(db, 2));
      expect((await contentsOf(fleet, name))['integrity']).toEqual([['ok']]);
    }
    // A migrated instance's export is the app's schema exactly: it imports as an upload.
    const file = path.join(dataDir, 'migrated.sqlite');
    await fleet.exportTo('acme', file);
    await fleet.importFile('acme-again', file, { jurisdiction: 'eu' });
    expect(await contentsOf(fleet, 'acme-again')).toEqual(await contentsOf(fleet, 'acme'));
  });

  it('rolls a failing migration back, leaving the instance usable at the old version', async () => {
    const dataDir = tempDir();
    const current = await openFleet({ schema: unusualSchema(2), dataDir });
    await current.create('acme', { jurisdiction: 'eu' });
    await current.withInstance('acme', (db) => seed(db));
    const before = await contentsOf(current, 'acme');
    await current.close();

    const next = await openFleet({ schema: unusualSchema(3), dataDir });
    const report = await next.migrateAll();
    expect(report).toMatchObject({ migrated: 0, failed: 1 });
    expect(await next.engine.schemaVersion(next.require('acme').dbUrl)).toBe(2);
    const single = await next.migrate('acme').catch((error: unknown) => error);
    expect(single).toMatchObject({ code: expect.any(String) });
    await next.close();

    const { fleet } = await tempFleet({ schema: unusualSchema(2), dataDir });
    expect(fleet.require('acme').schemaVersion).toBe(2);
    expect(await contentsOf(fleet, 'acme')).toEqual(before);
    await fleet.withInstance('acme', (db) => stillAlive(db, 2));
  });

  it('fails a migration that leaves rows breaking a foreign key, as SQLite would have refused them', async () => {
    const dataDir = tempDir();
    const current = await openFleet({ schema: unusualSchema(2), dataDir });
    await current.create('acme', { jurisdiction: 'eu' });
    await current.withInstance('acme', (db) => seed(db));
    const before = await contentsOf(current, 'acme');
    await current.close();

    const next = await openFleet({ schema: unusualSchema(3, V3_ORPHANS), dataDir });
    const report = await next.migrateAll();
    expect(report).toMatchObject({ migrated: 0, failed: 1 });
    expect(JSON.stringify(report.results)).toMatch(/breaking foreign keys \(order line → order, attachment → order|breaking foreign keys \(attachment → order, order line → order/);
    await next.close();
    const { fleet } = await tempFleet({ schema: unusualSchema(2), dataDir });
    expect(await contentsOf(fleet, 'acme')).toEqual(before);
  });

  it('migrates a tenant whose rows broke a foreign key before (written with foreign keys off), and fails only on new breakage', async () => {
    const migrations: Migration[] = [
      { version: 1, name: 'tables', sql: 'CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE child (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parent (id) ON DELETE CASCADE);' },
      { version: 2, name: 'a note', sql: 'ALTER TABLE child ADD COLUMN note TEXT;' },
      { version: 3, name: 'no parent 1', sql: 'DELETE FROM parent WHERE id = 1;' },
    ];
    const schema = (latest: number): TenantSchema => defineTenantSchema({ id: 'keys', migrations: migrations.slice(0, latest) });
    const dataDir = tempDir();
    const first = await openFleet({ schema: schema(1), dataDir });
    await first.create('acme', { jurisdiction: 'eu' });
    await first.withInstance('acme', async (db) => {
      await db.execute('INSERT INTO parent (id) VALUES (1)');
      await db.execute('INSERT INTO child (id, parent) VALUES (10, 1)');
    });
    await first.close();
    // A client that turned foreign keys off left a child without its parent.
    const second = await openFleet({ schema: schema(1), dataDir });
    await second.withInstance('acme', async (db) => {
      await db.execute('PRAGMA foreign_keys = OFF');
      await db.execute('INSERT INTO child (id, parent) VALUES (20, 99)');
      await db.execute('PRAGMA foreign_keys = ON');
    });
    await second.close();

    const next = await openFleet({ schema: schema(2), dataDir });
    expect(await next.migrateAll()).toMatchObject({ migrated: 1, failed: 0 });
    await next.close();
    const last = await openFleet({ schema: schema(3), dataDir });
    const report = await last.migrateAll();
    expect(report).toMatchObject({ migrated: 0, failed: 1 });
    expect(JSON.stringify(report.results)).toMatch(/leave 2 row\(s\) breaking foreign keys \(child → parent\), 1 before they ran/);
    await last.close();
    const { fleet } = await tempFleet({ schema: schema(2), dataDir });
    expect(fleet.require('acme').schemaVersion).toBe(2);
    expect(await fleet.withInstance('acme', async (db) => (await db.execute('SELECT id, parent FROM child ORDER BY id')).rows)).toEqual([
      { id: 10, parent: 1 },
      { id: 20, parent: 99 },
    ]);
  });

  it('clones, exports and re-imports identically, with metrics', async () => {
    const { fleet, dataDir } = await tempFleet({ schema: unusualSchema(2) });
    await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.withInstance('acme', (db) => seed(db));
    const original = await contentsOf(fleet, 'acme');

    const clone = await fleet.clone('acme', 'acme-copy');
    expect(clone.state).toBe('ready');
    expect(await contentsOf(fleet, 'acme-copy')).toEqual(original);
    expect(metricsOf(fleet, 'acme-copy')).toEqual(EXPECTED_METRICS);
    await fleet.withInstance('acme-copy', (db) => stillAlive(db, 2));

    const file = path.join(dataDir, 'acme.sqlite');
    await fleet.exportTo('acme', file);
    const imported = await fleet.importFile('acme-imported', file, { jurisdiction: 'us' });
    expect(imported.state).toBe('ready');
    expect(await contentsOf(fleet, 'acme-imported')).toEqual(original);
    expect(metricsOf(fleet, 'acme-imported')).toEqual(EXPECTED_METRICS);
    await fleet.withInstance('acme-imported', (db) => stillAlive(db, 2));

    // The imported instance's own export imports again to the same contents.
    const again = path.join(dataDir, 'again.sqlite');
    await fleet.exportTo('acme-imported', again);
    await fleet.importFile('acme-again', again, { jurisdiction: 'eu' });
    expect(await contentsOf(fleet, 'acme-again')).toEqual(original);

    // The stream a browser download gets is the same file.
    const streamed = await fleet.exportStream('acme');
    const chunks: Buffer[] = [];
    for await (const chunk of streamed.stream) chunks.push(chunk as Buffer);
    const streamedFile = path.join(dataDir, 'streamed.sqlite');
    writeFileSync(streamedFile, Buffer.concat(chunks));
    await fleet.importFile('acme-streamed', streamedFile, { jurisdiction: 'eu' });
    expect(await contentsOf(fleet, 'acme-streamed')).toEqual(original);
  });

  it('redacts an export as the app\'s own connection would delete: cascades and triggers included', async () => {
    const { fleet, dataDir } = await tempFleet({ schema: unusualSchema(2) });
    await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.withInstance('acme', (db) => seed(db));
    // The customer of order 1 asked to be forgotten: their order goes, and with it (ON DELETE
    // CASCADE) its lines and its 300 KB attachment; doc's trigger takes "Returns" out of search.
    const exported = await fleet.exportStream('acme', { redact: [`DELETE FROM "order" WHERE "customer name" = 'O''Brien & Co'`, `DELETE FROM doc WHERE title = 'Returns'`] });
    const chunks: Buffer[] = [];
    for await (const chunk of exported.stream) chunks.push(chunk as Buffer);
    const file = path.join(dataDir, 'redacted.sqlite');
    writeFileSync(file, Buffer.concat(chunks));
    // Nothing of the order is left in the file, not even as bytes of a free page.
    expect(Buffer.concat(chunks).includes(BLOB_A.subarray(250 * 1024, 250 * 1024 + 64))).toBe(false); // past what "key value" holds of it
    await fleet.importFile('acme-redacted', file, { jurisdiction: 'eu' });
    await fleet.withInstance('acme-redacted', async (db) => {
      expect((await db.execute(`SELECT count(*) AS n FROM "order line"`)).rows).toEqual([{ n: 1 }]);
      expect((await db.execute(`SELECT count(*) AS n FROM attachment`)).rows).toEqual([{ n: 1 }]);
      expect((await db.execute(`SELECT rowid FROM doc_fts WHERE doc_fts MATCH 'thirty'`)).rows).toEqual([]);
      expect((await db.execute('PRAGMA foreign_key_check')).rows).toEqual([]);
    });
    await fleet.withInstance('acme-redacted', (db) => stillAlive(db, 2));
  });

  it('imports an export of version 1 into a version 2 fleet, rebuilding on the way', async () => {
    const dataDir = tempDir();
    const old = await openFleet({ schema: unusualSchema(1), dataDir: tempDir() });
    await old.create('acme', { jurisdiction: 'eu' });
    await old.withInstance('acme', (db) => seed(db));
    const file = path.join(dataDir, 'v1.sqlite');
    await old.exportTo('acme', file);
    await old.close();
    const { fleet } = await tempFleet({ schema: unusualSchema(2) });
    await fleet.importFile('acme', file, { jurisdiction: 'eu' });
    await fleet.withInstance('acme', (db) => expectSeeded(db, 2));
    await fleet.withInstance('acme', (db) => stillAlive(db, 2));
  });

  it('backs up and restores as a new instance and in place', async () => {
    const clock = manualClock();
    const { fleet } = await tempFleet({ schema: unusualSchema(2), clock: clock.now });
    await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.withInstance('acme', (db) => seed(db));
    const good = await contentsOf(fleet, 'acme');
    expect(await fleet.backups.runCycle()).toMatchObject({ backedUp: 1, failed: 0 });
    const at = clock.now();
    clock.advance(60_000);
    await fleet.withInstance('acme', (db) =>
      db.batch([{ sql: `DELETE FROM "order" WHERE id = 1` }, { sql: `DELETE FROM doc` }, { sql: `DELETE FROM "key ""value"""` }]),
    );
    expect((await fleet.backups.runCycle()).failed).toBe(0);
    clock.advance(60_000);

    await fleet.backups.restore('acme', { at, as: 'acme-then' });
    expect(await contentsOf(fleet, 'acme-then')).toEqual(good);
    expect(metricsOf(fleet, 'acme-then')).toEqual(EXPECTED_METRICS);
    await fleet.withInstance('acme-then', (db) => stillAlive(db, 2));

    const broken = await contentsOf(fleet, 'acme');
    await fleet.backups.restore('acme', { at, inPlace: true });
    expect(await contentsOf(fleet, 'acme')).toEqual(good);
    expect(metricsOf(fleet, 'acme')).toEqual(EXPECTED_METRICS);
    await fleet.withInstance('acme', (db) => stillAlive(db, 2));
    clock.advance(60_000);
    await fleet.backups.undoRestore('acme');
    expect(await contentsOf(fleet, 'acme')).toEqual(broken);

    // Every point rebuilds and checks out.
    const verification = await fleet.backups.verify();
    expect(verification.failed, JSON.stringify(verification.results)).toBe(0);
    expect(verification.checked).toBeGreaterThan(0);
  });

  it('restores a point taken at version 1 into a fleet at version 2, migrating it through the rebuild', async () => {
    const clock = manualClock();
    const dataDir = tempDir();
    const old = await openFleet({ schema: unusualSchema(1), dataDir, clock: clock.now });
    await old.create('acme', { jurisdiction: 'eu' });
    await old.withInstance('acme', (db) => seed(db));
    expect(await old.backups.runCycle()).toMatchObject({ backedUp: 1, failed: 0 });
    const at = clock.now();
    await old.close();

    clock.advance(60_000);
    const { fleet } = await tempFleet({ schema: unusualSchema(2), dataDir, clock: clock.now });
    expect(await fleet.migrateAll()).toMatchObject({ migrated: 1, failed: 0 });
    const migrated = await contentsOf(fleet, 'acme');
    await fleet.backups.restore('acme', { at, as: 'acme-v1' });
    expect(fleet.require('acme-v1').schemaVersion).toBe(2);
    await fleet.withInstance('acme-v1', (db) => expectSeeded(db, 2));
    expect(await contentsOf(fleet, 'acme-v1')).toEqual(migrated);
    expect(metricsOf(fleet, 'acme-v1')).toEqual(EXPECTED_METRICS);
    await fleet.withInstance('acme-v1', (db) => stillAlive(db, 2));
  });

  it('runs a console write script whose trigger body holds semicolons, and quoted names', async () => {
    const { fleet } = await tempFleet({ schema: unusualSchema(2) });
    await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.withInstance('acme', (db) => seed(db));
    await fleet.query('acme', SCRIPT, undefined, { readOnly: false, script: true });
    await expectScriptRan(fleet, 'acme');
  });

  it('takes metrics whose SQL holds a semicolon in a string or a name, or ends in a comment', async () => {
    const metrics = [
      { name: 'semicolon_skus', label: 'SKUs with ;', sql: `SELECT count(*) FROM "order line" WHERE sku LIKE '%;%';` },
      { name: 'orders', label: 'Orders', sql: 'SELECT count(*) FROM "order" -- every order, open or not' },
    ];
    // As `silo.config.json` beside a migrations folder: loading checks each metric against the schema.
    const appDir = tempDir();
    mkdirSync(path.join(appDir, 'migrations'));
    MIGRATIONS.slice(0, 2).forEach((migration) => writeFileSync(path.join(appDir, 'migrations', `000${migration.version}_step.sql`), migration.sql));
    writeFileSync(path.join(appDir, 'silo.config.json'), JSON.stringify({ schema: { migrations: './migrations', id: 'unusual' }, metrics }));
    const { fleet: { schema } } = await loadSiloConfig({ cwd: appDir, env: {} });
    const { fleet } = await tempFleet({ schema });
    await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.withInstance('acme', (db) => seed(db));
    await fleet.withInstance('acme', (db) => db.execute(`INSERT INTO "order line" (order_id, sku, qty) VALUES (1, 'a;b', 1)`));
    await fleet.refreshMetrics('acme');
    expect(fleet.require('acme').metrics).toMatchObject({ semicolon_skus: 1, orders: 2 });
    // Two statements are still refused: a metric is one value.
    expect(() => defineConfig({ schema: unusualSchema(2), metrics: [{ name: 'two', label: 'Two', sql: 'SELECT 1; SELECT 2' }] })).toThrow(/one SELECT/);
  });

  it('queries every instance, and a deep doctor finds the fleet sound', async () => {
    const { fleet } = await tempFleet({ schema: unusualSchema(2) });
    for (const name of ['acme', 'globex']) await fleet.create(name, { jurisdiction: name === 'acme' ? 'eu' : 'us' });
    await fleet.withInstance('acme', (db) => seed(db));
    const events: QueryAllEvent[] = [];
    for await (const event of fleet.queryAll(`SELECT (SELECT count(*) FROM "open orders") AS open, (SELECT count(*) FROM doc_fts WHERE doc_fts MATCH 'parcels') AS hits, (SELECT sum(length(v)) FROM "key ""value""") AS kv`)) events.push(event);
    expect(events.map((event) => [event.instance, event.status, event.status === 'ok' ? event.rows : event.error]).sort()).toEqual([
      ['acme', 'ok', [[1, 1, 200 * 1024 + 3]]],
      ['globex', 'ok', [[0, 0, null]]],
    ]);
    const doctor = await fleet.doctor({ scanFiles: true, deep: true });
    expect(doctor).toMatchObject({ orphans: [], missing: [], integrity: [], versionsCorrected: [] });
  });
});

describe('an unusual tenant schema on turso (the stand-in)', () => {
  let standin: StandinProcess;
  let settings: TursoSettingsInput;
  let standinDir: string;

  beforeAll(async () => {
    standinDir = mkdtempSync(path.join(tmpdir(), 'silo-unusual-standin-'));
    standin = await startStandinProcess(standinDir, { notReadyMs: 0, moreGroups: [{ name: 'legacy-eu', location: 'fra' }] });
    settings = standin.settings;
  });

  afterAll(async () => {
    await standin?.stop();
    rmSync(standinDir, { recursive: true, force: true });
  });

  it('creates, migrates through the rebuild, clones, exports, imports and queries', async () => {
    const dataDir = tempDir();
    const turso = (version: number, prefix = 'odd-'): Promise<Fleet> =>
      openFleet({ schema: unusualSchema(version), dataDir, engineKind: 'turso', turso: { ...settings, databasePrefix: prefix, usageCacheMs: 0 } });
    const old = await turso(1);
    await old.create('acme', { jurisdiction: 'eu' });
    await old.withInstance('acme', (db) => seed(db));
    await old.withInstance('acme', (db) => expectSeeded(db, 1));
    await old.close();

    const fleet = await turso(2);
    try {
      expect(await fleet.migrateAll()).toMatchObject({ migrated: 1, failed: 0 });
      await fleet.withInstance('acme', (db) => expectSeeded(db, 2));
      const original = await contentsOf(fleet, 'acme');
      expect(original['integrity']).toEqual([['ok']]);
      await fleet.withInstance('acme', (db) => stillAlive(db, 2));
      expect(await contentsOf(fleet, 'acme')).toEqual(original);

      await fleet.clone('acme', 'acme-copy');
      expect(await contentsOf(fleet, 'acme-copy')).toEqual(original);
      expect(metricsOf(fleet, 'acme-copy')).toEqual(EXPECTED_METRICS);
      await fleet.withInstance('acme-copy', (db) => stillAlive(db, 2));
      await fleet.query('acme-copy', SCRIPT, undefined, { readOnly: false, script: true });
      await expectScriptRan(fleet, 'acme-copy');

      const file = path.join(tempDir(), 'acme.sqlite');
      await fleet.exportTo('acme', file);
      await fleet.importFile('acme-imported', file, { jurisdiction: 'us' });
      expect(await contentsOf(fleet, 'acme-imported')).toEqual(original);
      expect(metricsOf(fleet, 'acme-imported')).toEqual(EXPECTED_METRICS);
      await fleet.withInstance('acme-imported', (db) => stillAlive(db, 2));
      const again = path.join(tempDir(), 'again.sqlite');
      await fleet.exportTo('acme-imported', again);
      await fleet.importFile('acme-again', again, { jurisdiction: 'eu' });
      expect(await contentsOf(fleet, 'acme-again')).toEqual(original);

      // A file VACUUMed before its upload lists FTS5's shadow tables before their virtual table:
      // the console's query guard must still know the virtual table.
      const vacuumed = path.join(tempDir(), 'vacuumed.sqlite');
      await fleet.exportTo('acme', vacuumed);
      const Database = (await import('better-sqlite3')).default;
      const raw = new Database(vacuumed);
      raw.exec('VACUUM');
      raw.close();
      await fleet.importFile('acme-vacuumed', vacuumed, { jurisdiction: 'eu' });
      expect(await contentsOf(fleet, 'acme-vacuumed')).toEqual(original);
      expect((await fleet.query('acme-vacuumed', `SELECT rowid FROM doc_fts WHERE doc_fts MATCH 'holidays'`)).rows).toEqual([[1]]);
      expect((await fleet.query('acme-vacuumed', `SELECT count(*) FROM "group notes" WHERE "group notes" MATCH 'run'`)).rows).toEqual([[2]]);

      // A Turso export imports into a local fleet identically.
      const { fleet: local } = await tempFleet({ schema: unusualSchema(2) });
      await local.importFile('from-turso', file, { jurisdiction: 'eu' });
      expect(await contentsOf(local, 'from-turso')).toEqual(original);
      await local.withInstance('from-turso', (db) => stillAlive(db, 2));

      const events: QueryAllEvent[] = [];
      for await (const event of fleet.queryAll(`SELECT count(*) AS hits FROM doc_fts WHERE doc_fts MATCH 'parcels'`)) events.push(event);
      expect(events.map((event) => [event.instance, event.status === 'ok' ? event.rows : event.error]).sort()).toEqual([
        ['acme', [[1]]],
        ['acme-again', [[1]]],
        ['acme-copy', [[1]]],
        ['acme-imported', [[1]]],
        ['acme-vacuumed', [[1]]],
      ]);
      const snippets: QueryAllEvent[] = [];
      for await (const event of fleet.queryAll(`SELECT highlight("group notes", 1, '[', ']') FROM "group notes" WHERE "group notes" MATCH 'run' ORDER BY 1`)) snippets.push(event);
      expect(snippets.every((event) => event.status === 'ok' && JSON.stringify(event.rows) === JSON.stringify([['[running] meetings weekly'], ['she [runs] home']])), JSON.stringify(snippets)).toBe(true);
      const doctor = await fleet.doctor({ scanFiles: true, deep: true });
      expect(doctor).toMatchObject({ orphans: [], missing: [], integrity: [], versionsCorrected: [] });
    } finally {
      await fleet.close();
    }

    const failing = await turso(3);
    try {
      expect(await failing.migrateAll()).toMatchObject({ migrated: 0, failed: 5 });
    } finally {
      await failing.close();
    }
    const orphaning = await openFleet({ schema: unusualSchema(3, V3_ORPHANS), dataDir, engineKind: 'turso', turso: { ...settings, databasePrefix: 'odd-', usageCacheMs: 0 } });
    try {
      const report = await orphaning.migrateAll();
      expect(report).toMatchObject({ migrated: 0, failed: 5 });
      expect(JSON.stringify(report.results)).toMatch(/breaking foreign keys/);
    } finally {
      await orphaning.close();
    }
    const back = await turso(2);
    try {
      expect(back.require('acme').schemaVersion).toBe(2);
      await back.withInstance('acme', (db) => expectSeeded(db, 2));
      await back.withInstance('acme', (db) => stillAlive(db, 2));
    } finally {
      await back.close();
    }
  });

  /**
   * A local instance holding every kind of row, moved by a fleet whose engine is now Turso
   * (`turso` says where): the fleet (closed after the test) and what the instance held before.
   */
  async function movedToTurso(name: string, turso: TursoSettingsInput): Promise<{ fleet: Fleet; before: Record<string, unknown> }> {
    const dataDir = tempDir();
    const local = await openFleet({ schema: unusualSchema(2), dataDir });
    await local.create(name, { jurisdiction: 'eu' });
    await local.withInstance(name, (db) => seed(db));
    const before = await contentsOf(local, name);
    await local.close();

    const { fleet } = await tempFleet({ schema: unusualSchema(2), dataDir, engineKind: 'turso', turso: { usageCacheMs: 0, ...turso } });
    const report = await fleet.moveInstances({ to: 'turso' });
    expect(report.results.map((result) => [result.instance, result.status]), JSON.stringify(report)).toEqual([[name, 'moved']]);
    expect(fleet.require(name).engine).toBe('turso');
    return { fleet, before };
  }

  it('moves local instances to Turso, and branches one as it was a moment ago', async () => {
    const { fleet, before } = await movedToTurso('mover', { ...settings, databasePrefix: 'mv-odd-' });
    expect(await contentsOf(fleet, 'mover')).toEqual(before);
    await fleet.withInstance('mover', (db) => stillAlive(db, 2));
    expect((await fleet.query('mover', `SELECT "where" FROM "group notes" WHERE "group notes" MATCH 'run' ORDER BY 1`)).rows).toEqual([['home'], ['office']]);

    const moment = new Date();
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await fleet.withInstance('mover', (db) => db.batch([{ sql: `DELETE FROM "order"` }, { sql: `DELETE FROM doc` }]));
    await fleet.clone('mover', 'mover-then', { at: moment });
    expect(await contentsOf(fleet, 'mover-then')).toEqual(before);
    expect(metricsOf(fleet, 'mover-then')).toEqual(EXPECTED_METRICS);
    await fleet.withInstance('mover-then', (db) => stillAlive(db, 2));
  });

  it('loads an instance into a group off AWS as SQL (no file upload there), keeping every object', async () => {
    const { fleet, before } = await movedToTurso('by-sql', {
      ...settings,
      databasePrefix: 'sql-odd-',
      groups: { eu: 'legacy-eu', us: 'silo-us' },
      locations: { eu: ['fra'], us: ['aws-us-*'] },
    });
    const after = await contentsOf(fleet, 'by-sql');
    // FTS5 builds its index again from the rows: its shadow tables' bytes may differ, what it answers may not.
    const answers = ({ data, ...rest }: Record<string, unknown>): Record<string, unknown> => ({
      ...rest,
      data: Object.fromEntries(Object.entries(data as Record<string, unknown>).filter(([table]) => !/_(data|idx|docsize|config)$/.test(table))),
    });
    expect(answers(after)).toEqual(answers(before));
    await fleet.withInstance('by-sql', (db) => stillAlive(db, 2));
    const file = path.join(tempDir(), 'by-sql.sqlite');
    await fleet.exportTo('by-sql', file);
    const { fleet: back } = await tempFleet({ schema: unusualSchema(2) });
    await back.importFile('back', file, { jurisdiction: 'eu' });
    expect(answers(await contentsOf(back, 'back'))).toEqual(answers(before));
    await back.withInstance('back', (db) => stillAlive(db, 2));
  });
});
