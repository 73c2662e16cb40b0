import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { defineTenantSchema, openFleet, resolveSettings, settingsFromEnv, type QueryAllEvent } from '../src/index';
import { SAMPLE_MIGRATIONS, deadTempOf, fileOf, sampleSchema, tempDir, tempFleet } from './helpers';

describe('create and open', () => {
  it('creates a ready instance placed in a region of its jurisdiction', async () => {
    const { fleet, dataDir } = await tempFleet();
    const acme = await fleet.create('acme', { jurisdiction: 'eu', displayName: 'Acme Corp' });
    expect(acme).toMatchObject({ name: 'acme', displayName: 'Acme Corp', state: 'ready', jurisdiction: 'eu', region: 'eu-west', engine: 'local', schemaVersion: 2 });
    expect(acme.sizeBytes).toBeGreaterThan(0);
    expect(acme.dbUrl).toMatch(/^local:eu-west\/[0-9a-f]{2}\/acme\.db$/);
    const file = fileOf(acme.dbUrl, dataDir);
    expect(existsSync(file)).toBe(true);
    expect(file.startsWith(path.join(dataDir, 'regions', 'eu-west', 'tenants'))).toBe(true);
    const us = await fleet.create('initech', { jurisdiction: 'us' });
    expect(us.region).toBe('us-east');
    const central = await fleet.create('globex', { jurisdiction: 'eu', region: 'eu-central' });
    expect(central.region).toBe('eu-central');
  });

  it('refuses a region outside the jurisdiction, and unknown jurisdictions', async () => {
    const { fleet } = await tempFleet();
    await expect(fleet.create('acme', { jurisdiction: 'eu', region: 'us-east' })).rejects.toMatchObject({ code: 'JURISDICTION_VIOLATION' });
    await expect(fleet.create('acme', { jurisdiction: 'mars' })).rejects.toMatchObject({ code: 'UNKNOWN_JURISDICTION', message: expect.stringContaining('eu, us') });
    await expect(fleet.create('acme', { jurisdiction: 'eu', region: 'atlantis' })).rejects.toMatchObject({ code: 'UNKNOWN_REGION' });
    expect(fleet.list().total).toBe(0);
  });

  it('refuses a taken name, and a double submit creates one instance', async () => {
    const { fleet } = await tempFleet();
    const results = await Promise.allSettled([1, 2, 3].map(() => fleet.create('acme', { jurisdiction: 'eu' })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.code)).toEqual(['NAME_TAKEN', 'NAME_TAKEN']);
    expect(fleet.list().total).toBe(1);
  });

  it('opens ready instances only: unknown and deleted are not found', async () => {
    const { fleet } = await tempFleet();
    await expect(fleet.open('nobody')).rejects.toMatchObject({ code: 'INSTANCE_NOT_FOUND' });
    await expect(fleet.open('../etc/passwd')).rejects.toMatchObject({ code: 'INSTANCE_NOT_FOUND' });
    await fleet.create('acme', { jurisdiction: 'eu' });
    const result = await fleet.withInstance('acme', (db) => db.execute('SELECT count(*) AS n FROM notes'));
    expect(result.rows).toEqual([{ n: 0 }]);
    await fleet.delete('acme');
    await expect(fleet.open('acme')).rejects.toMatchObject({ code: 'INSTANCE_NOT_FOUND' });
  });

  it('refuses to open an instance behind the schema the code expects', async () => {
    const dataDir = tempDir();
    const old = await openFleet({ dataDir, schema: sampleSchema(1) });
    await old.create('acme', { jurisdiction: 'eu' });
    await old.close();
    const { fleet } = await tempFleet({ dataDir, schema: sampleSchema(2) });
    await expect(fleet.open('acme')).rejects.toMatchObject({ code: 'SCHEMA_BEHIND', message: expect.stringContaining('silo migrate') });
    await fleet.migrateAll();
    (await fleet.open('acme')).release();
  });
});

describe('a closed fleet', () => {
  it('answers FLEET_CLOSED from every part of its catalog, not a closed database\'s TypeError', async () => {
    const { fleet } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.close();
    for (const [part, use] of [
      ['admins', () => fleet.admins.list()],
      ['savedQueries', () => fleet.savedQueries],
      ['apiTokens', () => fleet.apiTokens.authenticate('silo_not_a_token')],
      ['tokenGenerations', () => fleet.tokenGenerations],
      ['find', () => fleet.find('acme')],
      ['require', () => fleet.require('acme')],
      ['list', () => fleet.list()],
      ['audit', () => fleet.audit()],
    ] as const) {
      expect(use, part).toThrow(expect.objectContaining({ code: 'FLEET_CLOSED' }));
    }
  });
});

