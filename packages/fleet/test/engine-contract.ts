import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync, writeFileSync, openSync, writeSync, closeSync, copyFileSync, truncateSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { beforeEach, describe, expect, it } from 'vitest';
import { isSiloError, type Engine, type EngineCapabilities, type QueryLimits, type QueryResult, type Region, type SiloErrorCode } from '../src/index';
import { sampleSchema, tempDir } from './helpers';

/**
 * The contract every engine must pass: engine-contract.test.ts runs it over every engine (local
 * files, Turso on the stand-in and for real, the routing engine), and
 * packages/server/test/turso-user-smoke.test.ts runs its data-plane cases with the Turso
 * engine pointed at `silo serve`. Every case talks to the Engine interface only, and
 * branches on what the engine states it can do (`engine.capabilities`), as Kysely's tests run
 * each case over every dialect: an engine that claims a capability must deliver it.
 */
export interface EngineUnderTest {
  engine: Engine;
  regions: readonly Region[];
  /** Closes the engine and anything it needed (servers, stand-ins). */
  dispose(): Promise<void>;
  /** What the backend behind the engine can do; omitted means it can (local files can do all of it). */
  backend?: BackendTraits;
  /**
   * Where a database this engine backs up itself is placed, when not where `locate` puts new
   * ones: the routing engine backs up its local side only.
   */
  locateBackedUp?(name: string, region: Region): string;
}

/** Properties of a backend the engine cannot change, unlike its stated `capabilities`. */
export interface BackendTraits {
  /**
   * A runaway query is stopped where it runs at the time limit, so the database keeps serving
   * right after. The local engine kills its query process; Turso stops statements on its
   * servers. The Turso stand-in cannot: it runs SQLite synchronously in one process with no
   * statement limit, so a runaway occupies it for good. Against it the contract still checks
   * what the engine owes (QUERY_TIMEOUT at the limit, the caller never blocked) but not what
   * only the server can give (answering afterwards, queries queued behind the runaway).
   */
  stopsRunawaysAtTheServer?: boolean;
}

export interface EngineFactory {
  /** What SILO_CONTRACT_ENGINES names it by (a comma list; unset runs all). */
  readonly id: string;
  readonly label: string;
  setUp(dir: string): Promise<EngineUnderTest>;
}

/**
 * Control-plane features a case needs beyond creating, finding, listing and deleting databases
 * and running SQL on them. A backend that only fakes the rest (a Platform API shim in front of
 * `silo serve`, packages/server/test/turso-user-smoke.test.ts) leaves these out, and the cases
 * that need them are skipped there; every other case is a data-plane check it must pass.
 *
 * - `branch`: a copy of a live database (Turso's branch; `clone`).
 * - `point-in-time`: a branch as of a past moment (`cloneAt`).
 * - `usage`: the service's usage figures (`usageMetrics`).
 * - `quota`: the plan's database quota (`databaseQuota`).
 * - `file-transfer`: a database's bytes moved whole, up (`importFile`) or down (`snapshot`).
 */
export type ControlPlaneFeature = 'branch' | 'point-in-time' | 'usage' | 'quota' | 'file-transfer';

