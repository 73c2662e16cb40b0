import { readFile } from 'node:fs/promises';
import { text } from 'node:stream/consumers';
import { Option, type Command } from 'commander';
import { formatBytes, isSiloError, type Fleet, type QueryAllEvent, type QueryLimits, type QueryResult, type SqlArgs } from '@silo/fleet';
import { forSurface, formatDuration, toCsv } from '@silo/fleet/format';
import { QUERY_TIMEOUT_MAX_MS } from '@silo/fleet/internal';
import { withFleet, type CliContext } from '../context';
import { CliFailure, EXIT, UsageError } from '../errors';
import { combineResults } from '../format/results';
import { plural, rowObjects } from '../format/values';
import { printResult, resultJson, resultTable, type ResultMode } from '../query-output';
import { splitStatements } from '@silo/fleet/internal';
import { TODO_TABLES_NOTE, examples } from '../help';
import { integerOption } from '../options';
import { progressBar } from '../progress';
import { StatementArgs, argOptions } from '../query-args';

interface LimitOptions {
  maxRows?: number;
  timeout?: number;
}

interface QueryOptions extends LimitOptions {
  file?: string;
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
  const queryArgs = new StatementArgs();
  const [queryArg, queryArgJson] = argOptions(queryArgs);
  const query = program
    .command('query')
    .summary('run SQL against one instance')
    .description('run one SQL statement against one instance (read-only unless --write)')
    .argument('<name>', 'instance name')
    .argument('[sql]', 'one SQL statement (quote it); or --file')
    .option('--file <file>', 'run the statements of this SQL file in order (- for stdin), each on its own')
    .option('--write', 'allow changes (recorded in the audit log)')
    .addOption(new Option('--json', 'print { columns, rows, truncated, rowsAffected, durationMs } as JSON (an array of them for a file of several statements)').conflicts('csv'))
    .option('--csv', 'print the rows as CSV')
    .option('--max-rows <n>', 'stop after this many rows', integerOption(1))
    .option('--timeout <ms>', 'stop the query after this many milliseconds (a day at most)', integerOption(10, QUERY_TIMEOUT_MAX_MS))
    .addOption(queryArg)
    .addOption(queryArgJson)
    .action(async (name: string, sqlArgument: string | undefined, options: QueryOptions, cmd: Command) => {
      const args = queryArgs.sqlArgs;
      // Each statement of a script has parameters of its own: one list cannot serve them all.
      if (args !== undefined && options.file !== undefined) throw new UsageError('--arg and --arg-json go with one statement given as an argument, not with --file.', 'query');
      const statements = await statementsOf(sqlArgument, options.file);
      await withFleet(ctx, cmd, async (fleet) => {
        const limits = limitsFrom(options);
        const { output } = ctx;
        const mode: ResultMode = options.json ? 'json' : options.csv ? 'csv' : 'table';
        const results: QueryResult[] = [];
        for (const [index, sql] of statements.entries()) {
          let result: QueryResult;
          try {
            result = await runStatement(fleet, name, sql, { write: options.write === true, limits, args });
          } catch (error) {
            if (index === 0 || !(isSiloError(error) || error instanceof CliFailure)) throw error;
            // Each statement of a file commits on its own: say which one failed and what stays.
            if (mode === 'json') output.json(results.map(resultJson));
            const before = `the ${plural(index, 'statement')} before it`;
            const stays = options.write === true ? `${before} ${index === 1 ? 'was' : 'were'} applied and stay${index === 1 ? 's' : ''}` : `${before} ran`;
            throw new CliFailure(`Statement ${index + 1} of ${statements.length} failed, and ${stays}: ${error.message}`, EXIT.failed, error.code);
          }
          results.push(result);
          // Several statements as JSON: one array at the end, so stdout stays one JSON value.
          if (mode !== 'json' || statements.length === 1) printResult(output, result, mode);
          if (result.truncated) {
            const maxRows = limits.maxRows ?? fleet.settings.query.maxRows;
            output.note(
              output.errStyle.yellow(
                `The result was cut off after ${plural(result.rows.length, 'row')} (limit: ${plural(maxRows, 'row')} or ${formatBytes(fleet.settings.query.maxBytes)}). Narrow the query, or raise --max-rows.`,
              ),
            );
          }
        }
        if (mode === 'json' && statements.length > 1) output.json(results.map(resultJson));
      });
    });
  examples(query, [
    `silo query acme "SELECT name FROM sqlite_schema WHERE type = 'table'"`,
    `silo query acme "SELECT id, title, completed FROM todos ORDER BY id"`,
    `silo query acme "SELECT count(*) AS open FROM todos WHERE completed = 0" --json`,
    `silo query acme "SELECT id, title FROM todos WHERE title LIKE ?" --arg "%milk%"`,
    `silo query acme "UPDATE todos SET title = :title WHERE id = :id" --arg :title="Buy oat milk" --arg-json :id=3 --write`,
    `silo query acme "UPDATE todos SET completed = 1 WHERE id = 3" --write`,
    `silo query acme "SELECT * FROM todos" --csv > acme-todos.csv`,
    `silo query acme --file cleanup.sql --write`,
  ], TODO_TABLES_NOTE);

