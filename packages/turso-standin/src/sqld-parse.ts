import Database from 'better-sqlite3';
import { byteOffset, hasValue, isIdentifier, isName, linePosition, valueOf, type LexToken } from './sqld-lexer';
import { isPragma, type StatementSpan } from './sqld-statements';

/**
 * Whether sqld's parser takes a statement, and what it says when it does not.
 *
 * sqld parses every statement with its own parser (tursodatabase/libsql at f8fb14f,
 * vendored/sqlite3-parser: SQLite's grammar run by a Rust port of lemon) before SQLite sees it
 * (libsql-server/src/query_analysis.rs `Statement::parse`). A statement it cannot parse fails
 * with SQL_PARSE_ERROR, `SQL string could not be parsed: <detail>` (hrana/stmt.rs
 * `StmtError::SqlParse`), before anything runs: for an `execute` that statement, for a `batch`
 * the whole batch (`proto_batch_to_program` parses every step first), for a `sequence` every
 * statement of it. The detail is the parser's:
 *
 * - a token that carries text (a name, a literal, a variable): ``syntax error around L1:13: `FRM` ``
 *   (query_analysis.rs), the line and the byte column just after the token;
 * - a keyword or punctuation: `near WHERE, "None": syntax error at (1, 20)`; a statement cut
 *   short reads as a `;` where it stops (`near SEMI, "None": …`), or `unexpected end of input at
 *   (…)` where a `;` could follow (inside a trigger body);
 * - a lexer error, at the position before the token: `non-terminated literal at (1, 8)`,
 *   `non-terminated block comment`, `bad number` (`1_000`), `expected = sign` (`!`), …
 *
 * The grammar is SQLite's, so SQLite finds the same offending token: SQLite's own parser is
 * asked (preparing runs nothing, pragmas aside), on the stream's connection and, where that one
 * stops at a name it cannot find first (`table t already exists` before a later typo), on an
 * empty in-memory database. Pragmas are checked against sqld's pragma grammar instead, since
 * SQLite acts on some pragmas while it prepares them. Where sqld's grammar is older than this
 * SQLite's (better-sqlite3's 3.54), the differences that matter are checked on the tokens:
 * ORDER BY inside an aggregate's parentheses, ORDER BY or LIMIT before UNION/EXCEPT/INTERSECT,
 * and an expression as RAISE's message.
 */

export type ProbeResult = { ok: true } | { ok: false; message: string };

/** Prepares a text on some connection and says how SQLite took it. */
export type Probe = (sql: string) => ProbeResult;

export function probeOn(conn: Database.Database): Probe {
  return (sql) => {
    try {
      conn.prepare(sql);
      return { ok: true };
    } catch (error) {
      if (error instanceof Error && error.name === 'SqliteError') return { ok: false, message: error.message };
      // better-sqlite3's words for a text that is not one statement: not a parse question.
      if (error instanceof RangeError) return { ok: true };
      throw error;
    }
  };
}

let scratch: Database.Database | undefined;

/** An empty database: SQLite's parser on it meets no existing name that could stop it early. */
export function scratchProbe(): Probe {
  scratch ??= new Database(':memory:');
  return probeOn(scratch);
}

/** SQLite's parse errors, as opposed to errors about the names in a statement. */
export function isSyntaxMessage(message: string): boolean {
  return /^near ".*": syntax error$/s.test(message) || message === 'incomplete input' || message.startsWith('unrecognized token:') || message.startsWith('unknown table option:');
}

export function parseErrorMessage(detail: string): string {
  return `SQL string could not be parsed: ${detail}`;
}

type Offense = { kind: 'token'; index: number } | { kind: 'semi' } | { kind: 'eof' } | { kind: 'custom'; index: number; message: string };

/**
 * The detail sqld's parser gives for the statement `span` of `sql` (positions count from the
 * start of `sql`, as sqld's scanner does across the statements of a text), or undefined if it
 * parses. `probes` are tried in order (the stream's connection first, where that is safe).
 */
