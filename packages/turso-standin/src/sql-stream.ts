import { setTimeout as sleep } from 'node:timers/promises';
import type Database from 'better-sqlite3';
import type { Connection } from './database-files';
import {
  decodeValue,
  encodeValue,
  type BatchCond,
  type ProtoBatch,
  type ProtoError,
  type ProtoStmt,
  type StmtResult,
  type StreamRequest,
  type StreamResult,
} from './hrana-proto';
import { HttpError, ProtocolError } from './http-util';
import { describeParams } from './sql-params';
import { inputErrorOffset, updateDeleteLimitError } from './sqlite-errors';
import { isSyntaxMessage, parseError, parseErrorMessage, probeOn, scratchProbe, sqliteTokenOffset, type Probe } from './sqld-parse';
import {
  classifyTokens,
  dmlKind,
  isPragma,
  notAllowedMessage,
  permissionFor,
  statementSpans,
  type StatementSpan,
  type StmtKind,
} from './sqld-statements';

/**
 * What sqld keeps of `store_sql` per stream (libsql-server/src/hrana/http/request.rs:
 * `MAX_SQL_COUNT = 50`, `MAX_STORED_SQL_SIZE = ByteSize::kb(5)`, i.e. 5000 bytes of UTF-8).
 * @libsql/client stores every batch statement shorter than 5000 UTF-16 code units, so a
 * non-ASCII text can pass its check and still be refused here, as on Turso.
 */
export const MAX_STORED_SQL_COUNT = 50;
export const MAX_STORED_SQL_BYTES = 5_000;

/** What a stream tells its database about, for point-in-time copies and usage. */
export interface DatabaseHooks {
  beforeWrite(): void;
  noteCommit(): void;
  recordUsage(rowsRead: number, rowsWritten: number): void;
}

export interface StreamOptions {
  version: 2 | 3;
  readOnly: boolean;
  /**
   * The connection was opened with query_only already set (a pool of read-only connections):
   * the stream does not set it again, which would expire every statement kept on it.
   */
  queryOnlyAtOpen?: boolean;
  /** How long a statement waits for another stream's write transaction to end. */
  busyTimeoutMs: number;
  /**
   * How long a transaction may hold the write lock (sqld's TXN_TIMEOUT, 5 s): past it the
   * transaction is rolled back and the stream's next statement fails with TRANSACTION_TIMEOUT.
   */
  transactionTimeoutMs: number;
  /** The largest result one statement may return (sqld's max_response_size, 10 MB): RESPONSE_TOO_LARGE past it. */
  maxResponseBytes: number;
  /** The database's name in sqld's 403 text (its namespace: the database's ID on Turso); `default` if not given. */
  namespace?: string;
  /**
   * Whether `describe` refuses what `execute` would refuse (default true). sqld only prepares
   * the text (connection_core.rs `describe`), so a pragma SQLite acts on while preparing takes
   * effect; the stand-in passes false to be exactly that. silo serve keeps the check.
   */
  checkDescribe?: boolean;
}

/**
 * What sqld answers when the token lacks the right a statement needs
 * (connection/program.rs `check_program_auth`, auth/authenticated.rs `has_right`): the whole
 * HTTP request fails with 403 `{"error": …}` (error.rs `Error::Forbidden`), nothing of the
 * request runs. A read-only token lacks `Write`; no token of the stand-in has `AttachRead`
 * (Turso mints it only with `permissions.read_attach`, which the stand-in does not take).
 */
export function forbidden(permission: 'Write' | 'AttachRead', namespace: string): HttpError {
  return new HttpError(403, { error: `Authorization forbidden: Current session doesn't not have ${permission} permission to namespace ${namespace}` });
}

/** An error reported inside a Hrana result, `{ message, code }`. */
export class StmtError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

interface SqliteLikeError {
  code: string;
  message: string;
}

function isSqliteError(error: unknown): error is SqliteLikeError {
  return error instanceof Error && typeof (error as Partial<SqliteLikeError>).code === 'string' && error.name === 'SqliteError';
}

