import { formatCount } from '@silo/fleet/format';
import type { Command } from 'commander';
import type { Fleet } from '@silo/fleet';
import { invalidNameError, withFleet, type CliContext } from '../context';
import { renderAuditTable } from '../format/instances';
import { examples } from '../help';
import { AT_HELP, integerOption, parseOutcome, parseTime } from '../options';

interface AuditOptions {
  instance?: string;
  operation?: string;
  actor?: string;
  outcome?: 'ok' | 'error';
  since?: number;
  limit: number;
  json?: boolean;
}

/** `silo audit`: who did what to which instance, newest first. */
export function registerAudit(program: Command, ctx: CliContext): void {
  const audit = program
    .command('audit')
    .summary('show the audit log')
    .description('show the audit log of fleet operations, newest first')
    .option('--instance <name>', 'only this instance')
    .option('--operation <op>', 'only this operation (create, clone, import, delete, undelete, purge, export, "query (write)", migrate-all, ...)')
    .option('--actor <actor>', 'only this actor (e.g. cli:alice)')
    .option('--outcome <outcome>', 'only "ok" or "error"', parseOutcome)
    .option('--since <time>', `only entries at or after this moment: ${AT_HELP}`, (value: string) => parseTime(value))
    .option('--limit <n>', 'how many entries (1–1000)', integerOption(1, 1_000), 20)
    .option('--json', 'print { items, total } as JSON')
    .action(async (options: AuditOptions, cmd: Command) => {
      await withFleet(ctx, cmd, (fleet) => {
        if (options.instance !== undefined) assertFilterable(fleet, options.instance);
        const page = fleet.audit({
          instance: options.instance,
          operation: options.operation,
          actor: options.actor,
          outcome: options.outcome,
          ...(options.since === undefined ? {} : { since: options.since }),
          limit: options.limit,
        });
        const { output } = ctx;
        if (options.json) return output.json(page);
        if (page.total === 0) {
          output.print('No audit entries match.');
          // A misremembered operation name (`migrate all` is recorded as `migrate-all`) says which exist.
          const known = options.operation === undefined ? [] : fleet.auditOperations();
          if (options.operation !== undefined && !known.includes(options.operation)) {
            output.print(`No entry can have the operation "${options.operation}"; the log records: ${known.map((name) => (/\s/.test(name) ? `"${name}"` : name)).join(', ')}.`);
          }
          return;
        }
        output.print(renderAuditTable(page.items, { style: output.style, width: output.width }));
        output.print(output.style.dim(`showing ${formatCount(page.items.length)} of ${formatCount(page.total)} entries, newest first`));
      });
    });
  examples(audit, ['silo audit', 'silo audit --since 1h', 'silo audit --since 2026-11-27T00:00Z --outcome error', 'silo audit --instance acme', 'silo audit --operation "query (write)" --json', 'silo audit --outcome error --limit 100']);
}

/**
 * A name no instance can have (`../x`, `Acme`) is refused as every command refuses it (INVALID_NAME,
 * exit 2), rather than matching nothing in silence, unless the log holds entries under it: a
 * refused `create ../x` (or an API request for it) is recorded under the name it was given, and
 * finding such attempts is what the filter is for then.
 */
function assertFilterable(fleet: Fleet, name: string): void {
  const invalid = invalidNameError(name);
  if (invalid === undefined || logged(fleet, name)) return;
  // Names are lower case: "ACME" meant "acme", as other commands suggest.
  const lower = name.toLowerCase();
  const hint = lower !== name && invalidNameError(lower) === undefined && logged(fleet, lower) ? ` Did you mean "${lower}"?` : '';
  invalid.message = `${invalid.message.replace(/\.?$/, '; no audit entry names it either.')}${hint}`;
  throw invalid;
}

function logged(fleet: Fleet, instance: string): boolean {
  return fleet.audit({ instance, limit: 1 }).total > 0;
}
