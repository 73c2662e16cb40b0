/**
 * sqld's tokenizer: a port of the one in front of its parser (tursodatabase/libsql at f8fb14f,
 * vendored/sqlite3-parser/src/lexer/sql/mod.rs `Tokenizer::split`, the keyword table of its
 * build.rs and the `%fallback` list of src/parser/parse.y). sqld runs every statement through
 * this parser before SQLite sees it, and the lexer is stricter than SQLite's own: an unclosed
 * block comment, `!` without `=`, `1_000` or `0x` fail here although SQLite takes them. Its
 * token names and positions are what sqld's parse errors print.
 */

export interface LexToken {
  /** The parser's name for it (lemon's `yyTokenName`): `ID`, `STRING`, `LP`, `SELECT`, … */
  type: string;
  /** Its text in the input (a BLOB's is the whole `x'…'`). */
  text: string;
  /** UTF-16 offsets into the input. */
  start: number;
  end: number;
}

export interface LexFailure {
  /** The lexer error's own words (lexer/sql/error.rs `Display`), without the position. */
  message: string;
  /** Where the token that failed starts: sqld reports the position before it. */
  start: number;
}

const KEYWORDS: Record<string, string> = {
  ABORT: 'ABORT', ACTION: 'ACTION', ADD: 'ADD', AFTER: 'AFTER', ALL: 'ALL', ALTER: 'ALTER', ALWAYS: 'ALWAYS',
  ANALYZE: 'ANALYZE', AND: 'AND', AS: 'AS', ASC: 'ASC', ATTACH: 'ATTACH', AUTOINCREMENT: 'AUTOINCR', BEFORE: 'BEFORE',
  BEGIN: 'BEGIN', BETWEEN: 'BETWEEN', BY: 'BY', CASCADE: 'CASCADE', CASE: 'CASE', CAST: 'CAST', CHECK: 'CHECK',
  COLLATE: 'COLLATE', COLUMN: 'COLUMNKW', COMMIT: 'COMMIT', CONFLICT: 'CONFLICT', CONSTRAINT: 'CONSTRAINT',
  CREATE: 'CREATE', CROSS: 'JOIN_KW', CURRENT: 'CURRENT', CURRENT_DATE: 'CTIME_KW', CURRENT_TIME: 'CTIME_KW',
  CURRENT_TIMESTAMP: 'CTIME_KW', DATABASE: 'DATABASE', DEFAULT: 'DEFAULT', DEFERRABLE: 'DEFERRABLE',
  DEFERRED: 'DEFERRED', DELETE: 'DELETE', DESC: 'DESC', DETACH: 'DETACH', DISTINCT: 'DISTINCT', DO: 'DO',
  DROP: 'DROP', EACH: 'EACH', ELSE: 'ELSE', END: 'END', ESCAPE: 'ESCAPE', EXCEPT: 'EXCEPT', EXCLUDE: 'EXCLUDE',
  EXCLUSIVE: 'EXCLUSIVE', EXISTS: 'EXISTS', EXPLAIN: 'EXPLAIN', FAIL: 'FAIL', FILTER: 'FILTER', FIRST: 'FIRST',
  FOLLOWING: 'FOLLOWING', FOR: 'FOR', FOREIGN: 'FOREIGN', FROM: 'FROM', FULL: 'JOIN_KW', GENERATED: 'GENERATED',
  GLOB: 'LIKE_KW', GROUP: 'GROUP', GROUPS: 'GROUPS', HAVING: 'HAVING', IF: 'IF', IGNORE: 'IGNORE',
  IMMEDIATE: 'IMMEDIATE', IN: 'IN', INDEX: 'INDEX', INDEXED: 'INDEXED', INITIALLY: 'INITIALLY', INNER: 'JOIN_KW',
  INSERT: 'INSERT', INSTEAD: 'INSTEAD', INTERSECT: 'INTERSECT', INTO: 'INTO', IS: 'IS', ISNULL: 'ISNULL',
  JOIN: 'JOIN', KEY: 'KEY', LAST: 'LAST', LEFT: 'JOIN_KW', LIKE: 'LIKE_KW', LIMIT: 'LIMIT', MATCH: 'MATCH',
  MATERIALIZED: 'MATERIALIZED', NATURAL: 'JOIN_KW', NO: 'NO', NOT: 'NOT', NOTHING: 'NOTHING', NOTNULL: 'NOTNULL',
  NULL: 'NULL', NULLS: 'NULLS', OF: 'OF', OFFSET: 'OFFSET', ON: 'ON', OR: 'OR', ORDER: 'ORDER', OTHERS: 'OTHERS',
  OUTER: 'JOIN_KW', OVER: 'OVER', PARTITION: 'PARTITION', PLAN: 'PLAN', PRAGMA: 'PRAGMA', PRECEDING: 'PRECEDING',
  PRIMARY: 'PRIMARY', QUERY: 'QUERY', RAISE: 'RAISE', RANGE: 'RANGE', READONLY: 'READONLY', RECURSIVE: 'RECURSIVE',
  REFERENCES: 'REFERENCES', REGEXP: 'LIKE_KW', REINDEX: 'REINDEX', RELEASE: 'RELEASE', RENAME: 'RENAME',
  REPLACE: 'REPLACE', RETURNING: 'RETURNING', RESTRICT: 'RESTRICT', RIGHT: 'JOIN_KW', ROLLBACK: 'ROLLBACK',
  ROW: 'ROW', ROWS: 'ROWS', SAVEPOINT: 'SAVEPOINT', SELECT: 'SELECT', SET: 'SET', TABLE: 'TABLE', TEMP: 'TEMP',
  TEMPORARY: 'TEMP', THEN: 'THEN', TIES: 'TIES', TO: 'TO', TRANSACTION: 'TRANSACTION', TRIGGER: 'TRIGGER',
  UNBOUNDED: 'UNBOUNDED', UNION: 'UNION', UNIQUE: 'UNIQUE', UPDATE: 'UPDATE', USING: 'USING', VACUUM: 'VACUUM',
  VALUES: 'VALUES', VIEW: 'VIEW', VIRTUAL: 'VIRTUAL', WHEN: 'WHEN', WHERE: 'WHERE', WINDOW: 'WINDOW', WITH: 'WITH',
  WITHOUT: 'WITHOUT',
};