/**
 * The primary result codes rusqlite's ErrorCode has a variant for (libsql-ffi/src/lib.rs
 * `Error::new`), which sqld names as they are (hrana/stmt.rs `sqlite_error_code`). The others,
 * SQLITE_ERROR itself among them (and SQLITE_EMPTY, SQLITE_FORMAT, SQLITE_NOTICE,
 * SQLITE_WARNING), are `ErrorCode::Unknown`, which sqld names SQLITE_UNKNOWN.
 */
const SQLD_NAMED_CODES = new Set([
  'SQLITE_INTERNAL',
  'SQLITE_PERM',
  'SQLITE_ABORT',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_NOMEM',
  'SQLITE_READONLY',
  'SQLITE_INTERRUPT',
  'SQLITE_IOERR',
  'SQLITE_CORRUPT',
  'SQLITE_NOTFOUND',
  'SQLITE_FULL',
  'SQLITE_CANTOPEN',
  'SQLITE_PROTOCOL',
  'SQLITE_SCHEMA',
  'SQLITE_TOOBIG',
  'SQLITE_CONSTRAINT',
  'SQLITE_MISMATCH',
  'SQLITE_MISUSE',
  'SQLITE_NOLFS',
  'SQLITE_AUTH',
  'SQLITE_RANGE',
  'SQLITE_NOTADB',
]);

/** The Hrana code sqld gives a SQLite failure of this (primary or extended) result code. */
export function sqldErrorCode(sqliteCode: string): string {
  const primary = /^SQLITE_[A-Z]+/.exec(sqliteCode)?.[0] ?? sqliteCode;
  return SQLD_NAMED_CODES.has(primary) ? primary : 'SQLITE_UNKNOWN';
}

/**
 * sqld reports SQLite failures as `SQLite error: <message>` with the primary result code
 * (`SQLITE_CONSTRAINT`, not `SQLITE_CONSTRAINT_UNIQUE`; SQLITE_UNKNOWN for plain SQLITE_ERROR,
 * see `sqldErrorCode`); @libsql/client shows them as `<code>: <message>` and exposes the code
 * as LibsqlError.code.
 */
export function toProtoError(error: unknown): ProtoError {
  if (error instanceof StmtError) return { message: error.message, code: error.code };
  if (isSqliteError(error)) {
    return { message: `SQLite error: ${error.message}`, code: sqldErrorCode(error.code) };
  }
  if (error instanceof RangeError || error instanceof TypeError) {
    return { message: error.message, code: 'ARGS_INVALID' };
  }
  return { message: error instanceof Error ? error.message : String(error), code: 'INTERNAL' };
}

function isRetriableBusy(error: unknown): boolean {
  return isSqliteError(error) && error.code.startsWith('SQLITE_BUSY') && error.code !== 'SQLITE_BUSY_SNAPSHOT';
}

/** A statement as sqld's `proto_stmt_to_query` leaves it: parsed, classified, and prepared if that was safe. */
interface Checked {
  sql: string;
  span: StatementSpan;
  kind: StmtKind;
  /** The database an ATTACH names. */
  namespace: string | undefined;
  prepared: Database.Statement | undefined;
  prepareError: unknown;
}

/**
 * A describe's failure as sqld reports it: SQLite's parse errors name their token, so they have
 * an offset too (SQL_INPUT_ERROR), all but `incomplete input`.
 */
function describeFailure(sql: string, span: StatementSpan, error: unknown, conn: Connection): unknown {
  // Only where the split here cut the first statement longer than SQLite does.
  if (error instanceof RangeError && /more than one statement/.test(error.message)) return new StmtError('SQL string contains more than one statement', 'SQL_MANY_STATEMENTS');
  if (!isSqliteError(error) || !/^SQLITE_ERROR(_|$)/.test(error.code)) return error;
  const token = /^(?:near "(.*)": syntax error|unrecognized token: "(.*)")$/s.exec(error.message);
  const offset = token === null ? inputErrorOffset(sql, span, error.message) : sqliteTokenOffset(sql, span, token[1] ?? token[2] ?? '', [probeOn(conn), scratchProbe()]);
  if (offset === undefined) return error;
  return new StmtError(`SQL input error: ${error.message} (at offset ${offset})`, 'SQL_INPUT_ERROR');
}

