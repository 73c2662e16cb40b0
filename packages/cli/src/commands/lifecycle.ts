import { Option, type Command } from 'commander';
import { validateName, type Fleet, type RestoreResult } from '@silo/fleet';
import { withFleet, type CliContext } from '../context';
import { CliFailure, EXIT, UsageError } from '../errors';
import { placed } from '../format/instances';
import { formatDate } from '../format/time';
import { plural } from '../format/values';
import { examples } from '../help';
import { AT_HELP, parseTime } from '../options';

interface CreateOptions {
  jurisdiction: string;
  region?: string;
  displayName?: string;
  json?: boolean;
}

interface JsonOption {
  json?: boolean;
}

interface RestoreFlags {
  at?: number;
  as?: string;
  inPlace?: boolean;
  region?: string;
  undo?: boolean;
  point?: string;
  json?: boolean;
}

interface PurgeOptions {
  expired?: boolean;
  yes?: boolean;
  json?: boolean;
}

const DAY = 24 * 60 * 60 * 1000;

/** `silo create`, `delete`, `undelete`, `restore` and `purge`: an instance's life from birth to removal. */
export function registerLifecycle(program: Command, ctx: CliContext): void {
  const create = program
    .command('create')
    .summary('create an instance')
    .description('create an instance at the latest schema, placed in a region of its jurisdiction')
    .argument('<name>', '3–63 lowercase letters, digits and single hyphens')
    .requiredOption('--jurisdiction <id>', 'where its data must stay (e.g. eu, us)')
    .option('--region <id>', 'a region of that jurisdiction (default: its first region)')
    .option('--display-name <text>', 'a human name (default: the name)')
    .option('--json', 'print the new instance as JSON')
    .action(async (name: string, options: CreateOptions, cmd: Command) => {
      await withFleet(ctx, cmd, async (fleet) => {
        const instance = await fleet.create(name, {
          jurisdiction: options.jurisdiction,
          region: options.region,
          displayName: options.displayName,
        });
        if (options.json) return ctx.output.json(instance);
        ctx.output.print(`Created ${placed(instance)} at schema version ${instance.schemaVersion}.`);
      }, { createsFleet: true });
    });
  examples(create, ['silo create acme --jurisdiction eu', 'silo create initech --jurisdiction us --region us-east --display-name "Initech Inc."']);

  const del = program
    .command('delete')
    .summary('soft-delete an instance (undeletable)')
    .description('soft-delete an instance: unreachable at once, `silo undelete` brings it back until the retention window ends')
    .argument('<name>', 'instance name')
    .option('--json', 'print the instance as JSON')
    .action(async (name: string, options: JsonOption, cmd: Command) => {
      await withFleet(ctx, cmd, async (fleet) => {
        const instance = await fleet.delete(name);
        if (options.json) return ctx.output.json(instance);
        const purgeAt = (instance.deletedAt ?? Date.now()) + fleet.settings.retentionMs;
        ctx.output.print(
          `Deleted "${instance.name}". Undelete it with \`silo undelete ${instance.name}\` until ${formatDate(purgeAt)} (${retentionText(fleet)}); after that it is purged for good.`,
        );
      });
    });
  examples(del, ['silo delete acme', 'silo undelete acme']);

  const undelete = program
    .command('undelete')
    .summary('bring a deleted instance back')
    .description('bring a soft-deleted instance back before it is purged (migrating it if the schema moved on meanwhile)')
    .argument('<name>', 'instance name')
    .option('--json', 'print the instance as JSON')
    .action(async (name: string, options: JsonOption, cmd: Command) => {
      await withFleet(ctx, cmd, (fleet) => undeleteOne(fleet, ctx, name, options));
    });
  examples(undelete, ['silo undelete acme']);

  const restore = program
    .command('restore')
    .summary('go back to a backup point')
    .description(
      'restore the newest backup point taken at or before --at, as a new instance (--as) or in place (--in-place, undoable with --undo).\n' +
        'Without --at or --undo it still undeletes, as before: deprecated, use `silo undelete` (this alias goes in the next release)',
    )
    .argument('<name>', 'instance name')
    .option('--at <time>', AT_HELP, (value: string) => parseTime(value))
    .option('--as <new-name>', 'restore into a new instance of this name; the original keeps serving')
    .addOption(new Option('--in-place', 'replace the instance\'s content; the replaced state is kept as an undo point').conflicts(['as', 'region']))
    .option('--region <id>', 'with --as: a region of the same jurisdiction')
    // Undo goes back to a point the last in-place restore kept: no moment, target or region to choose.
    .addOption(new Option('--undo', 'undo the last in-place restore (the replaced state comes back)').conflicts(['at', 'as', 'inPlace', 'region']))
    .addOption(new Option('--point <id>', 'with --undo: go back to this point instead').conflicts(['at', 'as', 'inPlace', 'region']))
    .option('--json', 'print the result as JSON')
    .action(async (name: string, options: RestoreFlags, cmd: Command) => {
      const pointInTime = options.at !== undefined || options.as !== undefined || options.inPlace || options.undo || options.point !== undefined || options.region !== undefined;
      if (!pointInTime) {
        ctx.output.note(`${ctx.output.errStyle.yellow('silo: warning:')} \`silo restore <name>\` without --at or --undo is deprecated: use \`silo undelete <name>\` (this alias goes in the next release).`);
        return withFleet(ctx, cmd, (fleet) => undeleteOne(fleet, ctx, name, options));
      }
      await withFleet(ctx, cmd, (fleet) => restoreFromBackup(fleet, ctx, name, options));
    });
  examples(restore, [
    'silo restore acme --at "2026-11-27 15:00" --as acme-before-import',
    'silo restore acme --at 30m --in-place',
    'silo restore acme --undo',
  ]);

  const purge = program
    .command('purge')
    .summary('remove a deleted instance for good')
    .description('remove a deleted (or failed) instance and its database for good')
    .argument('[name]', 'instance name')
    .option('--expired', 'purge every instance deleted longer ago than the retention window')
    .option('-y, --yes', 'do not ask for confirmation (required when stdin is not a terminal)')
    .option('--json', 'print what was purged as JSON')
    .action(async (name: string | undefined, options: PurgeOptions, cmd: Command) => {
      if (name !== undefined && options.expired) throw new UsageError('Give an instance name or --expired, not both.', 'purge');
      if (name !== undefined) {
        await withFleet(ctx, cmd, (fleet) => purgeOne(fleet, ctx, name, options));
      } else if (options.expired) {
        // Opening would purge expired deletions itself (as "retention"); here the user does it, and sees it.
        await withFleet(ctx, cmd, (fleet) => purgeExpired(fleet, ctx, options), { reconcileOnOpen: false });
      } else {
        throw new UsageError('Which instance? Give its name, or --expired to purge every expired deletion.', 'purge');
      }
    });
  examples(purge, ['silo purge acme', 'silo purge acme --yes', 'silo purge --expired --yes']);
}

