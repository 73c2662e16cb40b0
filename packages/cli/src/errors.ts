import { CommanderError } from 'commander';
import { isSiloError } from '@silo/fleet';
import type { Output } from './output';

/** The exit codes scripts can rely on. */
export const EXIT = {
  ok: 0,
  /** The operation failed: a SiloError, or failures inside a fleet-wide operation. */
  failed: 1,
  /** Bad flags or arguments (including commander's own errors). */
  usage: 2,
  /** The instance does not exist (INSTANCE_NOT_FOUND). */
  notFound: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A bad combination of flags or arguments that commander cannot see by itself. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
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
  ) {
    super(message);
  }
}

export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (error instanceof UsageError) return EXIT.usage;
  if (error instanceof CliFailure) return error.exitCode;
  if (isSiloError(error, 'INSTANCE_NOT_FOUND')) return EXIT.notFound;
  return EXIT.failed;
}

/**
 * Reports an error on stderr and returns the exit code. Expected errors get one line: their
 * messages already say what to do. Anything else is a bug, so it gets its stack.
 */
export function reportError(error: unknown, output: Output): ExitCode {
  const code = exitCodeFor(error);
  // Commander has already printed its message (or the help/version text it was asked for).
  if (error instanceof CommanderError) return code;
  if (error instanceof UsageError) {
    output.error(error.message);
    output.note(error.command ? `Run 'silo ${error.command} --help' for usage.` : "Run 'silo <command> --help' for usage.");
  } else if (error instanceof CliFailure || isSiloError(error)) {
    output.error(error.message);
  } else {
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    output.error(`unexpected error: ${detail}`);
    output.note(
      'This is not an expected failure: it may be a bug in silo. Run `silo doctor` to check the fleet, and report the command with the output above.',
    );
  }
  return code;
}
