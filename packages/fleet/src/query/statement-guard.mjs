// @ts-check
/**
 * Decides whether one console or fleet statement may run, with SQLite's own answers wherever
 * SQLite has one: `sqlite3_stmt_readonly` (better-sqlite3's `Statement.readonly`) for "does it
 * change the database", and the compiled bytecode (`EXPLAIN`) for what it reaches beyond the
 * database: the `Vacuum` opcode (VACUUM INTO writes a copy to any path, and SQLite calls it a
 * write only because it is one for the main file too) and calls of `sqlite_attach`,
 * `sqlite_detach` and `load_extension` (ATTACH and DETACH are "read-only" to
 * sqlite3_stmt_readonly, yet open or create any file the process can reach).
 *
 * PRAGMA is the one statement checked before SQLite sees it: many pragmas act while the
 * statement is prepared (`writable_schema = 1` and `temp_store_directory = '…'` take effect in
 * sqlite3_prepare, the latter for the whole process), so preparing one to ask SQLite would
 * already be too late. Only the reads on PRAGMA_READS pass, in both modes.
 *
 * Plain JavaScript, so the query host process (plain Node) and the TypeScript fleet share it.
 */

/** @typedef {import('better-sqlite3').Database} Database */
/** @typedef {import('better-sqlite3').Statement<unknown[], unknown>} Statement */
/**
 * @typedef {{ code: 'STATEMENT_REFUSED' | 'QUERY_READ_ONLY', refused: string, message: string }} Refusal
 * @typedef {{ ok: true, statement: Statement } | { ok: false, refusal: Refusal }} Verdict
 */

/**
 * Pragmas that only read, and whether they take a parenthesised argument (a table or index
 * name, or a row limit for the checks). Without an argument slot, `PRAGMA x(5)` is the same
 * assignment as `PRAGMA x = 5`. database_list is left out: it shows the server's file paths.
 * @type {ReadonlyMap<string, boolean>}
 */
export const PRAGMA_READS = new Map([
  ['table_info', true],
  ['table_xinfo', true],
  ['table_list', true],
  ['index_list', true],
  ['index_info', true],
  ['index_xinfo', true],
  ['foreign_key_list', true],
  ['foreign_key_check', true],
  ['integrity_check', true],
  ['quick_check', true],
  ['user_version', false],
  ['schema_version', false],
  ['data_version', false],
  ['page_count', false],
  ['page_size', false],
  ['freelist_count', false],
  ['encoding', false],
  ['collation_list', false],
  ['compile_options', false],
  ['function_list', false],
  ['module_list', false],
  ['pragma_list', false],
]);