describe('delete, restore and purge', () => {
  it('soft-deletes, restores and purges, each idempotent', async () => {
    const { fleet, dataDir } = await tempFleet();
    const acme = await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.withInstance('acme', (db) => db.execute("INSERT INTO notes (body) VALUES ('keep me')"));
    const deleted = await fleet.delete('acme');
    expect(deleted.state).toBe('deleted');
    expect(deleted.deletedAt).not.toBeNull();
    expect((await fleet.delete('acme')).state).toBe('deleted');
    await expect(fleet.create('acme', { jurisdiction: 'eu' })).rejects.toMatchObject({ code: 'NAME_TAKEN', message: expect.stringContaining('undelete it') });
    expect((await fleet.undelete('acme')).state).toBe('ready');
    expect((await fleet.undelete('acme')).state).toBe('ready');
    const rows = await fleet.withInstance('acme', (db) => db.execute('SELECT body FROM notes'));
    expect(rows.rows).toEqual([{ body: 'keep me' }]);

    await expect(fleet.purge('acme')).rejects.toMatchObject({ code: 'INVALID_STATE' });
    await fleet.delete('acme');
    expect(await fleet.purge('acme')).toEqual({ purged: true });
    expect(await fleet.purge('acme')).toEqual({ purged: false });
    expect(existsSync(fileOf(acme.dbUrl, dataDir))).toBe(false);
    expect(existsSync(`${fileOf(acme.dbUrl, dataDir)}-wal`)).toBe(false);
    await expect(fleet.undelete('acme')).rejects.toMatchObject({ code: 'INSTANCE_NOT_FOUND' });
    // The name is free again.
    expect((await fleet.create('acme', { jurisdiction: 'us' })).jurisdiction).toBe('us');
  });

  it('purges deletions older than the retention window, and only those', async () => {
    const { fleet } = await tempFleet({ retentionDays: 0 });
    await fleet.create('old-one', { jurisdiction: 'eu' });
    await fleet.create('kept-one', { jurisdiction: 'eu' });
    await fleet.delete('old-one');
    expect(await fleet.purgeExpired()).toEqual({ purged: ['old-one'], failed: [] });
    expect(fleet.list().items.map((i) => i.name)).toEqual(['kept-one']);
    expect(fleet.audit({ instance: 'old-one', operation: 'purge' }).items[0]).toMatchObject({ actor: 'retention', outcome: 'ok' });

    const { fleet: week } = await tempFleet({ retentionDays: 7 });
    await week.create('recent', { jurisdiction: 'eu' });
    await week.delete('recent');
    expect(await week.purgeExpired()).toEqual({ purged: [], failed: [] });
    expect(week.require('recent').state).toBe('deleted');
  });
});

describe('clone', () => {
  it('branches a live instance, records lineage both ways, and stays in the jurisdiction', async () => {
    const { fleet } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.withInstance('acme', (db) => db.execute("INSERT INTO notes (body) VALUES ('original')"));
    const copy = await fleet.clone('acme', undefined, { region: 'eu-central' });
    expect(copy).toMatchObject({ name: 'acme-copy', state: 'ready', jurisdiction: 'eu', region: 'eu-central', clonedFrom: { name: 'acme' } });
    expect((await fleet.clone('acme')).name).toBe('acme-copy-2');
    expect(fleet.require('acme').clones.map((c) => c.name)).toEqual(['acme-copy', 'acme-copy-2']);
    expect((await fleet.withInstance('acme-copy', (db) => db.execute('SELECT body FROM notes'))).rows).toEqual([{ body: 'original' }]);

    await expect(fleet.clone('acme', 'acme-us', { region: 'us-east' })).rejects.toMatchObject({ code: 'JURISDICTION_VIOLATION' });
    await expect(fleet.clone('acme', 'acme-us', { jurisdiction: 'us' })).rejects.toMatchObject({ code: 'JURISDICTION_VIOLATION' });
    await expect(fleet.clone('nobody', 'x-copy')).rejects.toMatchObject({ code: 'INSTANCE_NOT_FOUND' });
    await expect(fleet.clone('acme', 'acme-copy')).rejects.toMatchObject({ code: 'NAME_TAKEN' });
    expect(fleet.list({ search: 'acme-us' }).total).toBe(0);
  });

  it('keeps lineage readable after the source is purged', async () => {
    const { fleet } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.clone('acme', 'acme-branch');
    await fleet.delete('acme');
    await fleet.purge('acme');
    expect(fleet.require('acme-branch').clonedFrom).toMatchObject({ name: null });
  });

  it('refuses a point-in-time clone on local files, which keep no history, and creates nothing', async () => {
    const { fleet } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    await expect(fleet.clone('acme', 'acme-then', { at: new Date(Date.now() - 60_000) })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('keeps no history'),
    });
    expect(fleet.find('acme-then')).toBeUndefined();
  });
});

