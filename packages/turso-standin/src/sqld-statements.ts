import { isIdentifier, lex, valueOf, type LexFailure, type LexToken } from './sqld-lexer';

/**
 * How sqld classifies a statement before SQLite sees it (tursodatabase/libsql at f8fb14f,
 * libsql-server/src/query_analysis.rs `StmtKind::kind` and `StmtKind::pragma_kind`), read off
 * the tokens of a statement its parser took (sqld-parse.ts checks that first), plus what Turso
 * Cloud refuses on top of it.
 *
 * - A statement with no kind is refused before it runs, whatever the token: VACUUM (and VACUUM
 *   INTO), ANALYZE, ATTACH of anything but a bare name, CREATE TEMP TABLE/VIEW/TRIGGER, CREATE
 *   TABLE or VIRTUAL TABLE in `TEMP.` (the keyword, unquoted: sqld compares the name it parsed
 *   with "TEMP"), writes to sqld's reserved tables (`_litestream_seq`, `_litestream_lock`,
 *   `libsql_wasm_func_table`), unknown pragmas and pragmas that only "serve without args" given
 *   an argument. Without this the stand-in would copy a database to any path of this machine
 *   on `VACUUM INTO`.
 * - EXPLAIN and EXPLAIN QUERY PLAN of anything are reads (EXPLAIN PRAGMA takes the pragma's
 *   kind); REINDEX is a write; DETACH has a kind of its own; `ATTACH name AS alias` is an attach.
 * - Turso Cloud refuses `PRAGMA user_version` and `PRAGMA application_id` in any form, reading
 *   included ("SQL not allowed statement: PRAGMA user_version", reported by several users in
 *   2025; Turso's docs say to keep a `_schema_version` table instead), although sqld alone
 *   would run them.
 *
 * sqld says `SQL string could not be parsed: unsupported statement: <sql>`; Turso Cloud, which
 * is what Silo talks to, says `SQL not allowed statement: <sql>`. Both use SQL_PARSE_ERROR.
 */

export type StmtKind = 'read' | 'write' | 'txn-begin' | 'txn-end' | 'savepoint' | 'release' | 'attach' | 'detach';

/** A kind, or `refused` for a statement sqld has no kind for. */
export type Classification = StmtKind | 'refused';

/** Pure reads, served by replicas too. */
const READ_PRAGMAS = new Set([
  'table_list',
  'index_list',
  'table_info',
  'table_xinfo',
  'index_info',
  'index_xinfo',
  'pragma_list',
  'compile_options',
  'database_list',
  'function_list',
  'module_list',
  'encoding',
]);

/** Served by the primary, with or without a value: sqld counts them as writes. */
const WRITE_PRAGMAS = new Set([
  'defer_foreign_keys',
  'foreign_keys',
  'foreign_key_list',
  'foreign_key_check',
  'collation_list',
  'data_version',
  'freelist_count',
  'integrity_check',
  'legacy_file_format',
  'page_count',
  'quick_check',
  'stats',
  'user_version',
]);

/** Served by the primary without a value (a write to sqld); refused with one. */
const NO_ARG_PRAGMAS = new Set([
  'analysis_limit',
  'application_id',
  'auto_vacuum',
  'automatic_index',
  'busy_timeout',
  'cache_size',
  'cache_spill',
  'cell_size_check',
  'checkpoint_fullfsync',
  'fullfsync',
  'hard_heap_limit',
  'journal_mode',
  'journal_size_limit',
  'legacy_alter_table',
  'locking_mode',
  'max_page_count',
  'mmap_size',
  'page_size',
  'query_only',
  'read_uncommitted',
  'recursive_triggers',
  'reverse_unordered_selects',
  'secure_delete',
  'soft_heap_limit',
  'synchronous',
  'temp_store',
  'threads',
  'trusted_schema',
  'wal_autocheckpoint',
]);

/** Refused by Turso Cloud in every form (see above). */
const CLOUD_REFUSED_PRAGMAS = new Set(['user_version', 'application_id']);

