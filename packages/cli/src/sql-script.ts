/**
 * Splits a SQL script into statements at the semicolons SQLite would end them at: not inside
 * quotes ('…', "…", `…`, […]), comments (-- and /* *\/), or the body of a CREATE TRIGGER,
 * which ends at `END;`. For `silo query --file` and the shell's `.read`: the fleet runs one
 * statement per call.
 */
export function splitStatements(script: string): string[] {
  const statements: string[] = [];
  let start = 0;
  let index = 0;
  const closing: Record<string, string> = { "'": "'", '"': '"', '`': '`', '[': ']' };
  while (index < script.length) {
    const char = script[index] ?? '';
    if (char in closing) {
      const end = script.indexOf(closing[char] ?? char, index + 1);
      index = end === -1 ? script.length : end + 1;
    } else if (script.startsWith('--', index)) {
      const end = script.indexOf('\n', index);
      index = end === -1 ? script.length : end + 1;
    } else if (script.startsWith('/*', index)) {
      const end = script.indexOf('*/', index + 2);
      index = end === -1 ? script.length : end + 2;
    } else if (char === ';') {
      const text = script.slice(start, index);
      index++;
      if (insideTrigger(text)) continue;
      pushStatement(statements, text);
      start = index;
    } else {
      index++;
    }
  }
  pushStatement(statements, script.slice(start));
  return statements;
}

/** Whether `sql` holds one statement ended by a semicolon SQLite would end it at (the shell runs it then). */
export function isComplete(sql: string): boolean {
  const trimmed = withoutComments(sql).trimEnd();
  if (!trimmed.endsWith(';')) return false;
  const parts = splitStatements(sql);
  // An unclosed quote or trigger keeps the whole text as one unfinished statement.
  return parts.length > 0 && !insideTrigger(trimmed.slice(0, -1)) && balancedQuotes(sql);
}

function pushStatement(statements: string[], text: string): void {
  if (withoutComments(text).trim() !== '') statements.push(text.trim());
}

function insideTrigger(text: string): boolean {
  const code = withoutComments(text);
  return /^\s*CREATE\s+(?:TEMP\s+|TEMPORARY\s+)?TRIGGER\b/i.test(code) && !/\bEND\s*$/i.test(code);
}

function withoutComments(text: string): string {
  return text.replace(/--[^\n]*/g, '').replace(/\/\*[\s\S]*?(\*\/|$)/g, '');
}

function balancedQuotes(sql: string): boolean {
  const code = withoutComments(sql);
  return ["'", '"', '`'].every((quote) => code.split(quote).length % 2 === 1);
}
