import { Option, type Command } from 'commander';
import type { Fleet, InstanceMoveResult, MoveReport } from '@silo/fleet';
import { formatCount, formatDuration } from '@silo/fleet/format';
import { withFleet, type CliContext } from '../context';
import { EXIT } from '../errors';
import { renderTable } from '../format/table';
import { plural } from '../format/values';
import { examples } from '../help';
import { integerOption } from '../options';
import { progressBar, type Progress } from '../progress';

interface MoveCommandOptions {
  to: 'turso';
  only?: string[];
  concurrency: number;
  dryRun?: boolean;
  keepLocal?: boolean;
  json?: boolean;
}

/** `silo move --to turso`: copy instances from local files to Turso and switch them over, resumably. */
export function registerMove(program: Command, ctx: CliContext): void {
  const move = program
    .command('move')
    .summary('move instances from local files to Turso')
    .description(
      'move instances from local files to Turso: each one is taken out of service for the copy (the apps answer 503 with Retry-After), ' +
        'uploaded, verified, switched over in the catalog, and its local file removed. Interrupted or failed moves leave the instance ' +
        'on its local file; run the command again to continue. The target is configured by SILO_ENGINE=turso and the SILO_TURSO_* variables.',
    )
    .addOption(new Option('--to <engine>', 'the engine to move to').choices(['turso']).makeOptionMandatory())
    .option('--only <name...>', 'only these instances')
    .option('--concurrency <n>', 'instances moved at once', integerOption(1, 64), 4)
    .option('--dry-run', 'list what would move; change nothing')
    .option('--keep-local', 'keep each moved instance\'s local file (sealed against writes) until a later run without this flag')
    .option('--json', 'print the report as JSON')
    .action(async (options: MoveCommandOptions, cmd: Command) => {
      await withFleet(ctx, cmd, (fleet) => runMove(fleet, ctx, options));
    });
  examples(move, [
    'silo move --to turso --dry-run',
    'silo move --to turso --concurrency 8',
    'silo move --to turso --only acme initech',
    'silo move --to turso --keep-local',
  ]);
}

async function runMove(fleet: Fleet, ctx: CliContext, options: MoveCommandOptions): Promise<void> {
  const { output } = ctx;
  // Started on the first result: only then is it known how many instances are still on local files.
  let bar: Progress | undefined;
  let report: MoveReport;
  try {
    report = await fleet.moveInstances({
      to: options.to,
      only: options.only,
      concurrency: options.concurrency,
      dryRun: options.dryRun,
      keepLocal: options.keepLocal,
      actor: ctx.actor,
      onWarning: (message) => output.note(`${output.errStyle.yellow('silo: warning:')} ${message}`),
      onProgress: (progress) => {
        bar ??= progressBar(output, progress.total, 'moving {bar} {value}/{total} | {moved} moved | {skipped} skipped | {failed} failed');
        bar.update(progress.done, { moved: progress.moved, skipped: progress.skipped, failed: progress.failed });
      },
    });
  } finally {
    bar?.stop();
  }
  if (report.failed > 0) ctx.exitCode = EXIT.failed;
  if (options.json) return output.json(report);
  printReport(ctx, report, options);
}

function printReport(ctx: CliContext, report: MoveReport, options: MoveCommandOptions): void {
  const { output } = ctx;
  const took = formatDuration(report.durationMs);
  const already = report.alreadyMoved > 0 ? `; ${formatCount(report.alreadyMoved)} already on ${report.to}` : '';
  const cleaned = report.localFilesRemoved > 0 ? `; removed ${plural(report.localFilesRemoved, 'old local file')}` : '';
  if (report.results.length === 0) {
    output.print(`No instance is left on local files${already}${cleaned}; nothing to move.`);
    return;
  }
  const failed = report.failed > 0 ? output.style.red(`, ${formatCount(report.failed)} failed`) : '';
  output.print(
    options.dryRun
      ? `Dry run: ${plural(report.results.filter((r) => r.status === 'would-move').length, 'instance')} would move to ${report.to}, ${formatCount(report.skipped)} skipped${failed}${already}. Nothing was changed.`
      : `Moved ${plural(report.moved, 'instance')} to ${report.to}, ${formatCount(report.skipped)} skipped${failed}${already}${cleaned} (${took}).`,
  );
  output.print('');
  output.print(
    renderTable(
      ['status', 'instances'],
      (['moved', 'would-move', 'skipped', 'failed'] as const)
        .map((status) => [status, report.results.filter((r) => r.status === status).length] as const)
        .filter(([, count]) => count > 0)
        .map(([status, count]) => [statusText(ctx, status), formatCount(count)]),
      { style: output.style, align: ['left', 'right'] },
    ),
  );
  const notMoved = report.results.filter((r) => r.status === 'skipped' || r.status === 'failed').sort(byStatusThenName);
  if (notMoved.length > 0) {
    output.print('');
    output.print(
      renderTable(
        ['instance', 'status', 'reason'],
        notMoved.map((result) => [result.instance, statusText(ctx, result.status), result.reason ?? '']),
        { style: output.style },
      ),
    );
  }
  if (report.failed > 0) {
    output.note('Failed instances stay on their local files and keep being served from them. Fix the cause and run `silo move` again: it continues with what is left.');
  }
}

function statusText(ctx: CliContext, status: InstanceMoveResult['status']): string {
  const { style } = ctx.output;
  if (status === 'failed') return style.red(status);
  if (status === 'skipped') return style.yellow(status);
  return style.green(status);
}

function byStatusThenName(a: InstanceMoveResult, b: InstanceMoveResult): number {
  return a.status === b.status ? a.instance.localeCompare(b.instance) : a.status === 'failed' ? -1 : 1;
}