/** Keywords the parser takes as a name where a keyword cannot stand (parse.y `%fallback ID`). */
const FALLBACK_TO_ID = new Set([
  'ABORT', 'ACTION', 'AFTER', 'ANALYZE', 'ASC', 'ATTACH', 'BEFORE', 'BEGIN', 'BY', 'CASCADE', 'CAST', 'COLUMNKW',
  'CONFLICT', 'DATABASE', 'DEFERRED', 'DESC', 'DETACH', 'DO', 'EACH', 'END', 'EXCLUSIVE', 'EXPLAIN', 'FAIL', 'FOR',
  'IGNORE', 'IMMEDIATE', 'INITIALLY', 'INSTEAD', 'LIKE_KW', 'MATCH', 'NO', 'PLAN', 'QUERY', 'KEY', 'OF', 'OFFSET',
  'PRAGMA', 'RAISE', 'READONLY', 'RECURSIVE', 'RELEASE', 'REPLACE', 'RESTRICT', 'ROW', 'ROWS', 'ROLLBACK',
  'SAVEPOINT', 'TEMP', 'TRIGGER', 'VACUUM', 'VIEW', 'VIRTUAL', 'WITH', 'WITHOUT', 'NULLS', 'FIRST', 'LAST',
  'CURRENT', 'FOLLOWING', 'PARTITION', 'PRECEDING', 'RANGE', 'UNBOUNDED', 'EXCLUDE', 'GROUPS', 'OTHERS', 'TIES',
  'GENERATED', 'ALWAYS', 'MATERIALIZED', 'REINDEX', 'RENAME', 'CTIME_KW', 'IF',
]);