/**
 * One Hrana stream: a connection of its own (so a transaction can span pipeline requests),
 * the SQL texts stored on it, and the requests of HRANA_3_SPEC.md "Hrana over HTTP / Requests".
 */
export class SqlStream {
  readonly #sqls = new Map<number, string>();
  #wroteSinceCommit = false;
  #closed = false;
  /** Set while a transaction holds the write lock: rolls it back at the transaction time limit. */
  #txnTimer: NodeJS.Timeout | undefined;
  /** When the transaction holding the write lock runs out of time (checked by every request too). */
  #txnDeadline: number | undefined;
  /** The time limit rolled the transaction back; the client has not ended it yet. */
  #txnTimedOut = false;
  /** Prepared on the stream's first write: a read needs none of its counters. */
  #countersStatement: Database.Statement | undefined;

  constructor(
    private readonly conn: Connection,
    private readonly hooks: DatabaseHooks,
    private readonly options: StreamOptions,
  ) {
    // SQLite itself then refuses every write (SQLITE_READONLY), sequences included.
    if (options.readOnly && !options.queryOnlyAtOpen) conn.pragma('query_only = ON');
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** `changes()`, `last_insert_rowid()` and `total_changes()`, for what a write did. */
  #counters(): [bigint, bigint, bigint] {
    this.#countersStatement ??= this.conn.prepare('SELECT changes(), last_insert_rowid(), total_changes()').raw(true);
    return this.#countersStatement.get() as [bigint, bigint, bigint];
  }

