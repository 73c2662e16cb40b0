import path from 'node:path';
import type { Command } from 'commander';
import { isSiloError, loadSiloConfig, openFleet, type Fleet, type FleetSettingsInput, type LoadedSiloConfig } from '@silo/fleet';
import { assertSettings } from '@silo/fleet/internal';
import { CliFailure, EXIT, type ExitCode } from './errors';
import type { Output } from './output';
import type { Prompt } from './confirm';

/** What every command needs: where to write, how to ask, who is acting, and how it ended. */
export interface CliContext {
  readonly output: Output;
  readonly prompt: Prompt;
  readonly env: NodeJS.ProcessEnv;
  /** Where the search for silo.config.* starts and relative paths are resolved. */
  readonly cwd: string;
  /** Named in the audit log for every operation: `cli:<os username>`. */
  readonly actor: string;
  /** Set by commands that finish but report failures (exit code 1). */
  exitCode: ExitCode;
}

export interface GlobalOptions {
  dataDir?: string;
  config?: string;
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

export function createContext(output: Output, prompt: Prompt, env: NodeJS.ProcessEnv, actor: string, cwd: string = process.cwd()): CliContext {
  return { output, prompt, env, cwd, actor, exitCode: EXIT.ok };
}

/**
 * The app's config: `--config`, else SILO_CONFIG, else the nearest silo.config.* from the
 * working folder up, with SILO_* variables over the file and `--data-dir` over everything.
 * With no config anywhere the loader's error says where it looked and what to write.
 */
export async function loadConfig(ctx: CliContext, command: Command): Promise<LoadedSiloConfig> {
  const { dataDir, config } = command.optsWithGlobals<GlobalOptions>();
  // Every variable every command reads, checked at once: one line names each bad one and its rule.
  assertSettings(ctx.env, ['fleet', 'backups', 'SILO_ENGINE']);
  const loaded = await loadSiloConfig({ cwd: ctx.cwd, env: ctx.env, ...(config ? { path: config } : {}) });
  return dataDir ? { ...loaded, fleet: { ...loaded.fleet, dataDir } } : loaded;
}

/** The fleet's settings from the app's config (see `loadConfig`), for commands that do not open the fleet. */
export async function fleetSettings(ctx: CliContext, command: Command): Promise<FleetSettingsInput> {
  return (await loadConfig(ctx, command)).fleet;
}

/** Opens the fleet of the app's config (see `loadConfig`), runs `work`, and always closes it. */
export async function withFleet<T>(
  ctx: CliContext,
  command: Command,
  work: (fleet: Fleet, config: LoadedSiloConfig) => Promise<T> | T,
  options: OpenOptions = {},
): Promise<T> {
  const config = await loadConfig(ctx, command);
  const settings = config.fleet;
  let fleet: Fleet;
  try {
    fleet = await openFleet({
      ...settings,
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
        `Cannot open the fleet in ${path.resolve(settings.dataDir)}: ${error.message}. Check --data-dir, SILO_DATA_DIR or the config's dataDir.`,
      );
    }
    throw error;
  }
  try {
    return await work(fleet, config);
  } finally {
    await fleet.close();
  }
}

function hasErrorCode(error: unknown): error is Error & { code: string } {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'string';
}
