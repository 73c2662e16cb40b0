/**
 * Parameter names of an SQL text, in SQLite's numbering (DescribeResult.params: index i
 * describes parameter i + 1). better-sqlite3 does not expose sqlite3_bind_parameter_name,
 * so the text is scanned here, skipping string literals, quoted identifiers and comments.
 */
export function describeParams(sql: string): { name: string | null }[] {
  const names: (string | null)[] = [];
  const byName = new Map<string, number>();
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i] as string;
    if (ch === "'" || ch === '"' || ch === '`') {
      i = skipQuoted(sql, i, ch);
    } else if (ch === '[') {
      const end = sql.indexOf(']', i + 1);
      i = end < 0 ? sql.length : end + 1;
    } else if (ch === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end + 1;
    } else if (ch === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else if (ch === '?') {
      const digits = /^\d+/.exec(sql.slice(i + 1))?.[0] ?? '';
      if (digits === '') {
        names.push(null);
      } else {
        const index = Number(digits);
        while (names.length < index) names.push(null);
        // A number already named (`:b` then `?1`) keeps its first name (expr.c
        // sqlite3ExprAssignVarNumber names `?NNN` only where the number has none).
        names[index - 1] ??= `?${digits}`;
      }
      i += 1 + digits.length;
    } else if ((ch === ':' || ch === '@' || ch === '$') && /[A-Za-z0-9_]/.test(sql[i + 1] ?? '') && !/[A-Za-z0-9_$]/.test(sql[i - 1] ?? '')) {
      const word = /^[A-Za-z0-9_]+/.exec(sql.slice(i + 1))?.[0] ?? '';
      const name = ch + word;
      if (!byName.has(name)) {
        names.push(name);
        byName.set(name, names.length);
      }
      i += 1 + word.length;
    } else {
      i += 1;
    }
  }
  return names.map((name) => ({ name }));
}

function skipQuoted(sql: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === quote) {
      if (sql[i + 1] === quote) i += 2;
      else return i + 1;
    } else {
      i += 1;
    }
  }
  return sql.length;
}
