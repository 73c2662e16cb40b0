/**
 * Every error the fleet raises is a SiloError with a stable `code`, so apps and the CLI can
 * branch on it (404, 409, exit codes) without parsing messages. Messages say what to do next.
 */
export type SiloErrorCode =
  | 'INVALID_NAME'
  | 'NAME_TAKEN'
  | 'INSTANCE_NOT_FOUND'
  | 'INSTANCE_NOT_READY'
  | 'INVALID_STATE'
  | 'SCHEMA_BEHIND'
  | 'SCHEMA_INVALID'
  | 'JURISDICTION_VIOLATION'
  | 'UNKNOWN_JURISDICTION'
  | 'UNKNOWN_REGION'
  | 'CONFIG_INVALID'
  | 'INVALID_INPUT'
  | 'CATALOG_UNAVAILABLE'
  | 'IMPORT_REJECTED'
  | 'QUERY_FAILED'
  | 'QUERY_READ_ONLY'
  | 'STATEMENT_REFUSED'
  | 'QUERY_TIMEOUT'
  | 'HANDLES_EXHAUSTED'
  | 'ENGINE_FAILURE'
  | 'BACKUP_NOT_FOUND'
  | 'BACKUP_CORRUPT'
  | 'BACKUP_FAILED'
  | 'SIZE_LIMIT_EXCEEDED'
  | 'FLEET_CLOSED'
  /** The app's seed step of a create failed: nothing was created, the name is free. */
  | 'SEED_FAILED'
  /** `silo admin disable/enable/remove` of an email with no account. */
  | 'ADMIN_NOT_FOUND'
  /** Disabling or removing the only admin who can still sign in. */
  | 'LAST_ADMIN'
  /** The disk a write needed is full (disk-space.ts): the message names the folder and its free space. */
  | 'DISK_FULL';

export class SiloError extends Error {
  override readonly name = 'SiloError';
  readonly code: SiloErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: SiloErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }
}

export function isSiloError(error: unknown, code?: SiloErrorCode): error is SiloError {
  return error instanceof SiloError && (code === undefined || error.code === code);
}

/** The message of anything thrown, for results and the audit log. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function instanceNotFound(name: string): SiloError {
  return new SiloError(
    'INSTANCE_NOT_FOUND',
    `No instance named "${name}". Check the name with \`silo instances list\`.`,
    { details: { name } },
  );
}