  /** Closing rolls back an open transaction (sqlite3_close does), which frees the write lock. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#clearTxnTimer();
    this.conn.close();
  }

  async handle(request: StreamRequest): Promise<StreamResult> {
    // HTTP_V2_SPEC.md "Close stream": "It is an error if the client tries to execute more
    // requests on the same stream"; sqld fails the whole HTTP request (ProtocolError::BatonStreamClosed).
    if (this.#closed) throw new ProtocolError('Stream for this baton was closed');
    // The timer may not have run yet when a request arrives right at the deadline.
    if (this.#txnDeadline !== undefined && Date.now() >= this.#txnDeadline) this.#timeOutTransaction();
    try {
      switch (request.type) {
        case 'close':
          this.close();
          return ok({ type: 'close' });
        case 'execute':
          return ok({ type: 'execute', result: await this.#retryBusy(() => this.#execute(request.stmt)) });
        case 'batch':
          return ok({ type: 'batch', result: await this.#batch(request.batch) });
        case 'sequence':
          await this.#retryBusy(() => this.#sequence(this.#sqlText(request.sql, request.sql_id)));
          return ok({ type: 'sequence' });
        case 'describe':
          return ok({ type: 'describe', result: this.#describe(this.#sqlText(request.sql, request.sql_id)) });
        case 'store_sql': {
          // HRANA_3_SPEC.md "Store an SQL text": an id already in use is a protocol error.
          if (this.#sqls.has(request.sql_id)) throw new ProtocolError(`SQL text ${request.sql_id} already exists`);
          if (this.#sqls.size >= MAX_STORED_SQL_COUNT) {
            throw new StmtError(`The server already stores ${this.#sqls.size} SQL texts, it cannot store more`, 'SQL_STORE_TOO_MANY');
          }
          const bytes = Buffer.byteLength(request.sql, 'utf8');
          if (bytes > MAX_STORED_SQL_BYTES) {
            throw new StmtError(`The statement is too large to be stored: ${bytes} B/${MAX_STORED_SQL_BYTES} B`, 'SQL_STORE_TOO_LARGE');
          }
          this.#sqls.set(request.sql_id, request.sql);
          return ok({ type: 'store_sql' });
        }
        case 'close_sql':
          this.#sqls.delete(request.sql_id);
          return ok({ type: 'close_sql' });
        case 'get_autocommit':
          this.#requireV3('The `get_autocommit` request');
          return ok({ type: 'get_autocommit', is_autocommit: !this.conn.inTransaction });
      }
    } catch (error) {
      // A refusal of the whole HTTP request (403 for a read-only token), not of one statement.
      if (error instanceof HttpError) throw error;
      return { type: 'error', error: toProtoError(error) };
    }
  }

  /** A Hrana 3 feature on v2 is a protocol error in sqld (ProtocolError::NotSupported), not an in-band one. */
  #requireV3(what: string): void {
    if (this.options.version < 3) throw new ProtocolError(`${what} is only supported in protocol version hrana3 and higher`);
  }

  /** sqld's `proto_sql_to_sql`: each way of getting it wrong fails the whole HTTP request. */
  #sqlText(sql: string | null | undefined, sqlId: number | null | undefined): string {
    const hasSql = sql !== undefined && sql !== null;
    const hasId = sqlId !== undefined && sqlId !== null;
    if (hasSql && hasId) throw new ProtocolError('Either `sql` or `sql_id` are required, but not both');
    if (!hasSql && !hasId) throw new ProtocolError('Either `sql` or `sql_id` are required');
    if (hasSql) return sql;
    const stored = this.#sqls.get(sqlId as number);
    if (stored === undefined) throw new ProtocolError(`SQL text ${sqlId} not found`);
    return stored;
  }

  /**
   * What sqld checks while it turns a statement into a query, before anything runs
   * (hrana/stmt.rs `proto_stmt_to_query`, query_analysis.rs `Statement::parse`): the first
   * statement parses, has a kind, and is the only one; then not both positional and named
   * arguments. The stream's connection prepares it on the way (kept for an execute that runs
   * it at once); a pragma is not prepared here, SQLite acts on some while preparing them.
   */
  #check(sql: string, stmt: ProtoStmt): Checked {
    const spans = statementSpans(sql);
    const span = spans[0];
    if (span === undefined) throw new StmtError('SQL string does not contain any statement', 'SQL_NO_STATEMENT');
    let prepared: Database.Statement | undefined;
    let prepareError: unknown;
    const probes: Probe[] = [];
    if (!isPragma(span.tokens)) {
      const whole = sql.slice(span.start, span.end);
      if (span.failure === undefined) {
        try {
          prepared = this.conn.prepare(whole);
        } catch (error) {
          prepareError = error;
        }
      }
      const onConnection = probeOn(this.conn);
      probes.push((text) => {
        if (text !== whole || span.failure !== undefined) return onConnection(text);
        if (prepareError === undefined) return { ok: true };
        return isSqliteError(prepareError) ? { ok: false, message: prepareError.message } : { ok: true };
      });
      probes.push(scratchProbe());
    }
    const detail = parseError(sql, span, probes);
    if (detail !== undefined) throw new StmtError(parseErrorMessage(detail), 'SQL_PARSE_ERROR');
    const { kind, namespace } = classifyTokens(span.tokens);
    if (kind === 'refused') throw new StmtError(notAllowedMessage(sql), 'SQL_PARSE_ERROR');
    if (spans.length > 1) throw new StmtError('SQL string contains more than one statement', 'SQL_MANY_STATEMENTS');
    checkArgsShape(stmt);
    return { sql, span, kind, namespace, prepared, prepareError };
  }

  /** sqld's `check_program_auth`: the whole request fails with 403 if the token lacks a right one statement needs. */
  #authorize(kind: StmtKind, attachTo: string | undefined): void {
    const permission = permissionFor(kind);
    if (permission === 'write' && this.options.readOnly) throw forbidden('Write', this.options.namespace ?? 'default');
    if (permission === 'attach') throw forbidden('AttachRead', attachTo ?? '');
  }

  /**
   * A batch condition may only name an earlier step, and `is_autocommit` needs Hrana 3
   * (hrana/batch.rs `proto_cond_to_cond`): otherwise the whole HTTP request fails.
   */
  #checkCondition(cond: BatchCond, step: number): void {
    switch (cond.type) {
      case 'ok':
      case 'error':
        if (cond.step >= step) throw new ProtocolError('Invalid reference to step in a batch condition');
        return;
      case 'not':
        return this.#checkCondition(cond.cond, step);
      case 'and':
      case 'or':
        for (const inner of cond.conds) this.#checkCondition(inner, step);
        return;
      case 'is_autocommit':
        return this.#requireV3('BatchCond of type `is_autocommit`');
    }
  }

  /** Waits (without blocking the event loop) while another stream holds the write lock. */
  async #retryBusy<T>(run: () => T): Promise<T> {
    const deadline = Date.now() + this.options.busyTimeoutMs;
    for (;;) {
      try {
        return run();
      } catch (error) {
        if (!isRetriableBusy(error) || Date.now() >= deadline || this.#closed) throw error;
        await sleep(5);
      }
    }
  }

  /** An `execute`: checked, authorized, then run (a batch step comes checked and authorized). */
  #execute(stmt: ProtoStmt, checked?: Checked): StmtResult {
    const started = performance.now();
    const sql = this.#sqlText(stmt.sql, stmt.sql_id);
    let statement = checked;
    if (statement === undefined) {
      statement = this.#check(sql, stmt);
      this.#authorize(statement.kind, statement.namespace);
    }
    const timedOut = this.#afterTimeout(sql, statement.kind);
    if (timedOut) return timedOut;
    const { span, kind } = statement;
    // A batch step is prepared again: the steps before it may have changed the schema.
    const prepared = this.#prepare(sql, span, checked === undefined ? statement : undefined);
    const readonly = prepared.readonly;
    if (!readonly) this.#beforeWrite();
    const params = bindParams(sql, stmt);
    // What a write changed is read around it; a read (most of an app's statements) skips both reads.
    const totalBefore = readonly ? 0n : this.#counters()[2];
    let cols: StmtResult['cols'] = [];
    let rows: unknown[][] = [];
    if (prepared.reader) {
      cols = prepared.columns().map((c) => ({ name: c.name, decltype: c.type }));
      rows = prepared.raw(true).all(...params) as unknown[][];
    } else {
      prepared.run(...params);
    }
    const [changes, lastRowid, totalAfter] = readonly ? [0n, 0n, 0n] : this.#counters();
    // sqld reports changes() only for INSERT, UPDATE and DELETE (`is_iud`) and the last rowid
    // only for an INSERT (`is_insert`): connection/program.rs. Anything else gets 0 and null.
    const dml = readonly ? 'other' : dmlKind(span.tokens);
    const written = readonly ? 0 : Number(totalAfter - totalBefore);
    this.#afterStatement(readonly, kind === 'txn-begin' && span.tokens[1] !== undefined && ['IMMEDIATE', 'EXCLUSIVE'].includes(span.tokens[1].type));
    const read = prepared.reader ? Math.max(rows.length, 1) : 0;
    this.hooks.recordUsage(read, written);
    const encoded = stmt.want_rows === false ? [] : rows.map((row) => row.map(encodeValue));
    // sqld stops building a result past max_response_size; the statement's effects stay.
    if (encoded.length > 0 && JSON.stringify(encoded).length > this.options.maxResponseBytes) {
      throw new StmtError('Response is too large', 'RESPONSE_TOO_LARGE');
    }
    return {
      cols,
      rows: encoded,
      affected_row_count: dml === 'other' ? 0 : Number(changes),
      last_insert_rowid: dml === 'insert' ? lastRowid.toString() : null,
      rows_read: read,
      rows_written: written,
      query_duration_ms: performance.now() - started,
    };
  }

  /**
   * SQLite prepares the statement's own text, as sqld prepares it (program.rs
   * `execute_query`), and its failure is reported as sqld reports it: refusals of sqld's SQLite
   * build first, then SQL_INPUT_ERROR where SQLite knows the offset, SQLite's own error else. A
   * parse error only SQLite saw now (a name it could not find stopped it before) is sqld's
   * parser's.
   */
  #prepare(sql: string, span: StatementSpan, checked?: Checked): Database.Statement {
    const limitError = updateDeleteLimitError(span.tokens);
    if (limitError !== undefined) throw new StmtError(`SQLite error: ${limitError}`, sqldErrorCode('SQLITE_ERROR'));
    if (checked?.prepared !== undefined) return checked.prepared;
    try {
      if (checked?.prepareError !== undefined) throw checked.prepareError;
      return this.conn.prepare(sql.slice(span.start, span.end));
    } catch (error) {
      throw this.#prepareFailure(sql, span, error);
    }
  }

  #prepareFailure(sql: string, span: StatementSpan, error: unknown): unknown {
    // better-sqlite3's words for a text that is not exactly one statement (where SQLite cuts a
    // text otherwise than the split here): refused as sqld refuses such a text, never run.
    if (error instanceof RangeError && /more than one statement/.test(error.message)) return new StmtError('SQL string contains more than one statement', 'SQL_MANY_STATEMENTS');
    if (error instanceof RangeError && /contains no statements/.test(error.message)) return new StmtError('SQL string does not contain any statement', 'SQL_NO_STATEMENT');
    if (!isSqliteError(error) || !/^SQLITE_ERROR(_|$)/.test(error.code)) return error;
    if (isSyntaxMessage(error.message)) {
      const detail = parseError(sql, span, [probeOn(this.conn), scratchProbe()]);
      if (detail !== undefined) return new StmtError(parseErrorMessage(detail), 'SQL_PARSE_ERROR');
    }
    const offset = inputErrorOffset(sql, span, error.message);
    if (offset === undefined) return error;
    return new StmtError(`SQL input error: ${error.message} (at offset ${offset})`, 'SQL_INPUT_ERROR');
  }

  /**
   * After the time limit rolled a transaction back, the stream answers TRANSACTION_TIMEOUT until
   * the client ends the transaction; its ROLLBACK succeeds (there is nothing left to undo).
   */
  #afterTimeout(sql: string, kind: StmtKind): StmtResult | undefined {
    if (!this.#txnTimedOut) return undefined;
    if (kind === 'txn-end') {
      this.#txnTimedOut = false;
      if (statementSpans(sql)[0]?.tokens[0]?.type === 'ROLLBACK') {
        return { cols: [], rows: [], affected_row_count: 0, last_insert_rowid: null, rows_read: 0, rows_written: 0, query_duration_ms: 0 };
      }
    }
    throw new StmtError('Transaction timed out', 'TRANSACTION_TIMEOUT');
  }

  async #batch(batch: ProtoBatch): Promise<Extract<StreamResponse, { type: 'batch' }>['result']> {
    // sqld turns the whole batch into one program before running any step
    // (hrana/batch.rs `proto_batch_to_program`): a step it cannot parse fails the batch as a
    // whole (an error result, no step run, whatever the conditions), a bad reference fails the
    // HTTP request. Each step is parsed before its condition is looked at, as there.
    const checks: Checked[] = [];
    for (const [index, step] of batch.steps.entries()) {
      const sql = this.#sqlText(step.stmt.sql, step.stmt.sql_id);
      checks.push(await this.#retryBusy(() => this.#check(sql, step.stmt)));
      if (step.condition !== undefined && step.condition !== null) this.#checkCondition(step.condition, index);
    }
    // Then it checks the token against the whole program, still before running any step.
    for (const check of checks) this.#authorize(check.kind, check.namespace);
    const stepResults: (StmtResult | null)[] = [];
    const stepErrors: (ProtoError | null)[] = [];
    for (const [index, step] of batch.steps.entries()) {
      const run = step.condition === undefined || step.condition === null || this.#holds(step.condition, index, stepResults, stepErrors);
      if (!run) {
        stepResults.push(null);
        stepErrors.push(null);
        continue;
      }
      try {
        stepResults.push(await this.#retryBusy(() => this.#execute(step.stmt, checks[index])));
        stepErrors.push(null);
      } catch (error) {
        if (error instanceof HttpError) throw error;
        stepResults.push(null);
        stepErrors.push(toProtoError(error));
      }
    }
    return { step_results: stepResults, step_errors: stepErrors };
  }

  #holds(cond: BatchCond, current: number, results: (StmtResult | null)[], errors: (ProtoError | null)[]): boolean {
    switch (cond.type) {
      case 'ok':
        return cond.step < current && results[cond.step] !== null;
      case 'error':
        return cond.step < current && errors[cond.step] !== null;
      case 'not':
        return !this.#holds(cond.cond, current, results, errors);
      case 'and':
        return cond.conds.every((c) => this.#holds(c, current, results, errors));
      case 'or':
        return cond.conds.some((c) => this.#holds(c, current, results, errors));
      case 'is_autocommit':
        return !this.conn.inTransaction;
    }
  }

  #sequence(sql: string): void {
    // sqld parses and classifies every statement of the text before running any of them
    // (batch.rs `proto_sequence_to_program`), then checks the token against all of them.
    const spans = statementSpans(sql);
    const needs: [StmtKind, string | undefined][] = [];
    for (const span of spans) {
      const probes: Probe[] = isPragma(span.tokens) ? [] : [probeOn(this.conn), scratchProbe()];
      const detail = parseError(sql, span, probes);
      if (detail !== undefined) throw new StmtError(parseErrorMessage(detail), 'SQL_PARSE_ERROR');
      const { kind, namespace } = classifyTokens(span.tokens);
      if (kind === 'refused') throw new StmtError(notAllowedMessage(sql.slice(span.start, span.end)), 'SQL_PARSE_ERROR');
      needs.push([kind, namespace]);
    }
    for (const [kind, namespace] of needs) this.#authorize(kind, namespace);
    if (this.#txnTimedOut) throw new StmtError('Transaction timed out', 'TRANSACTION_TIMEOUT');
    this.#beforeWrite();
    const [, , totalBefore] = this.#counters();
    // Then runs them one by one, each from its own text. Never the text as a whole (exec): SQLite
    // would run every statement in it, checked or not, should the split above differ from
    // SQLite's own reading; prepared alone, a statement that hides another fails instead.
    for (const span of spans) {
      const prepared = this.#prepare(sql, span);
      if (prepared.reader) for (const row of prepared.iterate()) void row;
      else prepared.run();
    }
    const [, , totalAfter] = this.#counters();
    this.#afterStatement(false, false);
    this.hooks.recordUsage(0, Number(totalAfter - totalBefore));
  }

  /**
   * sqld's `describe` prepares the text and reports on its first statement, nothing else
   * (connection_core.rs `describe`): no parse of its own, no kind, read access only. Its errors
   * are SQLite's, SQL_INPUT_ERROR where SQLite knows the offset. With `checkDescribe` (silo
   * serve) a statement `execute` would refuse is refused here too.
   */
  #describe(sql: string): Extract<StreamResponse, { type: 'describe' }>['result'] {
    const span = statementSpans(sql)[0];
    const kind = span === undefined ? 'refused' : classifyTokens(span.tokens).kind;
    if (this.options.checkDescribe !== false) {
      if (span === undefined) throw new StmtError('SQL string does not contain any statement', 'SQL_NO_STATEMENT');
      if (kind === 'refused') throw new StmtError(notAllowedMessage(sql), 'SQL_PARSE_ERROR');
    } else if (span !== undefined && isPragma(span.tokens) && /\b(hard|soft)_heap_limit\b/i.test(sql) && kind === 'refused') {
      // These set a limit for the whole process while being prepared: the test process here.
      throw new StmtError(notAllowedMessage(sql), 'SQL_PARSE_ERROR');
    }
    // SQLite prepares no statement from a text of comments and whitespace; sqld describes that.
    const nothing = { params: [], cols: [], is_explain: false, is_readonly: true };
    if (span === undefined) return nothing;
    const limitError = updateDeleteLimitError(span.tokens);
    if (limitError !== undefined) throw new StmtError(`SQLite error: ${limitError}`, sqldErrorCode('SQLITE_ERROR'));
    let prepared: Database.Statement;
    try {
      prepared = this.conn.prepare(sql.slice(0, span.end));
    } catch (error) {
      // An unclosed comment is only whitespace to SQLite.
      if (error instanceof RangeError && /contains no statements/.test(error.message)) return nothing;
      throw describeFailure(sql, span, error, this.conn);
    }
    return {
      params: describeParams(sql.slice(0, span.end)),
      cols: prepared.reader ? prepared.columns().map((c) => ({ name: c.name, decltype: c.type })) : [],
      is_explain: span.tokens[0]?.type === 'EXPLAIN',
      is_readonly: prepared.readonly,
    };
  }

  #beforeWrite(): void {
    if (!this.options.readOnly) this.hooks.beforeWrite();
  }

  /** A write became visible once the connection is back in autocommit (a COMMIT is "readonly" to SQLite). */
  #afterStatement(readonly: boolean, takesWriteLock: boolean): void {
    if (!readonly) this.#wroteSinceCommit = true;
    if (!this.conn.inTransaction) {
      this.#clearTxnTimer();
      if (this.#wroteSinceCommit) {
        this.#wroteSinceCommit = false;
        this.hooks.noteCommit();
      }
    } else if ((!readonly || takesWriteLock) && this.#txnTimer === undefined) {
      // The transaction now holds the write lock: it gets transactionTimeoutMs from here.
      this.#txnDeadline = Date.now() + this.options.transactionTimeoutMs;
      this.#txnTimer = setTimeout(() => this.#timeOutTransaction(), this.options.transactionTimeoutMs);
      this.#txnTimer.unref();
    }
  }

  /** sqld takes the lock away from a transaction past its time; here it is rolled back outright. */
  #timeOutTransaction(): void {
    this.#clearTxnTimer();
    if (this.#closed || !this.conn.inTransaction) return;
    this.conn.exec('ROLLBACK');
    this.#wroteSinceCommit = false;
    this.#txnTimedOut = true;
  }

  #clearTxnTimer(): void {
    if (this.#txnTimer !== undefined) clearTimeout(this.#txnTimer);
    this.#txnTimer = undefined;
    this.#txnDeadline = undefined;
  }
}

