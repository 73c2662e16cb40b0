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
import { classifyStatement, dmlKind, isReadOnlyKind, notAllowedMessage, splitStatements, type StmtKind } from './sqld-statements';

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
  /** How long a statement waits for another stream's write transaction to end. */
  busyTimeoutMs: number;
  /**
   * How long a transaction may hold the write lock (sqld's TXN_TIMEOUT, 5 s): past it the
   * transaction is rolled back and the stream's next statement fails with TRANSACTION_TIMEOUT.
   */
  transactionTimeoutMs: number;
  /** The largest result one statement may return (sqld's max_response_size, 10 MB): RESPONSE_TOO_LARGE past it. */
  maxResponseBytes: number;
}

/**
 * What sqld answers when a read-only token sends a statement it classes as anything but a read
 * (query_analysis.rs): the whole HTTP request fails, `{"error": …}` with 403, nothing runs.
 */
export function writeForbidden(): HttpError {
  return new HttpError(403, { error: 'Not authorized to execute query: Current session is not authorized to write' });
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
 * sqld reports SQLite failures as `SQLite error: <message>` with the primary result code
 * (`SQLITE_CONSTRAINT`, not `SQLITE_CONSTRAINT_UNIQUE`); @libsql/client shows them as
 * `<code>: <message>` and exposes the code as LibsqlError.code.
 */
export function toProtoError(error: unknown): ProtoError {
  if (error instanceof StmtError) return { message: error.message, code: error.code };
  if (isSqliteError(error)) {
    const primary = /^SQLITE_[A-Z]+/.exec(error.code)?.[0] ?? error.code;
    return { message: `SQLite error: ${error.message}`, code: primary };
  }
  if (error instanceof RangeError || error instanceof TypeError) {
    return { message: error.message, code: 'ARGS_INVALID' };
  }
  return { message: error instanceof Error ? error.message : String(error), code: 'INTERNAL' };
}

function isRetriableBusy(error: unknown): boolean {
  return isSqliteError(error) && error.code.startsWith('SQLITE_BUSY') && error.code !== 'SQLITE_BUSY_SNAPSHOT';
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
    if (options.readOnly) conn.pragma('query_only = ON');
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
   * (hrana/stmt.rs `proto_stmt_to_query`): exactly one statement, one it has a kind for, and
   * not both positional and named arguments.
   */
  #checkStatement(sql: string, stmt: ProtoStmt): void {
    const count = splitStatements(sql).length;
    if (count === 0) throw new StmtError('SQL string does not contain any statement', 'SQL_NO_STATEMENT');
    if (count > 1) throw new StmtError('SQL string contains more than one statement', 'SQL_MANY_STATEMENTS');
    if (classifyStatement(sql) === 'refused') throw new StmtError(notAllowedMessage(sql), 'SQL_PARSE_ERROR');
    checkArgsShape(stmt);
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

  #execute(stmt: ProtoStmt): StmtResult {
    const started = performance.now();
    const sql = this.#sqlText(stmt.sql, stmt.sql_id);
    const timedOut = this.#afterTimeout(sql);
    if (timedOut) return timedOut;
    checkArgsShape(stmt);
    const { prepared, kind } = this.#prepareChecked(sql);
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
    const dml = readonly ? 'other' : dmlKind(sql);
    const written = readonly ? 0 : Number(totalAfter - totalBefore);
    this.#afterStatement(readonly, kind === 'txn-begin' && /^begin\s+(immediate|exclusive)\b/i.test(stripLeadingComments(sql)));
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
   * sqld's checks before SQLite runs anything: statements it has no kind for are refused, and a
   * read-only token may only read. A syntax error still comes from SQLite, as the client expects.
   */
  #prepareChecked(sql: string): { prepared: Database.Statement; kind: StmtKind } {
    // hrana/stmt.rs: one statement per `execute`, checked before anything runs.
    const count = splitStatements(sql).length;
    if (count === 0) throw new StmtError('SQL string does not contain any statement', 'SQL_NO_STATEMENT');
    if (count > 1) throw new StmtError('SQL string contains more than one statement', 'SQL_MANY_STATEMENTS');
    const classified = classifyStatement(sql);
    // Pragmas are refused before preparing: some act while SQLite prepares them.
    if (classified === 'refused' && /^\s*(pragma|explain)\b/i.test(stripLeadingComments(sql))) {
      throw new StmtError(notAllowedMessage(sql), 'SQL_PARSE_ERROR');
    }
    const prepared = this.#prepareOne(sql);
    if (classified === 'refused') throw new StmtError(notAllowedMessage(sql), 'SQL_PARSE_ERROR');
    const kind: StmtKind = classified === 'ask-sqlite' ? (prepared.readonly ? 'read' : 'write') : classified;
    if (this.options.readOnly && !isReadOnlyKind(kind)) throw writeForbidden();
    return { prepared, kind };
  }

  /**
   * After the time limit rolled a transaction back, the stream answers TRANSACTION_TIMEOUT until
   * the client ends the transaction; its ROLLBACK succeeds (there is nothing left to undo).
   */
  #afterTimeout(sql: string): StmtResult | undefined {
    if (!this.#txnTimedOut) return undefined;
    const kind = classifyStatement(sql);
    if (kind === 'txn-end') {
      this.#txnTimedOut = false;
      if (/^\s*rollback\b/i.test(stripLeadingComments(sql))) {
        return { cols: [], rows: [], affected_row_count: 0, last_insert_rowid: null, rows_read: 0, rows_written: 0, query_duration_ms: 0 };
      }
    }
    throw new StmtError('Transaction timed out', 'TRANSACTION_TIMEOUT');
  }

  async #batch(batch: ProtoBatch): Promise<Extract<StreamResponse, { type: 'batch' }>['result']> {
    // sqld turns the whole batch into one program before running any step
    // (hrana/batch.rs `proto_batch_to_program`): a step it cannot parse fails the batch as a
    // whole (an error result, no step run), a bad reference fails the HTTP request.
    const texts: string[] = [];
    for (const [index, step] of batch.steps.entries()) {
      const sql = this.#sqlText(step.stmt.sql, step.stmt.sql_id);
      this.#checkStatement(sql, step.stmt);
      if (step.condition !== undefined && step.condition !== null) this.#checkCondition(step.condition, index);
      texts.push(sql);
    }
    // Then it checks the token against the whole program, still before running any step.
    if (this.options.readOnly) {
      for (const sql of texts) if (!this.#readOnlyStatement(sql)) throw writeForbidden();
    }
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
        stepResults.push(await this.#retryBusy(() => this.#execute(step.stmt)));
        stepErrors.push(null);
      } catch (error) {
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

  /** Whether a read-only token may send the statement; one that fails to classify fails later, in its step. */
  #readOnlyStatement(sql: string): boolean {
    const classified = classifyStatement(sql);
    if (classified === 'refused') return true;
    if (classified !== 'ask-sqlite') return isReadOnlyKind(classified);
    try {
      return this.conn.prepare(sql).readonly;
    } catch {
      return true;
    }
  }

  #sequence(sql: string): void {
    if (this.#txnTimedOut) throw new StmtError('Transaction timed out', 'TRANSACTION_TIMEOUT');
    // sqld parses and classifies every statement of the text before running any of them.
    const statements = splitStatements(sql);
    for (const statement of statements) {
      const kind = classifyStatement(statement);
      if (kind === 'refused') throw new StmtError(notAllowedMessage(statement), 'SQL_PARSE_ERROR');
      if (this.options.readOnly && !this.#readOnlyStatement(statement)) throw writeForbidden();
    }
    this.#beforeWrite();
    const [, , totalBefore] = this.#counters();
    // Then runs them one by one, as it parsed them. Never the text as a whole (exec): SQLite
    // would run every statement in it, checked or not, should the split above differ from
    // SQLite's own reading; prepared alone, a statement that hides another fails instead.
    for (const statement of statements) {
      const prepared = this.#prepareOne(statement);
      if (prepared.reader) for (const row of prepared.iterate()) void row;
      else prepared.run();
    }
    const [, , totalAfter] = this.#counters();
    this.#afterStatement(false, false);
    this.hooks.recordUsage(0, Number(totalAfter - totalBefore));
  }

  /** One statement prepared; a text that holds more than one is refused as sqld refuses it. */
  #prepareOne(sql: string): Database.Statement {
    try {
      return this.conn.prepare(sql);
    } catch (error) {
      // better-sqlite3's words for a text that is not exactly one statement.
      if (error instanceof RangeError && /more than one statement/.test(error.message)) throw new StmtError('SQL string contains more than one statement', 'SQL_MANY_STATEMENTS');
      if (error instanceof RangeError && /contains no statements/.test(error.message)) throw new StmtError('SQL string does not contain any statement', 'SQL_NO_STATEMENT');
      throw error;
    }
  }

  #describe(sql: string): Extract<StreamResponse, { type: 'describe' }>['result'] {
    // Checked as an execute is: some pragmas act while SQLite prepares them.
    if (classifyStatement(sql) === 'refused') throw new StmtError(notAllowedMessage(sql), 'SQL_PARSE_ERROR');
    const prepared = this.#prepareOne(sql);
    return {
      params: describeParams(sql),
      cols: prepared.reader ? prepared.columns().map((c) => ({ name: c.name, decltype: c.type })) : [],
      is_explain: /^\s*EXPLAIN\b/i.test(sql),
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
