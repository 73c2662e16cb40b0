import { CommanderError } from 'commander';
import { isSiloError } from '@silo/fleet';
import { forSurface } from '@silo/fleet/format';
import type { Output } from './output';

/** The exit codes scripts can rely on. */
export const EXIT = {
  ok: 0,
  /** The operation failed: a SiloError, or failures inside a fleet-wide operation. */
  failed: 1,
  /** Bad flags or arguments (including commander's own errors, and a name no instance can have: INVALID_NAME). */
  usage: 2,
  /** The instance does not exist (INSTANCE_NOT_FOUND). */
  notFound: 3,
  /** Stopped by Ctrl+C (SIGINT) or SIGTERM: 128 + 2, as shells report a SIGINT. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * Codes of the CLI's own errors, beside the fleet's SiloError codes: scripts branch on the
 * `code` of `{"error": {...}}` (with --json) or the `[CODE]` at the end of the line.
 */
export type CliErrorCode = 'USAGE' | 'FAILED' | 'DATA_DIR_MISSING' | 'FILE_EXISTS' | 'FILE_UNWRITABLE' | 'INTERRUPTED' | 'LISTEN_FAILED' | 'UNEXPECTED';

/** A bad combination of flags or arguments that commander cannot see by itself. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code: CliErrorCode = 'USAGE';
  /** The command whose --help explains the right usage, e.g. "purge". */
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
  }
}

/** An expected failure with a message that says what to do next: printed without a stack. */
export class CliFailure extends Error {
  override readonly name = 'CliFailure';
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.failed,
    readonly code: string = 'FAILED',
  ) {
    super(message);
  }
}

export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (error instanceof UsageError) return EXIT.usage;
  if (error instanceof CliFailure) return error.exitCode;
  // A name (or display name) the fleet refuses on sight is a bad argument, whichever command got it.
  if (isSiloError(error, 'INVALID_NAME')) return EXIT.usage;
  if (isSiloError(error, 'INSTANCE_NOT_FOUND')) return EXIT.notFound;
  // The CLI aborts a query only when told to stop (Ctrl+C).
  if (isSiloError(error, 'QUERY_ABORTED')) return EXIT.interrupted;
  return EXIT.failed;
}

/** The stable code of an error: the fleet's SiloError code, or one of the CLI's own. */
export function errorCodeFor(error: unknown): string {
  if (error instanceof CommanderError || error instanceof UsageError) return 'USAGE';
  if (error instanceof CliFailure || isSiloError(error)) return error.code;
  return 'UNEXPECTED';
}

/** Commander's message without its "error: " prefix and trailing newline. */
export function commanderMessage(text: string): string {
  return text.replace(/^error: /, '').trimEnd();
}

/**
 * Reports an error on stderr and returns the exit code. Expected errors get one line ending in
 * their code: their messages already say what to do. Anything else is a bug, so it gets its
 * stack. With `json`, stderr gets `{"error": {"code", "message"}}` instead, and nothing else.
 */
export function reportError(error: unknown, output: Output, json = false): ExitCode {
  const exitCode = exitCodeFor(error);
  const code = errorCodeFor(error);
  if (error instanceof CommanderError) {
    // Help or version asked for: printed already, not an error.
    if (exitCode === EXIT.ok) return exitCode;
    // Commander printed its own message in human mode (see program.ts); in JSON mode it printed nothing.
    if (json) output.jsonError(code, commanderMessage(error.message));
    return exitCode;
  }
  const expected = error instanceof UsageError || error instanceof CliFailure || isSiloError(error);
  // The fleet words remedies for the console ("switch to write mode"): reworded for the CLI.
  const message = forSurface(error instanceof Error ? error.message : String(error), 'cli');
  if (json) {
    output.jsonError(code, expected ? message : `unexpected error: ${message}`);
    return exitCode;
  }
  if (error instanceof UsageError) {
    output.error(`${capLines(error.message)} [${code}]`);
    output.note(error.command ? `Run 'silo ${error.command} --help' for usage.` : "Run 'silo <command> --help' for usage.");
  } else if (expected) {
    output.error(`${capLines(message)} [${code}]`);
  } else {
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    output.error(`unexpected error: ${detail}`);
    output.note(
      'This is not an expected failure: it may be a bug in silo. Run `silo doctor` to check the fleet, and report the command with the output above.',
    );
  }
  return exitCode;
}

/** Longer expected errors keep their first HEAD_LINES lines and their last. */
const MAX_ERROR_LINES = 8;
const HEAD_LINES = 4;

/**
 * An expected error is a line or a short block that says what to do (a missing config's is
 * five lines). A message listing every finding of a check (SQLite's integrity_check can give
 * a line per damaged page) would bury that under a screenful: the first lines show the kind
 * of problem, the last keeps how the message ends (what happened, what to do), and --json
 * keeps the whole message for whoever needs every line.
 */
export function capLines(message: string): string {
  const lines = message.split('\n');
  if (lines.length <= MAX_ERROR_LINES) return message;
  const left = lines.length - HEAD_LINES - 1;
  return [...lines.slice(0, HEAD_LINES), `… and ${left} more lines (--json prints the whole message) …`, lines.at(-1) ?? ''].join('\n');
}

/** Whether this invocation asked for JSON output (before any `--`, after which words are arguments). */
export function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}
