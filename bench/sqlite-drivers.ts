/**
 * better-sqlite3 beside Node's built-in node:sqlite, on the same files, in one process: the
 * figures behind docs/decisions/0021-keep-better-sqlite3-over-node-sqlite.md. Prints a
 * markdown table and the API checks; no part of `npm run bench`, no assertions.
 *
 *   node --import tsx bench/sqlite-drivers.ts [--rows 10000] [--reads 200000] [--inserts 5000] [--opens 2000]
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '10000' },
    reads: { type: 'string', default: '200000' },
    inserts: { type: 'string', default: '5000' },
    opens: { type: 'string', default: '2000' },
    repeats: { type: 'string', default: '5' },
  },
});
const ROWS = Number(values.rows);
const READS = Number(values.reads);
const INSERTS = Number(values.inserts);
const OPENS = Number(values.opens);
const REPEATS = Number(values.repeats);

/** The few calls both drivers offer, so every figure runs the same loop. */
interface Driver {
  readonly name: string;
  open(file: string): Handle;
}
interface Handle {
  exec(sql: string): void;
  prepare(sql: string): { get(...params: (number | string)[]): unknown; run(...params: (number | string)[]): unknown };
  close(): void;
}

const betterSqlite3: Driver = {
  name: `better-sqlite3 ${(await import('better-sqlite3/package.json', { with: { type: 'json' } })).default.version} (SQLite ${new Database(':memory:').prepare<[], { v: string }>('select sqlite_version() as v').get()?.v ?? '?'})`,
  open: (file) => {
    const db = new Database(file);
    return { exec: (sql) => db.exec(sql), prepare: (sql) => db.prepare<(number | string)[]>(sql), close: () => db.close() };
  },
};
const nodeSqlite: Driver = {
  name: `node:sqlite (SQLite ${new DatabaseSync(':memory:').prepare('select sqlite_version() as v').get()?.['v'] as string})`,
  open: (file) => new DatabaseSync(file),
};

const scratch = mkdtempSync(path.join(os.tmpdir(), 'silo-drivers-'));
const pragmas = 'PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;';

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

/** µs per operation: the median of REPEATS timed runs of `n` operations. */
function perOp(n: number, run: () => void): number {
  const times: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const start = process.hrtime.bigint();
    run();
    times.push(Number(process.hrtime.bigint() - start) / 1e3 / n);
  }
  return median(times);
}

function fds(): number {
  return readdirSync('/proc/self/fd').length;
}

interface Figures {
  select: number;
  insert: number;
  insertTx: number;
  openClose: number;
  fdsLeft: number;
}

function measure(driver: Driver, tag: string): Figures {
  const file = path.join(scratch, `${tag}.db`);
  const db = driver.open(file);
  db.exec(pragmas);
  db.exec('CREATE TABLE todo (id INTEGER PRIMARY KEY, title TEXT NOT NULL, done INTEGER NOT NULL DEFAULT 0)');
  const insert = db.prepare('INSERT INTO todo (title, done) VALUES (?, ?)');
  db.exec('BEGIN');
  for (let i = 0; i < ROWS; i++) insert.run(`todo ${i}`, i % 2);
  db.exec('COMMIT');

  const byId = db.prepare('SELECT id, title, done FROM todo WHERE id = ?');
  let id = 0;
  const select = perOp(READS, () => {
    for (let i = 0; i < READS; i++) byId.get((id = (id * 7 + 13) % ROWS) + 1);
  });
  const one = perOp(INSERTS, () => {
    for (let i = 0; i < INSERTS; i++) insert.run('autocommit', 0);
  });
  const tx = perOp(INSERTS * 10, () => {
    db.exec('BEGIN');
    for (let i = 0; i < INSERTS * 10; i++) insert.run('in a transaction', 0);
    db.exec('COMMIT');
  });
  db.close();

  // Open, prepare two statements (left to the garbage collector, as a request handler
  // would), two primary-key reads, close: the cost per cycle, and the descriptors still open
  // afterwards.
  const before = fds();
  const openClose = perOp(OPENS, () => {
    for (let i = 0; i < OPENS; i++) {
      const h = driver.open(file);
      h.prepare('SELECT done FROM todo WHERE id = ?').get(1 + (i % ROWS));
      h.prepare('SELECT title FROM todo WHERE id = ?').get(1 + (i % ROWS));
      h.close();
    }
  });
  const fdsLeft = fds() - before;
  return { select, insert: one, insertTx: tx, openClose, fdsLeft };
}

// Warm-up pass for the JIT, then the measured pass (alternating drivers per repeat would mix
// caches; each driver gets its own file).
measure(betterSqlite3, 'warm-b');
measure(nodeSqlite, 'warm-n');
const b = measure(betterSqlite3, 'b');
const n = measure(nodeSqlite, 'n');

const f = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
console.log(`Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, median of ${REPEATS} runs\n`);
console.log(`| per operation | ${betterSqlite3.name} | ${nodeSqlite.name} |`);
console.log('| --- | --- | --- |');
console.log(`| primary-key SELECT (${ROWS.toLocaleString('en-US')} rows, prepared) | ${f(b.select)} µs | ${f(n.select)} µs |`);
console.log(`| INSERT, autocommit (WAL, synchronous=NORMAL) | ${f(b.insert)} µs | ${f(n.insert)} µs |`);
console.log(`| INSERT inside one transaction | ${f(b.insertTx)} µs | ${f(n.insertTx)} µs |`);
console.log(`| open + 2 prepared primary-key reads + close | ${f(b.openClose)} µs | ${f(n.openClose)} µs |`);
console.log(`| descriptors left open after ${(OPENS * REPEATS).toLocaleString('en-US')} open/close cycles | ${b.fdsLeft} | ${n.fdsLeft} |`);

// The statement and database API Silo relies on, checked on live objects.
const bdb = new Database(':memory:');
const bst = bdb.prepare('SELECT 1 AS a');
const ndb = new DatabaseSync(':memory:');
const nst = ndb.prepare('SELECT 1 AS a');
const has = (o: object, key: string): string => (key in o ? 'yes' : '**no**');
const checks: [string, string, string][] = [
  ['Statement.reader (does it return rows)', has(bst, 'reader'), has(nst, 'reader')],
  ['Statement.readonly (sqlite3_stmt_readonly: does it write)', has(bst, 'readonly'), has(nst, 'readonly')],
  ['safe integers per statement (BigInt)', has(bst, 'safeIntegers'), has(nst, 'setReadBigInts')],
  ['raw rows (arrays)', has(bst, 'raw'), has(nst, 'setReturnArrays')],
  ['iterate()', has(bst, 'iterate'), has(nst, 'iterate')],
  ['columns()', has(bst, 'columns'), has(nst, 'columns')],
  ['online backup', has(bdb, 'backup'), 'yes (`backup()` export)'],
  ['serialize()', has(bdb, 'serialize'), has(ndb, 'serialize')],
  ['user functions', has(bdb, 'function'), has(ndb, 'function')],
  ['inTransaction', has(bdb, 'inTransaction'), has(ndb, 'isTransaction')],
];
console.log(`\n| API | better-sqlite3 | node:sqlite |\n| --- | --- | --- |`);
for (const [what, x, y] of checks) console.log(`| ${what} | ${x} | ${y} |`);
bdb.close();
ndb.close();
rmSync(scratch, { recursive: true, force: true });