  const queryAllArgs = new StatementArgs();
  const [queryAllArg, queryAllArgJson] = argOptions(queryAllArgs);
  const queryAll = program
    .command('query-all')
    .summary('run read-only SQL across the fleet')
    .description('run the same read-only SQL statement against every matching ready instance')
    .argument('<sql>', 'one read-only SQL statement (quote it)')
    .option('--jurisdiction <id>', 'only instances in this jurisdiction')
    .option('--region <id>', 'only instances in this region')
    .option('--search <text>', 'only instances whose name or display name contains this text')
    .option('--concurrency <n>', 'instances queried at once (default: four per SILO_FLEET_WORKERS process on local files)', integerOption(1, 64))
    .addOption(new Option('--json', 'print { columns, rows, instances, truncated, errors } as JSON').conflicts('csv'))
    .option('--csv', 'print the combined rows as CSV (errors go to stderr)')
    .option('--max-rows <n>', 'stop after this many rows per instance', integerOption(1))
    .option('--timeout <ms>', 'stop each instance\'s query after this many milliseconds (a day at most)', integerOption(10, QUERY_TIMEOUT_MAX_MS))
    .addOption(queryAllArg)
    .addOption(queryAllArgJson)
    .action(async (sql: string, options: QueryAllOptions, cmd: Command) => {
      await withFleet(ctx, cmd, async (fleet) => {
        const { output } = ctx;
        const filter = { jurisdiction: options.jurisdiction, region: options.region, search: options.search };
        fleet.regions.assertKnown(filter);
        const total = fleet.list({ ...filter, state: 'ready', limit: 1 }).total;
        const bar = progressBar(output, total, 'querying {bar} {value}/{total} instances | {failed} failed', { failed: 0 });
        const started = performance.now();
        const ok: OkEvent[] = [];
        const failed: ErrorEvent[] = [];
        try {
          const args = queryAllArgs.sqlArgs;
          for await (const event of fleet.queryAll(sql, { filter, concurrency: options.concurrency, limits: limitsFrom(options), ...(args === undefined ? {} : { args }) })) {
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
            errors: failed.map((event) => ({ instance: event.instance, code: event.code, error: forSurface(event.error, 'cli') })),
            durationMs: elapsed,
          });
        }
        if (options.csv) {
          if (ok.length > 0) output.data(toCsv(combined.columns, combined.rows));
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
          // One line per distinct error, not per instance: a statement refused everywhere is one line, not thousands.
          for (const { names, code, error } of sameErrors(failed)) {
            const who = names.length === 1 ? names[0] : `${plural(names.length, 'instance')} (${names.slice(0, 3).join(', ')}${names.length > 3 ? ', …' : ''})`;
            output.note(`  ${who}: ${code}: ${forSurface(error, 'cli')}`);
          }
        }
      });
    });
  examples(queryAll, [
    `silo query-all "SELECT count(*) AS tables FROM sqlite_schema WHERE type = 'table'"`,
    `silo query-all "SELECT count(*) AS todos FROM todos"`,
    `silo query-all "SELECT count(*) AS open FROM todos WHERE completed = 0" --jurisdiction eu --json`,
    `silo query-all "SELECT count(*) AS recent FROM todos WHERE created_at > ?" --arg-json 1767225600000`,
    `silo query-all "SELECT title FROM todos" --csv > all-todos.csv`,
  ], TODO_TABLES_NOTE);
}

function limitsFrom(options: LimitOptions): Partial<QueryLimits> {
  const limits: Partial<QueryLimits> = {};
  if (options.maxRows !== undefined) limits.maxRows = options.maxRows;
  if (options.timeout !== undefined) limits.timeoutMs = options.timeout;
  return limits;
}

/** One statement of `silo query`, with the CLI's hints on the errors a person can act on. */
export async function runStatement(
  fleet: Fleet,
  name: string,
  sql: string,
  options: { write: boolean; limits: Partial<QueryLimits>; args?: SqlArgs | undefined; signal?: AbortSignal | undefined },
): Promise<QueryResult> {
  try {
    return await fleet.query(name, sql, options.args, { readOnly: !options.write, limits: options.limits, signal: options.signal });
  } catch (error) {
    if (isSiloError(error, 'QUERY_TIMEOUT')) throw new CliFailure(`${error.message} (--timeout <ms>)`, EXIT.failed, error.code);
    throw error;
  }
}

/** The statements to run: the argument, or those of --file (a path, or - for stdin). */
async function statementsOf(sql: string | undefined, file: string | undefined): Promise<string[]> {
  if (sql !== undefined && file !== undefined) throw new UsageError('Give the SQL as an argument or with --file, not both.', 'query');
  if (file === undefined) {
    if (sql === undefined) throw new UsageError('Give one SQL statement (quoted), or --file <file>.', 'query');
    return [sql];
  }
  let script: string;
  try {
    script = file === '-' ? await text(process.stdin) : await readFile(file, 'utf8');
  } catch (error) {
    throw new CliFailure(`Cannot read ${file}: ${(error as Error).message}.`);
  }
  const statements = splitStatements(script);
  if (statements.length === 0) throw new UsageError(`${file} holds no SQL statement.`, 'query');
  return statements;
}

/** Failures grouped by their code and message, in the order first seen. */
function sameErrors(failed: readonly { instance: string; code: string; error: string }[]): { names: string[]; code: string; error: string }[] {
  const groups = new Map<string, { names: string[]; code: string; error: string }>();
  for (const event of failed) {
    const key = `${event.code}\0${event.error}`;
    const group = groups.get(key) ?? { names: [], code: event.code, error: event.error };
    group.names.push(event.instance);
    groups.set(key, group);
  }
  return [...groups.values()];
}