describe('export and import', () => {
  it('streams a consistent snapshot and removes the staged copy afterwards', async () => {
    const { fleet, dataDir } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.withInstance('acme', (db) => db.execute("INSERT INTO notes (body) VALUES ('exported')"));
    const exported = await fleet.exportStream('acme');
    expect(exported.fileName).toBe('acme.sqlite');
    const chunks: Buffer[] = [];
    for await (const chunk of exported.stream) chunks.push(chunk as Buffer);
    const file = path.join(tempDir(), 'download.sqlite');
    writeFileSync(file, Buffer.concat(chunks));
    expect(Buffer.concat(chunks).length).toBe(exported.sizeBytes);
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT body FROM notes').all()).toEqual([{ body: 'exported' }]);
    db.close();
    // The staged copy is removed once the stream closes, by an asynchronous rm.
    const staging = path.join(dataDir, 'regions', 'eu-west', 'staging');
    await expect.poll(() => (existsSync(staging) ? readdirSync(staging) : []), { timeout: 10_000 }).toEqual([]);
  });

  it('records a streamed export when its stream ends: ok once read to the end, an error when it is closed before', async () => {
    const { fleet } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    const entries = () => fleet.audit({ instance: 'acme', operation: 'export' }).items;

    const whole = await fleet.exportStream('acme', { actor: 'reader' });
    // Staged, not yet delivered: nothing to record.
    expect(entries()).toEqual([]);
    for await (const chunk of whole.stream) void chunk;
    await expect.poll(() => entries().map((entry) => [entry.outcome, entry.actor])).toEqual([['ok', 'reader']]);

    const cut = await fleet.exportStream('acme', { actor: 'leaver' });
    cut.stream.destroy();
    await expect.poll(() => entries().length).toBe(2);
    expect(entries()[0]).toMatchObject({ outcome: 'error', actor: 'leaver', error: `The download stopped after 0 of ${cut.sizeBytes} bytes were read.` });
  });

  it('redacts the staged copy when asked: removed values are gone from the bytes, the live database keeps them, nothing stays staged', async () => {
    const { fleet, dataDir } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    const secret = `secret-${'s'.repeat(200)}`;
    await fleet.withInstance('acme', (db) => db.batch([{ sql: "INSERT INTO notes (body) VALUES ('kept')" }, { sql: 'INSERT INTO notes (body) VALUES (?)', args: [secret] }]));
    const exported = await fleet.exportStream('acme', { redact: ['DELETE FROM notes WHERE body LIKE \'secret-%\''] });
    const chunks: Buffer[] = [];
    for await (const chunk of exported.stream) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    expect(bytes.length).toBe(exported.sizeBytes);
    // A plain DELETE leaves the value in a free page; the rebuilt file does not.
    expect(bytes.toString('latin1')).not.toContain(secret);
    const file = path.join(tempDir(), 'redacted.sqlite');
    writeFileSync(file, bytes);
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT body FROM notes').all()).toEqual([{ body: 'kept' }]);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
    expect((await fleet.withInstance('acme', (live) => live.execute('SELECT count(*) AS n FROM notes'))).rows[0]?.['n']).toBe(2);
    const staging = path.join(dataDir, 'regions', 'eu-west', 'staging');
    await expect.poll(() => (existsSync(staging) ? readdirSync(staging) : []), { timeout: 10_000 }).toEqual([]);
    // The operator's export without redaction is the full file.
    const full = path.join(tempDir(), 'full.sqlite');
    await fleet.exportTo('acme', full);
    const copy = new Database(full, { readonly: true });
    expect(copy.prepare('SELECT count(*) AS n FROM notes').get()).toEqual({ n: 2 });
    copy.close();
  });

  it('imports an exported file as a new instance in the chosen jurisdiction', async () => {
    const { fleet } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.withInstance('acme', (db) => db.execute("INSERT INTO notes (body) VALUES ('moving')"));
    const file = path.join(tempDir(), 'acme.sqlite');
    await fleet.exportTo('acme', file);
    const imported = await fleet.importFile('acme-us', file, { jurisdiction: 'us' });
    expect(imported).toMatchObject({ state: 'ready', jurisdiction: 'us', schemaVersion: 2 });
    expect((await fleet.withInstance('acme-us', (db) => db.execute('SELECT body FROM notes'))).rows).toEqual([{ body: 'moving' }]);
    // The schema's metrics are read from the imported data (the app has not written yet); the import counts as activity.
    expect(imported.metrics).toEqual({ notes: 1 });
    expect(imported.lastActiveAt).not.toBeNull();
  });

  it('refuses a bad upload, leaving no row, no file and a free name', async () => {
    const { fleet } = await tempFleet();
    const bad = path.join(tempDir(), 'notes.txt');
    writeFileSync(bad, 'this is not a database');
    await expect(fleet.importFile('upload', bad, { jurisdiction: 'eu' })).rejects.toMatchObject({ code: 'IMPORT_REJECTED' });
    expect(fleet.list({ state: ['provisioning', 'ready', 'failed', 'deleted'] }).total).toBe(0);
    const report = await fleet.doctor({ scanFiles: true });
    expect(report.orphans).toEqual([]);
    expect(report.leftoversRemoved).toEqual([]);
    expect(fleet.audit({ instance: 'upload' }).items[0]).toMatchObject({ outcome: 'error', error: expect.stringContaining('not a SQLite database') });
    await expect(fleet.importFile('upload', path.join(tempDir(), 'missing.sqlite'), { jurisdiction: 'eu' })).rejects.toMatchObject({ code: 'IMPORT_REJECTED' });
    await fleet.create('upload', { jurisdiction: 'eu' });
  });
});

