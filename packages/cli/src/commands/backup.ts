import type { Command } from 'commander';
import { formatBytes, type BackupOverview, type CycleReport, type Fleet, type InstanceBackupStatus, type VerificationReport } from '@silo/fleet';
import { recoverCatalog } from '@silo/fleet/internal';
import { formatCount, formatDuration } from '@silo/fleet/format';
import { fleetSettings, withFleet, type CliContext } from '../context';
import { CliFailure, EXIT, UsageError } from '../errors';
import type { Style } from '../format/style';
import { renderPairs, renderTable } from '../format/table';
import { formatDate, formatRelative } from '../format/time';
import { findingsText, plural, toJsonLine } from '../format/values';
import { ownerText, processOwner } from '../format/owner';
import { examples } from '../help';
import { whileWorking } from '../progress';
import { AT_HELP, integerOption, parseTime } from '../options';
import { namesFolder } from '../output-path';

interface JsonOption {
  json?: boolean;
}

/** `silo backup …`: the state of backups, points of an instance, backing up, verifying, and the scheduler. */
export function registerBackup(program: Command, ctx: CliContext): void {
  const backup = program
    .command('backup')
    .summary('backups: status, points, back up now, verify, run the scheduler')
    .description('automatic backups of every instance and the catalog, kept in the backup location of each region');

  const status = backup
    .command('status')
    .summary('backup status of an instance, or of the fleet')
    .description('show when an instance was last backed up, whether changes wait, its points and last verification; without a name, the fleet overview')
    .argument('[instance]', 'instance name')
    .option('--json', 'print as JSON')
    .action(async (name: string | undefined, options: JsonOption, cmd: Command) => {
      await withFleet(ctx, cmd, async (fleet) => {
        if (name === undefined) {
          const overview = fleet.backups.overview();
          if (overview.failing.length > 0 || (overview.lastVerification?.failed ?? 0) > 0) ctx.exitCode = EXIT.failed;
          if (options.json) return ctx.output.json({ ...overview, scheduler: overview.scheduler ? { ...overview.scheduler, ...processOwner(overview.scheduler.owner) } : null });
          return ctx.output.print(renderOverview(overview, ctx.output.style));
        }
        const state = await fleet.backups.status(name);
        if (state.lastError) ctx.exitCode = EXIT.failed;
        if (options.json) return ctx.output.json(state);
        ctx.output.print(renderStatus(state, ctx.output.style));
      });
    });
  examples(status, ['silo backup status', 'silo backup status acme', 'silo backup status acme --json']);

  const list = backup
    .command('list')
    .summary('backup points of an instance')
    .description('list the backup points of an instance, newest first: the moments `silo restore --at` can go back to')
    .argument('<instance>', 'instance name')
    .option('--limit <n>', 'how many points (1–10000)', integerOption(1, 10_000), 50)
    .option('--json', 'print as JSON')
    .action(async (name: string, options: JsonOption & { limit: number }, cmd: Command) => {
      await withFleet(ctx, cmd, async (fleet) => {
        const points = await fleet.backups.list(name, { limit: options.limit, details: true });
        if (options.json) return ctx.output.json(points);
        if (points.length === 0) return ctx.output.print(`"${name}" has no backup points yet. Take one with \`silo backup now ${name}\`.`);
        const now = Date.now();
        ctx.output.print(
          renderTable(
            ['point', 'taken', 'age', 'reason', 'size', 'stored'],
            points.map((point) => [
              point.id,
              formatDate(point.takenAt),
              formatRelative(point.takenAt, now),
              point.reason,
              point.sizeBytes === undefined ? '—' : formatBytes(point.sizeBytes),
              point.storedBytes === undefined ? '—' : formatBytes(point.storedBytes),
            ]),
            { style: ctx.output.style, align: ['left', 'left', 'left', 'left', 'right', 'right'], ...(ctx.output.width ? { width: ctx.output.width } : {}) },
          ),
        );
        ctx.output.print(ctx.output.style.dim(`newest first; "stored" is what each point added (unchanged chunks are shared). Restore with \`silo restore ${name} --at <time> --as <new-name>\`.`));
      });
    });
  examples(list, ['silo backup list acme', 'silo backup list acme --limit 500 --json']);

  const now = backup
    .command('now')
    .summary('back an instance up now')
    .description('take a backup point of an instance now, whether or not it changed')
    .argument('<instance>', 'instance name')
    .option('--json', 'print the point as JSON')
    .action(async (name: string, options: JsonOption, cmd: Command) => {
      await withFleet(ctx, cmd, async (fleet) => {
        const point = await whileWorking(ctx.output, `Backing up ${name}…`, () => fleet.backups.now(name));
        if (options.json) return ctx.output.json(point);
        ctx.output.print(`Backed up "${name}": point ${point.id} (${formatBytes(point.sizeBytes ?? 0)}, ${formatBytes(point.storedBytes ?? 0)} new).`);
      });
    });
  examples(now, ['silo backup now acme']);

  const verify = backup
    .command('verify')
    .summary('restore latest backups to a temp file and check them')
    .description('restore the latest point of a sample of instances (or of the named ones) to a temporary file, run integrity_check and compare row counts')
    .argument('[instances...]', 'instance names (default: a sample, least recently verified first)')
    .option('--sample <n>', 'how many instances when none are named', integerOption(1, 100_000))
    .option('--json', 'print the report as JSON')
    .action(async (names: string[], options: JsonOption & { sample?: number }, cmd: Command) => {
      // Named instances are all verified; the fleet would drop the sample size without a word.
      if (names.length > 0 && options.sample !== undefined) {
        throw new UsageError('--sample picks the instances when none are named; give instance names or --sample, not both.', 'backup verify');
      }
      await withFleet(ctx, cmd, async (fleet) => {
        const report = await whileWorking(ctx.output, 'Restoring and checking the latest points…', () =>
          fleet.backups.verify({ ...(names.length > 0 ? { instances: names } : {}), ...(options.sample ? { sample: options.sample } : {}) }),
        );
        if (report.failed > 0) ctx.exitCode = EXIT.failed;
        if (options.json) return ctx.output.json(report);
        ctx.output.print(renderVerification(report, ctx.output.style));
      });
    });
  examples(verify, ['silo backup verify', 'silo backup verify --sample 50', 'silo backup verify acme initech']);

  const run = backup
    .command('run')
    .summary('run the backup scheduler in the foreground')
    .description(
      'run the backup scheduler until stopped (Ctrl+C): every interval it backs up what changed, thins old points and verifies a sample. Several processes may run it; one works at a time.',
    )
    .option('--once', 'one cycle (plus retention and verification when due), then exit')
    .option('--json', 'print each cycle as a JSON line')
    .action(async (options: JsonOption & { once?: boolean }, cmd: Command) => {
      await withFleet(ctx, cmd, async (fleet) => {
        const report = (cycle: CycleReport): void => {
          if (options.json) ctx.output.print(toJsonLine(cycle));
          else ctx.output.print(cycleLine(cycle));
          if (cycle.failed > 0 || cycle.catalogError) ctx.exitCode = EXIT.failed;
        };
        if (options.once) {
          const cycle = await fleet.backups.tick();
          if (!cycle) {
            ctx.output.note('Another process is running the backup scheduler; nothing to do here.');
            return;
          }
          return report(cycle);
        }
        if (!fleet.settings.backups.enabled) {
          throw new CliFailure('Backups are off (SILO_BACKUPS=off): the scheduler does not run. Unset it to back up automatically.');
        }
        await runUntilStopped(fleet, ctx, report);
      });
    });
  examples(run, ['silo backup run', 'silo backup run --once', 'SILO_BACKUP_INTERVAL_SEC=5 silo backup run --json']);

  const forget = backup
    .command('forget-location')
    .summary('stop naming a backup location that is no longer configured')
    .description('once the contents of an old backup location were moved into the new one or deleted, stop naming it in `silo backup status` (a folder that is gone or empty is not named anyway)')
    .argument('<location>', 'the location as `silo backup status` names it: a folder path or s3://bucket/prefix')
    .action(async (location: string, _options: unknown, cmd: Command) => {
      await withFleet(ctx, cmd, async (fleet) => {
        await fleet.backups.forgetLocation(location, { actor: ctx.actor });
        ctx.output.print(`No longer naming ${location}.`);
      });
    });
  examples(forget, ['silo backup forget-location s3://old-bucket/silo']);

  const catalog = backup
    .command('catalog')
    .summary('write the catalog as it was at a moment to a file')
    .description('rebuild the catalog from its backups as it was at --at, into a new file (disaster recovery: stop Silo, remove catalog.db and its -wal and -shm files, then put it in place of catalog.db)')
    .requiredOption('--at <time>', AT_HELP, (value: string) => parseTime(value))
    .requiredOption('-o, --output <file>', 'the new file to write the catalog to (must not exist; not a folder)')
    .action(async (options: { at: number; output: string }, cmd: Command) => {
      // No default name to put inside a folder: a catalog.db written into the data folder could
      // meet the lost catalog's leftover WAL, which SQLite would replay into it.
      if (namesFolder(options.output)) {
        throw new UsageError(`-o ${options.output} names a folder; give the name of the new file to write, e.g. -o /tmp/catalog.db.`, 'backup catalog');
      }
      // Not withFleet: that opens the catalog, which may be the file that was lost or damaged.
      const point = await recoverCatalog(await fleetSettings(ctx, cmd), options.at, options.output);
      ctx.output.print(`Wrote the catalog as of ${formatDate(point.takenAt)} (point ${point.id}) to ${options.output}.`);
    });
  examples(catalog, ['silo backup catalog --at 2h -o /tmp/catalog.db']);
}