/** Tokens that carry their text into the parser (dialect/mod.rs `to_token`); the rest print as their name. */
const VALUED = new Set(['CTIME_KW', 'JOIN_KW', 'LIKE_KW', 'PTR', 'STRING', 'ID', 'VARIABLE', 'ANY', 'BLOB', 'INTEGER', 'FLOAT']);

export function hasValue(token: LexToken): boolean {
  return VALUED.has(token.type);
}

/**
 * The text sqld's parser holds for a token: its own for the valued ones (quotes kept, a
 * variable's `?` dropped, a blob's hex digits only), else the keyword's name (dialect/mod.rs
 * `from_token`, which is how a keyword used as a name reads: `temp` becomes `TEMP`).
 */
export function valueOf(token: LexToken): string {
  if (token.type === 'VARIABLE' && token.text.startsWith('?')) return token.text.slice(1);
  if (token.type === 'BLOB') return token.text.slice(2, -1);
  if (hasValue(token)) return token.text;
  return token.type === 'COLUMNKW' ? 'COLUMN' : token.type === 'AUTOINCR' ? 'AUTOINCREMENT' : token.type;
}

/** Whether the parser takes the token as a name (`nm ::= idj | STRING`, keywords by fallback). */
export function isName(token: LexToken | undefined): boolean {
  if (token === undefined) return false;
  return token.type === 'ID' || token.type === 'STRING' || token.type === 'INDEXED' || token.type === 'JOIN_KW' || FALLBACK_TO_ID.has(token.type);
}

/** Whether the parser takes the token as an identifier in an expression (`expr ::= idj`, keywords by fallback). */
export function isIdentifier(token: LexToken | undefined): boolean {
  return isName(token) && token?.type !== 'STRING';
}

/** A name as SQLite resolves it: quotes removed (doubled quotes kept single), case folded. */
export function nameKey(token: LexToken): string {
  const text = token.text;
  const first = text[0];
  if (first === '"' || first === '`' || first === "'") return text.slice(1, -1).replaceAll(first + first, first).toLowerCase();
  if (first === '[') return text.slice(1, -1).toLowerCase();
  return text.toLowerCase();
}

const isWhitespace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\f' || c === '\r';
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isHexDigit = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c);
// Any code unit past ASCII is part of a name, as any byte past 0x7F is in sqld's byte-wise lexer.
const isIdentifierStart = (c: string | undefined): boolean => c !== undefined && (/^[A-Za-z_]$/.test(c) || c.charCodeAt(0) > 0x7f);
const isIdentifierContinue = (c: string | undefined): boolean => c !== undefined && (c === '$' || isDigit(c) || isIdentifierStart(c));

type Split = { type: string; length: number; skip?: false } | { skip: true; length: number } | { failure: string };

/**
 * All tokens of `sql` from `from` on, up to the first lexer error (then `failure`). Comments
 * and whitespace are dropped. The parser reads tokens one at a time, so a lexer error counts
 * only if no parse error came before it.
 */
export function lex(sql: string, from = 0): { tokens: LexToken[]; failure?: LexFailure } {
  const tokens: LexToken[] = [];
  let i = from;
  while (i < sql.length) {
    const split = splitOne(sql, i);
    if ('failure' in split) return { tokens: analyzeWindowKeywords(tokens), failure: { message: split.failure, start: i } };
    if (!split.skip) tokens.push({ type: split.type, text: sql.slice(i, i + split.length), start: i, end: i + split.length });
    i += split.length;
  }
  return { tokens: analyzeWindowKeywords(tokens) };
}

