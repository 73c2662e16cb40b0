/**
 * When a statement typed into `silo shell` is complete. Scripts are split by the fleet's own
 * splitter (`splitStatements` in @silo/fleet/internal), the one the console and the Turso
 * engine use.
 */
import { splitStatements } from '@silo/fleet/internal';

/** Whether `sql` holds one statement ended by a semicolon SQLite would end it at (the shell runs it then). */
export function isComplete(sql: string): boolean {
  if (!withoutComments(sql).trimEnd().endsWith(';')) return false;
  // A statement after the text stands on its own only if the last semicolon ended one, not one
  // inside a quote, a comment or a trigger's body (the fleet's splitter, as every run uses).
  return splitStatements(`${sql}\nSELECT 1`).at(-1) === 'SELECT 1';
}

function withoutComments(text: string): string {
  return text.replace(/--[^\n]*/g, '').replace(/\/\*[\s\S]*?(\*\/|$)/g, '');
}
