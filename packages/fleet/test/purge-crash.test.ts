/**
 * Purge under kill -9 (issue #21, item 1). A purge is an erasure request: however a crash
 * interrupts it, reconciliation must leave either the instance intact and restorable, or the
 * instance gone from the catalog with a purge marker in EVERY location it had backups in and
 * no tenant file. The instance here has points in two locations: its region's old one (still
 * configured, for the other EU region) and its region's new one.
 *
 * SILO_PURGE_KILL_TRIALS raises the number of random-kill trials (default 20; 100 for the
 * issue's "Done means").
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FailpointName } from '../src/failpoints';
import { openFleet, type Fleet, type FleetOptions } from '../src/index';
import { killAllChildren, runChild, startChild, type ChildRun } from './fixtures/children';
import { fileOf, sampleSchema, tempDir, tempLeftovers } from './helpers';

afterEach(killAllChildren);

const TRIALS = Number(process.env['SILO_PURGE_KILL_TRIALS'] ?? 20);

interface Setup {
  dataDir: string;
  /** eu-west's location when the instance was first backed up; later eu-central's (still configured). */
  oldFolder: string;
  /** eu-west's location from then on. */
  newFolder: string;
  id: string;
  dbUrl: string;
  bystanderId: string;
}

function folders(dataDir: string): { oldFolder: string; newFolder: string; spare: string } {
  const root = path.join(dataDir, 'backup-locations');
  return { oldFolder: path.join(root, 'eu-a'), newFolder: path.join(root, 'eu-b'), spare: path.join(root, 'eu-c') };
}

function locations(map: Record<string, string>): NonNullable<FleetOptions['backups']> {
  return { locations: Object.fromEntries(Object.entries(map).map(([region, folder]) => [region, { kind: 'folder' as const, path: folder, jurisdiction: region.startsWith('us') ? 'us' : 'eu' }])) };
}

/** The configuration after the move of eu-west's backups: what the child and the checks use. */
function laterFolders(setup: Pick<Setup, 'oldFolder' | 'newFolder'>): Record<string, string> {
  return { 'eu-west': setup.newFolder, 'eu-central': setup.oldFolder };
}

async function prepare(): Promise<Setup> {
  const dataDir = tempDir('silo-purge-');
  const { oldFolder, newFolder, spare } = folders(dataDir);
  const first = await openFleet({ dataDir, schema: sampleSchema(), backups: locations({ 'eu-west': oldFolder, 'eu-central': spare }) });
  const victim = await first.create('victim', { jurisdiction: 'eu', region: 'eu-west' });
  const bystander = await first.create('bystander', { jurisdiction: 'eu', region: 'eu-west' });
  await first.withInstance('victim', (db) => db.execute("INSERT INTO notes (body) VALUES ('kept')"));
  await first.backups.now('victim');
  await first.backups.now('bystander');
  await first.close();
  return { dataDir, oldFolder, newFolder, id: victim.id, dbUrl: victim.dbUrl, bystanderId: bystander.id };
}

function markerOf(folder: string, id: string): string {
  return path.join(folder, 'instances', id, 'purged.json');
}

/** Opens the fleet as a restarted server would (reconciliation on open) and checks the outcome. */
async function expectResolved(setup: Setup, label: string): Promise<'intact' | 'purged'> {
  const fleet: Fleet = await openFleet({ dataDir: setup.dataDir, schema: sampleSchema(), backups: locations(laterFolders(setup)) });
  try {
    const markers = [setup.oldFolder, setup.newFolder].map((folder) => existsSync(markerOf(folder, setup.id)));
    const row = fleet.find('victim');
    let outcome: 'intact' | 'purged';
    if (row) {
      expect(row.id, label).toBe(setup.id);
      expect(['ready', 'deleted'], label).toContain(row.state);
      // Intact: never marked, and it can be brought back with its data.
      expect(markers, label).toEqual([false, false]);
      if (row.state === 'deleted') await fleet.undelete('victim');
      expect((await fleet.query('victim', 'SELECT body FROM notes')).rows, label).toEqual([['kept']]);
      outcome = 'intact';
    } else {
      // Gone: a marker in every location it had backups in, and no tenant file.
      expect(markers, label).toEqual([true, true]);
      expect(existsSync(fileOf(setup.dbUrl, setup.dataDir)), label).toBe(false);
      // The name is free again, for a new instance with backups of its own.
      const again = await fleet.create('victim', { jurisdiction: 'eu', region: 'eu-west' });
      expect(again.id, label).not.toBe(setup.id);
      outcome = 'purged';
    }
    // Nothing else was touched, nothing is left half-done.
    expect(fleet.require('bystander').state, label).toBe('ready');
    expect(existsSync(markerOf(setup.oldFolder, setup.bystanderId)), label).toBe(false);
    const report = await fleet.doctor({ scanFiles: true });
    // A backup the kill cut short leaves a temp file in its location: retention sweeps those.
    await fleet.backups.applyRetention();
    expect(report.purgeFailures, label).toEqual([]);
    expect(report.orphans, label).toEqual([]);
    expect(report.orphanBackups, label).toEqual([]);
    expect(fleet.list({ state: 'provisioning' }).total, label).toBe(0);
    expect(tempLeftovers(setup.dataDir), label).toEqual([]);
    return outcome;
  } finally {
    await fleet.close();
  }
}