describe('migrateAll', () => {
  async function fleetAtV1(count: number) {
    const dataDir = tempDir();
    const old = await openFleet({ dataDir, schema: sampleSchema(1) });
    for (let i = 0; i < count; i++) {
      await old.create(`shop-${i}`, { jurisdiction: i % 2 ? 'eu' : 'us' });
      await old.withInstance(`shop-${i}`, (db) => db.execute('INSERT INTO notes (body) VALUES (?)', [`note of ${i}`]));
    }
    await old.close();
    return dataDir;
  }

  it('reports what is pending, dry-runs without changing anything, then migrates every instance', async () => {
    const { fleet } = await tempFleet({ dataDir: await fleetAtV1(6) });
    expect(fleet.migrationStatus()).toMatchObject({ latestVersion: 2, behind: 6, pending: [{ version: 2, name: 'note tags', instances: 6 }] });

    const dry = await fleet.migrateAll({ dryRun: true });
    expect(dry).toMatchObject({ migrated: 6, failed: 0 });
    expect(dry.results.every((r) => r.status === 'would-migrate')).toBe(true);
    expect(fleet.migrationStatus().behind).toBe(6);

    const progress: number[] = [];
    const report = await fleet.migrateAll({ onProgress: (p) => progress.push(p.done) });
    expect(report).toMatchObject({ targetVersion: 2, migrated: 6, failed: 0 });
    expect(progress).toEqual([1, 2, 3, 4, 5, 6]);
    expect(fleet.migrationStatus().behind).toBe(0);
    const tagged = await fleet.withInstance('shop-3', (db) => db.execute('SELECT body, tag FROM notes'));
    expect(tagged.rows).toEqual([{ body: 'note of 3', tag: null }]);
    expect(fleet.audit({ operation: 'migrate-all' }).items[0]?.detail).toMatchObject({ migrated: 6, failed: 0 });
    // Nothing left to do: a second run is empty.
    expect((await fleet.migrateAll()).results).toEqual([]);
  });

  it('continues past a failing instance, never throws, and resumes', async () => {
    const dataDir = await fleetAtV1(5);
    const { fleet } = await tempFleet({ dataDir });
    // Sabotage one tenant so its migration fails: the column the migration adds already exists.
    await fleet.query('shop-2', 'ALTER TABLE notes ADD COLUMN tag TEXT', [], { readOnly: false });
    const report = await fleet.migrateAll({ concurrency: 3 });
    expect(report.failed).toBe(1);
    expect(report.migrated).toBe(4);
    const failure = report.results.find((r) => r.status === 'failed');
    expect(failure).toMatchObject({ instance: 'shop-2', from: 1, error: expect.stringContaining('duplicate column') });
    // The failed instance is untouched: still at version 1, its data intact.
    expect((await fleet.query('shop-2', 'PRAGMA user_version')).rows).toEqual([[1]]);
    expect(fleet.migrationStatus().behind).toBe(1);

    await fleet.query('shop-2', 'ALTER TABLE notes DROP COLUMN tag', [], { readOnly: false });
    const resumed = await fleet.migrateAll();
    expect(resumed.results.map((r) => [r.instance, r.status])).toEqual([['shop-2', 'migrated']]);
  });

  it('reports a broken migration per instance instead of throwing', async () => {
    const dataDir = await fleetAtV1(3);
    const broken = defineTenantSchema({
      id: 'sample',
      migrations: [...SAMPLE_MIGRATIONS.slice(0, 1), { version: 2, name: 'broken', sql: 'ALTER TABLE nope ADD COLUMN x' }],
    });
    const { fleet } = await tempFleet({ dataDir, schema: broken });
    const report = await fleet.migrateAll();
    expect(report).toMatchObject({ failed: 3, migrated: 0 });
    expect(report.results.every((r) => /no such table/.test(r.error ?? ''))).toBe(true);
  });
});

