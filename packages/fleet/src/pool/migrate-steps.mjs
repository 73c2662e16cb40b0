// @ts-check
/**
 * One instance's migration transaction, shared by the fleet (sqlite.ts re-exports it) and the
 * migration threads (migrate-thread.mjs), so both run exactly the same steps.
 *
 * Plain JavaScript, so a worker thread starts it in plain Node without a TypeScript loader.
 */

/**
 * What migrations need of a connection: better-sqlite3's, or the catalog's embedded replica.
 * @typedef {{ exec(sql: string): unknown, pragma(sql: string, options?: { simple?: boolean }): unknown, readonly inTransaction: boolean }} MigratableDb
 * @typedef {{ readonly version: number, readonly sql: string }} MigrationStep
 */

/** @param {MigratableDb} db @returns {number} */
export function userVersion(db) {
  return /** @type {number} */ (db.pragma('user_version', { simple: true }));
}

/**
 * Applies the migrations above the database's version in one IMMEDIATE transaction, so a
 * database is either fully at the new version or untouched. Reading the version inside the
 * transaction makes two concurrent migrators safe: the second finds nothing to do.
 *
 * Foreign keys are off while the migrations run and checked before the commit, as SQLite's
 * procedure for schema changes has it (https://www.sqlite.org/lang_altertable.html#otheralter,
 * steps 1, 10 and 12): with them on, the DROP TABLE of a rebuilt parent table deletes its rows
 * first, and ON DELETE CASCADE empties every child table. `PRAGMA foreign_keys = OFF` inside a
 * migration cannot help (the pragma does nothing inside a transaction), so it is done here,
 * outside; a migration that leaves more rows breaking a foreign key than it found fails and rolls
 * back (a tenant whose rows broke a key before, written with foreign keys off, can still migrate).
 * `keepForeignKeys` runs them with the connection's setting instead: Silo's catalog, whose
 * migrations were written for foreign keys on (version 5 keeps cascaded rows aside itself).
 * @param {MigratableDb} db
 * @param {readonly MigrationStep[]} migrations
 * @param {{ dryRun?: boolean, beforeCommit?: () => void, keepForeignKeys?: boolean }} [options]
 * @returns {{ from: number, to: number }}
 */
export function migrateSync(db, migrations, options = {}) {
  const foreignKeys = !options.keepForeignKeys && Number(db.pragma('foreign_keys', { simple: true })) === 1;
  if (foreignKeys) db.pragma('foreign_keys = OFF');
  try {
    db.exec('BEGIN IMMEDIATE');
    try {
      const from = userVersion(db);
      const pending = migrations.filter((migration) => migration.version > from);
      const run = () => {
        for (const migration of pending) db.exec(migration.sql);
      };
      const to = pending.at(-1)?.version ?? from;
      if (foreignKeys && to !== from) runCheckingForeignKeys(db, run, to);
      else run();
      if (to !== from) db.pragma(`user_version = ${to}`);
      options.beforeCommit?.();
      db.exec(options.dryRun ? 'ROLLBACK' : 'COMMIT');
      return { from, to };
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw error;
    }
  } finally {
    if (foreignKeys) db.pragma('foreign_keys = ON');
  }
}

/**
 * Runs the migrations, then throws when they leave more rows breaking a foreign key than the
 * database had before: what SQLite would have refused, or cascaded, with foreign keys on. The
 * count before is read only when rows break a key after (the migrations are undone to a
 * savepoint, counted, and run again), so a sound database pays one check.
 * @param {MigratableDb} db
 * @param {() => void} run
 * @param {number} to
 */
function runCheckingForeignKeys(db, run, to) {
  db.exec('SAVEPOINT silo_migrations');
  run();
  const after = /** @type {{ table: string, parent: string }[]} */ (db.pragma('foreign_key_check'));
  if (after.length > 0) {
    db.exec('ROLLBACK TO silo_migrations');
    const before = /** @type {unknown[]} */ (db.pragma('foreign_key_check')).length;
    run();
    if (after.length > before) throw brokenForeignKeys(after, before, to);
  }
  db.exec('RELEASE silo_migrations');
}

/**
 * @param {readonly { table: string, parent: string }[]} rows
 * @param {number} before
 * @param {number} to
 */
function brokenForeignKeys(rows, before, to) {
  const pairs = [...new Set(rows.map((row) => `${row.table} → ${row.parent}`))];
  const error = new Error(
    `The migrations up to version ${to} leave ${rows.length} row(s) breaking foreign keys (${pairs.slice(0, 5).join(', ')}${pairs.length > 5 ? ', …' : ''})${before > 0 ? `, ${before} before they ran` : ''}. ` +
      'Migrations run with foreign keys off, as SQLite advises for schema changes, and are checked before they commit: delete or fix the child rows in the migration itself.',
  );
  Object.assign(error, { code: 'SQLITE_CONSTRAINT_FOREIGNKEY' });
  return error;
}