/** Tables sqld keeps for itself: no INSERT, UPDATE, DELETE, DROP or ALTER of them (`is_reserved_tbl`). */
const RESERVED_TABLES = new Set(['_litestream_seq', '_litestream_lock', 'libsql_wasm_func_table']);

/** The message Turso Cloud gives for a statement it does not run. */
export function notAllowedMessage(sql: string): string {
  return `SQL not allowed statement: ${sql.trim()}`;
}

/**
 * What a token must be allowed to run the statement (connection/program.rs
 * `check_program_auth`): reads, transaction control, savepoints and DETACH need read access,
 * writes and DDL write access, an ATTACH the attach right on the database it names.
 */
export function permissionFor(kind: StmtKind): 'read' | 'write' | 'attach' {
  if (kind === 'write') return 'write';
  if (kind === 'attach') return 'attach';
  return 'read';
}

/** One statement as sqld's parser cuts the text: from the end of the one before to its `;` (or the end). */
export interface StatementSpan {
  start: number;
  end: number;
  /** Its tokens, up to the lexer error if there is one. */
  tokens: LexToken[];
  failure?: LexFailure;
}

/**
 * The statements of a text, cut where sqld's parser cuts them: at each `;` outside a trigger
 * body, so a statement's text starts right after the `;` before it (whitespace and comments
 * included, as sqld prepares it). Empty statements (`;;`) are no statements. A lexer error
 * ends the text: what follows is never read.
 */
export function statementSpans(sql: string): StatementSpan[] {
  const { tokens, failure } = lex(sql);
  const spans: StatementSpan[] = [];
  let start = 0;
  let current: LexToken[] = [];
  // Inside CREATE TRIGGER … BEGIN, `;` ends the trigger only after its END; CASE … END nests.
  let triggerBody = false;
  let caseDepth = 0;
  for (const [index, token] of tokens.entries()) {
    if (token.type === 'SEMI' && !triggerBody) {
      // A lone `;` is an empty statement: it stays in the text of the next one.
      if (current.length > 0) {
        spans.push({ start, end: token.end, tokens: [...current, token] });
        start = token.end;
        current = [];
      }
      continue;
    }
    current.push(token);
    if (!triggerBody && token.type === 'BEGIN' && isTriggerHead(current)) {
      triggerBody = true;
      caseDepth = 0;
    } else if (triggerBody && token.type === 'CASE') {
      caseDepth++;
    } else if (triggerBody && token.type === 'END') {
      const following = tokens[index + 1];
      if (caseDepth > 0) caseDepth--;
      else if (following === undefined || following.type === 'SEMI') triggerBody = false;
    }
  }
  // The last statement runs to the end of the text, and a lexer error belongs to it.
  if (current.length > 0 || failure !== undefined) {
    const span: StatementSpan = { start, end: sql.length, tokens: current };
    if (failure !== undefined) span.failure = failure;
    spans.push(span);
  }
  return spans;
}

function isTriggerHead(tokens: readonly LexToken[]): boolean {
  let i = 0;
  if (tokens[i]?.type === 'EXPLAIN') i += tokens[i + 1]?.type === 'QUERY' ? 3 : 1;
  if (tokens[i]?.type !== 'CREATE') return false;
  i++;
  if (tokens[i]?.type === 'TEMP') i++;
  return tokens[i]?.type === 'TRIGGER';
}

/** The statements of a multi-statement text (a Hrana `sequence`), trimmed. */
export function splitStatements(sql: string): string[] {
  return statementSpans(sql).map((span) => sql.slice(span.start, span.end).trim());
}

/**
 * The kind sqld gives the first statement of `sql`, for callers outside the stand-in (silo
 * serve, which shares these streams, repeats only what this calls a `read` on another process
 * when one dies). A statement that opens with WITH answers `ask-sqlite`, as it always has here:
 * its kind is that of the statement its common table expressions lead to, and a recursive one
 * can run for ever, which such a caller must not repeat blindly.
 */
export function classifyStatement(sql: string): Classification | 'ask-sqlite' {
  const span = statementSpans(sql)[0];
  if (span === undefined) return 'refused';
  if (span.tokens[0]?.type === 'WITH') return 'ask-sqlite';
  return classifyTokens(span.tokens).kind;
}

