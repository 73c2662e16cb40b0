import type { Client, ResultSet } from '@libsql/client';
import { queryAborted, stopIfQueryAborted, type QueryRequest, type QueryResult, type SqlValue } from '../engine';
import { SiloError, errorMessage, isSiloError } from '../errors';
import { refusalError } from '../query/refusal';
import { TRANSACTION_CONTROL } from '../query/split-statements.mjs';
import { dataPlaneError, isAuthRefused, openClient, toExecuteResult, toSqlValue, toStatement, type DataPlaneTarget } from './turso-connection';
import type { SecretScrubber } from './turso-secrets';
import type { TursoStatementGuard } from './turso-statement-guard';

export interface BoundedQueryOptions {
  readonly request: QueryRequest;
  /** The database's target with the token the request needs (read-only for read-only queries). */
  readonly resolve: () => Promise<DataPlaneTarget>;
  /** Renews a refused token; true when a retry may succeed. */
  readonly renew: (stale: DataPlaneTarget) => Promise<boolean>;
  readonly scrubber: SecretScrubber;
  /** The database's URL, for the guard's schema cache. */
  readonly url: string;
  readonly guard: TursoStatementGuard;
}

/**
 * One console or fleet query against a Turso database, with the time limit kept on our side:
 * at the limit the HTTP request is aborted and the caller gets QUERY_TIMEOUT, whatever the
 * network or the server does. The statement guard runs first, on a local copy of the schema
 * (so Turso gets only what the local engine would run); a read-only token stays the second
 * wall, and its refusal becomes QUERY_READ_ONLY, as on the local engine.
 *
 * The request's abort signal aborts the HTTP request the same way, and the caller gets
 * QUERY_ABORTED at once. That only stops the waiting: a statement Turso has received may still
 * run to its end there (a write then commits), as at the time limit.
 */
export async function runBoundedQuery(options: BoundedQueryOptions): Promise<QueryResult> {
  const { request } = options;
  const started = performance.now();
  const result = await bounded(options, async (client) => {
    await options.guard.check(options.url, client, request);
    return client.execute(toStatement(request));
  });
  return shapeResult(result, request, performance.now() - started);
}

/**
 * A write script of several statements as one transaction, as on local files: each statement
 * guarded first (TursoStatementGuard.checkScript), then all of them in one batch, which Turso
 * runs as one transaction and rolls back whole at the first error. The result is the last
 * statement's rows that returned any, and the changes of all of them.
 */
export async function runBoundedScript(options: BoundedQueryOptions, statements: readonly string[]): Promise<QueryResult> {
  const { request } = options;
  const started = performance.now();
  const control = statements.find((sql) => TRANSACTION_CONTROL.test(sql));
  if (control !== undefined) {
    throw refusalError({ code: 'STATEMENT_REFUSED', refused: 'transaction control', message: `A script runs as one transaction of its own; leave out "${control.slice(0, 40)}".` });
  }
  let results: ResultSet[];
  try {
    results = await bounded(options, async (client) => {
      await options.guard.checkScript(options.url, client, request, statements);
      return client.batch(
        statements.map((sql) => toStatement({ sql })),
        'write',
      );
    });
  } catch (error) {
    if (isSiloError(error, 'QUERY_FAILED')) {
      const index = (error.cause as { statementIndex?: unknown } | undefined)?.statementIndex;
      const which = typeof index === 'number' ? `Statement ${index + 1} of ${statements.length}: ` : '';
      throw new SiloError('QUERY_FAILED', `${which}${error.message} (the script was rolled back: nothing was changed)`, { cause: error.cause, details: error.details });
    }
    throw error;
  }
  const shown = results.findLast((result) => result.columns.length > 0);
  const rowsAffected = results.reduce((sum, result) => sum + (result.columns.length > 0 ? 0 : result.rowsAffected), 0);
  const last = shown ?? results.at(-1);
  const durationMs = performance.now() - started;
  const shaped = last === undefined ? { columns: [], rows: [], truncated: false, rowsAffected: 0, durationMs } : shapeResult(last, request, durationMs);
  return { ...shaped, rowsAffected, statements: statements.length };
}

/**
 * Runs `send` on a client of the database with the request's time limit kept on our side, a
 * refused token renewed once, and errors shaped as the local engine's.
 */
