import { Option, type Command } from 'commander';
import type { Fleet, InstanceInfo, InstanceState, ListQuery, SortKey } from '@silo/fleet';
import { csvLine } from '@silo/fleet/format';
import { TODO_SCHEMA_ID } from './demo';
import { eachListed, listedInstanceCells, listedInstanceColumns, listedInstance } from '@silo/fleet/internal';
import { withFleet, type CliContext } from '../context';
import { renderInstanceDetails, renderInstanceTable, pageFooter, type LibsqlConnection } from '../format/instances';
import { examples } from '../help';
import { INSTANCE_STATES, integerOption, parseSort, parseStates } from '../options';

interface ListOptions {
  state?: InstanceState[];
  jurisdiction?: string;
  region?: string;
  search?: string;
  sort?: SortKey;
  desc?: boolean;
  limit: number;
  page?: number;
  offset?: number;
  json?: boolean;
  csv?: boolean;
  all?: boolean;
}

interface ShowOptions {
  json?: boolean;
  auditLimit: number;
}

/** `silo instances list|show`, plus the `silo list` and `silo show` shortcuts. */
export function registerInstances(program: Command, ctx: CliContext): void {
  const instances = program.command('instances').description('list and inspect instances');
  examples(instances, ['silo instances list --jurisdiction eu', 'silo instances show acme']);
  addList(instances.command('list').alias('ls'), ctx, 'silo instances list');
  addShow(instances.command('show'), ctx, 'silo instances show');
  addList(program.command('list', { hidden: true }), ctx, 'silo list');
  addShow(program.command('show'), ctx, 'silo show');
}

function addList(command: Command, ctx: CliContext, usage: string): void {
  command
    .summary('list instances')
    .description('list instances, filtered, sorted and paged')
    .option('--state <states>', `only these states, comma-separated (${INSTANCE_STATES.join(', ')})`, parseStates)
    .option('--jurisdiction <id>', 'only this jurisdiction (e.g. eu, us)')
    .option('--region <id>', 'only this region (e.g. eu-west)')
    .option('--search <text>', 'name or display name contains this text')
    .option('--sort <key>', 'name, created, updated, lastActive, size, state, jurisdiction, region, schemaVersion or metric:<key>', parseSort)
    .option('--desc', 'sort descending')
    .option('--limit <n>', 'instances per page (1–1000)', integerOption(1, 1_000), 50)
    .addOption(new Option('--page <n>', 'page number, from 1').argParser(integerOption(1)).conflicts('offset'))
    .option('--offset <n>', 'skip this many instances', integerOption(0))
    .addOption(new Option('--all', 'every matching instance, not one page').conflicts(['limit', 'page', 'offset']))
    .addOption(new Option('--json', 'print { items, total } as JSON').conflicts('csv'))
    .option('--csv', 'print CSV with a header line (times in UTC ISO 8601, metrics as metric:<key>)')
    .action(async (options: ListOptions, cmd: Command) => {
      await withFleet(ctx, cmd, (fleet, config) => {
        fleet.regions.assertKnown(options);
        const offset = options.offset ?? ((options.page ?? 1) - 1) * options.limit;
        const query: ListQuery = {
          state: options.state,
          jurisdiction: options.jurisdiction,
          region: options.region,
          search: options.search,
          sort: options.sort,
          order: options.desc ? 'desc' : 'asc',
        };
        const { output } = ctx;
        const metricNames = config.metrics.map((metric) => metric.name);
        if (options.all && options.csv) return writeCsv(output.data.bind(output), eachListed((q) => fleet.list(q), query), metricNames);
        const page = options.all ? allOf(fleet, query) : fleet.list({ ...query, limit: options.limit, offset });
        if (options.json) return output.json(page);
        if (options.csv) {
          writeCsv(output.data.bind(output), page.items, metricNames);
          const shown = offset + page.items.length;
          // On stderr: a redirected CSV stays CSV, and a cut-off export does not go unnoticed.
          if (shown < page.total) output.note(`${pageFooter(offset, page.items.length, page.total)} · every one: --all`);
          return;
        }
        const filtered = [options.state, options.jurisdiction, options.region, options.search].some((value) => value !== undefined);
        if (page.total === 0 && !filtered) {
          const demo = fleet.schema.id === TODO_SCHEMA_ID ? ', or try `silo demo`' : '';
          output.print(`No instances yet. Create one with \`silo create <name> --jurisdiction ${fleet.regions.jurisdictions[0] ?? 'eu'}\`${demo}.`);
          return;
        }
        if (page.items.length > 0) output.print(renderInstanceTable(page.items, fleet.schema.latestVersion, { style: output.style, metrics: config.metrics, width: output.width }));
        let footer = pageFooter(offset, page.items.length, page.total);
        const next = offset + page.items.length;
        if (page.items.length > 0 && next < page.total) {
          footer += offset % options.limit === 0 ? ` · next: --page ${next / options.limit + 1}` : ` · next: --offset ${next}`;
        }
        output.print(output.style.dim(footer));
      });
    });
  examples(command, [
    usage,
    `${usage} --jurisdiction eu --state ready`,
    `${usage} --sort size --desc --limit 10`,
    `${usage} --sort metric:todos --desc   # a metric your app's silo.config defines (metrics)`,
    `${usage} --search acme --page 2`,
    `${usage} --json | jq '.items[].name'`,
    `${usage} --state ready --all --csv > instances.csv`,
  ]);
}