function stripLeadingComments(sql: string): string {
  return sql.replace(/^(\s+|--[^\n]*(\n|$)|\/\*[\s\S]*?\*\/)*/, '');
}

type StreamResponse = Extract<StreamResult, { type: 'ok' }>['response'];

function ok(response: StreamResponse): StreamResult {
  return { type: 'ok', response };
}

/** sqld refuses `args` and `named_args` together (hrana/stmt.rs `ArgsBothPositionalAndNamed`). */
function checkArgsShape(stmt: ProtoStmt): void {
  if ((stmt.args?.length ?? 0) > 0 && (stmt.named_args?.length ?? 0) > 0) {
    throw new StmtError('Specifying both positional and named arguments is not supported', 'ARGS_BOTH_POSITIONAL_AND_NAMED');
  }
}

function argsInvalid(reason: string): StmtError {
  return new StmtError(`Arguments do not match SQL parameters: ${reason}`, 'ARGS_INVALID');
}

/**
 * sqld's binding (libsql-server/src/query.rs `Params::bind`): `args` or `named_args`, never
 * both; no more values than the statement has parameters; an anonymous `?` and a `?NNN` take
 * `args` by position only, `:a`, `@a` and `$a` take `named_args` only (by their full name, or
 * without the prefix); a parameter left without a value fails the statement (EXPLAIN aside).
 * better-sqlite3 binds anonymous `?` from an array and the others by key, so the values are
 * handed over in that form.
 */
