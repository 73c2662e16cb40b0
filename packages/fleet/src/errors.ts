/**
 * Every error the fleet raises is a SiloError with a stable `code`, so apps and the CLI can
 * branch on it (404, 409, exit codes) without parsing messages. Messages say what to do next.
 *
 * Each code has its `details` type here: a constructor is checked against it (codes with
 * required fields cannot be raised without them), and `isSiloError(error, code)` narrows
 * `details` to it.
 */
export interface SiloErrorDetails {
  /** `codePoint`: the character a display name may not hold. */
  INVALID_NAME: { readonly name?: unknown; readonly codePoint?: string };
  /** Without details when no free name for a clone was found. */
  NAME_TAKEN: { readonly name?: string; readonly state?: string };
  INSTANCE_NOT_FOUND: { readonly name: string };
  INSTANCE_NOT_READY: { readonly name: string; readonly state: string };
  /** `notStarted`: a move refused before it changed anything (reported as skipped). */
  INVALID_STATE: { readonly notStarted?: true };
  SCHEMA_BEHIND: { readonly name: string; readonly version: number; readonly expected: number };
  SCHEMA_INVALID: { readonly folder?: string };
  /** Which of these are set depends on what crossed: an instance, a region, a location, a Turso group. */
  JURISDICTION_VIOLATION: {
    readonly instance?: string;
    readonly region?: string;
    readonly regions?: readonly string[];
    readonly jurisdiction?: string;
    readonly jurisdictions?: readonly string[];
    readonly location?: string;
    readonly group?: string;
    readonly outside?: readonly string[];
    readonly allowed?: readonly string[];
  };
  UNKNOWN_JURISDICTION: NoDetails;
  UNKNOWN_REGION: NoDetails;
  /** A Turso group keeping data outside the locations allowed for its jurisdiction. */
  /** Residency mismatches name the group; a config file's problems name the file (`source`) and what is wrong. */
  CONFIG_INVALID: {
    readonly group?: string;
    readonly jurisdiction?: string;
    readonly outside?: readonly string[];
    readonly allowed?: readonly string[];
    readonly source?: string;
    readonly problems?: string;
    readonly cwd?: string;
  };
  INVALID_INPUT: NoDetails;
  CATALOG_UNAVAILABLE: NoDetails;
  IMPORT_REJECTED: { readonly reason?: string };
  /** `checkedLocally`: the statement failed on the local copy of a Turso schema, not on Turso. */
  QUERY_FAILED: { readonly sqliteCode?: string | null; readonly checkedLocally?: true };
  QUERY_READ_ONLY: { readonly sqliteCode?: string | null; readonly refused?: string; readonly httpStatus?: number };
  /** `refused`: the kind of statement the guard refused. */
  STATEMENT_REFUSED: { readonly refused?: string };
  /** Without details when the query was stopped before it started. */
  QUERY_TIMEOUT: { readonly timeoutMs?: number };
  /** The query's process passed its memory limit (SILO_QUERY_MAX_MEMORY_BYTES). */
  QUERY_MEMORY_EXCEEDED: { readonly maxMemoryBytes: number };
  /**
   * The caller's abort signal stopped the query (`QueryOptions.signal`: Ctrl+C, a client that
   * went away). `outcomeUnknown`: only the waiting stopped, and the engine may still run the
   * statement to its end (Turso).
   */
  QUERY_ABORTED: { readonly outcomeUnknown?: true };
  HANDLES_EXHAUSTED: NoDetails;
  /**
   * From Turso: the HTTP status (and when to retry), the libSQL code, or a refused token.
   * `outcomeUnknown`: the request failed in a way that leaves open whether Turso did it (its answer was lost).
   */
  ENGINE_FAILURE: { readonly status?: number; readonly retryAfterMs?: number; readonly code?: string; readonly tokenRefused?: boolean; readonly outcomeUnknown?: true };
  BACKUP_NOT_FOUND: { readonly name?: string; readonly at?: number; readonly pointId?: string };
  BACKUP_CORRUPT: { readonly pointId: string; readonly reason: string };
  BACKUP_FAILED: { readonly location?: string; readonly failures?: readonly string[] };
  SIZE_LIMIT_EXCEEDED: { readonly instance: string; readonly maxBytes: number; readonly sizeBytes?: number };
  FLEET_CLOSED: NoDetails;
  /** The app's seed step of a create failed: nothing was created, the name is free. */
  SEED_FAILED: { readonly name: string };
  /** `silo admin disable/enable/remove` of an email with no account. */
  ADMIN_NOT_FOUND: { readonly email: string };
  /** Disabling or removing the only admin who can still sign in. */
  LAST_ADMIN: { readonly email: string };
  /** The disk a write needed is full (disk-space.ts): the message names the folder and its free space. */
  DISK_FULL: { readonly dir: string; readonly freeBytes: number | undefined; readonly totalBytes: number | undefined };
}

/** A code whose errors carry no details (an object type without an index signature, so unnarrowed reads are errors). */
interface NoDetails {
  readonly none?: never;
}

export type SiloErrorCode = keyof SiloErrorDetails;

type SiloErrorOptions<C extends SiloErrorCode> = { cause?: unknown } & (Record<never, never> extends SiloErrorDetails[C]
  ? { details?: SiloErrorDetails[C] }
  : { details: SiloErrorDetails[C] });

/** Constructor arguments after the message: optional when the code's details are. */
type OptionsArgument<C extends SiloErrorCode> = Record<never, never> extends SiloErrorDetails[C] ? [options?: SiloErrorOptions<C>] : [options: SiloErrorOptions<C>];

export class SiloError<C extends SiloErrorCode = SiloErrorCode> extends Error {
  override readonly name = 'SiloError';
  readonly code: C;
  readonly details: Readonly<SiloErrorDetails[C]>;

  constructor(code: C, message: string, ...[options]: OptionsArgument<C>) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    // Only codes whose details are all optional may omit them (OptionsArgument), so {} fits.
    this.details = options?.details ?? ({} as SiloErrorDetails[C]);
  }
}

/** Whether `error` is a SiloError (of `code`, whose details it then has). */
export function isSiloError<C extends SiloErrorCode = SiloErrorCode>(error: unknown, code?: C): error is SiloError<C> {
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
