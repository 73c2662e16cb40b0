import path from 'node:path';
import type { Command } from 'commander';
import { isSiloError, openFleet, settingsFromEnv, type Fleet, type FleetSettingsInput } from '@silo/fleet';
import { todoSchema } from '@silo/todo-schema';
import { CliFailure, EXIT, type ExitCode } from './errors';
import type { Output } from './output';
import type { Prompt } from './confirm';

/** What every command needs: where to write, how to ask, who is acting, and how it ended. */
export interface CliContext {
  readonly output: Output;
  readonly prompt: Prompt;
  readonly env: NodeJS.ProcessEnv;
  /** Named in the audit log for every operation: `cli:<os username>`. */
  readonly actor: string;
  /** Set by commands that finish but report failures (exit code 1). */
  exitCode: ExitCode;
}

export interface GlobalOptions {
  dataDir?: string;
}

export interface OpenOptions {
  /**
   * Resolve interrupted operations and purge expired deletions on open (the fleet's default).
   * `doctor` and `purge --expired` turn it off so that they do that work and report it.
   */
  reconcileOnOpen?: boolean;
  /** `doctor` checks (and can fix) file permissions itself, so it skips the warning on open. */
  checkPermissionsOnOpen?: boolean;
}

export function createContext(output: Output, prompt: Prompt, env: NodeJS.ProcessEnv, actor: string): CliContext {
  return { output, prompt, env, actor, exitCode: EXIT.ok };
}

/** The fleet's settings: SILO_* variables, with `--data-dir` winning. */
export function fleetSettings(ctx: CliContext, command: Command): FleetSettingsInput {
  const { dataDir } = command.optsWithGlobals<GlobalOptions>();
  return { ...settingsFromEnv(ctx.env), ...(dataDir ? { dataDir } : {}) };
}

/** Opens the fleet (settings from SILO_* variables, `--data-dir` winning), runs `work`, and always closes it. */
export async function withFleet<T>(
  ctx: CliContext,
  command: Command,
  work: (fleet: Fleet) => Promise<T> | T,
  options: OpenOptions = {},
): Promise<T> {
  const settings = fleetSettings(ctx, command);
  let fleet: Fleet;
  try {
    fleet = await openFleet({
      ...settings,
      schema: todoSchema,
      actor: ctx.actor,
      reconcileOnOpen: options.reconcileOnOpen ?? true,
      checkPermissionsOnOpen: options.checkPermissionsOnOpen ?? true,
      // One line on stderr, like every other CLI note (Node's own would add a --trace-warnings hint).
      warn: (message) => ctx.output.note(`${ctx.output.errStyle.yellow('silo: warning:')} ${message}`),
    });
  } catch (error) {
    // The folder or catalog is unusable (a file in the way, no permission, not a SQLite file):
    // a setup problem to fix, not a bug, so no stack trace.
    if (!isSiloError(error) && hasErrorCode(error)) {
      throw new CliFailure(
        `Cannot open the fleet in ${path.resolve(settings.dataDir)}: ${error.message}. Check --data-dir or SILO_DATA_DIR.`,
      );
    }
    throw error;
  }
  try {
    return await work(fleet);
  } finally {
    await fleet.close();
  }
}

function hasErrorCode(error: unknown): error is Error & { code: string } {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'string';
}