export function parseError(sql: string, span: StatementSpan, probes: readonly Probe[]): string | undefined {
  const tokens = span.tokens;
  let offense: Offense | undefined;
  if (isPragma(tokens)) {
    offense = pragmaGrammar(tokens, span.failure !== undefined);
  } else {
    const bySqlite = sqliteOffense(sql, span, probes);
    const byRules = lemonOnlyOffense(tokens);
    offense = earliest(bySqlite, byRules);
  }
  if (offense === undefined) {
    if (span.failure === undefined) return undefined;
    return `${span.failure.message} at ${at(sql, span.failure.start)}`;
  }
  switch (offense.kind) {
    case 'token': {
      const token = tokens[offense.index] as LexToken;
      const { line, column } = linePosition(sql, token.end);
      if (hasValue(token)) return `syntax error around L${line}:${column}: \`${valueOf(token)}\``;
      return `near ${token.type}, "None": syntax error at (${line}, ${column})`;
    }
    case 'semi':
      return `near SEMI, "None": syntax error at ${at(sql, sql.length)}`;
    case 'eof':
      return `unexpected end of input at ${at(sql, sql.length)}`;
    case 'custom': {
      // The parser reduces the clause when it sees the token after it (or the end).
      const next = tokens[offense.index + 1];
      return `${offense.message} at ${at(sql, next === undefined ? sql.length : next.end)}`;
    }
  }
}

function at(sql: string, offset: number): string {
  const { line, column } = linePosition(sql, offset);
  return `(${line}, ${column})`;
}

function earliest(a: Offense | undefined, b: Offense | undefined): Offense | undefined {
  const index = (o: Offense): number => (o.kind === 'token' || o.kind === 'custom' ? o.index : Number.POSITIVE_INFINITY);
  if (a === undefined) return b;
  if (b === undefined) return a;
  return index(b) < index(a) ? b : a;
}

/** Where SQLite's parser stops on the statement, found by preparing ever longer prefixes of it. */
function sqliteOffense(sql: string, span: StatementSpan, probes: readonly Probe[]): Offense | undefined {
  const tokens = span.tokens;
  const end = span.failure === undefined ? span.end : span.failure.start;
  if (tokens.length === 0) return undefined;
  for (const probe of probes) {
    const whole = probe(sql.slice(span.start, end));
    if (whole.ok) return undefined;
    if (!isSyntaxMessage(whole.message)) continue;
    if (whole.message === 'incomplete input') {
      // Before a lexer error the statement is only cut short: the lexer error is what sqld says.
      if (span.failure !== undefined) return undefined;
      if (tokens[tokens.length - 1]?.type === 'SEMI') return { kind: 'eof' };
      const withSemi = probe(`${sql.slice(span.start, end)}\n;`);
      return !withSemi.ok && withSemi.message === 'incomplete input' ? { kind: 'eof' } : { kind: 'semi' };
    }
    const low = refusedAt(sql, span, probe);
    if (whole.message.startsWith('unknown table option:')) return { kind: 'custom', index: low, message: whole.message };
    return { kind: 'token', index: low };
  }
  return undefined;
}

/** The first token at which SQLite refuses the statement: the shortest prefix it refuses ends there. */
function refusedAt(sql: string, span: StatementSpan, probe: Probe): number {
  const tokens = span.tokens;
  const refuses = (i: number): boolean => {
    const result = probe(sql.slice(span.start, (tokens[i] as LexToken).end));
    return !result.ok && isSyntaxMessage(result.message) && result.message !== 'incomplete input';
  };
  let low = 0;
  let high = tokens.length - 1;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (refuses(middle)) high = middle;
    else low = middle + 1;
  }
  return low;
}

/**
 * The byte offset SQLite records for its own parse error at the token `text` (`near "X"`,
 * `unrecognized token: "X"`), from the start of the statement's text; undefined if not found.
 */
export function sqliteTokenOffset(sql: string, span: StatementSpan, text: string, probes: readonly Probe[]): number | undefined {
  const base = byteOffset(sql, span.start);
  for (const probe of probes) {
    if (span.tokens.length === 0) break;
    const whole = probe(sql.slice(span.start, span.failure === undefined ? span.end : span.failure.start));
    if (whole.ok || !isSyntaxMessage(whole.message) || whole.message === 'incomplete input') continue;
    const token = span.tokens[refusedAt(sql, span, probe)];
    if (token !== undefined && token.text === text) return byteOffset(sql, token.start) - base;
  }
  // Where sqld's lexer and SQLite's part ways (SQLite reads on past a token sqld's refuses).
  const found = sql.indexOf(text, span.start);
  return found === -1 ? undefined : byteOffset(sql, found) - base;
}

/**
 * Grammar sqld's parser lacks and this SQLite has (vendored/sqlite3-parser/src/parser/parse.y
 * against SQLite 3.44+): ORDER BY inside a function's parentheses (`group_concat(x ORDER BY
 * y)`; sqld's `expr ::= idj LP distinct exprlist RP`), ORDER BY or LIMIT before a compound
 * operator (its `oneselect` has neither; SQLite parses them and only then objects), and an
 * expression as RAISE's message (`expr ::= RAISE LP raisetype COMMA nm RP`).
 */
