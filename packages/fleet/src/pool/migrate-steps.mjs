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
 * @param {MigratableDb} db
 * @param {readonly MigrationStep[]} migrations
 * @param {{ dryRun?: boolean, beforeCommit?: () => void }} [options]
 * @returns {{ from: number, to: number }}
 */
export function migrateSync(db, migrations, options = {}) {
  db.exec('BEGIN IMMEDIATE');
  try {
    const from = userVersion(db);
    const pending = migrations.filter((migration) => migration.version > from);
    for (const migration of pending) db.exec(migration.sql);
    const to = pending.at(-1)?.version ?? from;
    if (to !== from) db.pragma(`user_version = ${to}`);
    options.beforeCommit?.();
    db.exec(options.dryRun ? 'ROLLBACK' : 'COMMIT');
    return { from, to };
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw error;
  }
}