describe('a purge killed at each of its steps', () => {
  it.each<FailpointName>(['purge:after-intent', 'purge:after-markers', 'purge:after-remove'])('at %s is finished by reconciliation, with a marker in every location', async (failpoint) => {
    const setup = await prepare();
    const later = await openFleet({ dataDir: setup.dataDir, schema: sampleSchema(), backups: locations(laterFolders(setup)) });
    await later.backups.now('victim');
    await later.delete('victim');
    await later.close();

    const exit = await runChild({ command: 'purge', dataDir: setup.dataDir, name: 'victim', backupFolders: laterFolders(setup) }, { failpoint });
    expect(exit.signal, exit.stderr).toBe('SIGKILL');

    // Until a reconciler finishes it: not restorable, and the name is not free.
    const noReconcile = await openFleet({ dataDir: setup.dataDir, schema: sampleSchema(), backups: locations(laterFolders(setup)), reconcileOnOpen: false });
    try {
      await expect(noReconcile.undelete('victim')).rejects.toMatchObject({ code: 'INVALID_STATE' });
      await expect(noReconcile.create('victim', { jurisdiction: 'eu' })).rejects.toMatchObject({ code: 'NAME_TAKEN' });
      const report = await noReconcile.doctor({ purgeExpired: false });
      expect(report.purgesCompleted).toEqual(['victim']);
      // The erasure is on record although the purging process died before writing its entry.
      expect(noReconcile.audit({ instance: 'victim', operation: 'purge' }).items[0]).toMatchObject({
        actor: 'reconcile',
        outcome: 'ok',
        detail: { resumed: true, requestedBy: 'system', instanceId: setup.id, locations: [setup.oldFolder, setup.newFolder].sort() },
      });
    } finally {
      await noReconcile.close();
    }
    expect(await expectResolved(setup, failpoint)).toBe('purged');
  });
});

describe('the delete → undelete → delete → purge lifecycle killed at random moments', () => {
  it(`always ends intact and restorable, or purged with every marker (${TRIALS} trials)`, { timeout: 60_000 + TRIALS * 4_000 }, async () => {
    // How long the lifecycle takes in a child here, so kill times spread over all of it.
    const calibration = await prepare();
    const timed = startChild({ command: 'lifecycle', dataDir: calibration.dataDir, name: 'victim', backupFolders: laterFolders(calibration) });
    await timed.waitFor('ready');
    const goAt = Date.now();
    timed.send('go');
    const exit = await timed.exited;
    expect(exit.code, timed.describe()).toBe(0);
    const stepAt = (step: string): number => {
      const found = exit.events.find((event) => event.event === 'step' && event.step === step);
      return found && found.event === 'step' ? found.at - goAt : 0;
    };
    const span = Math.max(5, stepAt('purged') + 2);
    // Half of the kills anywhere in the lifecycle; half within the purge itself (a few ms),
    // timed from the moment the child reports the second delete.
    const purgeSpan = Math.max(2, stepAt('purged') - stepAt('deleted-again'));
    expect(await expectResolved(calibration, 'calibration')).toBe('purged');

    const outcomes = { intact: 0, purged: 0 };
    const killedAfter: string[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      const setup = await prepare();
      const child = startChild({ command: 'lifecycle', dataDir: setup.dataDir, name: 'victim', backupFolders: laterFolders(setup) });
      await child.waitFor('ready');
      const inPurge = trial % 2 === 1;
      const delay = Math.random() * (inPurge ? purgeSpan : span);
      child.send('go');
      if (inPurge) await child.waitFor('step').then(() => waitForStep(child, 'deleted-again'));
      await new Promise((resolve) => setTimeout(resolve, delay));
      child.kill('SIGKILL');
      const ended = await child.exited;
      const steps = ended.events.flatMap((event) => (event.event === 'step' ? [event.step] : []));
      killedAfter.push(steps.at(-1) ?? 'start');
      const label = `trial ${trial}: killed ${delay.toFixed(1)} ms after ${inPurge ? 'the second delete' : 'go'} (of ${inPurge ? purgeSpan : span} ms), after ${steps.at(-1) ?? 'nothing'}; ${child.describe()}`;
      outcomes[await expectResolved(setup, label)]++;
    }
    // Printed so a run shows how the kills spread over the steps.
    console.info(`purge lifecycle: ${TRIALS} trials, ${outcomes.intact} intact, ${outcomes.purged} purged; killed after: ${JSON.stringify(countBy(killedAfter))}`);
    expect(outcomes.intact + outcomes.purged).toBe(TRIALS);
  });
});

/** Resolves once the child reported this step (or ended: the kill then finds it gone). */
async function waitForStep(child: ChildRun, step: string): Promise<void> {
  for (;;) {
    if (child.events.some((event) => event.event === 'step' && event.step === step)) return;
    const ended = await Promise.race([child.exited.then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), 0))]);
    if (ended) return;
  }
}

function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}
