import { LOG_LEVELS, type LogLevel } from './logger';

/** A start-up failure the operator can fix: one line naming the cause and the variable. */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}

export interface ServerSettings {
  readonly logLevel: LogLevel;
  /** Where /metrics listens (on the app's host); undefined: no metrics endpoint. */
  readonly metricsPort: number | undefined;
  /** How long after SIGTERM the server goes on answering, its /readyz failing, before it stops accepting. */
  readonly shutdownDrainMs: number;
  /** How long in-flight requests may take to finish after that before their connections are cut. */
  readonly shutdownTimeoutMs: number;
}

/**
 * The app server's own settings from the environment, checked at start-up. The one place they
 * are read and validated, so it can be replaced by the project-wide settings table; throws a
 * StartupError naming the variable.
 */
export function serverSettings(env: NodeJS.ProcessEnv, names: { readonly metricsPort: string }): ServerSettings {
  const logLevel = (env['LOG_LEVEL'] || 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new StartupError(`LOG_LEVEL: ${JSON.stringify(env['LOG_LEVEL'])} is not one of ${LOG_LEVELS.join(', ')}`);
  }
  return {
    logLevel: logLevel as LogLevel,
    metricsPort: optionalInteger(env, names.metricsPort, 0, 65_535),
    shutdownDrainMs: optionalInteger(env, 'SILO_SHUTDOWN_DRAIN_MS', 0, 600_000) ?? 0,
    shutdownTimeoutMs: optionalInteger(env, 'SILO_SHUTDOWN_TIMEOUT_MS', 0, 3_600_000) ?? 10_000,
  };
}

function optionalInteger(env: NodeJS.ProcessEnv, name: string, min: number, max: number): number | undefined {
  const text = env[name]?.trim();
  if (!text) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) throw new StartupError(`${name}: ${JSON.stringify(text)} is not a whole number from ${min} to ${max}`);
  return value;
}

/** The one line a failed `listen` is reported with. */
export function listenProblem(error: unknown, where: { readonly host: string; readonly port: number; readonly portVariable: string; readonly hostVariable: string }): string {
  const code = (error as NodeJS.ErrnoException).code;
  const address = `${where.host.includes(':') ? `[${where.host}]` : where.host}:${where.port}`;
  switch (code) {
    case 'EADDRINUSE':
      return `port ${where.port} on ${where.host} is already in use (${where.portVariable}): stop the other server or set ${where.portVariable} to a free port`;
    case 'EACCES':
      return `not allowed to listen on ${address} (${where.portVariable}): ports below 1024 need privileges; choose another with ${where.portVariable}`;
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot listen on ${where.host} (${where.hostVariable}): not an address of this machine`;
    default:
      return `cannot listen on ${address} (${where.portVariable}, ${where.hostVariable}): ${error instanceof Error ? error.message : String(error)}`;
  }
}

const UNWRITABLE = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EEXIST', 'ENOSPC']);

/** The one line a failure to open the fleet is reported with: a data folder that cannot be written names SILO_DATA_DIR. */
export function openProblem(error: unknown): string {
  const message = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? (error instanceof Error && error.cause ? (error.cause as NodeJS.ErrnoException).code : undefined);
  if (code !== undefined && UNWRITABLE.has(code)) return `the data folder cannot be written (SILO_DATA_DIR): ${message}`;
  if (/\b(EACCES|EPERM|EROFS|ENOTDIR)\b|SQLITE_READONLY|SQLITE_CANTOPEN|read-only/.test(message)) return `the data folder cannot be written (SILO_DATA_DIR): ${message}`;
  return message;
}

/** Prints the one line and exits 1: no stack, nothing else. */
export function exitWith(app: string, line: string): never {
  process.stderr.write(`${app}: could not start: ${line}\n`);
  process.exit(1);
}