describe('queries', () => {
  it('runs read-only by default and audits writes', async () => {
    const { fleet } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    await expect(fleet.query('acme', "INSERT INTO notes (body) VALUES ('x')")).rejects.toMatchObject({ code: 'QUERY_READ_ONLY' });
    const write = await fleet.query('acme', "INSERT INTO notes (body) VALUES ('x')", [], { readOnly: false, actor: 'ops@example.com' });
    expect(write.rowsAffected).toBe(1);
    expect(fleet.audit({ instance: 'acme', operation: 'query (write)' }).items[0]).toMatchObject({
      actor: 'ops@example.com',
      outcome: 'ok',
      detail: { sql: "INSERT INTO notes (body) VALUES ('x')" },
    });
    await expect(fleet.query('nobody', 'SELECT 1')).rejects.toMatchObject({ code: 'INSTANCE_NOT_FOUND' });
    await expect(fleet.query('acme', 'SELEKT 1')).rejects.toMatchObject({ code: 'QUERY_FAILED', message: expect.stringContaining('syntax error') });
  });

  it('queries every matching instance, streaming rows and errors per instance', async () => {
    const { fleet } = await tempFleet();
    for (let i = 0; i < 6; i++) {
      await fleet.create(`shop-${i}`, { jurisdiction: i < 4 ? 'eu' : 'us' });
      await fleet.withInstance(`shop-${i}`, (db) => db.batch(Array.from({ length: i }, () => ({ sql: "INSERT INTO notes (body) VALUES ('n')" }))));
    }
    await fleet.create('deleted-shop', { jurisdiction: 'eu' });
    await fleet.delete('deleted-shop');
    await fleet.query('shop-1', 'DROP TABLE notes', [], { readOnly: false });

    const events: QueryAllEvent[] = [];
    for await (const event of fleet.queryAll('SELECT count(*) AS n FROM notes', { filter: { jurisdiction: 'eu' }, concurrency: 2 })) events.push(event);
    expect(events.map((e) => e.instance).sort()).toEqual(['shop-0', 'shop-1', 'shop-2', 'shop-3']);
    const counts = Object.fromEntries(events.filter((e) => e.status === 'ok').map((e) => [e.instance, e.status === 'ok' ? e.rows[0]?.[0] : null]));
    expect(counts).toEqual({ 'shop-0': 0, 'shop-2': 2, 'shop-3': 3 });
    expect(events.find((e) => e.instance === 'shop-1')).toMatchObject({ status: 'error', code: 'QUERY_FAILED', error: expect.stringContaining('no such table') });

    const writes: QueryAllEvent[] = [];
    for await (const event of fleet.queryAll('DELETE FROM notes')) writes.push(event);
    expect(writes.filter((e) => e.status === 'error')).toHaveLength(6);
  });
});

