import { rmSync } from 'node:fs';
import Database from 'better-sqlite3';

/**
 * Runs an app's redaction statements on a staged export (a private copy, never the live
 * database) and writes the result to `dest` with VACUUM INTO: a file rebuilt from the rows
 * that are left, so nothing the statements removed survives in free pages or page slack.
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
