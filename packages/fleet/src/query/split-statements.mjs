// @ts-check
/**
 * Splits a script into its statements at the semicolons that end them: not those inside
 * strings, quoted names, comments, or a trigger's BEGIN … END body (where CASE … END nests).
 * SQLite has no API for this that better-sqlite3 exposes, and the Turso engine needs the same
 * answer, so it is done once here. Empty statements (stray semicolons, comments only) are
 * dropped. Plain JavaScript: the query host (plain Node) imports it too.
 */

/**
 * @param {string} sql
 * @returns {string[]}
 */
export function splitStatements(sql) {
  /** @type {string[]} */
  const statements = [];
  let start = 0;
  /** Words of the current statement so far, lower case (only the first few and CASE/END matter). */
  /** @type {string[]} */
  let words = [];
  let caseDepth = 0;
  let inTriggerBody = false;
  let i = 0;
  /** @param {number} end */
  const finish = (end) => {
    const text = sql.slice(start, end).trim();
    if (words.length > 0) statements.push(text);
    start = end + 1;
    words = [];
    caseDepth = 0;
    inTriggerBody = false;
  };
  while (i < sql.length) {
    const c = sql[i] ?? '';
    if (sql.startsWith('--', i)) {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end + 1;
    } else if (sql.startsWith('/*', i)) {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? sql.length : end + 2;
    } else if (c === "'" || c === '"' || c === '`' || c === '[') {
      const close = c === '[' ? ']' : c;
      let j = i + 1;
      for (;;) {
        const k = sql.indexOf(close, j);
        if (k === -1) {
          j = sql.length;
          break;
        }
        // A doubled quote is the quote itself (not for [names]).
        if (close !== ']' && sql[k + 1] === close) {
          j = k + 2;
          continue;
        }
        j = k + 1;
        break;
      }
      words.push('"');
      i = j;
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < sql.length && /[A-Za-z0-9_$]/.test(sql[j] ?? '')) j++;
      const word = sql.slice(i, j).toLowerCase();
      words.push(word);
      const trigger = words[0] === 'create' && (words[1] === 'trigger' || (words[2] === 'trigger' && (words[1] === 'temp' || words[1] === 'temporary')));
      if (trigger && word === 'begin') inTriggerBody = true;
      else if (word === 'case') caseDepth++;
      else if (word === 'end') {
        if (caseDepth > 0) caseDepth--;
        else if (inTriggerBody) inTriggerBody = false;
      }
      i = j;
    } else if (c === ';') {
      if (inTriggerBody) i++;
      else {
        finish(i);
        i++;
      }
    } else {
      if (!/\s/.test(c)) words.push(c);
      i++;
    }
  }
  finish(sql.length);
  return statements;
}

/** Statements a script may not hold: it runs inside a transaction of its own. */
export const TRANSACTION_CONTROL = /^\s*(begin|commit|end|rollback|savepoint|release)\b/i;