function splitOne(sql: string, i: number): Split {
  const c = sql[i] as string;
  const next = sql[i + 1];
  if (isWhitespace(c)) {
    let j = i + 1;
    while (j < sql.length && isWhitespace(sql[j])) j++;
    return { skip: true, length: j - i };
  }
  const one = (type: string): Split => ({ type, length: 1 });
  switch (c) {
    case '-':
      if (next === '-') {
        const end = sql.indexOf('\n', i);
        return { skip: true, length: (end === -1 ? sql.length : end + 1) - i };
      }
      if (next === '>') return { type: 'PTR', length: sql[i + 2] === '>' ? 3 : 2 };
      return one('MINUS');
    case '(':
      return one('LP');
    case ')':
      return one('RP');
    case ';':
      return one('SEMI');
    case '+':
      return one('PLUS');
    case '*':
      return one('STAR');
    case '/': {
      if (next !== '*') return one('SLASH');
      // The comment ends at the first `/` right after a `*`, looked for from the third character on.
      let previous = '';
      for (let j = i + 2; j < sql.length; j++) {
        if (sql[j] === '/' && previous === '*') return { skip: true, length: j + 1 - i };
        previous = sql[j] as string;
      }
      return { failure: 'non-terminated block comment' };
    }
    case '%':
      return one('REM');
    case '=':
      return { type: 'EQ', length: next === '=' ? 2 : 1 };
    case '<':
      if (next === '=') return { type: 'LE', length: 2 };
      if (next === '>') return { type: 'NE', length: 2 };
      if (next === '<') return { type: 'LSHIFT', length: 2 };
      return one('LT');
    case '>':
      if (next === '=') return { type: 'GE', length: 2 };
      if (next === '>') return { type: 'RSHIFT', length: 2 };
      return one('GT');
    case '!':
      return next === '=' ? { type: 'NE', length: 2 } : { failure: 'expected = sign' };
    case '|':
      return { type: next === '|' ? 'CONCAT' : 'BITOR', length: next === '|' ? 2 : 1 };
    case ',':
      return one('COMMA');
    case '&':
      return one('BITAND');
    case '~':
      return one('BITNOT');
    case '`':
    case "'":
    case '"':
      return literal(sql, i, c);
    case '.':
      return isDigit(next) ? fractionalPart(sql, i, i) : one('DOT');
    case '[': {
      const end = sql.indexOf(']', i);
      return end === -1 ? { failure: 'non-terminated bracket' } : { type: 'ID', length: end + 1 - i };
    }
    case '?': {
      let j = i + 1;
      while (isDigit(sql[j])) j++;
      return { type: 'VARIABLE', length: j - i };
    }
    case '$':
    case '@':
    case '#':
    case ':': {
      let j = i + 1;
      while (isIdentifierContinue(sql[j])) j++;
      return j === i + 1 ? { failure: 'bad variable name' } : { type: 'VARIABLE', length: j - i };
    }
  }
  if (isDigit(c)) return numberToken(sql, i);
  if (isIdentifierStart(c)) {
    if ((c === 'x' || c === 'X') && next === "'") return blobLiteral(sql, i);
    let j = i + 1;
    while (isIdentifierContinue(sql[j])) j++;
    const word = sql.slice(i, j);
    const ascii = [...word].every((ch) => ch.charCodeAt(0) <= 0x7f);
    const keyword = word.length >= 2 && word.length <= 17 && ascii ? KEYWORDS[word.toUpperCase()] : undefined;
    return { type: keyword ?? 'ID', length: j - i };
  }
  return { failure: 'unrecognized token' };
}

/** A quoted literal or name; a doubled quote stays inside it. */
function literal(sql: string, i: number, quote: string): Split {
  let previous = '';
  for (let j = i + 1; j < sql.length; j++) {
    const b = sql[j] as string;
    if (b === quote) {
      if (previous === quote) {
        previous = '';
        continue;
      }
    } else if (previous === quote) {
      return { type: quote === "'" ? 'STRING' : 'ID', length: j - i };
    }
    previous = b;
  }
  return previous === quote ? { type: quote === "'" ? 'STRING' : 'ID', length: sql.length - i } : { failure: 'non-terminated literal' };
}

