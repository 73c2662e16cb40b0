import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFleet, type Fleet } from '../src/index';
import { uploadStagingFile, verifyResidencyReport } from '../src/internal';
import { filesystemOf, readMounts } from '../src/residency/mounts';
import { sampleSchema, tempDir, tempFleet } from './helpers';
import { STANDIN_GROUPS, startStandinProcess, type StandinProcess } from './turso-standin';

describe('residency of local instances', () => {
  it('an upload is staged in the region the import will use, never elsewhere; a placement of another jurisdiction is refused', async () => {
    const { fleet, dataDir } = await tempFleet();
    const staged = uploadStagingFile(fleet, { jurisdiction: 'us', name: 'globex' });
    expect(path.dirname(staged)).toBe(path.join(dataDir, 'regions', 'us-east', 'staging'));
    expect(path.basename(staged)).toMatch(/^globex\.upload\.db\.tmp-/);
    expect(path.dirname(uploadStagingFile(fleet, { jurisdiction: 'eu', region: 'eu-central' }))).toBe(path.join(dataDir, 'regions', 'eu-central', 'staging'));
    // A name that is not a valid instance name never becomes part of a path.
    expect(path.basename(uploadStagingFile(fleet, { jurisdiction: 'eu', name: '../x' }))).toMatch(/^upload\.upload\.db\.tmp-/);
    expect(() => uploadStagingFile(fleet, { jurisdiction: 'eu', region: 'us-east' })).toThrow(expect.objectContaining({ code: 'JURISDICTION_VIOLATION' }));
    expect(() => uploadStagingFile(fleet, { jurisdiction: 'mars' })).toThrow(expect.objectContaining({ code: 'UNKNOWN_JURISDICTION' }));
  });

  it('a copy of an instance in another region of its own jurisdiction is an orphan; a file outside every region is judged by name', async () => {
    const { fleet, dataDir } = await tempFleet();
    const acme = await fleet.create('acme', { jurisdiction: 'eu' });
    const listing = await fleet.residency();
    expect(listing.ok).toBe(true);
    const file = listing.instances[0]?.places.find((place) => place.kind === 'database')?.location as string;
    expect(file).toBe(path.join(dataDir, 'regions', 'eu-west', 'tenants', path.basename(path.dirname(file)), 'acme.db'));
    const stray = path.join(dataDir, 'regions', 'eu-central', 'tenants', path.basename(path.dirname(file)), 'acme.db');
    mkdirSync(path.dirname(stray), { recursive: true });
    writeFileSync(stray, readFileSync(file));
    const outside = path.join(dataDir, 'acme.export.db');
    writeFileSync(outside, readFileSync(file));
    const after = await fleet.residency();
    expect(after.ok).toBe(false);
    expect(after.orphans.map((orphan) => orphan.location)).toEqual([stray]);
    expect(after.orphans[0]?.reason).toContain(`where the catalog does not put it (${acme.dbUrl})`);
    // In the data folder, outside every region: a place of no jurisdiction.
    expect(after.violations).toEqual([{ instance: 'acme', instanceJurisdiction: 'eu', location: outside, placeJurisdiction: null, bytes: readFileSync(file).length }]);
  });

  it('backups of a purged instance are listed as awaiting erasure, not as orphans; backups of an unknown id are orphans', async () => {
    const { fleet } = await tempFleet();
    await fleet.create('leaving', { jurisdiction: 'us' });
    await fleet.backups.now('leaving');
    const id = fleet.require('leaving').id;
    await fleet.delete('leaving');
    await fleet.purge('leaving');
    const listing = await fleet.residency();
    expect(listing.ok).toBe(true);
    expect(listing.instances).toEqual([]);
    expect(listing.awaitingErasure).toEqual([expect.objectContaining({ instanceId: id, region: 'us-east', jurisdiction: 'us', files: expect.any(Number) })]);
    expect(listing.awaitingErasure[0]?.location).toMatch(new RegExp(`us-east/backups/instances/${id}$`));
  });

  it('warns that console write statements keep their text in the catalog, which has no jurisdiction', async () => {
    const { fleet } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    expect((await fleet.residency()).warnings.map((warning) => warning.code)).not.toContain('CATALOG_STATEMENT_TEXT');
    await fleet.query('acme', "INSERT INTO notes (body) VALUES ('Jane Doe, jane@example.eu')", undefined, { readOnly: false });
    const listing = await fleet.residency();
    expect(listing.ok).toBe(true);
    const warning = listing.warnings.find((entry) => entry.code === 'CATALOG_STATEMENT_TEXT');
    expect(warning?.message).toContain('the text of 1 SQL statement run in the console');
    expect(fleet.audit({ operation: 'query (write)' }).items[0]?.detail).toEqual({ sql: expect.stringContaining('jane@example.eu') });
  });

  it('reports are written with a hash that verifies, and a changed report does not', async () => {
    const { fleet } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    const out = tempDir();
    const written = await fleet.residencyReport(out, { actor: 'auditor-test' });
    expect(await verifyResidencyReport(written.json)).toEqual({ ok: true, sha256: written.sha256, computed: written.sha256 });
    const report = JSON.parse(readFileSync(written.json, 'utf8')) as { listing: { ok: boolean } };
    report.listing.ok = !report.listing.ok;
    writeFileSync(written.json, JSON.stringify(report));
    expect((await verifyResidencyReport(written.json)).ok).toBe(false);
    const entry = fleet.audit({}).items.find((item) => item.operation === 'residency-report');
    expect(entry).toMatchObject({ actor: 'auditor-test', outcome: 'ok', detail: expect.objectContaining({ sha256: written.sha256, ok: true }) });
    expect(readFileSync(written.markdown, 'utf8')).toContain(written.sha256);
  });

  it('finds the mount of a folder in /proc/self/mountinfo, and unescapes its paths', () => {
    const mounts = readMounts();
    expect(mounts.length).toBeGreaterThan(0);
    const fs = filesystemOf(tempDir(), mounts);
    expect(fs.device).toMatch(/^\d+:\d+$/);
    expect(fs.mountPoint).toMatch(/^\//);
    const file = path.join(tempDir(), 'mountinfo');
    writeFileSync(file, '36 25 8:1 / / rw - ext4 /dev/sda1 rw\n37 36 0:50 / /srv/eu\\040data rw shared:1 - nfs4 eu-nas:/export rw\n');
    const fake = readMounts(file);
    expect(fake.map((mount) => mount.mountPoint)).toEqual(['/', '/srv/eu data']);
    expect(fake[1]).toMatchObject({ fsType: 'nfs4', source: 'eu-nas:/export', device: '0:50' });
  });
});

describe('residency of Turso instances', () => {
  let standin: StandinProcess;
  let fleet: Fleet;
  let suite: string;

  beforeAll(async () => {
    // Not tempDir(): its folders go after each test, and these live for the whole suite.
    suite = mkdtempSync(path.join(tmpdir(), 'silo-residency-turso-'));
    standin = await startStandinProcess(path.join(suite, 'standin'));
    fleet = await openFleet({ schema: sampleSchema(), dataDir: path.join(suite, 'data'), engineKind: 'turso', turso: { ...standin.settings, databasePrefix: 'res-' } });
  });

  afterAll(async () => {
    await fleet?.close();
    await standin?.stop();
    rmSync(suite, { recursive: true, force: true });
  });

  it('lists the group and its locations read from the Platform API, with the jurisdiction configuration gives the group', async () => {
    await fleet.create('acme', { jurisdiction: 'eu' });
    await fleet.create('globex', { jurisdiction: 'us' });
    const listing = await fleet.residency();
    expect(listing.ok).toBe(true);
    const acme = listing.instances.find((instance) => instance.name === 'acme');
    expect(acme?.places).toEqual([expect.objectContaining({ kind: 'turso', location: `turso:${STANDIN_GROUPS.eu}`, jurisdiction: 'eu', tursoLocations: ['aws-eu-west-1'] })]);
    const globex = listing.instances.find((instance) => instance.name === 'globex');
    expect(globex?.places).toEqual([expect.objectContaining({ location: `turso:${STANDIN_GROUPS.us}`, jurisdiction: 'us', tursoLocations: ['aws-us-east-1'] })]);
  });

  it('after a move from local files to Turso, the instance is in its group only: no byte left in the data folder, nothing orphaned', async () => {
    const dataDir = path.join(suite, 'moving');
    const marks = { eu: `MOVE-EU-${process.pid}-${Date.now()}`, us: `MOVE-US-${process.pid}-${Date.now()}` };
    const local = await openFleet({ schema: sampleSchema(), dataDir });
    for (const [name, jurisdiction] of [['mover-eu', 'eu'], ['mover-us', 'us']] as const) {
      await local.create(name, { jurisdiction });
      await local.withInstance(name, (db) => db.execute('INSERT INTO notes (body) VALUES (?)', [marks[jurisdiction]]));
    }
    expect((await local.residency()).instances.map((instance) => instance.places.some((place) => place.kind === 'database' && place.jurisdiction === instance.jurisdiction))).toEqual([true, true]);
    await local.close();
    const moving = await openFleet({ schema: sampleSchema(), dataDir, engineKind: 'turso', turso: { ...standin.settings, databasePrefix: 'mv-res-' } });
    try {
      expect((await moving.moveInstances({ to: 'turso' })).moved).toBe(2);
      const listing = await moving.residency();
      expect(listing.ok).toBe(true);
      expect(listing.instances.map((instance) => [instance.name, instance.places.map((place) => [place.kind, place.location, place.jurisdiction, place.tursoLocations])])).toEqual([
        ['mover-eu', [['turso', `turso:${STANDIN_GROUPS.eu}`, 'eu', ['aws-eu-west-1']]]],
        ['mover-us', [['turso', `turso:${STANDIN_GROUPS.us}`, 'us', ['aws-us-east-1']]]],
      ]);
      // Not a byte of either instance is left on this machine's data folder.
      for (const file of readdirSync(dataDir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile())) {
        const content = readFileSync(path.join(file.parentPath, file.name)).toString('latin1');
        expect(content.includes(marks.eu) || content.includes(marks.us), path.join(file.parentPath, file.name)).toBe(false);
      }
    } finally {
      await moving.close();
    }
  });
});
