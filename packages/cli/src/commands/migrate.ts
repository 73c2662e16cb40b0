import { Option, type Command } from 'commander';
import type { Fleet, MigrateAllReport } from '@silo/fleet';
import { formatCount, formatDuration } from '@silo/fleet/format';
import { withFleet, type CliContext } from '../context';
import { EXIT } from '../errors';
import { renderPairs, renderTable } from '../format/table';
import { plural } from '../format/values';
import { examples } from '../help';
import { integerOption } from '../options';
import { onInterrupt, signalWords } from '../interrupt';
import { progressBar, type Progress } from '../progress';

interface MigrateOptions {
  status?: boolean;
  dryRun?: boolean;
  concurrency?: number;
  jurisdiction?: string;
  region?: string;
  json?: boolean;
}

/** `silo migrate`: bring every ready instance to the latest schema, or report how far behind it is. */
export function registerMigrate(program: Command, ctx: CliContext): void {
  const migrate = program
    .command('migrate')
    .summary('migrate the fleet to the latest schema')
    .description('migrate every ready instance to the latest schema, each in its own transaction')
    .addOption(new Option('--status', 'only report: latest version, instances behind, pending migrations').conflicts(['dryRun', 'concurrency']))
    .option('--dry-run', 'run each migration inside its transaction, then roll it back')
    .option('--concurrency <n>', 'instances migrated at once (default: two per SILO_FLEET_WORKERS thread on local files, else 1)', integerOption(1, 64))
    .option('--jurisdiction <id>', 'only instances in this jurisdiction')
    .option('--region <id>', 'only instances in this region')
    .option('--json', 'print the status or the report as JSON')
    .action(async (options: MigrateOptions, cmd: Command) => {
      await withFleet(ctx, cmd, async (fleet) => {
        if (options.status) return printStatus(fleet, ctx, options);
        await runMigrations(fleet, ctx, options);
      });
    });
  examples(migrate, ['silo migrate --status', 'silo migrate --dry-run', 'silo migrate --concurrency 4', 'silo migrate --jurisdiction eu']);
}

function printStatus(fleet: Fleet, ctx: CliContext, options: MigrateOptions): void {
  const status = fleet.migrationStatus();
  const { output } = ctx;
  if (options.json) return output.json(status);
  output.print(
    renderPairs(
      [
        ['latest schema version', String(status.latestVersion)],
        ['instances behind', status.behind === 0 ? output.style.green('0') : output.style.yellow(formatCount(status.behind))],
      ],
      '',
    ),
  );
  if (status.byVersion.length > 0) {
    output.print('');
    output.print(renderTable(['schema version', 'instances'], status.byVersion.map((entry) => [String(entry.version), formatCount(entry.count)]), { style: output.style, align: ['right', 'right'] }));
  }
  output.print('');
  if (status.pending.length === 0) {
    output.print('No pending migrations.');
  } else {
    output.print(output.style.bold('Pending migrations'));
    output.print(
      renderTable(
        ['version', 'migration', 'instances needing it'],
        status.pending.map((entry) => [String(entry.version), entry.name, formatCount(entry.instances)]),
        { style: output.style, align: ['right', 'left', 'right'] },
      ),
    );
    if (fleet.list({ state: ['deleted'], limit: 1 }).total > 0) output.print(output.style.dim('Deleted instances are counted too; they are migrated when restored. Run `silo migrate` for the ready ones.'));
  }
}

async function runMigrations(fleet: Fleet, ctx: CliContext, options: MigrateOptions): Promise<void> {
  const { output } = ctx;
  const filter = { jurisdiction: options.jurisdiction, region: options.region };
  fleet.regions.assertKnown(filter);
  const latest = fleet.schema.latestVersion;
  const total = fleet.list({ ...filter, state: 'ready', schemaBelow: latest, limit: 1 }).total;
  const bar: Progress = progressBar(output, total, 'migrating {bar} {value}/{total} | {succeeded} ok | {failed} failed | {remaining} left', {
    succeeded: 0,
    failed: 0,
    remaining: total,
  });
  let report: MigrateAllReport;
  // Ctrl+C (or a SIGTERM) stops the run cleanly: the instances in flight finish, and what was
  // done is recorded (catalog versions, the audit entry) before the command exits. A second
  // one exits at once, as a stuck run must still be stoppable.
  const stop = new AbortController();
  const stopListening = onInterrupt((signal) => {
    if (stop.signal.aborted) process.exit(EXIT.interrupted);
    stop.abort();
    output.note(`${signalWords(signal)}: finishing the instances in flight, then stopping (again to stop at once).`);
  });
  try {
    report = await fleet.migrateAll({
      signal: stop.signal,
      dryRun: options.dryRun,
      concurrency: options.concurrency,
      filter,
      onProgress: (progress) =>
        bar.update(progress.done, { succeeded: progress.succeeded, failed: progress.failed, remaining: progress.total - progress.done }),
    });
  } finally {
    stopListening();
    bar.stop();
  }
  if (report.failed > 0) ctx.exitCode = EXIT.failed;
  if (report.interrupted) ctx.exitCode = EXIT.interrupted;
  if (options.json) return output.json(report);

  if (report.results.length === 0) {
    output.print(`Every ready instance is at schema version ${report.targetVersion}; nothing to migrate.`);
    return;
  }
  const took = formatDuration(report.durationMs);
  if (report.interrupted) {
    output.print(
      `Interrupted: ${plural(report.migrated, 'instance')} migrated to version ${report.targetVersion}, ${formatCount(report.failed)} failed, ${formatCount(total - report.results.length)} not tried (${took}). Run \`silo migrate\` again to finish.`,
    );
    return;
  }
  const upToDate = report.upToDate > 0 ? `; ${formatCount(report.upToDate)} already up to date` : '';
  const failedText = report.failed > 0 ? output.style.red(`; ${formatCount(report.failed)} failed`) : '';
  output.print(
    options.dryRun
      ? `Dry run: ${plural(report.migrated, 'instance')} would migrate to version ${report.targetVersion}${upToDate}${failedText} (${took}). Nothing was changed.`
      : `Migrated ${plural(report.migrated, 'instance')} to version ${report.targetVersion}${upToDate}${failedText} (${took}).`,
  );
  const failures = report.results.filter((result) => result.status === 'failed').sort((a, b) => a.instance.localeCompare(b.instance));
  if (failures.length > 0) {
    output.print('');
    output.print(
      renderTable(
        ['instance', 'from version', 'error'],
        failures.map((result) => [result.instance, result.from === null ? '—' : String(result.from), result.error ?? 'unknown error']),
        { style: output.style },
      ),
    );
    output.note('Failed instances keep their old schema (each migration is one transaction). Fix the cause and run `silo migrate` again: it only touches instances still behind.');
  }
}