function blobLiteral(sql: string, i: number): Split {
  let j = i + 2;
  while (isHexDigit(sql[j])) j++;
  if (j >= sql.length || sql[j] !== "'" || (j - i) % 2 !== 0) return { failure: 'malformed blob literal' };
  return { type: 'BLOB', length: j + 1 - i };
}

function numberToken(sql: string, i: number): Split {
  if (sql[i] === '0' && (sql[i + 1] === 'x' || sql[i + 1] === 'X')) {
    let j = i + 2;
    while (isHexDigit(sql[j])) j++;
    if (j === i + 2 || isIdentifierStart(sql[j])) return { failure: 'malformed hex integer' };
    return { type: 'INTEGER', length: j - i };
  }
  let j = i + 1;
  while (isDigit(sql[j])) j++;
  if (sql[j] === '.') return fractionalPart(sql, i, j);
  if (sql[j] === 'e' || sql[j] === 'E') return exponentialPart(sql, i, j);
  if (isIdentifierStart(sql[j])) return { failure: 'bad number' };
  return { type: 'INTEGER', length: j - i };
}

function fractionalPart(sql: string, start: number, dot: number): Split {
  let j = dot + 1;
  while (isDigit(sql[j])) j++;
  if (sql[j] === 'e' || sql[j] === 'E') return exponentialPart(sql, start, j);
  if (isIdentifierStart(sql[j])) return { failure: 'bad number' };
  return { type: 'FLOAT', length: j - start };
}

function exponentialPart(sql: string, start: number, e: number): Split {
  if (e + 1 >= sql.length) return { failure: 'bad number' };
  const signed = sql[e + 1] === '+' || sql[e + 1] === '-' ? e + 1 : e;
  let j = signed + 1;
  while (isDigit(sql[j])) j++;
  if (j >= sql.length) return signed + 1 === sql.length ? { failure: 'bad number' } : { type: 'FLOAT', length: j - start };
  if (isIdentifierStart(sql[j])) return { failure: 'bad number' };
  return { type: 'FLOAT', length: j - start };
}

/**
 * WINDOW, OVER and FILTER are keywords only where they can start their clause, names
 * elsewhere (lexer/sql/mod.rs `analyze_window_keyword` and the two after it).
 */
function analyzeWindowKeywords(tokens: LexToken[]): LexToken[] {
  const nameLike = (token: LexToken | undefined): boolean =>
    token !== undefined && (token.type === 'ID' || token.type === 'STRING' || token.type === 'JOIN_KW' || token.type === 'WINDOW' || token.type === 'OVER' || FALLBACK_TO_ID.has(token.type));
  return tokens.map((token, index) => {
    const before = tokens[index - 1];
    const after = tokens[index + 1];
    let keyword = true;
    if (token.type === 'WINDOW') keyword = nameLike(after) && tokens[index + 2]?.type === 'AS';
    else if (token.type === 'OVER') keyword = before?.type === 'RP' && (after?.type === 'LP' || nameLike(after));
    else if (token.type === 'FILTER') keyword = before?.type === 'RP' && after?.type === 'LP';
    return keyword ? token : { ...token, type: 'ID' };
  });
}

/**
 * sqld's position of an offset: line from 1, column from 1 counted in bytes of UTF-8 since the
 * line began (lexer/scan.rs `consume`).
 */
export function linePosition(sql: string, offset: number): { line: number; column: number } {
  const before = sql.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  let line = 1;
  for (let i = before.indexOf('\n'); i !== -1; i = before.indexOf('\n', i + 1)) line++;
  return { line, column: Buffer.byteLength(before.slice(lineStart), 'utf8') + 1 };
}

/** The byte offset of a UTF-16 offset, as SQLite counts an error's offset. */
export function byteOffset(sql: string, offset: number): number {
  return Buffer.byteLength(sql.slice(0, offset), 'utf8');
}
