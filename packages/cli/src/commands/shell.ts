import { appendFileSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import type { Command } from 'commander';
import { isSiloError, type Fleet } from '@silo/fleet';
import { forSurface } from '@silo/fleet/format';
import { withFleet, type CliContext } from '../context';
import { EXIT, errorCodeFor } from '../errors';
import { examples } from '../help';
import { RESULT_MODES, printResult, type ResultMode } from '../query-output';
import { splitStatements } from '@silo/fleet/internal';
import { isComplete } from '../sql-script';
import { plural } from '../format/values';
import { runStatement } from './query';

interface ShellOptions {
  write?: boolean;
}

/** Lines of history kept: enough to find last week's query, small enough to load at once. */
const HISTORY_LINES = 1_000;

const HELP = `.tables            list the tables
.schema [table]    show the CREATE statements (of one table and its indexes and triggers)
.mode [mode]       show results as ${RESULT_MODES.join(', ')} (now: {mode})
.read <file>       run the statements of a SQL file
.help              this list
.quit              leave (or Ctrl+D)
Statements end with ";" and may span lines. Ctrl+C stops a running statement, or drops the one being typed.`;

/** `silo shell <instance>`: an interactive SQL prompt on one instance, read-only unless --write. */
export function registerShell(program: Command, ctx: CliContext): void {
  const shell = program
    .command('shell')
    .summary('an interactive SQL prompt on one instance')
    .description(
      'an interactive SQL prompt on one instance, like sqlite3: statements end with ";", dot-commands (.tables, .schema, .mode, .read, .help) do the rest. Read-only unless --write (writes are recorded in the audit log). History is kept in $SILO_HISTORY, else ~/.silo_history.',
    )
    .argument('<name>', 'instance name')
    .option('--write', 'allow changes (each statement recorded in the audit log)')
    .action(async (name: string, options: ShellOptions, cmd: Command) => {
      await withFleet(ctx, cmd, async (fleet) => {
        fleet.require(name);
        await new Shell(ctx, fleet, name, options.write === true).run();
      });
    });
  examples(shell, ['silo shell acme', 'silo shell acme --write', 'echo ".tables" | silo shell acme']);
}

/** Where the shell keeps its history: $SILO_HISTORY, else ~/.silo_history (owner-only, like everything silo writes). */
export function historyFile(env: NodeJS.ProcessEnv): string {
  return env['SILO_HISTORY']?.trim() || path.join(homedir(), '.silo_history');
}

/** What a Ctrl+C during a statement did: whether it stopped one, and how many of the line's or file's statements it kept from running. */
interface Interruption {
  stopped: boolean;
  skipped: number;
  /** The statement was given up, but its engine may still finish it (Turso). */
  outcomeUnknown: boolean;
}

class Shell {
  #mode: ResultMode = 'table';
  #pending = '';
  /** A statement or dot-command is running: the prompt comes back when it ends. */
  #busy = false;
  /** Set by a Ctrl+C while busy; cleared when the next line starts. */
  #interruption: Interruption | undefined;
  /** Aborts the queries of the line being run: what a Ctrl+C meanwhile does. */
  #running: AbortController | undefined;
  readonly #interactive = process.stdin.isTTY === true;

  constructor(
    private readonly ctx: CliContext,
    private readonly fleet: Fleet,
    private readonly name: string,
    private readonly write: boolean,
  ) {}

  async run(): Promise<void> {
    const history = this.#interactive ? loadHistory(historyFile(this.ctx.env)) : [];
    const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: this.#interactive, history, historySize: HISTORY_LINES });
    // Ctrl+C comes as readline's 'SIGINT', the terminal being raw all along (see #whileBusy);
    // a real SIGINT (`kill -INT`) does the same. Either stops what is going on.
    const onSignal = (): void => (this.#busy ? this.#stopStatement(false) : this.#interrupt(rl));
    if (this.#interactive) {
      this.ctx.output.note(`${this.name} (${this.write ? 'read-write: changes are audited' : 'read-only; --write to change'}). .help for commands, Ctrl+D to leave.`);
      rl.on('SIGINT', () => (this.#busy ? this.#stopStatement(true) : this.#interrupt(rl)));
      process.on('SIGINT', onSignal);
    }
    try {
      this.#prompt(rl);
      for await (const line of rl) {
        if (this.#interactive && line.trim() !== '') saveHistory(historyFile(this.ctx.env), line);
        const stop = await this.#whileBusy(() => this.#line(line));
        if (stop) break;
        this.#prompt(rl);
      }
    } finally {
      process.off('SIGINT', onSignal);
    }
    rl.close();
    if (this.#pending.trim() === '') return;
    // A piped script may end without its last ";". At a prompt the statement was never
    // finished: leaving must not run what someone stopped typing.
    if (this.#interactive) this.ctx.output.note('\nThe unfinished statement was not run (a statement ends with ";").');
    else await this.#statements(this.#pending);
  }

  /**
   * Runs one line's work, its queries under the abort signal a Ctrl+C fires (#stopStatement).
   * Unlike sqlite3, the terminal stays raw meanwhile: Ctrl+C is a key readline reads, never a
   * SIGINT to the foreground process group (which holds the fleet's query processes), and it
   * works the same on a dumb terminal. The pool kills the process of an aborted query, and
   * SQLite keeps nothing of an unfinished statement.
   */
  async #whileBusy<T>(work: () => Promise<T>): Promise<T> {
    this.#busy = true;
    this.#interruption = undefined;
    this.#running = new AbortController();
    try {
      return await work();
    } finally {
      this.#busy = false;
      this.#running = undefined;
      this.#sayInterrupted();
    }
  }

  /** Ctrl+C while a statement runs: as a key (`fromReadline`) nothing echoed it, so "^C" is shown. */
  #stopStatement(fromReadline: boolean): void {
    if (this.#interruption || !this.#running) return;
    this.#interruption = { stopped: false, skipped: 0, outcomeUnknown: false };
    if (fromReadline) this.ctx.output.print('^C');
    this.#running.abort();
  }

  /** Says what a Ctrl+C during the line's work stopped: nothing when it came after the last statement had ended. */
  #sayInterrupted(): void {
    const interruption = this.#interruption;
    this.#interruption = undefined;
    if (!interruption || (!interruption.stopped && interruption.skipped === 0)) return;
    const parts: string[] = [];
    if (interruption.stopped) parts.push(this.#stoppedWords(interruption.outcomeUnknown));
    if (interruption.skipped > 0) parts.push(`${interruption.skipped === 1 ? 'the statement' : `the ${plural(interruption.skipped, 'statement')}`} after it did not run`);
    this.ctx.output.note(`Interrupted: ${parts.join('; ')}.`);
  }

  #stoppedWords(outcomeUnknown: boolean): string {
    if (!this.write) return 'the statement was stopped';
    // A remote engine was only stopped from being waited for.
    if (outcomeUnknown) return 'the shell stopped waiting for the statement, but the database may still finish it: check before running it again';
    return 'the statement was stopped before it finished, so it changed nothing';
  }

  /**
   * Ctrl+C at the prompt drops the statement being typed and gives a fresh prompt, as in
   * sqlite3 and psql. (Without a listener readline closes on it, and the half-typed statement
   * then ran as the shell ended.) During a statement it stops the statement (#whileBusy).
   */
  #interrupt(rl: Interface): void {
    this.#pending = '';
    // "^C" after the text typed (Ctrl+E: to its end), then a fresh line with none of it.
    rl.write(null, { ctrl: true, name: 'e' });
    this.ctx.output.write('^C');
    if (!clearTypedLine(rl)) {
      this.ctx.output.print();
      rl.write(null, { ctrl: true, name: 'u' });
    }
    this.#prompt(rl);
  }

  #prompt(rl: Interface): void {
    if (!this.#interactive) return;
    rl.setPrompt(this.#pending === '' ? `${this.name}> ` : `${' '.repeat(this.name.length - 3)}...> `);
    rl.prompt();
  }

  /** One line typed: a dot-command, or part of a statement. True to leave. */
  async #line(line: string): Promise<boolean> {
    if (this.#pending === '' && line.trim().startsWith('.')) return this.#dotCommand(line.trim());
    this.#pending += `${line}\n`;
    if (!isComplete(this.#pending)) return false;
    const script = this.#pending;
    this.#pending = '';
    await this.#statements(script);
    return false;
  }

  async #dotCommand(line: string): Promise<boolean> {
    const [command = '', ...rest] = line.split(/\s+/);
    const argument = rest.join(' ');
    switch (command) {
      case '.quit':
      case '.exit':
        return true;
      case '.help':
        this.ctx.output.print(HELP.replace('{mode}', this.#mode));
        return false;
      case '.tables':
        await this.#run("SELECT name AS \"table\" FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name", this.#mode === 'json' ? 'json' : 'table');
        return false;
      case '.schema': {
        const where = argument ? 'AND tbl_name = ?' : "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'";
        await this.#schema(where, argument);
        return false;
      }
      case '.mode':
        if (argument === '') this.ctx.output.print(`mode: ${this.#mode}`);
        else if ((RESULT_MODES as readonly string[]).includes(argument)) this.#mode = argument as ResultMode;
        else this.#fail(`.mode: use one of ${RESULT_MODES.join(', ')}.`, 'USAGE');
        return false;
      case '.read':
        if (argument === '') this.#fail('.read: name a SQL file.', 'USAGE');
        else await this.#read(argument);
        return false;
      default:
        this.#fail(`Unknown command ${command}: .help lists them.`, 'USAGE');
        return false;
    }
  }

  async #schema(where: string, table: string): Promise<void> {
    try {
      const sql = `SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL ${where} ORDER BY tbl_name, type DESC, name`;
      const result = await this.fleet.query(this.name, sql, table ? [table] : undefined, { signal: this.#running?.signal });
      if (result.rows.length === 0 && table) return this.#fail(`No table named "${table}".`, 'USAGE');
      this.ctx.output.print(result.rows.map((row) => `${String(row[0])};`).join('\n'));
    } catch (error) {
      this.#failed(error);
    }
  }

  async #read(file: string): Promise<void> {
    let script: string;
    try {
      script = await readFile(path.resolve(this.ctx.cwd, file), 'utf8');
    } catch (error) {
      return this.#fail(`Cannot read ${file}: ${(error as Error).message}.`, 'FAILED');
    }
    await this.#statements(script);
  }

  /** Runs each statement of `script`; a failing one is reported and the rest still run, as in sqlite3. Ctrl+C stops them all. */
  async #statements(script: string): Promise<void> {
    const statements = splitStatements(script);
    for (const [index, sql] of statements.entries()) {
      await this.#run(sql, this.#mode);
      if (this.#interruption) {
        this.#interruption.skipped = statements.length - index - 1;
        return;
      }
    }
  }

  async #run(sql: string, mode: ResultMode): Promise<void> {
    try {
      const result = await runStatement(this.fleet, this.name, sql, { write: this.write, limits: {}, signal: this.#running?.signal });
      printResult(this.ctx.output, result, mode);
      if (result.truncated) this.ctx.output.note(this.ctx.output.errStyle.yellow(`The result was cut off at the row limit (${result.rows.length} rows).`));
    } catch (error) {
      this.#failed(error);
    }
  }

  /** A statement failed: reported, unless a Ctrl+C stopped it (said once the line's work ends). */
  #failed(error: unknown): void {
    if (this.#interruption && isSiloError(error, 'QUERY_ABORTED')) {
      this.#interruption.stopped = true;
      this.#interruption.outcomeUnknown = error.details.outcomeUnknown === true;
      return;
    }
    this.#report(error);
  }

  #report(error: unknown): void {
    if (!(error instanceof Error) || (!isSiloError(error) && errorCodeFor(error) === 'UNEXPECTED')) throw error;
    this.#fail(forSurface(error.message, 'cli'), errorCodeFor(error));
  }

  /** An error inside the shell: reported, and the shell goes on; a piped script then ends with exit code 1. */
  #fail(message: string, code: string): void {
    this.ctx.output.error(`${message} [${code}]`);
    if (!this.#interactive) this.ctx.exitCode = EXIT.failed;
  }
}

/**
 * Ends the line being typed on the terminal and empties readline's copy of it; false when this
 * Node cannot. Interface#clearLine does both, on a dumb terminal too, where readline ignores the
 * editing keys (Ctrl+U) and the dropped text would lead the next line. Node's REPL clears a
 * line on Ctrl+C with it; Node's type definitions leave it out.
 */
function clearTypedLine(rl: Interface): boolean {
  const clearable = rl as Interface & { clearLine?: () => void };
  if (typeof clearable.clearLine !== 'function') return false;
  clearable.clearLine();
  return true;
}

function loadHistory(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).slice(-HISTORY_LINES).reverse();
  } catch {
    return [];
  }
}

function saveHistory(file: string, line: string): void {
  try {
    appendFileSync(file, `${line.replace(/\n/g, ' ')}\n`, { mode: 0o600 });
  } catch {
    // History is a convenience: a read-only home must not stop the shell.
  }
}
