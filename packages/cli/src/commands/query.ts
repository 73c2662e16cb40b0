import { Option, type Command } from 'commander';
import { formatBytes, isSiloError, type QueryAllEvent, type QueryLimits, type QueryResult, type SqlValue } from '@silo/fleet';
import { formatDuration, toCsv } from '@silo/fleet/format';
import { withFleet, type CliContext } from '../context';
import { CliFailure, EXIT } from '../errors';
import { columnAligns, combineResults } from '../format/results';
import type { Output } from '../output';
import { renderTable } from '../format/table';
import { cellText, plural, rowObjects } from '../format/values';
import { examples } from '../help';
import { integerOption } from '../options';
import { progressBar } from '../progress';

interface LimitOptions {
  maxRows?: number;
  timeout?: number;
}

interface QueryOptions extends LimitOptions {
  write?: boolean;
  json?: boolean;
  csv?: boolean;
}

interface QueryAllOptions extends LimitOptions {
  jurisdiction?: string;
  region?: string;
  search?: string;
  concurrency?: number;
  json?: boolean;
  csv?: boolean;
}

type OkEvent = Extract<QueryAllEvent, { status: 'ok' }>;
type ErrorEvent = Extract<QueryAllEvent, { status: 'error' }>;

/** `silo query` (one instance) and `silo query-all` (the same read across the fleet). */
export function registerQuery(program: Command, ctx: CliContext): void {
  const query = program
    .command('query')
    .summary('run SQL against one instance')
    .description('run one SQL statement against one instance (read-only unless --write)')
    .argument('<name>', 'instance name')
    .argument('<sql>', 'one SQL statement (quote it)')
    .option('--write', 'allow changes (recorded in the audit log)')
    .addOption(new Option('--json', 'print { columns, rows, truncated, rowsAffected, durationMs } as JSON').conflicts('csv'))
    .option('--csv', 'print the rows as CSV')
    .option('--max-rows <n>', 'stop after this many rows', integerOption(1))
    .option('--timeout <ms>', 'stop the query after this many milliseconds', integerOption(10))
    .action(async (name: string, sql: string, options: QueryOptions, cmd: Command) => {
      await withFleet(ctx, cmd, async (fleet) => {
        const limits = limitsFrom(options);
        let result: QueryResult;
        try {
          result = await fleet.query(name, sql, undefined, { readOnly: !options.write, limits });
        } catch (error) {
          if (!options.write && isSiloError(error, 'QUERY_READ_ONLY')) {
            throw new CliFailure(`${error.message}. Queries are read-only unless you pass --write (writes are recorded in the audit log).`);
          }
          if (isSiloError(error, 'QUERY_TIMEOUT')) throw new CliFailure(`${error.message} (--timeout <ms>)`);
          throw error;
        }
        const { output } = ctx;
        if (options.json) {
          return output.json({
            columns: result.columns,
            rows: rowObjects(result.columns, result.rows),
            truncated: result.truncated,
            rowsAffected: result.rowsAffected,
            durationMs: result.durationMs,
          });
        }
        if (options.csv && result.columns.length > 0) {
          output.write(toCsv(result.columns, result.rows));
        } else if (result.columns.length > 0) {
          output.print(resultTable(result.columns, result.rows, output));
          output.print(output.style.dim(`${plural(result.rows.length, 'row')} · ${formatDuration(result.durationMs)}`));
        } else {
          output.print(`${plural(result.rowsAffected, 'row')} affected · ${formatDuration(result.durationMs)}`);
        }
        if (result.truncated) {
          const maxRows = limits.maxRows ?? fleet.settings.query.maxRows;
          output.note(
            output.errStyle.yellow(
              `The result was cut off after ${plural(result.rows.length, 'row')} (limit: ${plural(maxRows, 'row')} or ${formatBytes(fleet.settings.query.maxBytes)}). Narrow the query, or raise --max-rows.`,
            ),
          );
        }
      });
    });
  examples(query, [
    `silo query acme "SELECT id, title, completed FROM todos ORDER BY id"`,
    `silo query acme "SELECT count(*) AS open FROM todos WHERE completed = 0" --json`,
    `silo query acme "UPDATE todos SET completed = 1 WHERE id = 3" --write`,
    `silo query acme "SELECT * FROM todos" --csv > acme-todos.csv`,
  ]);

  const queryAll = program
    .command('query-all')
    .summary('run read-only SQL across the fleet')
    .description('run the same read-only SQL statement against every matching ready instance')
    .argument('<sql>', 'one read-only SQL statement (quote it)')
    .option('--jurisdiction <id>', 'only instances in this jurisdiction')
    .option('--region <id>', 'only instances in this region')
    .option('--search <text>', 'only instances whose name or display name contains this text')
    .option('--concurrency <n>', 'instances queried at once (default: SILO_QUERY_WORKERS, 2)', integerOption(1, 64))
    .addOption(new Option('--json', 'print { columns, rows, instances, truncated, errors } as JSON').conflicts('csv'))
    .option('--csv', 'print the combined rows as CSV (errors go to stderr)')
    .option('--max-rows <n>', 'stop after this many rows per instance', integerOption(1))
    .option('--timeout <ms>', 'stop each instance\'s query after this many milliseconds', integerOption(10))
    .action(async (sql: string, options: QueryAllOptions, cmd: Command) => {
      await withFleet(ctx, cmd, async (fleet) => {
        const { output } = ctx;
        const filter = { jurisdiction: options.jurisdiction, region: options.region, search: options.search };
        const total = fleet.list({ ...filter, state: 'ready', limit: 1 }).total;
        const bar = progressBar(output, total, 'querying {bar} {value}/{total} instances | {failed} failed', { failed: 0 });
        const started = performance.now();
        const ok: OkEvent[] = [];
        const failed: ErrorEvent[] = [];
        try {
          for await (const event of fleet.queryAll(sql, { filter, concurrency: options.concurrency, limits: limitsFrom(options) })) {
            if (event.status === 'ok') ok.push(event);
            else failed.push(event);
            bar.update(ok.length + failed.length, { failed: failed.length });
          }
        } finally {
          bar.stop();
        }
        const elapsed = performance.now() - started;
        failed.sort((a, b) => (a.instance < b.instance ? -1 : a.instance > b.instance ? 1 : 0));
        const combined = combineResults(ok);
        const truncated = ok.filter((event) => event.truncated).map((event) => event.instance).sort();
        if (failed.length > 0) ctx.exitCode = EXIT.failed;

        if (options.json) {
          return output.json({
            columns: combined.columns,
            rows: rowObjects(combined.columns, combined.rows),
            instances: { total: ok.length + failed.length, ok: ok.length, failed: failed.length },
            truncated,
            errors: failed.map((event) => ({ instance: event.instance, code: event.code, error: event.error })),
            durationMs: elapsed,
          });
        }
        if (options.csv) {
          if (ok.length > 0) output.write(toCsv(combined.columns, combined.rows));
        } else if (ok.length + failed.length === 0) {
          output.print('No ready instances match.');
        } else if (ok.length > 0) {
          if (combined.columns.length > 1) output.print(resultTable(combined.columns, combined.rows, output));
          output.print(
            output.style.dim(`${plural(combined.rows.length, 'row')} from ${plural(ok.length, 'instance')} · ${formatDuration(elapsed)}`),
          );
        }
        if (truncated.length > 0) {
          output.note(output.errStyle.yellow(`Cut off at the row limit: ${truncated.join(', ')}. Narrow the query, or raise --max-rows.`));
        }
        if (failed.length > 0) {
          output.note(output.errStyle.red(`${plural(failed.length, 'instance')} failed:`));
          for (const event of failed) output.note(`  ${event.instance}: ${event.code}: ${event.error}`);
        }
      });
    });
  examples(queryAll, [
    `silo query-all "SELECT count(*) AS todos FROM todos"`,
    `silo query-all "SELECT count(*) AS open FROM todos WHERE completed = 0" --jurisdiction eu --json`,
    `silo query-all "SELECT title FROM todos" --csv > all-todos.csv`,
  ]);
}

function limitsFrom(options: LimitOptions): Partial<QueryLimits> {
  const limits: Partial<QueryLimits> = {};
  if (options.maxRows !== undefined) limits.maxRows = options.maxRows;
  if (options.timeout !== undefined) limits.timeoutMs = options.timeout;
  return limits;
}

export function resultTable(columns: readonly string[], rows: readonly (readonly SqlValue[])[], output: Pick<Output, 'style' | 'width'>): string {
  const { style } = output;
  // A column always has a heading, even `SELECT 1 AS ""`.
  const head = columns.map((column, index) => column.trim() || `column ${index + 1}`);
  const cells = rows.map((row) => row.map((value) => (value === null ? style.dim('NULL') : cellText(value))));
  return renderTable(head, cells, { style, align: columnAligns(columns.length, rows), ...(output.width ? { width: output.width } : {}) });
}