async function bounded<T>(options: BoundedQueryOptions, send: (client: Client) => Promise<T>): Promise<T> {
  const { request } = options;
  stopIfQueryAborted(request.signal);
  const controller = new AbortController();
  const { promise: givenUp, stop: stopListening } = whenAborted(request.signal, controller);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(
        new SiloError(
          'QUERY_TIMEOUT',
          `The query was stopped after ${request.limits.timeoutMs} ms. Add a LIMIT or a WHERE clause, or raise the time limit.`,
          { details: { timeoutMs: request.limits.timeoutMs } },
        ),
      );
    }, request.limits.timeoutMs);
  });
  let client: Client | undefined;
  const run = async (): Promise<T> => {
    const target = await options.resolve();
    // The limit may have passed during the lookup: then the statement must not run at all.
    if (controller.signal.aborted) throw new SiloError('QUERY_TIMEOUT', 'The query was stopped before it started.');
    // Checked on every attempt: the retry reads the schema with the renewed token as well.
    const attempt = async (open: Client): Promise<T> => {
      if (controller.signal.aborted) throw new SiloError('QUERY_TIMEOUT', 'The query was stopped before it started.');
      return send(open);
    };
    client = openClient(target, controller.signal);
    try {
      return await attempt(client);
    } catch (error) {
      if (!isAuthRefused(error) || !(await options.renew(target))) throw error;
      client.close();
      client = openClient(await options.resolve(), controller.signal);
      return await attempt(client);
    }
  };
  const work = run();
  work.catch(() => undefined);
  try {
    return await Promise.race([work, timedOut, givenUp]);
  } catch (error) {
    throw queryError(error, request.readOnly, options.scrubber);
  } finally {
    clearTimeout(timer);
    stopListening();
    client?.close();
  }
}

/**
 * Rejects with QUERY_ABORTED once `signal` fires, aborting `controller` (the HTTP requests'):
 * the caller stops waiting, whatever Turso does with a statement it has. Never settles without
 * a signal; `stop` drops the listener once the query is over.
 */
function whenAborted(signal: AbortSignal | undefined, controller: AbortController): { promise: Promise<never>; stop: () => void } {
  if (!signal) return { promise: new Promise<never>(() => undefined), stop: () => undefined };
  let onAbort = (): void => undefined;
  const promise = new Promise<never>((_, reject) => {
    onAbort = () => {
      controller.abort();
      reject(queryAborted(signal, 'Its request to Turso was abandoned; Turso may still run the statement to its end (a write then commits).', true));
    };
  });
  signal.addEventListener('abort', onAbort, { once: true });
  return { promise, stop: () => signal.removeEventListener('abort', onAbort) };
}

function queryError(error: unknown, readOnly: boolean, scrubber: SecretScrubber): unknown {
  if (error instanceof SiloError && error.code !== 'QUERY_FAILED' && error.code !== 'ENGINE_FAILURE') return error;
  // sqld refuses a write sent with a read-only token with HTTP 403 for the whole request (the
  // client only sees the status): the same refusal, and the same message, as SQLite's
  // SQLITE_READONLY on the local engine.
  if (readOnly && (error as { cause?: { status?: unknown } } | null)?.cause?.status === 403) {
    return new SiloError(
      'QUERY_READ_ONLY',
      'This connection is read-only, so the statement was refused (attempt to write a readonly database). Switch to write mode to change data.',
      { details: { httpStatus: 403 } },
    );
  }
  const mapped = dataPlaneError(error, scrubber);
  const message = errorMessage(mapped);
  const sqliteCode = isSiloError(mapped, 'QUERY_FAILED') ? String(mapped.details.sqliteCode ?? '') : '';
  if (readOnly && /READONLY|read-only|readonly/i.test(`${message} ${sqliteCode}`)) {
    return new SiloError(
      'QUERY_READ_ONLY',
      `This connection is read-only, so the statement was refused (${message}). Switch to write mode to change data.`,
    );
  }
  return mapped;
}

/** Columns and rows as arrays, capped like the local engine's query host (rows, then bytes). */
function shapeResult(result: ResultSet, request: QueryRequest, durationMs: number): QueryResult {
  const rows: SqlValue[][] = [];
  let bytes = 0;
  let truncated = false;
  for (const row of result.rows) {
    const values = result.columns.map((_, index) => toSqlValue(row[index] ?? null));
    bytes += rowBytes(values);
    if (rows.length >= request.limits.maxRows || bytes > request.limits.maxBytes) {
      truncated = true;
      break;
    }
    rows.push(values);
  }
  const isRead = result.columns.length > 0;
  return {
    columns: isRead ? result.columns : [],
    rows,
    truncated,
    rowsAffected: isRead ? 0 : toExecuteResult(result).rowsAffected,
    durationMs,
  };
}

function rowBytes(row: readonly SqlValue[]): number {
  let bytes = 0;
  for (const value of row) {
    if (typeof value === 'string') bytes += value.length * 2;
    else if (value instanceof Uint8Array) bytes += value.byteLength;
    else bytes += 8;
  }
  return bytes;
}