/** `--all`: every match as one page, in the list's order. */
function allOf(fleet: Fleet, query: ListQuery): { items: InstanceInfo[]; total: number } {
  const items = [...eachListed((q) => fleet.list(q), query)];
  return { items, total: items.length };
}

/** The instance list as CSV, a line at a time: `--all` never holds the fleet's rows in one string. */
function writeCsv(write: (text: string) => void, instances: Iterable<InstanceInfo>, metricNames: readonly string[]): void {
  write(csvLine(listedInstanceColumns(metricNames)));
  for (const instance of instances) write(csvLine(listedInstanceCells(listedInstance(instance, metricNames), metricNames)));
}

/** `silo serve`'s default address (@silo/server's DEFAULT_PORT), not imported: `show` starts without the HTTP stack. */
const DEFAULT_SERVE_URL = 'http://127.0.0.1:7070';

/**
 * Where @libsql/client reaches the instance through `silo serve` (SILO_SERVE_URL), and the
 * command that makes its token. No trailing slash: the client routes it by the token (docs/libsql.md).
 */
export function libsqlConnection(env: NodeJS.ProcessEnv, name: string): LibsqlConnection {
  const base = (env['SILO_SERVE_URL']?.trim() || DEFAULT_SERVE_URL).replace(/\/+$/, '');
  return { libsqlUrl: `${base}/db/${encodeURIComponent(name)}`, libsqlTokenCommand: `silo token create --instance ${name} [--read-only]` };
}

function addShow(command: Command, ctx: CliContext, usage: string): void {
  command
    .summary('show one instance')
    .description('show one instance: placement, database, lineage, metrics and recent audit entries')
    .argument('<name>', 'instance name')
    .option('--audit-limit <n>', 'how many recent audit entries to show', integerOption(0, 1_000), 10)
    .option('--json', 'print the details as JSON')
    .action(async (name: string, options: ShowOptions, cmd: Command) => {
      await withFleet(ctx, cmd, (fleet) => {
        const details = fleet.require(name);
        const audit = options.auditLimit > 0 ? fleet.audit({ instance: name, limit: options.auditLimit }).items : [];
        const libsql = libsqlConnection(ctx.env, name);
        if (options.json) return ctx.output.json({ ...details, ...libsql, audit });
        ctx.output.print(
          renderInstanceDetails({
            details,
            libsql,
            audit,
            latestVersion: fleet.schema.latestVersion,
            retentionMs: fleet.settings.retentionMs,
            style: ctx.output.style,
          }),
        );
      });
    });
  examples(command, [`${usage} acme`, `${usage} acme --json`]);
}
