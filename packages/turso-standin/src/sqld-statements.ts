/**
 * Statements sqld does not run at all. sqld parses every statement and classifies it
 * (libsql-server/src/query_analysis.rs, `StmtKind::kind`); VACUUM (and VACUUM INTO), ATTACH,
 * DETACH, ANALYZE and REINDEX have no kind there, so the request fails with "unsupported
 * statement" before SQLite sees it, whatever the token. Without this the stand-in would copy a
 * database to any path of this machine on `VACUUM INTO`, which the real service never does.
 */
const UNSUPPORTED = new Set(['vacuum', 'attach', 'detach', 'analyze', 'reindex']);

/** The message sqld gives, or undefined when sqld would run the statement. */
export function unsupportedStatement(sql: string): string | undefined {
  const keyword = firstKeyword(sql);
  return keyword !== undefined && UNSUPPORTED.has(keyword) ? `unsupported statement: ${sql}` : undefined;
}

/** The first word of the statement, past whitespace and comments, as SQLite's tokenizer sees it. */
function firstKeyword(sql: string): string | undefined {
  let i = 0;
  while (i < sql.length) {
    if (/\s/.test(sql[i] ?? '')) i++;
    else if (sql.startsWith('--', i)) {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end + 1;
    } else if (sql.startsWith('/*', i)) {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? sql.length : end + 2;
    } else break;
  }
  return /^[A-Za-z]+/.exec(sql.slice(i))?.[0].toLowerCase();
}
