import { colorEnabled, styleFor, type Style } from './format/style';
import { terminalSafe } from './format/terminal-safe';
import { toJson } from './format/values';

export interface OutputStream {
  write(text: string): unknown;
  isTTY?: boolean;
  hasColors?: () => boolean;
  /** A terminal's width (Node sets it on TTY streams). */
  columns?: number;
}

/**
 * A stream whose every write goes through terminalSafe: tables, `show`, CSV, JSON, errors that
 * echo input, query results and commander's own messages all pass here, so a display name or
 * cell holding terminal escapes or bidi overrides is shown, never obeyed.
 */
function guarded(stream: OutputStream, keepStyles: boolean): OutputStream {
  const guardedStream: OutputStream = { write: (text: string) => stream.write(terminalSafe(text, { keepStyles })) };
  if (stream.isTTY !== undefined) guardedStream.isTTY = stream.isTTY;
  if (stream.hasColors) guardedStream.hasColors = stream.hasColors.bind(stream);
  return guardedStream;
}

/**
 * Where the CLI writes: results to stdout, errors, notes and progress to stderr. Each stream
 * has its own style, so `silo ... | less` keeps colour on stderr and none in the pipe.
 */
export class Output {
  readonly style: Style;
  /** stdout as given, for data bound for a file or pipe (see `data`). */
  readonly #rawStdout: OutputStream;
  readonly errStyle: Style;
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  /**
   * How wide tables may be: COLUMNS when set (as shells and `COLUMNS=80 silo …` do), else the
   * terminal's width; undefined for a pipe or file, where nothing wraps.
   */
  readonly width: number | undefined;

  constructor(stdout: OutputStream, stderr: OutputStream, env: NodeJS.ProcessEnv = process.env) {
    const fromEnv = Number(env['COLUMNS']);
    this.width = Number.isInteger(fromEnv) && fromEnv >= 20 ? fromEnv : stdout.isTTY === true ? stdout.columns : undefined;
    this.style = styleFor(stdout, env);
    this.errStyle = styleFor(stderr, env);
    this.#rawStdout = stdout;
    this.stdout = guarded(stdout, colorEnabled(stdout, env));
    this.stderr = guarded(stderr, colorEnabled(stderr, env));
  }

  /** A line (or block) of results on stdout. */
  print(text = ''): void {
    this.stdout.write(`${text}\n`);
  }

  /** Raw text on stdout, e.g. CSV that already ends in newlines. */
  write(text: string): void {
    this.stdout.write(text);
  }

  /**
   * Data in an interchange format (CSV) on stdout: byte for byte into a file or pipe, where a
   * program reads it and an escaped CR or tab would corrupt the cell, as `sqlite3 -csv` and
   * `psql --csv` do; escaped like everything else when stdout is a terminal, where it is shown.
   * (JSON needs no exception: inside its strings the escapes decode to the same characters.)
   */
  data(text: string): void {
    (this.#rawStdout.isTTY === true ? this.stdout : this.#rawStdout).write(text);
  }

  json(value: unknown): void {
    this.print(toJson(value));
  }

  /** A line on stderr: warnings, hints, anything that must not mix with results. */
  note(text: string): void {
    this.stderr.write(`${text}\n`);
  }

  /** `silo: <message>` on stderr. */
  error(message: string): void {
    this.note(`${this.errStyle.red('silo:')} ${message}`);
  }

  /** `{"error": {"code", "message"}}` on stderr: how a --json run fails. */
  jsonError(code: string, message: string): void {
    this.stderr.write(`${JSON.stringify({ error: { code, message } })}\n`);
  }

  get stderrIsTTY(): boolean {
    return this.stderr.isTTY === true;
  }
}
