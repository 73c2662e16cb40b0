import Database from 'better-sqlite3';
import type { SqliteDatabase } from '../sqlite';
import { asciiLower } from './sqlite-names';
import { CREATE_VERSION_TABLE, VERSION_TABLE, isVersionTable } from './version-table';

/**
 * Comparing the schema objects of an uploaded file with the reference schema of its version:
 * every table, index, view and trigger, by type, name, table and definition. An upload keeps
 * its own schema objects, so anything extra (a trigger the app's writes fire), missing or
 * weaker (a table without its STRICT, CHECK or NOT NULL) would otherwise be served as is.
 */

export interface SchemaObject {
  readonly type: string;
  readonly name: string;
  readonly table: string;
  /** Normalised definition; null for the indexes SQLite makes for UNIQUE and PRIMARY KEY. */
  readonly sql: string | null;
}

export type SchemaObjects = ReadonlyMap<string, SchemaObject>;

/**
 * The app's schema objects. Silo's version table (version-table.ts: how a Turso database holds
 * its schema version) is not one of them, on either side of a comparison.
 */
export function schemaObjects(db: SqliteDatabase): SchemaObjects {
  const rows = db.prepare<[], { type: string; name: string; tbl_name: string; sql: string | null }>('SELECT type, name, tbl_name, sql FROM sqlite_schema').all();
  const objects = new Map<string, SchemaObject>();
  for (const row of rows.filter((row) => !isVersionTable(row.tbl_name))) {
    const object = { type: row.type, name: asciiLower(row.name), table: asciiLower(row.tbl_name), sql: row.sql === null ? null : normaliseSql(row.sql) };
    const key = keyOf(object);
    // Two objects SQLite tells apart but the comparison would not: the second would hide the first.
    objects.set(objects.has(key) ? `${key}\0${objects.size}` : key, object);
  }
  return objects;
}


/**
 * Tables SQLite makes by itself (AUTOINCREMENT's counters, ANALYZE's statistics), which a real
 * instance may have and a freshly migrated one lacks. Their definitions are SQLite's own,
 * taken from SQLite once, so a file can carry them only exactly as SQLite makes them.
 */
let internalTables: SchemaObjects | undefined;

function sqliteInternalTables(): SchemaObjects {
  if (!internalTables) {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (a INTEGER PRIMARY KEY AUTOINCREMENT, b); CREATE INDEX t_b ON t (b); INSERT INTO t (b) VALUES (1), (2); ANALYZE;');
    internalTables = new Map([...schemaObjects(db)].filter(([, object]) => object.name.startsWith('sqlite_') && object.type === 'table'));
    db.close();
  }
  return internalTables;
}

/** What differs between the reference and the file, one readable line per object. */
export function schemaDifferences(reference: SchemaObjects, actual: SchemaObjects): string[] {
  const differences: string[] = [];
  for (const [key, expected] of reference) {
    const found = actual.get(key);
    if (!found) differences.push(`missing ${describe(expected)}`);
    else if (found.table !== expected.table || found.sql !== expected.sql) differences.push(`${describe(expected)} is defined differently`);
  }
  const internal = sqliteInternalTables();
  for (const [key, found] of actual) {
    if (reference.has(key)) continue;
    const own = internal.get(key);
    if (own && own.sql === found.sql) continue;
    differences.push(`unexpected ${describe(found)}`);
  }
  return differences;
}

function keyOf(object: { type: string; name: string }): string {
  return `${object.type} ${object.name}`;
}

function describe(object: SchemaObject): string {
  return object.type === 'table' || object.table === object.name ? `${object.type} "${object.name}"` : `${object.type} "${object.name}" on "${object.table}"`;
}

/**
 * One spelling per definition: comments dropped, tokens separated by one space, words in lower
 * case, identifiers unquoted when quoting changes nothing. String literals stay exactly as they
 * are, and every other token is kept, so a definition that lacks a constraint, a type or a
 * keyword never normalises to the reference's.
 */
export function normaliseSql(sql: string): string {
  const tokens: string[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (sql.startsWith('--', i)) {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end + 1;
    } else if (sql.startsWith('/*', i)) {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? sql.length : end + 2;
    } else if (c === "'") {
      const end = quotedEnd(sql, i, "'");
      tokens.push(sql.slice(i, end));
      i = end;
    } else if (c === '"' || c === '`' || c === '[') {
      const close = c === '[' ? ']' : c;
      const end = quotedEnd(sql, i, close);
      const inner = sql.slice(i + 1, end - 1);
      const name = close === ']' ? inner : inner.replaceAll(close + close, close);
      tokens.push(/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? asciiLower(name) : `"${name.replaceAll('"', '""')}"`);
      i = end;
    } else if (/[A-Za-z0-9_$\u0080-\uffff]/.test(c)) {
      let j = i + 1;
      while (j < sql.length && /[A-Za-z0-9_$\u0080-\uffff]/.test(sql[j] as string)) j++;
      tokens.push(asciiLower(sql.slice(i, j)));
      i = j;
    } else {
      tokens.push(c);
      i++;
    }
  }
  return tokens.join(' ');
}

/** The index just past a quoted token opened at `start`; a doubled closing quote is part of it. */
function quotedEnd(sql: string, start: number, close: string): number {
  let j = start + 1;
  while (j < sql.length) {
    if (sql[j] === close) {
      if (close !== ']' && sql[j + 1] === close) {
        j += 2;
        continue;
      }
      return j + 1;
    }
    j++;
  }
  return sql.length;
}

/**
 * The objects of a file's that are named like the version table or attached to it, other than
 * the version table exactly as Silo makes it: another definition, another case of the name, an
 * index or a trigger on it. Schema checks and fingerprints leave the version table out of the
 * app's objects (isVersionTable), so whatever came under its name would be let through
 * unchecked: an upload holding any of these is refused.
 */
export function foreignVersionObjects(db: SqliteDatabase): string[] {
  const own = normaliseSql(CREATE_VERSION_TABLE.replace(/ IF NOT EXISTS/, ''));
  return db
    .prepare<[], { type: string; name: string; tbl_name: string; sql: string | null }>('SELECT type, name, tbl_name, sql FROM sqlite_schema')
    .all()
    .filter((row) => isVersionTable(row.name) || isVersionTable(row.tbl_name))
    .filter((row) => !(row.type === 'table' && row.name === VERSION_TABLE && row.sql !== null && normaliseSql(row.sql) === own))
    .map((row) => `${row.type} "${row.name}"`);
}
