import { byteOffset, isIdentifier, nameKey, type LexToken } from './sqld-lexer';
import type { StatementSpan } from './sqld-statements';

/**
 * SQLite errors as sqld reports them.
 *
 * sqld prepares with rusqlite built with `modern_sqlite` (tursodatabase/libsql at f8fb14f,
 * vendored/rusqlite/src/error.rs `error_with_offset`): a prepare that fails with SQLITE_ERROR
 * and for which SQLite recorded where in the text the error is (`sqlite3_error_offset`) becomes
 * `SqlInputError`, which Hrana reports as SQL_INPUT_ERROR, `SQL input error: <message> (at
 * offset <bytes>)` (hrana/stmt.rs). Other failures stay `SQLite error: <message>` with the
 * primary result code. better-sqlite3 does not expose the offset, so it is found again here for
 * the messages SQLite 3.47 (the SQLite in sqld, libsql-sqlite3/src) records one for: those that
 * name a token (`%T`) or call `sqlite3RecordErrorOffsetOfExpr`. `no such table` is not one of
 * them; `no such column` is, except for the column an UPDATE sets (update.c).
 */

type Locator = (match: RegExpExecArray, tokens: readonly LexToken[]) => LexToken | undefined;

const FUNCTION_AT = (group: number): Locator => (match, tokens) => {
  const name = (match[group] ?? '').toLowerCase();
  return tokens.find((token, i) => isIdentifier(token) && nameKey(token) === name && tokens[i + 1]?.type === 'LP');
};

const NAME_AT = (group: number, followedBy?: string): Locator => (match, tokens) => {
  const name = (match[group] ?? '').toLowerCase();
  return tokens.find((token, i) => isIdentifier(token) && nameKey(token) === name && (followedBy === undefined || tokens[i + 1]?.type === followedBy));
};

const OFFSET_MESSAGES: readonly [RegExp, Locator][] = [
  [/^(?:no such column|ambiguous column name): "(.+)" - should this be a string literal in single-quotes\?$/s, (m, t) => columnReference([m[1] ?? ''], t)],
  [/^(?:no such column|ambiguous column name): (.+)$/s, (m, t) => columnReference((m[1] ?? '').split('.'), t)],
  [/^no such function: (.+)$/s, FUNCTION_AT(1)],
  [/^not authorized to use function: (.+)$/s, FUNCTION_AT(1)],
  [/^wrong number of arguments to function (.+)\(\)$/s, FUNCTION_AT(1)],
  [/^misuse of (?:aggregate|window) function (.+)\(\)$/s, FUNCTION_AT(1)],
  [/^misuse of aggregate: (.+)\(\)$/s, FUNCTION_AT(1)],
  [/^unknown function: (.+)\(\)$/s, FUNCTION_AT(1)],
  [/^unsafe use of (.+)\(\)$/s, FUNCTION_AT(1)],
  [/^(.+)\(\) may not be used as a window function$/s, FUNCTION_AT(1)],
  [/^(?:FILTER|ORDER BY) may not be used with non-aggregate (.+)\(\)$/s, FUNCTION_AT(1)],
  [/^too many arguments on function (.+)$/s, FUNCTION_AT(1)],
  [/^(?:table|view|trigger) (.+) already exists$/s, NAME_AT(1)],
  [/^unknown database (.+)$/s, NAME_AT(1, 'DOT')],
  [/^(?:oversized integer|hex literal too big): -?(.+)$/s, (m, t) => t.find((token) => token.type === 'INTEGER' && token.text === m[1])],
];

/**
 * The reference `no such column` names: `x`, `t.x` or `s.t.x`, its first token not after a dot
 * and its last not before a dot or a parenthesis. UPDATE's `SET x = …` target is looked up by
 * update.c, which records no offset.
 */
function columnReference(parts: readonly string[], tokens: readonly LexToken[]): LexToken | undefined {
  const keys = parts.map((part) => part.toLowerCase());
  const width = keys.length * 2 - 1;
  for (let i = 0; i + width <= tokens.length; i++) {
    if (tokens[i - 1]?.type === 'DOT') continue;
    const last = tokens[i + width - 1];
    if (tokens[i + width]?.type === 'DOT' || tokens[i + width]?.type === 'LP') continue;
    const matches = keys.every((key, k) => {
      const token = tokens[i + k * 2];
      return isIdentifier(token) && token !== undefined && nameKey(token) === key && (k === 0 || tokens[i + k * 2 - 1]?.type === 'DOT');
    });
    if (!matches || last === undefined) continue;
    if (keys.length === 1 && isUpdateTarget(tokens, i)) return undefined;
    return tokens[i];
  }
  return undefined;
}

function isUpdateTarget(tokens: readonly LexToken[], i: number): boolean {
  const verb = tokens.findIndex((token) => token.type === 'UPDATE');
  if (verb === -1 || tokens[i + 1]?.type !== 'EQ') return false;
  const before = tokens[i - 1]?.type;
  return before === 'SET' || before === 'COMMA';
}

/**
 * The byte offset sqld would report for a prepare that failed with `message`, counted from the
 * start of the statement's text (`span.start`, as sqld prepares each statement's own text), or
 * undefined when SQLite records none.
 */
export function inputErrorOffset(sql: string, span: StatementSpan, message: string): number | undefined {
  for (const [pattern, locate] of OFFSET_MESSAGES) {
    const match = pattern.exec(message);
    if (match === null) continue;
    const token = locate(match, span.tokens);
    if (token === undefined) return undefined;
    return byteOffset(sql, token.start) - byteOffset(sql, span.start);
  }
  return undefined;
}

/**
 * sqld's SQLite is built without SQLITE_ENABLE_UPDATE_DELETE_LIMIT (libsql-ffi/build.rs), so
 * UPDATE and DELETE take neither ORDER BY nor LIMIT: SQLite refuses them while preparing,
 * `syntax error near "ORDER BY"` (or `"LIMIT"`), with no offset (parse.y
 * `updateDeleteLimitError`). sqld's own parser takes them, so the statement gets that far.
 * better-sqlite3's SQLite has the option; this is its refusal, undefined when none applies.
 */
export function updateDeleteLimitError(tokens: readonly LexToken[]): string | undefined {
  let i = tokens[0]?.type === 'EXPLAIN' ? (tokens[1]?.type === 'QUERY' ? 3 : 1) : 0;
  if (tokens[i]?.type === 'WITH') {
    let depth = 0;
    for (i++; i < tokens.length; i++) {
      const type = (tokens[i] as LexToken).type;
      if (type === 'LP') depth++;
      else if (type === 'RP') depth--;
      else if (depth === 0 && ['SELECT', 'VALUES', 'INSERT', 'REPLACE', 'UPDATE', 'DELETE'].includes(type)) break;
    }
  }
  const verb = tokens[i]?.type;
  if (verb !== 'UPDATE' && verb !== 'DELETE') return undefined;
  let depth = 0;
  let order = false;
  let limit = false;
  for (const token of tokens.slice(i + 1)) {
    if (token.type === 'LP') depth++;
    else if (token.type === 'RP') depth--;
    else if (depth === 0 && token.type === 'ORDER') order = true;
    else if (depth === 0 && token.type === 'LIMIT') limit = true;
  }
  if (order) return 'syntax error near "ORDER BY"';
  return limit ? 'syntax error near "LIMIT"' : undefined;
}