/** The tokens of a statement without the `;` that ends it. */
function body(tokens: readonly LexToken[]): readonly LexToken[] {
  return tokens[tokens.length - 1]?.type === 'SEMI' ? tokens.slice(0, -1) : tokens;
}

/**
 * sqld's kind of one statement (`StmtKind::kind`), and for an ATTACH the database it names.
 * The statement is one sqld's parser took, so its leading tokens say what it is.
 */
export function classifyTokens(all: readonly LexToken[]): { kind: Classification; namespace?: string } {
  const t = body(all);
  const type = (i: number): string | undefined => t[i]?.type;
  switch (type(0)) {
    case 'EXPLAIN':
      if (type(1) === 'QUERY' && type(2) === 'PLAN') return { kind: 'read' };
      return type(1) === 'PRAGMA' ? { kind: pragmaKind(t, 2) } : { kind: 'read' };
    case 'BEGIN':
      return { kind: 'txn-begin' };
    case 'COMMIT':
    case 'END':
      return { kind: 'txn-end' };
    case 'ROLLBACK':
      return { kind: t.some((token) => token.type === 'TO') ? 'release' : 'txn-end' };
    case 'SAVEPOINT':
      return { kind: 'savepoint' };
    case 'RELEASE':
      return { kind: 'release' };
    case 'SELECT':
    case 'VALUES':
      return { kind: 'read' };
    case 'WITH': {
      const verb = verbAfterWith(t);
      return { kind: verb === undefined ? 'refused' : dmlTarget(t, verb) };
    }
    case 'INSERT':
    case 'REPLACE':
    case 'UPDATE':
    case 'DELETE':
      return { kind: dmlTarget(t, 0) };
    case 'DROP':
      if (type(1) !== 'TABLE') return { kind: 'write' };
      return { kind: reservedAt(t, type(2) === 'IF' ? 4 : 2) ? 'refused' : 'write' };
    case 'ALTER':
      return { kind: reservedAt(t, 2) ? 'refused' : 'write' };
    case 'CREATE':
      return { kind: createKind(t) };
    case 'PRAGMA':
      return { kind: pragmaKind(t, 1) };
    case 'ATTACH':
      return attachKind(t);
    case 'DETACH':
      return { kind: 'detach' };
    case 'REINDEX':
      return { kind: 'write' };
    default:
      // VACUUM, ANALYZE: sqld has no kind for them.
      return { kind: 'refused' };
  }
}

/** The index of the INSERT/REPLACE/UPDATE/DELETE/SELECT/VALUES a WITH clause leads to. */
function verbAfterWith(t: readonly LexToken[]): number | undefined {
  let depth = 0;
  for (const [index, token] of t.entries()) {
    if (index === 0) continue;
    if (token.type === 'LP') depth++;
    else if (token.type === 'RP') depth--;
    else if (depth === 0 && ['SELECT', 'VALUES', 'INSERT', 'REPLACE', 'UPDATE', 'DELETE'].includes(token.type)) return index;
  }
  return undefined;
}

/** A write, unless it writes one of sqld's reserved tables (`write_if_not_reserved`). */
function dmlTarget(t: readonly LexToken[], verb: number): Classification {
  const what = t[verb]?.type;
  if (what === 'SELECT' || what === 'VALUES') return 'read';
  let i = verb + 1;
  if (t[i]?.type === 'OR') i += 2;
  if (what === 'INSERT' || what === 'REPLACE' || what === 'DELETE') i++; // INTO, FROM
  return reservedAt(t, i) ? 'refused' : 'write';
}

/** Whether the (possibly schema-qualified) name at `i` is a reserved table, as sqld compares it: the bare name, lower-cased. */
function reservedAt(t: readonly LexToken[], i: number): boolean {
  const name = t[i + 1]?.type === 'DOT' ? t[i + 2] : t[i];
  return name?.type === 'ID' && RESERVED_TABLES.has(name.text.toLowerCase());
}

