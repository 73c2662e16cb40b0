/**
 * Residency, end to end: every operation that writes tenant bytes (create, write, clone,
 * export, import, an admin upload through the HTTP server, backup to a folder and to S3,
 * point-in-time restore as new and in place) is run, and then every file under every
 * configured root, both TMPDIRs (this process's and the admin server's) and every object in
 * the S3 stand-in is read. Each instance's rows carry a marker of its jurisdiction; a file
 * or object holding a marker must be in a place of that jurisdiction. The fleet's own
 * listing (`fleet.residency()`) must agree: no violation, no orphan.
 *
 * The move to Turso is walked in packages/fleet/test/residency.test.ts ("after a move from
 * local files to Turso"): it needs a fleet opened on the Turso engine, and this one is local.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFleet, settingsFromEnv, type Fleet } from '@silo/fleet';
import { startFakeS3, type FakeS3 } from '../../../packages/fleet/test/fixtures/fake-s3';
import { removeDir, signedInAdmin, tempDataDir, todoSchema, type AdminServer, type Client } from './helpers';

const PASSWORD = 'correct-horse-battery-staple';
const RUN = randomBytes(6).toString('hex');
/** What every row of an instance of this jurisdiction holds (and nothing else does). */
const MARKS = { eu: `RESIDENCY-EU-${RUN}`, us: `RESIDENCY-US-${RUN}` } as const;
type Jurisdiction = keyof typeof MARKS;

interface Holding {
  readonly where: string;
  /** The jurisdiction the configuration gives the place; null: none (TMPDIR, data folder). */
  readonly place: string | null;
  readonly holds: Jurisdiction[];
}

