import { rmSync } from 'node:fs';
import Database from 'better-sqlite3';

/**
 * Runs an app's redaction statements on a staged export (a private copy, never the live
 * database), empties SQLite's planner statistics, and writes the result to `dest` with VACUUM
 * INTO: a file rebuilt from the rows that are left, so nothing the statements removed survives
 * in free pages, page slack or sampled index keys.
 * VACUUM INTO needs no temporary database (plain VACUUM would put one in the system temp
 * folder, outside the instance's region); the staged copy is removed afterwards.
 */
export function redactInto(staged: string, dest: string, statements: readonly string[]): void {
  try {
    const db = new Database(staged, { fileMustExist: true });
    try {
      db.pragma('journal_mode = DELETE');
      db.transaction(() => {
        for (const sql of statements) db.exec(sql);
        // ANALYZE (a console write may run it) copies sampled index keys into sqlite_stat4, and
        // those samples outlive the rows the statements removed: a session's or an invite's
        // token hash, an email. Statistics are no one's data, so a redacted file has none.
        const stats = db
          .prepare<[], { name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table' AND name IN ('sqlite_stat1', 'sqlite_stat2', 'sqlite_stat3', 'sqlite_stat4')")
          .all();
        for (const { name } of stats) db.prepare(`DELETE FROM ${name}`).run();
      })();
      db.prepare('VACUUM INTO ?').run(dest);
    } finally {
      db.close();
    }
  } catch (error) {
    rmSync(dest, { force: true });
    throw error;
  } finally {
    for (const suffix of ['', '-journal', '-wal', '-shm']) rmSync(`${staged}${suffix}`, { force: true });
  }
}