describe('catalog views', () => {
  it('lists with filters, search, sort and paging', async () => {
    const { fleet } = await tempFleet();
    for (const [name, jurisdiction] of [['acme', 'eu'], ['globex', 'eu'], ['initech', 'us'], ['umbrella', 'us'], ['hooli', 'us']] as const) {
      await fleet.create(name, { jurisdiction });
    }
    await fleet.delete('hooli');
    expect(fleet.list({ jurisdiction: 'us' }).total).toBe(3);
    expect(fleet.list({ state: 'ready', jurisdiction: 'us' }).items.map((i) => i.name)).toEqual(['initech', 'umbrella']);
    expect(fleet.list({ search: 'glo' }).items.map((i) => i.name)).toEqual(['globex']);
    expect(fleet.list({ search: '%' }).total).toBe(0);
    expect(fleet.list({ sort: 'name', order: 'desc', limit: 2 }).items.map((i) => i.name)).toEqual(['umbrella', 'initech']);
    const page2 = fleet.list({ sort: 'name', limit: 2, offset: 2 });
    expect(page2).toMatchObject({ total: 5 });
    expect(page2.items.map((i) => i.name)).toEqual(['hooli', 'initech']);
    expect(() => fleet.list({ sort: 'evil; DROP TABLE instances' as 'name' })).toThrow(/Unknown sort/);
  });

  it('batches activity and metrics into the catalog', async () => {
    const { fleet } = await tempFleet({ touchFlushMs: 60_000 });
    await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.create('globex', { jurisdiction: 'eu' });
    for (let i = 1; i <= 100; i++) fleet.touch('acme', { todos: i, completed: Math.floor(i / 2) });
    fleet.touch('globex', { todos: 3 });
    expect(fleet.require('acme').lastActiveAt).toBeNull();
    await fleet.flushActivity();
    const acme = fleet.require('acme');
    expect(acme.lastActiveAt).not.toBeNull();
    expect(acme.metrics).toEqual({ todos: 100, completed: 50 });
    expect(fleet.list({ sort: 'metric:todos', order: 'desc' }).items.map((i) => i.name)).toEqual(['acme', 'globex']);
    // Touching an unknown or deleted instance is harmless.
    fleet.touch('nobody', { todos: 1 });
    await fleet.flushActivity();
  });

  it('summarises the fleet for the admin overview', async () => {
    const { fleet } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.create('globex', { jurisdiction: 'eu' });
    await fleet.create('initech', { jurisdiction: 'us' });
    await fleet.delete('globex');
    fleet.touch('acme');
    await fleet.flushActivity();
    const overview = fleet.overview(7);
    const today = new Date().toISOString().slice(0, 10);
    expect(overview).toMatchObject({
      total: 3,
      activeLast24h: 1,
      byState: { ready: 2, deleted: 1 },
      byJurisdiction: { eu: 2, us: 1 },
      createdPerDay: [{ day: today, count: 3 }],
      lastActivePerDay: [{ day: today, count: 1 }],
    });
    expect(overview.sizeBytes).toBeGreaterThan(0);
  });

  it('records every operation in the audit log with actor and outcome', async () => {
    const { fleet } = await tempFleet({ actor: 'cli:test' });
    await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.clone('acme', 'acme-two', { actor: 'admin:alice' });
    await fleet.delete('acme-two');
    await expect(fleet.undelete('nobody')).rejects.toThrow();
    const { items, total } = fleet.audit();
    expect(total).toBe(4);
    expect(items.map((e) => [e.operation, e.instance, e.actor, e.outcome])).toEqual([
      ['undelete', 'nobody', 'cli:test', 'error'],
      ['delete', 'acme-two', 'cli:test', 'ok'],
      ['clone', 'acme-two', 'admin:alice', 'ok'],
      ['create', 'acme', 'cli:test', 'ok'],
    ]);
    expect(fleet.audit({ outcome: 'error' }).total).toBe(1);
  });
});