describe('every byte of every instance stays in its jurisdiction', () => {
  let work: string;
  let dataDir: string;
  let outside: string;
  let serverTmp: string;
  let testTmp: string;
  let s3: FakeS3;
  let server: AdminServer;
  let admin: Client;
  let fleet: Fleet;
  let env: Record<string, string>;
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    work = tempDataDir();
    dataDir = path.join(work, 'data');
    outside = path.join(work, 'operator'); // the operator's own files: exports they download, files they import
    serverTmp = path.join(work, 'server-tmp');
    testTmp = path.join(work, 'test-tmp');
    for (const dir of [dataDir, outside, serverTmp, testTmp]) mkdirSync(dir, { recursive: true, mode: 0o700 });
    s3 = await startFakeS3({ buckets: ['silo-eu'] });
    env = {
      SILO_DATA_DIR: dataDir,
      SILO_BACKUP_LOCATIONS: `eu-west=s3://silo-eu/backups?jurisdiction=eu&region=eu-central-1&endpoint=${encodeURIComponent(s3.endpoint)}&path-style=1`,
      AWS_ACCESS_KEY_ID: 'test-key',
      AWS_SECRET_ACCESS_KEY: 'test-secret',
    };
    // This process's fleet writes with the same settings; its TMPDIR is walked too.
    for (const [key, value] of Object.entries({ ...env, TMPDIR: testTmp })) {
      saved[key] = process.env[key];
      process.env[key] = value;
    }
    fleet = await openFleet({ ...settingsFromEnv(env), schema: await todoSchema(), actor: 'walk-test' });
    ({ server, admin } = await signedInAdmin({ dataDir, password: PASSWORD, env: { ...env, TMPDIR: serverTmp } }));
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await fleet?.close();
    await s3?.close();
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) Reflect.deleteProperty(process.env, key);
      else process.env[key] = value;
    }
    if (work) removeDir(work);
  });

  /**
   * Rows that carry the instance's jurisdiction marker, many of them, so pages everywhere in the
   * file hold it. Written the way an app writes (a bound parameter on its own connection): the
   * console's write path would also put the statement's text into the catalog's audit log.
   */
  async function write(name: string, jurisdiction: Jurisdiction, rows = 200): Promise<void> {
    const sql = `INSERT INTO todos (title, completed, created_at, updated_at)
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${rows})
      SELECT ? || ' ' || i || ' ' || hex(randomblob(40)), 0, 0, 0 FROM n`;
    await fleet.withInstance(name, (db) => db.execute(sql, [MARKS[jurisdiction]]));
  }

  /** The jurisdiction configuration gives a path, or null for places of none. */
  function placeOfPath(file: string): string | null {
    const relative = path.relative(path.join(dataDir, 'regions'), file);
    if (relative.startsWith('..')) return null;
    const region = relative.split(path.sep)[0] ?? '';
    return region.startsWith('eu-') ? 'eu' : region.startsWith('us-') ? 'us' : null;
  }

  function markersIn(data: Buffer): Jurisdiction[] {
    let text = data.toString('latin1');
    // Backup chunks are gzip: look inside.
    if (data[0] === 0x1f && data[1] === 0x8b) {
      try {
        text += gunzipSync(data).toString('latin1');
      } catch {
        // Not gzip after all.
      }
    }
    return (Object.keys(MARKS) as Jurisdiction[]).filter((key) => text.includes(MARKS[key]));
  }

  function filesUnder(dir: string): string[] {
    const out: string[] = [];
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return out;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) out.push(...filesUnder(full));
      else if (entry.isFile()) out.push(full);
    }
    return out;
  }

  /** Every file of every configured root, both TMPDIRs, and every S3 object, with the markers each holds. */
  function walkEverything(): Holding[] {
    const holdings: Holding[] = [];
    const roots = [dataDir, ...fleet.settings.regions.map((region) => region.dataDir), serverTmp, testTmp];
    for (const location of fleet.settings.backups.locations.values()) if (location.kind === 'folder') roots.push(location.path);
    const seen = new Set<string>();
    for (const root of roots) {
      for (const file of filesUnder(root)) {
        if (seen.has(file)) continue;
        seen.add(file);
        let data: Buffer;
        try {
          data = readFileSync(file);
        } catch {
          continue; // removed while we walked (a temp file finishing)
        }
        const place = root === serverTmp || root === testTmp ? null : placeOfPath(file);
        holdings.push({ where: file, place, holds: markersIn(data) });
      }
    }
    for (const [bucket, objects] of s3.buckets) {
      for (const [key, object] of objects) {
        // The bucket silo-eu is configured as jurisdiction eu.
        holdings.push({ where: `s3://${bucket}/${key}`, place: bucket === 'silo-eu' ? 'eu' : null, holds: markersIn(object.data) });
      }
    }
    return holdings;
  }

  function misplaced(holdings: readonly Holding[]): string[] {
    return holdings.filter((holding) => holding.holds.some((jurisdiction) => jurisdiction !== holding.place)).map((holding) => `${holding.where} (place: ${holding.place ?? 'none'}) holds ${holding.holds.join('+')}`);
  }

  it('create, write, clone, export, import, admin upload, backup, restore: every byte in its own jurisdiction, nothing orphaned', async () => {
    // Create and write.
    await fleet.create('eu-acme', { jurisdiction: 'eu' });
    await fleet.create('eu-berlin', { jurisdiction: 'eu', region: 'eu-central' });
    await fleet.create('us-globex', { jurisdiction: 'us' });
    await write('eu-acme', 'eu');
    await write('eu-berlin', 'eu');
    await write('us-globex', 'us');
    // Clone.
    await fleet.clone('eu-acme', 'eu-acme-branch');

    // Export: while the download stream is open, its snapshot is staged in the instance's region.
    const exported = await fleet.exportStream('eu-acme');
    const midExport = walkEverything();
    expect(midExport.filter((holding) => holding.where.includes(`${path.sep}staging${path.sep}eu-acme.export.db`)).map((holding) => holding.place)).toEqual(['eu']);
    expect(misplaced(midExport)).toEqual([]);
    const euFile = path.join(outside, 'eu-acme.sqlite');
    await pipeline(exported.stream, createWriteStream(euFile));
    const usExport = await fleet.exportStream('us-globex');
    const usFile = path.join(outside, 'us-globex.sqlite');
    await pipeline(usExport.stream, createWriteStream(usFile));

    // Import (the CLI's path: fleet.importFile of a local file) into the US.
    await fleet.importFile('us-imported', usFile, { jurisdiction: 'us' });

    // Admin upload through the HTTP server, a real multipart post, paused before its end so the
    // file is seen while it is being received.
    const boundary = `----silo-walk-${RUN}`;
    const body = new PassThrough();
    const fields: [string, string][] = [
      ['csrf', admin.csrf],
      ['intent', 'import'],
      ['name', 'eu-uploaded'],
      ['jurisdiction', 'eu'],
      ['region', ''],
    ];
    for (const [name, value] of fields) body.write(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`);
    body.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="eu-acme.sqlite"\r\nContent-Type: application/octet-stream\r\n\r\n`);
    const fileBytes = readFileSync(euFile);
    body.write(fileBytes);
    const posted = admin.request('/?index', {
      method: 'POST',
      body: Readable.toWeb(body) as ReadableStream<Uint8Array>,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      duplex: 'half',
    } as RequestInit);
    // If an assertion below fails first, the aborted request must not surface as an unhandled rejection.
    posted.catch(() => undefined);
    // Wait until the server has written (almost) all of the file somewhere.
    const receiving = await waitFor(() => {
      const partial = [...filesUnder(serverTmp), ...filesUnder(dataDir)].filter((file) => /upload/.test(path.basename(file)));
      return partial.find((file) => statSafe(file) >= fileBytes.length - 256);
    });
    const midUpload = walkEverything();
    expect(misplaced(midUpload)).toEqual([]);
    expect(path.relative(path.join(dataDir, 'regions', 'eu-west', 'staging'), receiving).startsWith('..')).toBe(false);
    // The fleet's listing sees the upload in flight, in the EU.
    const listingMidUpload = await fleet.residency();
    expect(listingMidUpload.inFlight.map((entry) => [entry.name, entry.jurisdiction, entry.location])).toEqual([['eu-uploaded', 'eu', receiving]]);
    body.end(`\r\n--${boundary}--\r\n`);
    const uploaded = await posted;
    expect(uploaded.status).toBe(302);
    expect(uploaded.headers.get('location')).toBe('/instances/eu-uploaded?imported=1');

    // Backups: eu-west to the EU bucket, eu-central and us-east to their folders.
    expect(await fleet.backups.runCycle()).toMatchObject({ failed: 0 });
    await write('eu-acme', 'eu', 20);
    await write('us-globex', 'us', 20);
    await fleet.backups.now('eu-acme');
    await fleet.backups.now('us-globex');

    // Point-in-time restore, as a new instance and in place.
    const now = Date.now();
    await fleet.backups.restore('eu-acme', { at: now, as: 'eu-acme-restored' });
    await fleet.backups.restore('us-globex', { at: now, inPlace: true });
    await fleet.backups.restore('eu-berlin', { at: now, inPlace: true });

    const holdings = walkEverything();
    expect(misplaced(holdings)).toEqual([]);
    // The walk did see the data: in every region, in the bucket, in the backups.
    expect(holdings.some((holding) => holding.where.startsWith('s3://silo-eu/backups/instances/') && holding.holds.includes('eu'))).toBe(true);
    expect(holdings.some((holding) => holding.where.includes(`${path.sep}us-east${path.sep}backups${path.sep}`) && holding.holds.includes('us'))).toBe(true);
    expect(holdings.some((holding) => holding.where.includes(`${path.sep}eu-central${path.sep}`) && holding.holds.includes('eu'))).toBe(true);
    // Nothing of any instance is left in either TMPDIR.
    expect(holdings.filter((holding) => holding.place === null && holding.holds.length > 0)).toEqual([]);

    // The fleet's own account agrees: every byte placed, nothing orphaned.
    const listing = await fleet.residency();
    expect(listing.violations).toEqual([]);
    expect(listing.orphans).toEqual([]);
    expect(listing.inFlight).toEqual([]);
    expect(listing.ok).toBe(true);
    const names = listing.instances.map((instance) => instance.name);
    expect(names).toEqual(['eu-acme', 'eu-acme-branch', 'eu-acme-restored', 'eu-berlin', 'eu-uploaded', 'us-globex', 'us-imported']);
    for (const instance of listing.instances) {
      expect(instance.places.some((place) => place.kind === 'database'), instance.name).toBe(true);
      expect(instance.places.every((place) => place.jurisdiction === instance.jurisdiction), instance.name).toBe(true);
    }
    const acme = listing.instances.find((instance) => instance.name === 'eu-acme');
    expect(acme?.places.some((place) => place.kind === 'backup-chunks' && place.location.startsWith('s3://silo-eu/backups/instances/'))).toBe(true);
    // Lineage: the clone and the point-in-time restore as new are both branches of eu-acme.
    expect(acme?.clones).toEqual(['eu-acme-branch', 'eu-acme-restored']);
    expect(listing.instances.find((instance) => instance.name === 'eu-acme-branch')?.clonedFrom).toBe('eu-acme');
    expect(listing.buckets).toEqual([expect.objectContaining({ region: 'eu-west', jurisdiction: 'eu' })]);
  }, 180_000);
});

function statSafe(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return -1;
  }
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() - started > timeoutMs) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
