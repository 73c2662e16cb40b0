import type { Client, ResultSet } from '@libsql/client';
import type { QueryRequest, QueryResult, SqlValue } from '../engine';
import { SiloError, errorMessage, isSiloError } from '../errors';
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
 */
export async function runBoundedQuery(options: BoundedQueryOptions): Promise<QueryResult> {
  const { request } = options;
  const started = performance.now();
  const controller = new AbortController();
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
  const run = async (): Promise<ResultSet> => {
    const target = await options.resolve();
    // The limit may have passed during the lookup: then the statement must not run at all.
    if (controller.signal.aborted) throw new SiloError('QUERY_TIMEOUT', 'The query was stopped before it started.');
    // Checked on every attempt: the retry reads the schema with the renewed token as well.
    const send = async (open: Client): Promise<ResultSet> => {
      await options.guard.check(options.url, open, request);
      if (controller.signal.aborted) throw new SiloError('QUERY_TIMEOUT', 'The query was stopped before it started.');
      return open.execute(toStatement(request));
    };
    client = openClient(target, controller.signal);
    try {
      return await send(client);
    } catch (error) {
      if (!isAuthRefused(error) || !(await options.renew(target))) throw error;
      client.close();
      client = openClient(await options.resolve(), controller.signal);
      return await send(client);
    }
  };
  const work = run();
  work.catch(() => undefined);
  try {
    const result = await Promise.race([work, timedOut]);
    return shapeResult(result, request, performance.now() - started);
  } catch (error) {
    throw queryError(error, request.readOnly, options.scrubber);
  } finally {
    clearTimeout(timer);
    client?.close();
  }
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