describe('doctor', () => {
  it('reports orphan files, removes leftovers and marks instances with missing files', async () => {
    const { fleet, dataDir } = await tempFleet();
    const acme = await fleet.create('acme', { jurisdiction: 'eu' });
    const lost = await fleet.create('lost', { jurisdiction: 'eu' });
    rmSync(fileOf(lost.dbUrl, dataDir));
    const orphan = path.join(dataDir, 'regions', 'us-east', 'tenants', 'zz', 'stray.db');
    mkdirSync(path.dirname(orphan), { recursive: true });
    copyFileSync(fileOf(acme.dbUrl, dataDir), orphan);
    const leftover = deadTempOf(fileOf(acme.dbUrl, dataDir));
    writeFileSync(leftover, 'partial');

    const report = await fleet.doctor({ scanFiles: true, deep: true });
    expect(report.orphans).toEqual([`local:us-east/zz/stray.db`]);
    expect(report.leftoversRemoved).toEqual([leftover]);
    expect(report.missing).toEqual(['lost']);
    expect(report.integrity).toEqual([]);
    expect(existsSync(leftover)).toBe(false);
    expect(existsSync(orphan)).toBe(true);
    expect(fleet.require('lost').state).toBe('failed');
  });

  it('doctor --deep re-reads the size and metrics of a file changed behind the catalog, as neither activity nor a write', async () => {
    const { fleet, dataDir } = await tempFleet();
    const acme = await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.withInstance('acme', (db) => db.execute("INSERT INTO notes (body) VALUES ('one')"));
    await fleet.refreshMetrics('acme');
    const before = fleet.require('acme');
    expect(before.metrics).toEqual({ notes: 1 });
    // As a restore killed after its swap leaves it: new content, the catalog's figures of the old.
    const file = new Database(fileOf(acme.dbUrl, dataDir));
    file.prepare('WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200) INSERT INTO notes (body) SELECT zeroblob(4000) FROM n').run();
    file.close();

    await fleet.doctor({ scanFiles: true, deep: true });
    const after = fleet.require('acme');
    expect(after.metrics).toEqual({ notes: 201 });
    expect(after.sizeBytes).toBe(await fleet.engine.sizeOf(acme.dbUrl));
    expect(after.sizeBytes).toBeGreaterThan(before.sizeBytes + 800_000);
    expect(after.lastActiveAt).toBe(before.lastActiveAt);
  });
});

describe('configuration', () => {
  it('reads settings from the environment and names the variable that is wrong', () => {
    expect(settingsFromEnv({ SILO_DATA_DIR: '/srv/silo', SILO_HANDLE_CAP: '50', SILO_REGIONS: 'fra=eu,nyc=us:/mnt/us' })).toEqual({
      dataDir: '/srv/silo',
      handleCap: 50,
      regions: [{ id: 'fra', jurisdiction: 'eu' }, { id: 'nyc', jurisdiction: 'us', dataDir: '/mnt/us' }],
    });
    expect(() => settingsFromEnv({ SILO_HANDLE_CAP: 'many' })).toThrow(/SILO_HANDLE_CAP must be an integer/);
    expect(() => settingsFromEnv({ SILO_REGIONS: 'fra' })).toThrow(/SILO_REGIONS/);
    expect(() => resolveSettings({ dataDir: 'x', handleCap: 0 })).toThrow(/handleCap/);
    expect(() => resolveSettings({ dataDir: 'x', regions: [{ id: 'a1', jurisdiction: 'eu' }, { id: 'a1', jurisdiction: 'us' }] })).toThrow(/twice/);
    const settings = resolveSettings({ dataDir: '/srv/silo', regions: [{ id: 'nyc', jurisdiction: 'us', dataDir: '/mnt/us' }] });
    expect(settings.regions).toEqual([{ id: 'nyc', jurisdiction: 'us', dataDir: '/mnt/us' }]);
    expect(settings.catalog).toEqual({ kind: 'file', file: '/srv/silo/catalog.db' });
  });

  it('validates tenant schemas', () => {
    expect(() => defineTenantSchema({ id: 'x', migrations: [{ version: 2, name: 'gap', sql: 'SELECT 1' }] })).toThrow(/without gaps/);
    expect(() => defineTenantSchema({ id: 'Bad Id', migrations: [] })).toThrow(/Schema id/);
    expect(() => defineTenantSchema({ id: 'x', migrations: [{ version: 1, name: 'empty', sql: '  ' }] })).toThrow(/no SQL/);
    expect(sampleSchema(1).fingerprint).not.toBe(sampleSchema(2).fingerprint);
  });
});
