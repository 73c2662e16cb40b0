import { styleFor, type Style } from './format/style';
import { toJson } from './format/values';

export interface OutputStream {
  write(text: string): unknown;
  isTTY?: boolean;
  hasColors?: () => boolean;
}

/**
 * Where the CLI writes: results to stdout, errors, notes and progress to stderr. Each stream
 * has its own style, so `silo ... | less` keeps colour on stderr and none in the pipe.
 */
export class Output {
  readonly style: Style;
  readonly errStyle: Style;

  constructor(
    readonly stdout: OutputStream,
    readonly stderr: OutputStream,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.style = styleFor(stdout, env);
    this.errStyle = styleFor(stderr, env);
  }

  /** A line (or block) of results on stdout. */
  print(text = ''): void {
    this.stdout.write(`${text}\n`);
  }

  /** Raw text on stdout, e.g. CSV that already ends in newlines. */
  write(text: string): void {
    this.stdout.write(text);
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

  get stderrIsTTY(): boolean {
    return this.stderr.isTTY === true;
  }
}