function lemonOnlyOffense(tokens: readonly LexToken[]): Offense | undefined {
  const stack: ('call' | 'other')[] = [];
  // Per parenthesis depth: an ORDER BY or LIMIT seen since the last statement at that depth.
  const orderedAt: boolean[] = [false];
  for (const [index, token] of tokens.entries()) {
    const depth = stack.length;
    switch (token.type) {
      case 'LP': {
        const before = tokens[index - 1];
        const subquery = ['SELECT', 'VALUES', 'WITH'].includes(tokens[index + 1]?.type ?? '');
        const materialized = before?.type === 'MATERIALIZED' && ['AS', 'NOT'].includes(tokens[index - 2]?.type ?? '');
        stack.push(isIdentifier(before) && !subquery && !materialized ? 'call' : 'other');
        orderedAt[depth + 1] = false;
        break;
      }
      case 'RP':
        stack.pop();
        break;
      case 'ORDER':
        if (stack[depth - 1] === 'call') return { kind: 'token', index };
        orderedAt[depth] = true;
        break;
      case 'LIMIT':
        orderedAt[depth] = true;
        break;
      case 'UNION':
      case 'EXCEPT':
      case 'INTERSECT':
        if (orderedAt[depth] === true) return { kind: 'token', index };
        break;
      case 'SEMI':
        orderedAt[depth] = false;
        break;
      case 'RAISE': {
        // `RAISE(ABORT, nm)`: sqld's grammar takes a name or a string as the message, SQLite 3.47+ any expression.
        if (tokens[index + 1]?.type !== 'LP' || !['ROLLBACK', 'ABORT', 'FAIL'].includes(tokens[index + 2]?.type ?? '') || tokens[index + 3]?.type !== 'COMMA') break;
        const message = tokens[index + 4];
        if (message !== undefined && !isName(message)) return { kind: 'token', index: index + 4 };
        if (message !== undefined && tokens[index + 5] !== undefined && tokens[index + 5]?.type !== 'RP') return { kind: 'token', index: index + 5 };
        break;
      }
    }
  }
  return undefined;
}

/**
 * sqld's PRAGMA grammar (parse.y): `PRAGMA [schema.]name [= value | (value)]`, the value a
 * name, a string, ON, DELETE, DEFAULT or a signed number. Checked without SQLite, which acts on
 * some pragmas while preparing them.
 */
function pragmaGrammar(tokens: readonly LexToken[], cutShort: boolean): Offense | undefined {
  let i = tokens[0]?.type === 'EXPLAIN' ? (tokens[1]?.type === 'QUERY' ? 3 : 1) : 0;
  i++; // PRAGMA
  type State = 'name' | 'afterName' | 'schemaName' | 'afterFull' | 'value' | 'number' | 'close' | 'end';
  let state: State = 'name';
  let closeAfter = false;
  const value = (token: LexToken): State | undefined => {
    if (token.type === 'PLUS' || token.type === 'MINUS') return 'number';
    if (token.type === 'INTEGER' || token.type === 'FLOAT' || isName(token) || ['ON', 'DELETE', 'DEFAULT'].includes(token.type)) return closeAfter ? 'close' : 'end';
    return undefined;
  };
  for (; i < tokens.length; i++) {
    const token = tokens[i] as LexToken;
    let next: State | undefined;
    switch (state) {
      case 'name':
        next = isName(token) ? 'afterName' : undefined;
        break;
      case 'afterName':
      case 'afterFull':
        if (token.type === 'DOT' && state === 'afterName') next = 'schemaName';
        else if (token.type === 'EQ') next = 'value';
        else if (token.type === 'LP') {
          closeAfter = true;
          next = 'value';
        } else if (token.type === 'SEMI') next = 'end';
        break;
      case 'schemaName':
        next = isName(token) ? 'afterFull' : undefined;
        break;
      case 'value':
        next = value(token);
        break;
      case 'number':
        next = token.type === 'INTEGER' || token.type === 'FLOAT' ? (closeAfter ? 'close' : 'end') : undefined;
        break;
      case 'close':
        next = token.type === 'RP' ? 'end' : undefined;
        break;
      case 'end':
        next = token.type === 'SEMI' ? 'end' : undefined;
        break;
    }
    if (next === undefined) return { kind: 'token', index: i };
    state = next;
  }
  if (cutShort) return undefined;
  const complete = state === 'afterName' || state === 'afterFull' || state === 'end';
  if (complete) return undefined;
  return { kind: 'semi' };
}
