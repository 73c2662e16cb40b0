/**
 * How sqld classifies a statement before SQLite sees it (libsql-server/src/query_analysis.rs,
 * `StmtKind::kind` and `StmtKind::pragma_kind`), plus what Turso Cloud refuses on top of it.
 *
 * - A statement with no kind is refused before it runs, whatever the token: VACUUM (and VACUUM
 *   INTO), ATTACH, DETACH, ANALYZE, REINDEX, CREATE TEMP TABLE/VIEW/TRIGGER, unknown pragmas
 *   and pragmas that only "serve without args" given an argument. Without this the stand-in
 *   would copy a database to any path of this machine on `VACUUM INTO`.
 * - Only Read, TxnBegin and TxnEnd statements are "read only" (`Statement::is_read_only`):
 *   with a read-only token anything else (a write, a savepoint, EXPLAIN, and the many pragmas
 *   sqld serves from the primary as "writes": integrity_check, page_count, foreign_keys, …)
 *   fails the whole HTTP request with 403, not an in-band SQLITE_READONLY.
 * - Turso Cloud refuses `PRAGMA user_version` and `PRAGMA application_id` in any form, reading
 *   included ("SQL not allowed statement: PRAGMA user_version", reported by several users in
 *   2025; Turso's docs say to keep a `_schema_version` table instead), although sqld alone
 *   would run them.
 *
 * sqld says `SQL string could not be parsed: unsupported statement: <sql>`; Turso Cloud, which
 * is what Silo talks to, says `SQL not allowed statement: <sql>`. Both use SQL_PARSE_ERROR.
 */

export type StmtKind = 'read' | 'write' | 'txn-begin' | 'txn-end' | 'savepoint' | 'other';

/** A kind, `refused`, or `ask-sqlite` when the statement type needs SQLite's own answer (WITH …). */
export type Classification = StmtKind | 'refused' | 'ask-sqlite';

