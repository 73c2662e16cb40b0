import { createClient, LibsqlError, type Client, type InArgs, type InStatement, type ResultSet } from '../optional/libsql-client';
import type { ExecuteResult, Row, SqlArgs, SqlValue, Statement, TenantConnection } from '../engine';
import { SiloError, errorMessage } from '../errors';
import type { SecretScrubber } from './turso-secrets';

/** Where one database answers SQL, and the token that lets us in. Held in memory only. */
export interface DataPlaneTarget {
  readonly group: string;
  readonly database: string;
  readonly hostname: string;
  readonly token: string;
  readonly tls: boolean;
}

/**
 * A `@libsql/client` for one database, over HTTP (`libsql://` means HTTPS, or plain HTTP with
 * `tls: false` for a local stand-in). Integers come back as bigint so none is silently rounded;
 * `toSqlValue` turns the safe ones back into numbers. `signal` aborts every request in flight,
 * for queries stopped at their time limit.
 */
export function openClient(target: DataPlaneTarget, signal?: AbortSignal): Client {
  return createClient({
    url: `libsql://${target.hostname}`,
    authToken: target.token,
    tls: target.tls,
    intMode: 'bigint',
    ...(signal ? { fetch: (request: Request) => fetch(request, { signal }) } : {}),
  });
}

/**
 * A tenant connection over the network. `connect()` must return at once (the handle cache
 * opens synchronously), so the target (hostname lookup, group token) resolves on first use.
 * A token Turso refuses (its group's tokens were rotated) is renewed once through `renew`,
 * and the statement retried: a refused request ran nothing.
 */
export class TursoConnection implements TenantConnection {
  readonly #resolve: () => Promise<DataPlaneTarget>;
  readonly #renew: (stale: DataPlaneTarget) => Promise<boolean>;
  readonly #scrubber: SecretScrubber;
  #current: Promise<{ target: DataPlaneTarget; client: Client }>;
  #closed = false;

  constructor(resolve: () => Promise<DataPlaneTarget>, renew: (stale: DataPlaneTarget) => Promise<boolean>, scrubber: SecretScrubber) {
    this.#resolve = resolve;
    this.#renew = renew;
    this.#scrubber = scrubber;
    this.#current = this.#open();
  }

  async execute(sql: string, args?: SqlArgs): Promise<ExecuteResult> {
    return this.#run(async (client) => toExecuteResult(await client.execute(toStatement({ sql, args }))));
  }

  async batch(statements: readonly Statement[]): Promise<ExecuteResult[]> {
    // "write" begins with BEGIN IMMEDIATE, as the local engine's batches do.
    return this.#run(async (client) => (await client.batch(statements.map(toStatement), 'write')).map(toExecuteResult));
  }

  /** Over HTTP the statements never hold this thread: the same as `batch`. */
  batchOffThread(statements: readonly Statement[]): Promise<ExecuteResult[]> {
    return this.batch(statements);
  }

  close(): void {
    this.#closed = true;
    void this.#current.then(({ client }) => client.close()).catch(() => undefined);
  }

  #open(): Promise<{ target: DataPlaneTarget; client: Client }> {
    const opened = this.#resolve().then((target) => ({ target, client: openClient(target) }));
    // A failed lookup is reported by the next statement; it must not go unhandled meanwhile.
    opened.catch(() => undefined);
    return opened;
  }

  async #run<T>(work: (client: Client) => Promise<T>): Promise<T> {
    if (this.#closed) throw new SiloError('ENGINE_FAILURE', 'This connection has been closed.');
    try {
      const { target, client } = await this.#current;
      try {
        return await work(client);
      } catch (error) {
        if (!isAuthRefused(error) || !(await this.#renew(target))) throw error;
        client.close();
        this.#current = this.#open();
        return await work((await this.#current).client);
      }
    } catch (error) {
      throw dataPlaneError(error, this.#scrubber);
    }
  }
}

/** Turso refused the token (HTTP 401): expired, or its group's tokens were rotated. */
export function isAuthRefused(error: unknown): boolean {
  return (error as { cause?: { status?: unknown } } | null)?.cause?.status === 401;
}

/**
 * @libsql/client stores each statement of a batch or transaction shorter than 5000 UTF-16 code
 * units on the server first (`store_sql`, its sql_cache.ts), but sqld refuses to store a text
 * over 5000 bytes of UTF-8 (libsql-server/src/hrana/http/request.rs, `MAX_STORED_SQL_SIZE`)
 * and the batch that names it then fails whole. A text in between (non-ASCII literals or
 * names) is padded with trailing spaces to 5000 code units, so the client sends it inline.
 */
const STORED_SQL_LIMIT = 5_000;

export function inlineSql(sql: string): string {
  if (sql.length >= STORED_SQL_LIMIT || Buffer.byteLength(sql, 'utf8') <= STORED_SQL_LIMIT) return sql;
  return sql + ' '.repeat(STORED_SQL_LIMIT - sql.length);
}

export function toStatement(statement: Statement): InStatement {
  const sql = inlineSql(statement.sql);
  return statement.args === undefined ? { sql } : { sql, args: statement.args as InArgs };
}

export function toExecuteResult(result: ResultSet): ExecuteResult {
  return {
    rows: result.rows.map((row) => {
      const record: Row = {};
      result.columns.forEach((column, index) => {
        record[column] = toSqlValue(row[index] ?? null);
      });
      return record;
    }),
    rowsAffected: result.rowsAffected,
    lastInsertRowid: result.lastInsertRowid === undefined ? undefined : exactNumber(result.lastInsertRowid),
  };
}

/** Values as the local engine returns them: numbers when exact, blobs as Buffers. */
export function toSqlValue(value: unknown): SqlValue {
  if (value === null || typeof value === 'string' || typeof value === 'number') return value;
  if (typeof value === 'bigint') return exactNumber(value);
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  if (value instanceof Uint8Array) return value;
  return String(value);
}

function exactNumber(value: bigint): number | bigint {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value;
}

/**
 * The server answered and refused the statement (a SQL error, a constraint): a ResponseError
 * from the Hrana client. Refusals about access or the database itself are the service's.
 */
function isStatementError(error: LibsqlError): boolean {
  const cause = error.cause as { name?: unknown } | undefined;
  const answered = cause?.name === 'ResponseError' || error.code.startsWith('SQLITE_');
  return answered && !/AUTH|UNAUTHORI|PERMISSION|FORBIDDEN|BLOCKED|NAMESPACE|NOT_FOUND/i.test(error.code);
}

/**
 * The statement's own failures are QUERY_FAILED with the database's message; anything else
 * (the service unreachable, refused credentials) is ENGINE_FAILURE. Messages are scrubbed of
 * secrets and the client's error is not kept as a cause, since it holds the request.
 */
export function dataPlaneError(error: unknown, scrubber: SecretScrubber): unknown {
  if (error instanceof SiloError) return error;
  const message = scrubber.scrub(errorMessage(error));
  if (error instanceof LibsqlError && isStatementError(error)) {
    return new SiloError('QUERY_FAILED', message, { details: { sqliteCode: error.code } });
  }
  const code = error instanceof LibsqlError ? error.code : undefined;
  return new SiloError('ENGINE_FAILURE', `Turso did not run the statement: ${message}`, { details: { code } });
}
