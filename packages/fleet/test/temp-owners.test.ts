/**
 * Containers (or machines on a network filesystem) sharing one data folder each have their own
 * pids: a temp file of another host's live clone, export, backup or import must not be judged
 * by a pid of this one (its pid 1 is not ours), only swept once untouched for a day. Every
 * sweep of temp files judges them alike (files.ts isAbandonedTemp): plantTempOwners says how.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openFleet } from '../src/index';
import { expectTempOwnersJudged, fileOf, plantTempOwners, sampleSchema, tempDir, tempFleet } from './helpers';

const HOUR = 60 * 60 * 1000;

describe('temp files of other hosts, earlier boots and earlier versions', () => {
  it('doctor --scan judges those beside tenant databases, in templates and in staging by host and boot, not by a pid of another host', async () => {
    const { fleet, dataDir } = await tempFleet();
    const acme = await fleet.create('acme', { jurisdiction: 'eu' });
    const staging = path.join(dataDir, 'regions', 'eu-west', 'staging');
    mkdirSync(staging, { recursive: true });
    const planted = [
      plantTempOwners(fileOf(acme.dbUrl, dataDir)),
      plantTempOwners(path.join(dataDir, 'templates', 'sample-v2-0000.db')),
      plantTempOwners(path.join(staging, 'acme.export.db')),
    ];

    const report = await fleet.doctor({ scanFiles: true });

    for (const one of planted) expectTempOwnersJudged(one);
    expect(report.leftoversRemoved.sort()).toEqual(planted.flatMap((one) => Object.values(one.removed)).sort());
  });

  it('the staging sweep at every start judges them alike', async () => {
    const { fleet, dataDir } = await tempFleet();
    await fleet.close();
    const staging = path.join(dataDir, 'regions', 'eu-west', 'staging');
    mkdirSync(staging, { recursive: true });
    const planted = plantTempOwners(path.join(staging, 'acme.backup.db'));

    const reopened = await openFleet({ schema: sampleSchema(), dataDir });
    try {
      expectTempOwnersJudged(planted);
      expect(reopened.startupReport?.leftoversRemoved.sort()).toEqual(Object.values(planted.removed).sort());
    } finally {
      await reopened.close();
    }
  });

  it('a purge removes only those staged copies of the instance', async () => {
    const { fleet, dataDir } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    const staging = path.join(dataDir, 'regions', 'eu-west', 'staging');
    mkdirSync(staging, { recursive: true });
    const planted = plantTempOwners(path.join(staging, 'acme.export.db'));

    await fleet.delete('acme');
    await fleet.purge('acme');

    expectTempOwnersJudged(planted);
  });

  it('an export to a file removes only those beside its destination', async () => {
    const { fleet } = await tempFleet();
    await fleet.create('acme', { jurisdiction: 'eu' });
    const target = path.join(tempDir(), 'acme.sqlite');
    const planted = plantTempOwners(target);

    await fleet.exportTo('acme', target);

    expectTempOwnersJudged(planted);
  });

  it('a backup sweeps only those in its location', async () => {
    const { fleet, dataDir } = await tempFleet();
    const acme = await fleet.create('acme', { jurisdiction: 'eu' });
    const chunks = path.join(dataDir, 'regions', 'eu-west', 'backups', 'instances', acme.id, 'chunks');
    mkdirSync(chunks, { recursive: true });
    const planted = plantTempOwners(path.join(chunks, '0'.repeat(64)));

    await fleet.backups.now('acme');

    expectTempOwnersJudged(planted);
  });

  it('residency shows another host\'s recent one as in flight, and a day-old one as an orphan', async () => {
    const { fleet, dataDir } = await tempFleet();
    const staging = path.join(dataDir, 'regions', 'eu-west', 'staging');
    mkdirSync(staging, { recursive: true });
    const { kept, removed } = plantTempOwners(path.join(staging, 'gone.export.db'), HOUR);

    const listing = await fleet.residency();

    const inFlight = listing.inFlight.map((place) => place.location);
    const orphans = listing.orphans.map((orphan) => orphan.location);
    expect(inFlight.sort()).toEqual(Object.values(kept).sort());
    expect(orphans.sort()).toEqual(Object.values(removed).sort());
  });
});