/** Pure reads, served by replicas too. */
const READ_PRAGMAS = new Set([
  'table_list',
  'index_list',
  'table_info',
  'table_xinfo',
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
  'schema_version',
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

/** The message Turso Cloud gives for a statement it does not run. */
export function notAllowedMessage(sql: string): string {
  return `SQL not allowed statement: ${sql.trim()}`;
}

/** sqld's `is_read_only`: what a read-only token may run. */
export function isReadOnlyKind(kind: StmtKind): boolean {
  return kind === 'read' || kind === 'txn-begin' || kind === 'txn-end';
}

/** The kind sqld gives the statement, from its leading tokens (as sqld's own parser sees them). */
export function classifyStatement(sql: string): Classification {
  const t = leadingTokens(sql, 12);
  const w = (i: number): string | undefined => t[i]?.word;
  switch (w(0)) {
    case 'explain':
      if (w(1) === 'query' && w(2) === 'plan') return 'other';
      return w(1) === 'pragma' ? pragmaKind(t.slice(2)) : 'other';
    case 'begin':
      return 'txn-begin';
    case 'commit':
    case 'end':
      return 'txn-end';
    case 'rollback':
      return t.some((token) => token.word === 'to') ? 'savepoint' : 'txn-end';
    case 'savepoint':
    case 'release':
      return 'savepoint';
    case 'select':
    case 'values':
      return 'read';
    case 'with':
      return 'ask-sqlite';
    case 'insert':
    case 'replace':
    case 'update':
    case 'delete':
    case 'drop':
    case 'alter':
      return 'write';
    case 'create':
      return createKind(t.slice(1));
    case 'pragma':
      return pragmaKind(t.slice(1));
    default:
      // VACUUM, ATTACH, DETACH, ANALYZE, REINDEX and anything else sqld has no kind for.
      return 'refused';
  }
}

/** CREATE TEMP … (or a table named temp.x) is bound to one connection, so sqld has no kind for it. */
function createKind(t: readonly Token[]): Classification {
  if (t[0]?.word === 'temp' || t[0]?.word === 'temporary') return 'refused';
  let i = t[0]?.word === 'virtual' || t[0]?.word === 'unique' ? 1 : 0;
  const what = t[i]?.word;
  if (what !== 'table' && what !== 'index' && what !== 'trigger' && what !== 'view') return 'refused';
  i++;
  if (t[i]?.word === 'if' && t[i + 1]?.word === 'not' && t[i + 2]?.word === 'exists') i += 3;
  if (t[i]?.word === 'temp' && t[i + 1]?.text === '.') return 'refused';
  return 'write';
}

function pragmaKind(t: readonly Token[]): Classification {
  let name = t[0]?.word;
  let next = 1;
  if (t[1]?.text === '.') {
    name = t[2]?.word;
    next = 3;
  }
  if (name === undefined) return 'refused';
  const hasBody = t[next] !== undefined && t[next]?.text !== ';';
  if (CLOUD_REFUSED_PRAGMAS.has(name)) return 'refused';
  if (READ_PRAGMAS.has(name)) return 'read';
  if (WRITE_PRAGMAS.has(name)) return 'write';
  if (NO_ARG_PRAGMAS.has(name)) return hasBody ? 'refused' : 'write';
  // case_sensitive_like, incremental_vacuum, optimize, wal_checkpoint, writable_schema, … and
  // every pragma sqld does not know.
  return 'refused';
}

/**
 * Whether the statement is an INSERT (REPLACE included), an UPDATE or a DELETE, as sqld's
 * parser sees it (query_analysis.rs `is_insert`, `is_iud`), a `WITH` clause before it
 * included: sqld reports `affected_row_count` only for these, and `last_insert_rowid` only
 * for an INSERT.
 */
export function dmlKind(sql: string): 'insert' | 'update' | 'delete' | 'other' {
  const verbOf = (word: string): 'insert' | 'update' | 'delete' | 'other' | undefined => {
    if (word === 'insert' || word === 'replace') return 'insert';
    if (word === 'update' || word === 'delete') return word;
    if (word === 'select' || word === 'values') return 'other';
    return undefined;
  };
  // After WITH, the verb is the first of those words outside the parentheses of the common
  // table expressions; literals, quoted names and comments are skipped whole (the tokenizer's
  // tokens: a quoted name is a word too, but not a bare one).
  const tokens = leadingTokens(sql, Number.POSITIVE_INFINITY);
  const bare = (token: { text: string; word: string | undefined } | undefined): string | undefined =>
    token?.word !== undefined && /^[A-Za-z_]/.test(token.text) ? token.word : undefined;
  const first = bare(tokens[0]);
  if (first !== 'with') return (first === undefined ? undefined : verbOf(first)) ?? 'other';
  let depth = 0;
  for (const token of tokens.slice(1)) {
    if (token.text === '(') depth++;
    else if (token.text === ')') depth--;
    else if (depth === 0) {
      const word = bare(token);
      const verb = word === undefined ? undefined : verbOf(word);
      if (verb !== undefined) return verb;
    }
  }
  return 'other';
}

/**
 * The statements of a multi-statement text (a Hrana `sequence`), split where SQLite would:
 * at semicolons outside literals, identifiers and comments, and for CREATE TRIGGER only at the
 * semicolon after its END. Whoever runs them prepares each one alone (sql-stream.ts), so a
 * text this splits wrongly fails to prepare instead of running unchecked statements.
 */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let start = 0;
  let i = 0;
  // The last bare word seen outside literals and comments: a trigger ends at `END;`.
  let lastWord = '';
  while (i < sql.length) {
    const c = sql[i] as string;
    if (c === "'" || c === '"' || c === '`' || c === '[') {
      const close = c === '[' ? ']' : c;
      i = sql.indexOf(close, i + 1);
      i = i === -1 ? sql.length : i + 1;
      lastWord = '';
    } else if (sql.startsWith('--', i)) {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end + 1;
    } else if (sql.startsWith('/*', i)) {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? sql.length : end + 2;
    } else if (c === ';') {
      const text = sql.slice(start, i);
      const head = leadingTokens(text, 3).map((token) => token.word);
      const trigger = head[0] === 'create' && (head[1] === 'trigger' || head[2] === 'trigger');
      i++;
      if (trigger && lastWord !== 'end') continue;
      if (leadingTokens(text, 1).length > 0) statements.push(text.trim());
      start = i;
      lastWord = '';
    } else if (/[A-Za-z_]/.test(c)) {
      const word = /^[A-Za-z0-9_$]+/.exec(sql.slice(i))?.[0] ?? c;
      lastWord = word.toLowerCase();
      i += word.length;
    } else {
      if (!/\s/.test(c)) lastWord = '';
      i++;
    }
  }
  const rest = sql.slice(start);
  if (leadingTokens(rest, 1).length > 0) statements.push(rest.trim());
  return statements;
}

interface Token {
  text: string;
  word: string | undefined;
}

/**
 * The first tokens of `sql` past whitespace and comments: words (unquoted, lower case), string
 * literals and punctuation. The stand-in's own, not the fleet's statement guard's: a model of
 * sqld that shared the engine's tokenizer could not catch the engine's mistakes.
 */
function leadingTokens(sql: string, max: number): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length && tokens.length < max) {
    const c = sql[i] as string;
    if (/\s/.test(c)) i++;
    else if (sql.startsWith('--', i)) {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end + 1;
    } else if (sql.startsWith('/*', i)) {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? sql.length : end + 2;
    } else if (c === "'") {
      // A string literal is one token and no word ('' is a quote inside it).
      let j = i + 1;
      while (j < sql.length && !(sql[j] === "'" && sql[j + 1] !== "'")) j += sql[j] === "'" ? 2 : 1;
      tokens.push({ text: sql.slice(i, j + 1), word: undefined });
      i = j + 1;
    } else if (c === '"' || c === '`' || c === '[') {
      // A quoted name is a word, its text with the quotes (so never taken for a keyword).
      const close = c === '[' ? ']' : c;
      const end = sql.indexOf(close, i + 1);
      const inner = sql.slice(i + 1, end === -1 ? sql.length : end);
      tokens.push({ text: sql.slice(i, end === -1 ? sql.length : end + 1), word: inner.toLowerCase() });
      i = end === -1 ? sql.length : end + 1;
    } else if (/[A-Za-z_]/.test(c)) {
      const word = /^[A-Za-z0-9_$]+/.exec(sql.slice(i))?.[0] ?? c;
      tokens.push({ text: word, word: word.toLowerCase() });
      i += word.length;
    } else {
      tokens.push({ text: c, word: undefined });
      i++;
    }
  }
  return tokens;
}