/** CREATE TEMP … is bound to one connection, so sqld has no kind for it. */
function createKind(t: readonly LexToken[]): Classification {
  let i = 1;
  const temporary = t[i]?.type === 'TEMP';
  if (temporary) i++;
  const what = t[i]?.type;
  if (what === 'UNIQUE' || what === 'INDEX') return 'write';
  if (what === 'VIEW' || what === 'TRIGGER') return temporary ? 'refused' : 'write';
  if (what === 'VIRTUAL') i++;
  else if (what !== 'TABLE' || temporary) return 'refused';
  i++;
  if (t[i]?.type === 'IF') i += 3;
  // `is_temp`: the schema name sqld parsed is "TEMP", i.e. the keyword temp/temporary written bare.
  return t[i + 1]?.type === 'DOT' && t[i]?.type === 'TEMP' ? 'refused' : 'write';
}

function pragmaKind(t: readonly LexToken[], at: number): Classification {
  let nameToken = t[at];
  let next = at + 1;
  if (t[at + 1]?.type === 'DOT') {
    nameToken = t[at + 2];
    next = at + 3;
  }
  if (nameToken === undefined) return 'refused';
  // sqld lower-cases the name as it parsed it: quotes stay, so a quoted pragma name is unknown.
  const name = valueOf(nameToken).toLowerCase();
  const hasBody = t[next] !== undefined;
  if (CLOUD_REFUSED_PRAGMAS.has(name)) return 'refused';
  if (READ_PRAGMAS.has(name)) return 'read';
  if (name === 'schema_version') return hasBody ? 'refused' : 'read';
  if (WRITE_PRAGMAS.has(name)) return 'write';
  if (NO_ARG_PRAGMAS.has(name)) return hasBody ? 'refused' : 'write';
  // case_sensitive_like, incremental_vacuum, optimize, wal_checkpoint, writable_schema, … and
  // every pragma sqld does not know.
  return 'refused';
}

/**
 * `ATTACH name AS alias` names another database of the server (a namespace); sqld turns it into
 * a read-only ATTACH of that database's file. A file name (a string) or any other expression
 * has no kind.
 */
function attachKind(t: readonly LexToken[]): { kind: Classification; namespace?: string } {
  let i = 1;
  if (t[i]?.type === 'DATABASE' && t[i + 1]?.type !== 'AS') i++;
  const target = t[i];
  if (!isIdentifier(target) || target === undefined || t[i + 1]?.type !== 'AS') return { kind: 'refused' };
  // query_analysis.rs strips one `"` at each end, as it does for the namespace name.
  let namespace = valueOf(target);
  if (namespace.startsWith('"') && namespace.endsWith('"') && namespace.length >= 2) namespace = namespace.slice(1, -1);
  return namespace === '' ? { kind: 'refused' } : { kind: 'attach', namespace };
}

/**
 * Whether the statement is an INSERT (REPLACE included), an UPDATE or a DELETE, as sqld's
 * parser sees it (query_analysis.rs `is_insert`, `is_iud`), a `WITH` clause before it
 * included: sqld reports `affected_row_count` only for these, and `last_insert_rowid` only
 * for an INSERT. An EXPLAIN of one is neither.
 */
export function dmlKind(sql: string | readonly LexToken[]): 'insert' | 'update' | 'delete' | 'other' {
  const tokens = typeof sql === 'string' ? (statementSpans(sql)[0]?.tokens ?? []) : sql;
  const verb = tokens[0]?.type === 'WITH' ? verbAfterWith(tokens) : 0;
  switch (verb === undefined ? undefined : tokens[verb]?.type) {
    case 'INSERT':
    case 'REPLACE':
      return 'insert';
    case 'UPDATE':
      return 'update';
    case 'DELETE':
      return 'delete';
    default:
      return 'other';
  }
}

/** Whether the statement is a PRAGMA (or EXPLAIN of one): SQLite acts on some while preparing them. */
export function isPragma(tokens: readonly LexToken[]): boolean {
  let i = 0;
  if (tokens[i]?.type === 'EXPLAIN') i += tokens[i + 1]?.type === 'QUERY' && tokens[i + 2]?.type === 'PLAN' ? 3 : 1;
  return tokens[i]?.type === 'PRAGMA';
}