function bindParams(sql: string, stmt: ProtoStmt): unknown[] {
  const positional = (stmt.args ?? []).map(decodeValue);
  const named = new Map((stmt.named_args ?? []).map((arg) => [arg.name, decodeValue(arg.value)]));
  const given = positional.length > 0 ? positional.length : named.size;
  const params = describeParams(sql);
  if (given > params.length) throw argsInvalid(`too many parameters, expected ${params.length} found ${given}`);
  const explain = /^explain\b/i.test(stripLeadingComments(sql));
  const anonymous: unknown[] = [];
  const byKey: Record<string, unknown> = {};
  for (const [index, { name }] of params.entries()) {
    let found: { value: unknown } | undefined;
    if (name === null) {
      if (index < positional.length) found = { value: positional[index] };
    } else if (name.startsWith('?')) {
      const position = Number(name.slice(1));
      if (position >= 1 && position <= positional.length) found = { value: positional[position - 1] };
    } else {
      const key = [name, name.slice(1)].find((candidate) => named.has(candidate));
      if (key !== undefined) found = { value: named.get(key) };
    }
    // An EXPLAIN runs nothing: sqld stops binding at the first parameter without a value.
    if (found === undefined && !explain) throw argsInvalid(`value for parameter ${name ?? index + 1} not found`);
    const value = found === undefined ? null : found.value;
    if (name === null) anonymous.push(value);
    else byKey[name.slice(1)] = value;
  }
  return Object.keys(byKey).length === 0 ? anonymous : [...anonymous, byKey];
}