function runUntilStopped(fleet: Fleet, ctx: CliContext, report: (cycle: CycleReport) => void): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void fleet.backups.stop().then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    const interval = fleet.settings.backups.intervalMs;
    ctx.output.note(`Backing up changed instances every ${formatDuration(interval)} (Ctrl+C to stop).`);
    fleet.backups.start({ onCycle: report });
  });
}

function cycleLine(cycle: CycleReport): string {
  return `${new Date(cycle.at).toISOString()}  scanned ${formatCount(cycle.scanned)} in ${formatDuration(cycle.scanMs)}, ${formatCount(cycle.changed)} changed, ${formatCount(cycle.backedUp)} backed up, ${formatCount(cycle.failed)} failed${cycle.catalogBackedUp ? ', catalog backed up' : ''}${cycle.catalogError ? `, catalog FAILED: ${cycle.catalogError}` : ''} (${formatDuration(cycle.durationMs)})`;
}

function renderStatus(state: InstanceBackupStatus, style: Style): string {
  const now = Date.now();
  const when = (at: number | null): string => (at === null ? 'never' : `${formatDate(at)} (${formatRelative(at, now)})`);
  const verification = state.lastVerification;
  return [
    `Backups of "${state.instance}" (${state.region}, ${state.jurisdiction})`,
    renderPairs([
      ['location', state.location],
      ['last backup', when(state.lastBackupAt)],
      ['changes waiting', state.pending ? style.yellow(`yes, for ${formatDuration(state.lagMs)}`) : 'no'],
      ['points', `${formatCount(state.points)}${state.oldestPointAt === null ? '' : `, oldest ${formatDate(state.oldestPointAt)}`}`],
      ['last error', state.lastError ? style.red(`${state.lastError} (${plural(state.failures, 'failure')} in a row)`) : 'none'],
      ['last verification', verification ? `${verification.ok ? style.green('ok') : style.red(`failed: ${findingsText(verification.problems, 3)}`)} at ${formatDate(verification.at)}` : 'never'],
    ]),
  ].join('\n');
}