/** SQL functions whose call reaches outside the instance's own database. */
const OUTSIDE_FUNCTIONS = /^(sqlite_attach|sqlite_detach|load_extension)\(/i;

const PRAGMA_LIST = [...PRAGMA_READS.keys()].join(', ');

/**
 * @param {Database} db a connection to the instance's database, or one with the same schema
 * @param {string} sql one statement
 * @param {unknown[]} args the statement's parameters (EXPLAIN needs them bound too)
 * @param {boolean} readOnly
 * @returns {Verdict} the prepared statement on `db` when it may run
 */
export function guardStatement(db, sql, args, readOnly) {
  const head = leadingTokens(sql, 8);
  let at = 0;
  const explain = head[0]?.word === 'explain';
  if (explain) at = head[1]?.word === 'query' && head[2]?.word === 'plan' ? 3 : 1;
  if (head[at]?.word === 'pragma') {
    const refusal = pragmaRefusal(head.slice(at + 1));
    if (refusal) return { ok: false, refusal };
  }
  const pragmaTable = pragmaFunctionRefusal(leadingTokens(sql, Infinity));
  if (pragmaTable) return { ok: false, refusal: pragmaTable };
  // Syntax errors, unknown tables and several statements at once fail here, as before.
  const statement = db.prepare(sql);
  // An EXPLAIN only lists bytecode; it never runs the statement it explains.
  if (!explain) {
    const outside = reachesOutside(db, sql, args);
    if (outside) return { ok: false, refusal: outside };
  }
  if (readOnly && !statement.readonly) {
    return {
      ok: false,
      refusal: {
        code: 'QUERY_READ_ONLY',
        refused: 'write',
        message: 'SQLite reports that this statement would change the database, and this query is read-only. Switch to write mode to change data (writes are audited).',
      },
    };
  }
  return { ok: true, statement };
}

/**
 * @param {Database} db @param {string} sql @param {unknown[]} args
 * @returns {Refusal | undefined}
 */
function reachesOutside(db, sql, args) {
  /** @type {{ opcode: string, p4: unknown }[]} */
  let program;
  try {
    // EXPLAIN lists the program without running it; the bindings only satisfy the binder.
    program = /** @type {{ opcode: string, p4: unknown }[]} */ (db.prepare(`EXPLAIN ${sql}`).all(...args));
  } catch (error) {
    // Arguments that do not fit the statement (too many, a missing name) are the caller's
    // mistake, reported as better-sqlite3 words it, not a statement the guard refuses.
    if (error instanceof RangeError || error instanceof TypeError) throw error;
    return refused('unexplainable', `SQLite could not show what the statement does (${error instanceof Error ? error.message : String(error)}), so it was not run.`);
  }
  for (const { opcode, p4 } of program) {
    if (opcode === 'Vacuum') {
      return refused(
        'VACUUM',
        'VACUUM is refused here: VACUUM INTO writes a copy of the whole database to any path the server can write, and a plain VACUUM rewrites the file under a lock. Use `silo export <instance>` for a copy.',
      );
    }
    if (typeof p4 === 'string' && OUTSIDE_FUNCTIONS.test(p4)) {
      const name = p4.slice(0, p4.indexOf('(')).toLowerCase();
      return name === 'load_extension'
        ? refused('load_extension', 'load_extension() loads native code into the server; it is never allowed.')
        : refused(
            name === 'sqlite_attach' ? 'ATTACH' : 'DETACH',
            'ATTACH and DETACH open other database files; a query reaches its own instance only. Use `silo query-all` (or the fleet query page) to query across instances.',
          );
    }
  }
  return undefined;
}

/**
 * @param {Token[]} tokens what follows the PRAGMA keyword
 * @returns {Refusal | undefined}
 */
function pragmaRefusal(tokens) {
  let index = 0;
  let name = tokens[index++]?.word;
  if (tokens[index]?.text === '.') {
    index++;
    name = tokens[index++]?.word;
  }
  const next = tokens[index]?.text;
  const known = name === undefined ? undefined : PRAGMA_READS.get(name);
  if (known === undefined) {
    return refused(`PRAGMA ${name ?? ''}`.trim(), `PRAGMA ${name ?? '(none)'} is not one of the pragmas a query may read (${PRAGMA_LIST}).`);
  }
  if (next === undefined || next === ';' || (next === '(' && known)) return undefined;
  return refused(`PRAGMA ${name}`, `PRAGMA ${name} may be read but not set here (no "=" and no value); settings of an instance belong to its migrations.`);
}

/**
 * A pragma read as a table (`SELECT file FROM pragma_database_list`) answers what the PRAGMA
 * statement would, so it passes only where that statement would; the bytecode does not name
 * the table, hence the tokens.
 * @param {Token[]} tokens the whole statement's
 * @returns {Refusal | undefined}
 */
function pragmaFunctionRefusal(tokens) {
  for (const token of tokens) {
    // SQLite also takes a string as a table name (`FROM 'pragma_database_list'`); a string that
    // is exactly such a name is read as one (as a value it would be a strange one).
    const literal = token.word === undefined && token.text.startsWith("'") ? token.text.slice(1, -1).replace(/''/g, "'").toLowerCase() : undefined;
    const word = token.word ?? (literal !== undefined && /^pragma_\w+$/.test(literal) ? literal : undefined);
    if (!word?.startsWith('pragma_')) continue;
    const name = word.slice('pragma_'.length);
    if (!PRAGMA_READS.has(name)) {
      return refused(word, `${word} reads PRAGMA ${name}, which is not one of the pragmas a query may read (${PRAGMA_LIST}).`);
    }
  }
  return undefined;
}

/** @param {string} what @param {string} message @returns {Refusal} */
function refused(what, message) {
  return { code: 'STATEMENT_REFUSED', refused: what, message };
}

/** @typedef {{ text: string, word: string | undefined }} Token */

/**
 * The first tokens of `sql`, skipping whitespace and comments: words (bare or quoted, lower
 * case, unquoted) and single punctuation characters. Enough to recognise EXPLAIN and PRAGMA
 * the way SQLite's tokenizer does; everything else is left to SQLite.
 *
 * Semicolons before the first token are skipped too, as sqlite3_prepare skips empty
 * statements: `; PRAGMA writable_schema = 1` is prepared as the PRAGMA, so it must be seen as
 * one here, however many semicolons come first.
 * @param {string} sql @param {number} max @returns {Token[]}
 */
export function leadingTokens(sql, max) {
  /** @type {Token[]} */
  const tokens = [];
  let i = 0;
  while (i < sql.length && tokens.length < max) {
    const c = sql[i] ?? '';
    if (/\s/.test(c) || (c === ';' && tokens.length === 0)) {
      i++;
    } else if (sql.startsWith('--', i)) {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end + 1;
    } else if (sql.startsWith('/*', i)) {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? sql.length : end + 2;
    } else if (c === "'") {
      // A string literal is one token, never words: 'pragma_database_list' is only text.
      let j = i + 1;
      while (j < sql.length && !(sql[j] === "'" && sql[j + 1] !== "'")) j += sql[j] === "'" ? 2 : 1;
      tokens.push({ text: sql.slice(i, j + 1), word: undefined });
      i = j + 1;
    } else if (c === '"' || c === '`' || c === '[') {
      const close = c === '[' ? ']' : c;
      let j = i + 1;
      let text = '';
      while (j < sql.length) {
        if (sql[j] === close) {
          if (close !== ']' && sql[j + 1] === close) {
            text += close;
            j += 2;
            continue;
          }
          break;
        }
        text += sql[j];
        j++;
      }
      tokens.push({ text: sql.slice(i, j + 1), word: text.toLowerCase() });
      i = j + 1;
    } else if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      let j = i + 1;
      while (j < sql.length && /[A-Za-z0-9_$\u0080-\uffff]/.test(sql[j] ?? '')) j++;
      const text = sql.slice(i, j);
      tokens.push({ text, word: text.toLowerCase() });
      i = j;
    } else if (c === '?') {
      // A parameter with its number, if any (`?2`), is one token, as in SQLite.
      let j = i + 1;
      while (j < sql.length && /[0-9]/.test(sql[j] ?? '')) j++;
      tokens.push({ text: sql.slice(i, j), word: undefined });
      i = j;
    } else {
      tokens.push({ text: c, word: undefined });
      i++;
    }
  }
  return tokens;
}

/**
 * The arguments as better-sqlite3 binds them. SQLite binds by index, and so do the libSQL
 * protocol and @libsql/client: an array's first value is `?1`'s. better-sqlite3 binds an array
 * to anonymous `?` only, and `?NNN` by key, so an array for a statement whose parameters are
 * all numbered is handed over keyed by number. (A statement mixing `?` and `?NNN` is left as
 * it is: better-sqlite3's own error says what is wrong.)
 * @param {string} sql @param {unknown[]} values @returns {unknown[]}
 */
export function bindByIndex(sql, values) {
  // Most statements have no `?NNN` at all: no tokenizing for them on every query.
  if (values.length === 0 || !/\?\d/.test(sql)) return values;
  const parameters = leadingTokens(sql, Infinity).filter((token) => token.text.startsWith('?'));
  if (parameters.length === 0 || parameters.some((token) => token.text === '?')) return values;
  // More values than parameters stays an array, for better-sqlite3 to refuse as it would.
  if (values.length > Math.max(...parameters.map((token) => Number(token.text.slice(1))))) return values;
  return [Object.fromEntries(values.map((value, index) => [String(index + 1), value]))];
}