async function undeleteOne(fleet: Fleet, ctx: CliContext, name: string, options: JsonOption): Promise<void> {
  // The fleet answers an undelete of a live instance with the instance, so a retried undelete
  // succeeds (as purging what is gone does); only the state before tells the operator that
  // nothing was brought back. Other states are refused by the fleet (INVALID_STATE).
  const wasDeleted = fleet.require(name).state === 'deleted';
  const instance = await fleet.undelete(name);
  if (options.json) return ctx.output.json(instance);
  ctx.output.print(
    wasDeleted
      ? `Undeleted "${instance.name}": ${instance.state}, at schema version ${instance.schemaVersion}.`
      : `"${instance.name}" was not deleted: it is ${instance.state}, so there was nothing to undelete.`,
  );
}

async function restoreFromBackup(fleet: Fleet, ctx: CliContext, name: string, options: RestoreFlags): Promise<void> {
  let result: RestoreResult;
  // --point alone would replace the live data as an undo does: only when --undo says so.
  if (options.point !== undefined && !options.undo) throw new UsageError('--point goes with --undo: `silo restore <name> --undo --point <id>`.', 'restore');
  if (options.undo) {
    result = await fleet.backups.undoRestore(name, options.point ? { point: options.point } : {});
  } else {
    if (options.at === undefined) throw new UsageError('Which moment? Give --at (e.g. --at 15m, --at "2026-11-27 15:00").', 'restore');
    // Both at once, and --region without --as, are commander's conflicts (see the options).
    if (options.as === undefined && !options.inPlace) throw new UsageError('Say where to restore: --as <new-name> (a new instance) or --in-place (replace, undoable).', 'restore');
    // The fleet checks the new name only once it found a point: a bad one is a usage error first, as for create.
    if (options.as !== undefined) validateName(options.as);
    result = await fleet.backups.restore(name, { at: options.at, ...(options.as !== undefined ? { as: options.as } : { inPlace: true }), ...(options.region ? { region: options.region } : {}) });
  }
  if (options.json) return ctx.output.json(result);
  const taken = `${formatDate(result.point.takenAt)} (point ${result.point.id})`;
  if (result.mode === 'new-instance') {
    ctx.output.print(`Restored "${name}" as of ${taken} into a new instance ${placed(result.instance)}. "${name}" is unchanged.`);
  } else {
    ctx.output.print(`Restored "${name}" in place to ${taken}. The replaced state is point ${result.undoPoint?.id ?? '?'}: \`silo restore ${name} --undo\` brings it back.`);
  }
}

