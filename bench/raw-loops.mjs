// @ts-check
/**
 * The hand-written loops rows 3 and 4 measure Silo against, in one place for the one-thread
 * baseline (fleet-wide.ts) and the same loop on worker threads (raw-loop-thread.mjs).
 *
 * Plain JavaScript, so a worker thread runs it without a TypeScript loader.
 */
import Database from 'better-sqlite3';

/**
 * Row 3: open, BEGIN IMMEDIATE, the migration's SQL, user_version, COMMIT, close.
 * @param {readonly string[]} files @param {string} sql @param {number} version
 */
export function migrateEach(files, sql, version) {
  for (const file of files) {
    const db = new Database(file);
    db.pragma('busy_timeout = 5000');
    db.exec('BEGIN IMMEDIATE');
    db.exec(sql);
    db.pragma(`user_version = ${version}`);
    db.exec('COMMIT');
    db.close();
  }
}

/**
 * Row 4: open read-only, count, close.
 * @param {readonly string[]} files
 */
export function countEach(files) {
  for (const file of files) {
    const db = new Database(file, { readonly: true });
    db.prepare('SELECT count(*) FROM todos').get();
    db.close();
  }
}
