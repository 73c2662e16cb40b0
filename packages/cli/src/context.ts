import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import {
  NAME_MAX_LENGTH,
  NAME_MIN_LENGTH,
  NAME_PATTERN,
  isSiloError,
  loadSiloConfig,
  openFleet,
  validateName,
  type Fleet,
  type FleetSettingsInput,
  type LoadedSiloConfig,
} from '@silo/fleet';
import { assertSettings } from '@silo/fleet/internal';
import { CliFailure, EXIT, type ExitCode } from './errors';
import { similarNames } from './suggest';
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
  /**
   * Commands that make instances (create, demo, import, serve, admin) may start a fleet in a
   * folder that does not exist yet; every other command refuses one, so a mistyped --data-dir
   * is an error rather than an empty fleet.
   */
  createsFleet?: boolean;
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
  // With the catalog on Turso the fleet lives there: a new server starts from an empty folder.
  if (!options.createsFleet && settings.catalog === undefined && !existsSync(settings.dataDir)) {
    throw new CliFailure(
      `There is no fleet in ${path.resolve(settings.dataDir)}: the folder does not exist. Check --data-dir, SILO_DATA_DIR or the config's dataDir; \`silo create\` starts a new fleet there.`,
      EXIT.failed,
      'DATA_DIR_MISSING',
    );
  }
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
  } catch (error) {
    if (isSiloError(error, 'INSTANCE_NOT_FOUND')) throw withSuggestions(error, fleet);
    throw error;
  } finally {
    await fleet.close();
  }
}

/** How many names "did you mean" looks through: enough for any fleet a person types names of. */
const SUGGEST_SCAN = 10_000;

/**
 * The fleet's error with "Did you mean …?" added when some instance names are close. A name
 * that no instance could have (`../x`, `a/b`, `Acme Inc`) is a bad argument rather than a
 * missing instance: it becomes the INVALID_NAME error `create` gives it (a usage error, exit
 * code 2), saying what a name may hold.
 */
function withSuggestions(error: Error & { details: { name: string } }, fleet: Fleet): Error {
  // The name is held, by an instance this command does not serve: say which state it is in.
  const held = fleet.find(error.details.name);
  if (held?.state === 'deleted') {
    error.message = `"${held.name}" is deleted; \`silo undelete ${held.name}\` brings it back (until it is purged).`;
    return error;
  }
  if (held && held.state !== 'ready') {
    error.message = `"${held.name}" is ${held.state}, not ready; \`silo show ${held.name}\` says more.`;
    return error;
  }
  const names: string[] = [];
  for (let offset = 0; offset < SUGGEST_SCAN; offset += 1_000) {
    const page = fleet.list({ state: ['provisioning', 'ready', 'moving', 'failed', 'deleted'], limit: 1_000, offset, sort: 'name' });
    names.push(...page.items.map((item) => item.name));
    if (offset + page.items.length >= page.total) break;
  }
  // Names are lower case: "ACME" should find "acme".
  const wanted = error.details.name.toLowerCase();
  const similar = wanted !== error.details.name && names.includes(wanted) ? [wanted] : similarNames(wanted, names);
  const reported = invalidNameError(error.details.name) ?? error;
  if (similar.length > 0) reported.message = `${reported.message.replace(/\.?$/, '.')} Did you mean ${similar.map((name) => `"${name}"`).join(' or ')}?`;
  return reported;
}

/**
 * The INVALID_NAME error of a name whose form no instance can have (characters, length), or
 * undefined. Reserved words are left out: an older release may have let an instance take one,
 * so for those "not found" stays the truth.
 */
export function invalidNameError(name: string): Error | undefined {
  if (name.length >= NAME_MIN_LENGTH && name.length <= NAME_MAX_LENGTH && NAME_PATTERN.test(name)) return undefined;
  try {
    validateName(name);
  } catch (error) {
    if (isSiloError(error, 'INVALID_NAME')) return error;
  }
  return undefined;
}

function hasErrorCode(error: unknown): error is Error & { code: string } {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'string';
}