async function purgeOne(fleet: Fleet, ctx: CliContext, name: string, options: PurgeOptions): Promise<void> {
  const instance = fleet.require(name);
  // A live instance is refused by the fleet with the next step to take; no point asking first.
  if (instance.state === 'deleted' || instance.state === 'failed') {
    const confirmed = await confirm(
      ctx,
      options,
      `Purge "${name}" (${instance.state}) and its database for good? This cannot be undone. Type the name to confirm: `,
      name,
      `Refusing to purge "${name}" without confirmation: pass --yes (stdin is not a terminal, so silo cannot ask).`,
    );
    if (!confirmed) throw new CliFailure('Not purged: the confirmation did not match.');
  }
  const { purged } = await fleet.purge(name);
  if (options.json) return ctx.output.json({ purged: purged ? [name] : [] });
  ctx.output.print(purged ? `Purged "${name}": its database is gone and the name is free.` : `"${name}" was already gone.`);
}

async function purgeExpired(fleet: Fleet, ctx: CliContext, options: PurgeOptions): Promise<void> {
  const expired = fleet.expiredDeletions().map((instance) => instance.name);
  if (expired.length === 0) {
    if (options.json) return ctx.output.json({ purged: [], failed: [] });
    ctx.output.print(`Nothing to purge: no instance was deleted more than ${retentionText(fleet)} ago.`);
    return;
  }
  const confirmed = await confirm(
    ctx,
    options,
    `Purge ${plural(expired.length, 'expired instance')} for good (${expired.join(', ')})? This cannot be undone. [y/N] `,
    ['y', 'yes'],
    `Refusing to purge ${plural(expired.length, 'expired instance')} without confirmation: pass --yes (stdin is not a terminal, so silo cannot ask).`,
  );
  if (!confirmed) throw new CliFailure('Nothing purged.');
  const { purged, failed } = await fleet.purgeExpired();
  if (failed.length > 0) ctx.exitCode = EXIT.failed;
  if (options.json) return ctx.output.json({ purged, failed });
  if (purged.length > 0) ctx.output.print(`Purged ${plural(purged.length, 'instance')}: ${purged.join(', ')}.`);
  for (const failure of failed) ctx.output.error(`Could not purge ${failure.name}: ${failure.error}`);
}

/**
 * --yes, or a typed answer when stdin is a terminal. Without either, purging is a usage
 * error (exit code 2): a script must say --yes explicitly.
 */
async function confirm(ctx: CliContext, options: PurgeOptions, question: string, expected: string | readonly string[], refusal: string): Promise<boolean> {
  if (options.yes) return true;
  if (!ctx.prompt.interactive) throw new UsageError(refusal, 'purge');
  const answer = await ctx.prompt.ask(question);
  return typeof expected === 'string' ? answer === expected : expected.includes(answer.toLowerCase());
}

function retentionText(fleet: Fleet): string {
  const days = fleet.settings.retentionMs / DAY;
  return days === 1 ? '1 day' : `${Number.isInteger(days) ? days : days.toFixed(1)} days`;
}