function renderOverview(overview: BackupOverview, style: Style): string {
  const lines = [
    `Backups: ${overview.enabled ? 'on' : style.yellow('off')}, every ${formatDuration(overview.intervalMs)}`,
    renderPairs([
      ['scheduler', overview.scheduler ? `running in ${ownerText(overview.scheduler.owner)}${overview.scheduler.lastCycle ? `; last cycle ${cycleLine(overview.scheduler.lastCycle)}` : ''}` : style.yellow('not running (start the admin console or `silo backup run`)')],
      ['instances', `${formatCount(overview.instances)} ready, ${formatCount(overview.backedUp)} backed up, ${formatCount(overview.neverBackedUp)} never`],
      ['oldest last backup', overview.oldestLastBackupAt === null ? '—' : formatDate(overview.oldestLastBackupAt)],
      ['last verification', overview.lastVerification ? `${overview.lastVerification.failed === 0 ? style.green('ok') : style.red(`${overview.lastVerification.failed} failed`)} (${overview.lastVerification.checked} checked, ${formatDate(overview.lastVerification.at)})` : 'never'],
      ...overview.locations.map((location): [string, string] => [`location ${location.region}`, `${location.location} (${location.jurisdiction})`]),
    ]),
  ];
  for (const retired of overview.retiredLocations) {
    lines.push(
      '',
      style.yellow(
        `No longer configured, still holding backups: ${retired.location} (last written ${formatDate(retired.lastUsedAt)}${retired.instances > 0 ? `; newest point of ${plural(retired.instances, 'instance')}` : ''}). Retention and purge no longer reach it: move its contents into the new location (same layout) or delete them, then \`silo backup forget-location ${retired.location}\` if it is a bucket.`,
      ),
    );
  }
  if (overview.failing.length > 0) {
    lines.push('', style.red(`${plural(overview.failing.length, 'instance')} failing to back up:`));
    for (const failing of overview.failing) lines.push(`  ${failing.instance}: ${failing.error} (${plural(failing.failures, 'failure')})`);
  }
  return lines.join('\n');
}

function renderVerification(report: VerificationReport, style: Style): string {
  if (report.checked === 0) return 'Nothing to verify: no instance has a backup point yet.';
  const lines = report.results.map((result) => `  ${result.ok ? style.green('ok    ') : style.red('FAILED')}  ${result.instance}${result.ok ? '' : `: ${findingsText(result.problems, 3)}`}`);
  lines.push('', report.failed === 0 ? style.green(`All ${plural(report.checked, 'backup')} restored and checked.`) : style.red(`${report.failed} of ${plural(report.checked, 'backup')} failed verification: restore from an earlier point and investigate the location.`));
  return lines.join('\n');
}