export interface ContractOptions {
  /** Features the backends do not offer: the cases needing them are skipped. */
  readonly without?: readonly ControlPlaneFeature[];
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const LIMITS: QueryLimits = { timeoutMs: 5_000, maxRows: 1_000, maxBytes: 1024 * 1024 };
/**
 * For queries that wait behind a runaway: where the server stops it by killing the process that
 * ran it, they run on a replacement, whose start (from sources, on a busy CI machine) may take
 * seconds. What these cases check is that they are answered, not how fast.
 */
const AFTER_A_RUNAWAY: QueryLimits = { ...LIMITS, timeoutMs: 30_000 };

/** Defines the contract's cases (a describe block per engine) over the given engines. */
export function defineEngineContract(engines: readonly EngineFactory[], options: ContractOptions = {}): void {
  const missing = new Set(options.without ?? []);
  const lacks = (feature: ControlPlaneFeature): boolean => missing.has(feature);

  describe.each(engines)('engine contract: $label', ({ setUp }) => {
    let subject: EngineUnderTest;
    let engine: Engine;
    let eu: Region;
    let us: Region;
    let dir: string;

    let backend: Required<BackendTraits>;

    beforeEach(async () => {
      dir = tempDir('silo-engine-');
      subject = await setUp(dir);
      backend = { stopsRunawaysAtTheServer: true, ...subject.backend };
      engine = subject.engine;
      eu = subject.regions.find((region) => region.jurisdiction === 'eu') as Region;
      us = subject.regions.find((region) => region.jurisdiction === 'us') as Region;
      return () => subject.dispose();
    });

    async function created(name: string, region: Region = eu, schema = sampleSchema()): Promise<string> {
      const url = engine.locate(name, region);
      await engine.create(url, schema);
      return url;
    }

    async function rejection(promise: Promise<unknown>): Promise<SiloErrorCode | string> {
      try {
        await promise;
      } catch (error) {
        return isSiloError(error) ? error.code : String(error);
      }
      return 'resolved';
    }

    describe('capabilities', () => {
      it('states its optional capabilities, and has exactly the members they promise', () => {
        // Typed by the capabilities' keys: a capability added to Engine without a check here does not compile.
        const present: Record<keyof EngineCapabilities, boolean> = {
          backups: engine.backups !== undefined,
          pointInTime: typeof engine.cloneAt === 'function',
          usageMetrics: typeof engine.usageMetrics === 'function',
          databaseQuota: typeof engine.databaseQuota === 'function',
        };
        // A wrapper that forgets to forward a member (RoutingEngine once dropped `backups`) fails here.
        expect(present).toEqual({ ...engine.capabilities });
      });

      it('backups: a change token that follows writes, snapshots as of a moment, content replaced whole', async (context) => {
        const support = engine.backups;
        if (!engine.capabilities.backups || !support) return context.skip('Silo does not back this engine up (its provider keeps history)');
        const place = (name: string): string => subject.locateBackedUp?.(name, eu) ?? engine.locate(name, eu);
        expect(support.changeToken(place('nobody'))).toBeUndefined();

        const url = place('acme');
        await engine.create(url, sampleSchema());
        const db = engine.connect(url);
        const before = support.changeToken(url);
        expect(before).toEqual(expect.any(String));
        expect(support.changeToken(url)).toBe(before);
        await db.execute("INSERT INTO notes (body) VALUES ('kept')");
        expect(support.changeToken(url)).not.toBe(before);

        const dest = path.join(dir, 'staging', 'acme.snapshot.db');
        const taken = await support.snapshot(url, dest, () => 1_234);
        expect(taken).toMatchObject({ changeToken: expect.any(String), takenAt: 1_234 });
        expect(existsSync(`${dest}-wal`)).toBe(false);
        const file = new Database(dest, { readonly: true });
        expect(file.prepare('SELECT body FROM notes').all()).toEqual([{ body: 'kept' }]);
        file.close();
        // Closing the last connection tidies the files without a commit: the token it leaves
        // still says "as snapshotted", and a write after reopening does not.
        const unchanged = [taken.changeToken, taken.settledToken];
        expect(unchanged).toContain(support.changeToken(url));
        db.close();
        expect(unchanged).toContain(support.changeToken(url));
        const reopened = engine.connect(url);
        await reopened.execute("INSERT INTO notes (body) VALUES ('later')");
        await reopened.execute("DELETE FROM notes WHERE body = 'later'");
        reopened.close();
        expect(unchanged).not.toContain(support.changeToken(url));

        const other = place('other');
        await engine.create(other, sampleSchema());
        const otherDb = engine.connect(other);
        await otherDb.execute("INSERT INTO notes (body) VALUES ('replacement')");
        otherDb.close();
        const replacement = path.join(dir, 'replacement.db');
        await engine.snapshot(other, replacement);
        const live = engine.connect(url);
        await support.replaceContent(url, replacement);
        // The open connection sees the new content: same handle, no reopen.
        expect((await live.execute('SELECT body FROM notes')).rows).toEqual([{ body: 'replacement' }]);
        live.close();

        if (subject.locateBackedUp) {
          // Databases on the side whose provider keeps history are left to it, as on that engine alone.
          const kept = await created('provider-kept');
          expect(support.changeToken(kept)).toBeUndefined();
          expect(await rejection(support.snapshot(kept, path.join(dir, 'staging', 'no.db'), Date.now))).toBe('BACKUP_FAILED');
        }
      });

      it.skipIf(lacks('point-in-time'))('point in time: branches a database as it was at a past moment', async (context) => {
        if (!engine.capabilities.pointInTime || !engine.cloneAt) return context.skip('no history on this engine');
        const source = await created('timeline');
        const db = engine.connect(source);
        await db.execute("INSERT INTO notes (body) VALUES ('before')");
        await pause(1_100);
        const point = new Date();
        await pause(1_100);
        await db.execute("INSERT INTO notes (body) VALUES ('after')");
        const branch = engine.locate('timeline-then', eu);
        await engine.cloneAt(source, branch, point);
        const copy = engine.connect(branch);
        expect((await copy.execute('SELECT body FROM notes')).rows).toEqual([{ body: 'before' }]);
        copy.close();
        db.close();
      });

      it.skipIf(lacks('usage'))('usage metrics: figures the service counts, by name', async (context) => {
        if (!engine.capabilities.usageMetrics || !engine.usageMetrics) return context.skip('no usage counted by this engine');
        const metrics = await engine.usageMetrics(await created('acme'));
        expect(Object.keys(metrics).length).toBeGreaterThan(0);
        for (const value of Object.values(metrics)) expect(Number.isFinite(value)).toBe(true);
      });

      it.skipIf(lacks('quota'))('database quota: reads the plan quota', async (context) => {
        if (!engine.capabilities.databaseQuota || !engine.databaseQuota) return context.skip('no plan quota on this engine');
        const quota = await engine.databaseQuota();
        expect(typeof quota.plan).toBe('string');
        if (quota.limit !== undefined) expect(quota.limit).toBeGreaterThan(0);
      });
    });

    describe('placement', () => {
      it('locates deterministically, per name and region, without creating anything', async () => {
        const a = engine.locate('acme', eu);
        expect(engine.locate('acme', eu)).toBe(a);
        expect(engine.locate('acme', us)).not.toBe(a);
        expect(engine.locate('globex', eu)).not.toBe(a);
        expect(await engine.exists(a)).toBe(false);
        expect((await engine.inventory(subject.regions)).databases).toEqual([]);
      });
    });

    describe('create', () => {
      it('creates a database at the latest schema that is servable on return', async () => {
        const url = await created('acme');
        expect(await engine.exists(url)).toBe(true);
        expect(await engine.schemaVersion(url)).toBe(2);
        expect(await engine.integrityCheck(url)).toEqual([]);
        const db = engine.connect(url);
        await db.execute("INSERT INTO notes (body, tag) VALUES ('hello', 'greeting')");
        const { rows } = await db.execute('SELECT body, tag FROM notes');
        expect(rows).toEqual([{ body: 'hello', tag: 'greeting' }]);
        db.close();
        expect(await engine.sizeOf(url)).toBeGreaterThan(0);
      });

      it('leaves no temporary files and lists what it created', async () => {
        const a = await created('acme');
        const b = await created('initech', us);
        const { databases, leftovers } = await engine.inventory(subject.regions);
        expect(databases.sort()).toEqual([a, b].sort());
        expect(leftovers).toEqual([]);
      });

      it('keeps tenants apart: one database never sees another one\'s rows', async () => {
        const a = engine.connect(await created('acme'));
        const b = engine.connect(await created('globex'));
        await a.execute("INSERT INTO notes (body) VALUES ('acme secret')");
        expect((await b.execute('SELECT count(*) AS n FROM notes')).rows[0]).toEqual({ n: 0 });
        a.close();
        b.close();
      });
    });

    describe('connections', () => {
      it('runs a batch atomically: one failing statement rolls back all of them', async () => {
        const db = engine.connect(await created('acme'));
        await expect(
          db.batch([
            { sql: "INSERT INTO notes (body) VALUES ('one')" },
            { sql: 'INSERT INTO notes (body) VALUES (?)', args: [null] },
          ]),
        ).rejects.toMatchObject({ code: 'QUERY_FAILED' });
        expect((await db.execute('SELECT count(*) AS n FROM notes')).rows[0]).toEqual({ n: 0 });
        const results = await db.batch([
          { sql: 'INSERT INTO notes (body) VALUES (?)', args: ['one'] },
          { sql: 'INSERT INTO notes (body) VALUES (:body)', args: { body: 'two' } },
        ]);
        expect(results.map((r) => r.rowsAffected)).toEqual([1, 1]);
        expect((await db.execute('SELECT count(*) AS n FROM notes')).rows[0]).toEqual({ n: 2 });
        db.close();
      });

      it('reports SQL errors as QUERY_FAILED with the database message', async () => {
        const db = engine.connect(await created('acme'));
        await expect(db.execute('SELECT * FROM missing_table')).rejects.toMatchObject({
          code: 'QUERY_FAILED',
          message: expect.stringContaining('no such table'),
        });
        db.close();
      });
    });

    describe('clone and snapshot', () => {
      it.skipIf(lacks('branch'))('clones a live database consistently, and the clone is independent', async () => {
        const source = await created('acme');
        const db = engine.connect(source);
        for (let i = 0; i < 100; i++) await db.execute('INSERT INTO notes (body) VALUES (?)', [`note ${i}`]);
        const target = engine.locate('acme-copy', eu);
        await engine.clone(source, target);
        const copy = engine.connect(target);
        expect((await copy.execute('SELECT count(*) AS n FROM notes')).rows[0]).toEqual({ n: 100 });
        await copy.execute("INSERT INTO notes (body) VALUES ('only in the copy')");
        expect((await db.execute('SELECT count(*) AS n FROM notes')).rows[0]).toEqual({ n: 100 });
        expect(await engine.integrityCheck(target)).toEqual([]);
        copy.close();
        db.close();
      });

      it.skipIf(lacks('file-transfer'))('snapshots to a single self-contained SQLite file', async () => {
        const url = await created('acme');
        const db = engine.connect(url);
        await db.execute("INSERT INTO notes (body) VALUES ('kept')");
        const dest = path.join(dir, 'out', 'acme.sqlite');
        await engine.snapshot(url, dest);
        expect(existsSync(`${dest}-wal`)).toBe(false);
        const file = new Database(dest, { readonly: true });
        expect(file.prepare('SELECT body FROM notes').all()).toEqual([{ body: 'kept' }]);
        file.close();
        db.close();
      });
    });

    describe.skipIf(lacks('file-transfer'))('import', () => {
      let good: string;

      beforeEach(async () => {
        const url = await created('source');
        const db = engine.connect(url);
        await db.execute("INSERT INTO notes (body) VALUES ('imported note')");
        db.close();
        good = path.join(dir, 'upload.sqlite');
        await engine.snapshot(url, good);
      });

      it('creates a database from a valid file', async () => {
        const target = engine.locate('imported', eu);
        const report = await engine.importFile(good, target, sampleSchema(), 10 * 1024 * 1024);
        expect(report).toMatchObject({ fromVersion: 2, toVersion: 2 });
        const db = engine.connect(target);
        expect((await db.execute('SELECT body FROM notes')).rows).toEqual([{ body: 'imported note' }]);
        db.close();
      });

      it('migrates a file from an older schema version', async () => {
        const old = path.join(dir, 'old.sqlite');
        const raw = new Database(old);
        raw.exec(`${sampleSchema(1).migrations[0]?.sql ?? ''} PRAGMA user_version = 1; INSERT INTO notes (body) VALUES ('v1 note');`);
        raw.close();
        const target = engine.locate('from-v1', eu);
        expect(await engine.importFile(old, target, sampleSchema(), 10 * 1024 * 1024)).toMatchObject({ fromVersion: 1, toVersion: 2 });
        expect(await engine.schemaVersion(target)).toBe(2);
      });

      const malformed: [string, (file: string, good: string) => void, RegExp][] = [
        ['an empty file', (file) => writeFileSync(file, ''), /empty/],
        ['random bytes', (file) => writeFileSync(file, randomBytes(8192)), /not a SQLite database/],
        ['a text file', (file) => writeFileSync(file, 'id,title\n1,hello\n'), /not a SQLite database/],
        ['a truncated database', (file, source) => { copyFileSync(source, file); truncateSync(file, 100); }, /truncated/],
        [
          'a database with corrupted pages',
          (file, source) => {
            copyFileSync(source, file);
            const fd = openSync(file, 'r+');
            const pageSize = 4096;
            // Overwrite the b-tree pages after the header page with garbage.
            writeSync(fd, randomBytes(statSync(file).size - pageSize), 0, undefined, pageSize);
            closeSync(fd);
          },
          /integrity check failed|not a readable SQLite database/,
        ],
        [
          'a SQLite database of another application',
          (file) => {
            const other = new Database(file);
            other.exec('CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL); PRAGMA user_version = 1;');
            other.close();
          },
          /not "sample" schema version 1 exactly: missing table "notes", unexpected table "invoices"/,
        ],
        [
          'a database without a schema version',
          (file) => {
            const other = new Database(file);
            other.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);');
            other.close();
          },
          /does not carry a "sample" schema version/,
        ],
        [
          'a database from a newer release',
          (file, source) => {
            copyFileSync(source, file);
            const other = new Database(file);
            other.pragma('user_version = 99');
            other.close();
          },
          /newer than this Silo/,
        ],
      ];

      /** The good upload with one change made by a plain SQLite connection (what anyone can build). */
      const altered = (sql: string) => (file: string, source: string) => {
        copyFileSync(source, file);
        const other = new Database(file);
        other.exec(sql);
        other.close();
      };
      // Issue #13, finding 2: an upload's schema objects are served as they are, so only the
      // exact reference schema of its version may pass.
      malformed.push(
        ['a file with an extra trigger', altered("CREATE TRIGGER notes_slow AFTER INSERT ON notes BEGIN SELECT count(*) FROM notes a, notes b; END;"), /unexpected trigger "notes_slow" on "notes"/],
        ['a file with an extra view', altered('CREATE VIEW everything AS SELECT * FROM notes;'), /unexpected view "everything"/],
        ['a file with an extra table', altered('CREATE TABLE stash (x BLOB);'), /unexpected table "stash"/],
        ['a file with an extra index', altered('CREATE INDEX notes_body ON notes (body);'), /unexpected index "notes_body" on "notes"/],
        ['a file missing an index', altered('DROP INDEX notes_tag;'), /missing index "notes_tag" on "notes"/],
        ['a file with a changed index', altered('DROP INDEX notes_tag; CREATE INDEX notes_tag ON notes (tag, body);'), /index "notes_tag" on "notes" is defined differently/],
        [
          'a file whose table lacks its constraints',
          (file) => {
            const other = new Database(file);
            other.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, created_at INTEGER, tag TEXT); CREATE INDEX notes_tag ON notes (tag); PRAGMA user_version = 2;');
            other.close();
          },
          /table "notes" is defined differently/,
        ],
      );

      it('accepts an upload whose definitions differ only in spacing, case, comments and quoting', async () => {
        const file = path.join(dir, 'respelled.sqlite');
        const other = new Database(file);
        other.exec(`create   table "NOTES" ( "id" integer primary key, -- the key
          body  TEXT NOT NULL,
          [created_at] INTEGER NOT NULL DEFAULT ( unixepoch() ) , tag TEXT);
          CREATE INDEX notes_tag ON notes(tag); PRAGMA user_version = 2;`);
        other.close();
        const target = engine.locate('respelled', eu);
        expect(await engine.importFile(file, target, sampleSchema(), 10 * 1024 * 1024)).toMatchObject({ fromVersion: 2, toVersion: 2 });
      });

      it('accepts a copy of its own with extra objects only as an own copy (restore, move)', async () => {
        const file = path.join(dir, 'own.sqlite');
        altered('CREATE TABLE kept_by_a_write (x TEXT);')(file, good);
        const upload = engine.locate('as-upload', eu);
        await expect(engine.importFile(file, upload, sampleSchema(), 10 * 1024 * 1024)).rejects.toMatchObject({ code: 'IMPORT_REJECTED' });
        const own = engine.locate('as-own-copy', eu);
        expect(await engine.importFile(file, own, sampleSchema(), 10 * 1024 * 1024, 'own-copy')).toMatchObject({ toVersion: 2 });
        const db = engine.connect(own);
        expect((await db.execute('SELECT count(*) AS n FROM kept_by_a_write')).rows).toEqual([{ n: 0 }]);
        db.close();
      });

      for (const [what, make, message] of malformed) {
        it(`refuses ${what} and leaves nothing behind`, async () => {
          const file = path.join(dir, 'bad-upload.sqlite');
          make(file, good);
          const target = engine.locate('refused', eu);
          await expect(engine.importFile(file, target, sampleSchema(), 10 * 1024 * 1024)).rejects.toMatchObject({
            code: 'IMPORT_REJECTED',
            message: expect.stringMatching(message),
          });
          expect(await engine.exists(target)).toBe(false);
          expect((await engine.inventory(subject.regions)).leftovers).toEqual([]);
          expect(existsSync(file)).toBe(true);
        });
      }

      it('refuses a file over the size limit', async () => {
        const target = engine.locate('too-big', eu);
        const code = await rejection(engine.importFile(good, target, sampleSchema(), 1_000));
        expect(code).toBe('IMPORT_REJECTED');
        expect(await engine.exists(target)).toBe(false);
      });
    });

    describe('remove', () => {
      it('removes the database and its sidecars, and is idempotent', async () => {
        const url = await created('acme');
        const db = engine.connect(url);
        await db.execute("INSERT INTO notes (body) VALUES ('x')");
        db.close();
        await engine.remove(url);
        expect(await engine.exists(url)).toBe(false);
        await engine.remove(url);
        const { databases, leftovers } = await engine.inventory(subject.regions);
        expect(databases).toEqual([]);
        expect(leftovers).toEqual([]);
      });
    });

    describe('migrate', () => {
      it('migrates in one transaction; a dry run changes nothing', async () => {
        const url = await created('acme', eu, sampleSchema(1));
        expect(await engine.schemaVersion(url)).toBe(1);
        expect(await engine.migrate(url, sampleSchema(), { dryRun: true })).toEqual({ from: 1, to: 2 });
        expect(await engine.schemaVersion(url)).toBe(1);
        expect(await engine.migrate(url, sampleSchema(), { dryRun: false })).toEqual({ from: 1, to: 2 });
        expect(await engine.schemaVersion(url)).toBe(2);
        expect(await engine.migrate(url, sampleSchema(), { dryRun: false })).toEqual({ from: 2, to: 2 });
      });

      it('rolls back every step of a failing migration', async () => {
        const url = await created('acme', eu, sampleSchema(1));
        const broken = {
          ...sampleSchema(),
          migrations: [
            ...sampleSchema(1).migrations,
            { version: 2, name: 'half good', sql: 'CREATE TABLE extra (id INTEGER); ALTER TABLE nope ADD COLUMN x;' },
          ],
        };
        await expect(engine.migrate(url, broken, { dryRun: false })).rejects.toThrow(/no such table/);
        expect(await engine.schemaVersion(url)).toBe(1);
        const result = await engine.query(url, { sql: "SELECT count(*) FROM sqlite_schema WHERE name = 'extra'", readOnly: true, limits: LIMITS });
        expect(result.rows).toEqual([[0]]);
      });

      it('fleet work: a migration on a worker is the same transaction, outcome and error', async (context) => {
        const work = engine.fleetWork;
        if (!work) return context.skip('no workers for fleet-wide work on this engine');
        expect(work.parallelism).toBeGreaterThanOrEqual(1);
        const url = await created('acme', eu, sampleSchema(1));
        expect(await work.migrate(url, sampleSchema(), { dryRun: true })).toMatchObject({ from: 1, to: 2 });
        expect(await engine.schemaVersion(url)).toBe(1);
        const done = await work.migrate(url, sampleSchema(), { dryRun: false });
        expect(done).toMatchObject({ from: 1, to: 2 });
        expect(done.sizeBytes ?? (await engine.sizeOf(url))).toBe(await engine.sizeOf(url));
        expect(await engine.schemaVersion(url)).toBe(2);
        const broken = { ...sampleSchema(), migrations: [...sampleSchema().migrations, { version: 3, name: 'broken', sql: 'CREATE TABLE extra (id INTEGER); ALTER TABLE nope ADD COLUMN x;' }] };
        await expect(work.migrate(url, broken, { dryRun: false })).rejects.toThrow(/no such table/);
        expect(await engine.schemaVersion(url)).toBe(2);
      });
    });

    describe('isolated queries', () => {
      let url: string;

      beforeEach(async () => {
        url = await created('acme');
        const db = engine.connect(url);
        await db.batch(Array.from({ length: 50 }, (_, i) => ({ sql: 'INSERT INTO notes (body) VALUES (?)', args: [`note ${i}`] })));
        db.close();
      });

      it('returns columns and rows as arrays, with timing', async () => {
        const result = await engine.query(url, { sql: 'SELECT id, body FROM notes WHERE id <= ? ORDER BY id', args: [2], readOnly: true, limits: LIMITS });
        expect(result.columns).toEqual(['id', 'body']);
        expect(result.rows).toEqual([[1, 'note 0'], [2, 'note 1']]);
        expect(result.truncated).toBe(false);
        expect(result.durationMs).toBeGreaterThanOrEqual(0);
      });

      it('is read-only by SQLite itself, not by parsing SQL', async () => {
        for (const sql of ["INSERT INTO notes (body) VALUES ('x')", 'DELETE FROM notes', 'DROP TABLE notes', '/* select */ UPDATE notes SET body = 1']) {
          await expect(engine.query(url, { sql, readOnly: true, limits: LIMITS })).rejects.toMatchObject({
            code: 'QUERY_READ_ONLY',
            message: expect.stringContaining('read-only'),
          });
        }
        const count = await engine.query(url, { sql: 'SELECT count(*) FROM notes', readOnly: true, limits: LIMITS });
        expect(count.rows).toEqual([[50]]);
      });

      it('refuses, in both modes, statements that reach files other than the database (issue #13)', async () => {
        const outside = tempDir('silo-outside-');
        const refusedSql = [
          `VACUUM INTO '${path.join(outside, 'copy.db')}'`,
          `ATTACH '${path.join(outside, 'new.db')}' AS other`,
          'PRAGMA writable_schema = 1',
          'PRAGMA user_version = 7',
          `SELECT load_extension('${path.join(outside, 'x.so')}')`,
        ];
        for (const readOnly of [true, false]) {
          for (const sql of refusedSql) {
            await expect(engine.query(url, { sql, readOnly, limits: LIMITS }), `${sql} (readOnly: ${readOnly})`).rejects.toMatchObject({ code: 'STATEMENT_REFUSED' });
          }
        }
        expect(readdirSync(outside)).toEqual([]);
        expect((await engine.query(url, { sql: 'PRAGMA table_info(notes)', readOnly: true, limits: LIMITS })).rows.length).toBe(4);
        expect((await engine.query(url, { sql: 'WITH n AS (SELECT count(*) AS c FROM notes) SELECT c FROM n', readOnly: true, limits: LIMITS })).rows).toEqual([[50]]);
      });

      it('reads a table made by a write right after it (the statement check follows the schema)', async () => {
        expect((await engine.query(url, { sql: 'SELECT count(*) FROM notes', readOnly: true, limits: LIMITS })).rows).toEqual([[50]]);
        await engine.query(url, { sql: 'CREATE TABLE later (x INTEGER)', readOnly: false, limits: LIMITS });
        expect((await engine.query(url, { sql: 'SELECT count(*) FROM later', readOnly: true, limits: LIMITS })).rows).toEqual([[0]]);
        await expect(engine.query(url, { sql: 'SELECT * FROM never_made', readOnly: true, limits: LIMITS })).rejects.toMatchObject({ code: 'QUERY_FAILED', message: expect.stringContaining('no such table') });
      });

      it('runs a write script as one transaction, rolled back whole at its first refusal or error', async () => {
        const script = (sql: string): Promise<QueryResult> => engine.query(url, { sql, readOnly: false, script: true, limits: LIMITS });
        const result = await script("CREATE TABLE tags (name TEXT); INSERT INTO tags VALUES ('a;b'), ('c'); UPDATE notes SET tag = 'x' WHERE id <= 2; SELECT name FROM tags ORDER BY name");
        expect(result).toMatchObject({ columns: ['name'], rows: [['a;b'], ['c']], rowsAffected: 4, statements: 4 });
        await expect(script("INSERT INTO notes (body) VALUES ('kept?'); INSERT INTO nope VALUES (1)")).rejects.toMatchObject({ code: 'QUERY_FAILED', message: expect.stringContaining('no such table: nope') });
        await expect(script("INSERT INTO notes (body) VALUES ('kept?'); VACUUM")).rejects.toMatchObject({ code: 'STATEMENT_REFUSED' });
        await expect(script("INSERT INTO notes (body) VALUES ('kept?'); COMMIT; DELETE FROM notes")).rejects.toMatchObject({ code: 'STATEMENT_REFUSED' });
        // Found only when it runs, after a statement that did: that one is undone too.
        await expect(script("INSERT INTO notes (body) VALUES ('kept?'); INSERT INTO notes (id, body) VALUES (1, 'twice')")).rejects.toMatchObject({
          code: 'QUERY_FAILED',
          message: expect.stringMatching(/UNIQUE constraint failed.*rolled back/),
        });
        expect((await engine.query(url, { sql: "SELECT count(*) FROM notes WHERE body = 'kept?'", readOnly: true, limits: LIMITS })).rows).toEqual([[0]]);
      });

      it('writes when asked to', async () => {
        const result = await engine.query(url, { sql: "UPDATE notes SET tag = 'x' WHERE id <= 5", readOnly: false, limits: LIMITS });
        expect(result.rowsAffected).toBe(5);
      });

      it('caps rows and bytes and says so', async () => {
        const rows = await engine.query(url, { sql: 'SELECT * FROM notes', readOnly: true, limits: { ...LIMITS, maxRows: 10 } });
        expect(rows.rows).toHaveLength(10);
        expect(rows.truncated).toBe(true);
        const bytes = await engine.query(url, { sql: "SELECT printf('%.1000c', 'x') FROM notes", readOnly: true, limits: { ...LIMITS, maxBytes: 4_096 } });
        expect(bytes.rows.length).toBeLessThan(50);
        expect(bytes.truncated).toBe(true);
      });

      it('stops a runaway query at the time limit without blocking the caller, then keeps serving', async () => {
        let ticks = 0;
        const ticker = setInterval(() => ticks++, 10);
        const runaway = engine.query(url, {
          sql: 'WITH RECURSIVE forever(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM forever) SELECT count(*) FROM forever',
          readOnly: true,
          limits: { ...LIMITS, timeoutMs: 500 },
        });
        await expect(runaway).rejects.toMatchObject({ code: 'QUERY_TIMEOUT' });
        clearInterval(ticker);
        // The event loop kept turning while SQLite spun in another process.
        expect(ticks).toBeGreaterThan(10);
        if (!backend.stopsRunawaysAtTheServer) return;
        const after = await engine.query(url, { sql: 'SELECT count(*) FROM notes', readOnly: true, limits: AFTER_A_RUNAWAY });
        expect(after.rows).toEqual([[50]]);
      });

      it('keeps answering the queries queued behind one that is stopped', async (context) => {
        if (!backend.stopsRunawaysAtTheServer) context.skip('the backend cannot stop a runaway statement (see BackendTraits)');
        const runaway = engine.query(url, {
          sql: 'WITH RECURSIVE forever(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM forever) SELECT count(*) FROM forever',
          readOnly: true,
          limits: { ...LIMITS, timeoutMs: 300 },
        });
        const quick = Array.from({ length: 20 }, (_, i) =>
          engine.query(url, { sql: 'SELECT ? + 1', args: [i], readOnly: true, limits: AFTER_A_RUNAWAY }),
        );
        await expect(runaway).rejects.toMatchObject({ code: 'QUERY_TIMEOUT' });
        expect((await Promise.all(quick)).map((r) => r.rows[0]?.[0])).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      });

      it('gives up a query when its abort signal fires, and runs none whose signal fired before', async () => {
        const fired = new AbortController();
        fired.abort();
        const refused = engine.query(url, { sql: "INSERT INTO notes (body) VALUES ('never')", readOnly: false, limits: LIMITS, signal: fired.signal });
        await expect(refused).rejects.toMatchObject({ code: 'QUERY_ABORTED' });
        expect((await engine.query(url, { sql: "SELECT count(*) FROM notes WHERE body = 'never'", readOnly: true, limits: LIMITS })).rows).toEqual([[0]]);
        // A limit far beyond the test's own: only the signal can end it. What becomes of the
        // statement where it ran is the engine's to say (local files: the fleet's query-abort tests).
        const stop = new AbortController();
        const runaway = engine.query(url, {
          sql: 'WITH RECURSIVE forever(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM forever) SELECT count(*) FROM forever',
          readOnly: true,
          limits: { ...LIMITS, timeoutMs: 600_000 },
          signal: stop.signal,
        });
        setTimeout(() => stop.abort(), 300);
        await expect(runaway).rejects.toMatchObject({ code: 'QUERY_ABORTED' });
      });

      it('answers many queries at once', async () => {
        const results = await Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            engine.query(url, { sql: 'SELECT count(*) FROM notes WHERE id > ?', args: [i], readOnly: true, limits: LIMITS }),
          ),
        );
        expect(results.map((r) => r.rows[0]?.[0])).toEqual(Array.from({ length: 40 }, (_, i) => 50 - i));
      });
    });
  });
}
